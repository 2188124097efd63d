"""{% payvand_form form values errors %}: draw a built form inside any page (helpdesk, portal).

    {% load payvand_forms %}
    <form method="post" enctype="multipart/form-data">{% csrf_token %}
      {% payvand_form ticket_type.form values errors prefix="fv" %}
    </form>

{% payvand_form_values form values %} shows the filled-in values read-only, as a description list.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from payvand.forms.models import Form
from payvand.forms.rendering import Errors, form_render, form_values_display

register = template.Library()


@register.simple_tag
def payvand_form(
    form: Form | None, values: Any = None, errors: Errors = None, prefix: str = "fv", layout: Any = None
) -> SafeString | str:
    if form is None:
        return ""
    return form_render(form, values if isinstance(values, dict) else None, errors, prefix=prefix, layout=layout)


@register.simple_tag
def payvand_form_values(form: Form | None, values: Any = None, layout: Any = None) -> SafeString | str:
    if form is None or not isinstance(values, dict):
        return ""
    rows = form_values_display(form, values, layout=layout)
    return render_to_string("formbuilder/values.html", {"rows": rows})
