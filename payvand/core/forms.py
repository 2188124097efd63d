"""Mapping the one error hierarchy onto Django forms."""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from payvand.core.errors import PayvandError


def apply_errors(form: forms.Form, exc: PayvandError, field_for: Callable[[str], str | None] | None = None) -> None:
    """Attach each FieldError of `exc` to the form field it concerns (or to the form as a whole)."""
    if not exc.errors:
        form.add_error(None, str(exc.detail))
        return
    for error in exc.errors:
        name = error.field
        if name is not None and field_for is not None:
            name = field_for(name)
        elif name is not None:
            name = name.split(".")[0]
        if name not in form.fields:
            name = None
        form.add_error(name, str(error.message))


class BootstrapForm(forms.Form):
    """Adds Bootstrap classes to widgets, and renders each field with includes/field.html."""

    template_name = "includes/form.html"  # what {{ form }} renders (template_name_div alone is only as_div())
    template_name_div = "includes/form.html"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.style_fields()

    def style_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = ""
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if css and css not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
