"""form_render and {% payvand_form %}: the HTML operators (and later customers) fill in."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict
from django.template import Context, Template
from django.utils import translation

from payvand.core.errors import FieldError, ValidationFailed
from payvand.forms import services
from payvand.forms.rendering import form_render, form_values_display, form_values_from_post, jalali_month

pytestmark = pytest.mark.django_db


def _wrapper(html: str, name: str) -> str:
    match = re.search(rf'<div class="mb-3" data-field="{name}"[^>]*>', html)
    assert match, name
    return match.group(0)


def test_it_draws_sections_as_fieldsets_with_every_kind(device_form):
    html = form_render(device_form)
    assert html.count("<fieldset") == 2
    assert "<legend" in html
    assert "Device" in html
    assert "Extra" in html
    assert 'name="fv-serial"' in html
    assert 'maxlength="1000"' in html
    assert '<select class="form-select" name="fv-model"' in html
    assert 'name="fv-notes"' in html
    assert "<textarea" in html
    assert 'type="checkbox" name="fv-problems"' in html
    assert 'type="checkbox" name="fv-warranty"' in html
    assert 'type="file" name="fv-invoice"' in html
    assert 'type="hidden" name="fv-customer"' in html
    assert "data-contact-search" in html
    assert 'name="fv-asset"' in html
    assert 'type="date" name="fv-bought"' in html
    assert 'min="2020-01-01"' in html
    assert "forms/forms.js" in html
    assert " ml-" not in html
    assert " mr-" not in html


def test_it_hides_fields_whose_condition_is_not_met(device_form):
    html = form_render(device_form, {"model": "x2"})
    wrapper = _wrapper(html, "bought")
    assert 'data-show-if-field="model"' in wrapper
    assert 'data-show-if-value="&quot;x1&quot;"' in wrapper
    assert wrapper.endswith(" hidden>")
    assert re.search(r'name="fv-bought"[^>]*disabled', html)
    shown = form_render(device_form, {"model": "x1"})
    assert not _wrapper(shown, "bought").endswith(" hidden>")
    assert not re.search(r'name="fv-bought"[^>]*disabled', shown)


def test_it_shows_values_and_errors(device_form, customer_x):
    values = {
        "serial": "AB-1234",
        "model": "x1",
        "bought": "2024-03-20",
        "problems": ["screen"],
        "warranty": True,
        "customer": customer_x.pk,
        "invoice": {"name": "bill.pdf", "size": 2048, "content_type": "x"},
    }
    errors = ValidationFailed(errors=[FieldError("serial", "Like AB-1234"), FieldError(None, "Something else")])
    html = form_render(device_form, values, errors)
    assert 'value="AB-1234"' in html
    assert '<option value="x1" selected>' in html
    assert re.search(r'value="screen" checked', html)
    assert re.search(r'name="fv-warranty"[^>]*checked', html)
    assert "Xerxes Customer" in html
    assert "bill.pdf" in html
    assert 'name="fv-invoice-clear"' in html
    assert "is-invalid" in html
    assert "Like AB-1234" in html
    assert "Something else" in html


def test_it_draws_a_jalali_date_input_with_a_picker_for_persian_users(device_form):
    with translation.override("fa"):
        html = form_render(device_form, {"model": "x1", "bought": "2024-03-20"})
    assert 'value="۱۴۰۳/۰۱/۰۱"' in html
    assert "data-jalali-date" in html
    assert 'data-calendar-for="id-fv-bought"' in html
    assert 'type="date"' not in html
    assert "دستگاه" in html  # the section title's Persian translation


def test_it_reads_values_back_from_a_post(device_form):
    data = QueryDict(mutable=True)
    data.update({"fv-serial": "AB-1234", "fv-model": "x1", "fv-bought": "۱۴۰۳/۰۱/۰۱", "fv-count": "۴"})
    data.setlist("fv-problems", ["screen", "battery"])
    values, files = form_values_from_post(device_form, data, {}, current={"invoice": {"name": "a", "size": 1}})
    assert values["problems"] == ["screen", "battery"]
    assert values["warranty"] is False
    assert values["count"] == "4"
    assert values["invoice"] == {"name": "a", "size": 1}  # kept: no new upload, not removed
    assert files == {}
    clean = services.form_values_clean(form=device_form, values={**values, "invoice": None})
    assert clean["bought"] == "2024-03-20"
    data["fv-invoice-clear"] = "on"
    assert "invoice" not in form_values_from_post(device_form, data, {}, current={"invoice": {"name": "a"}})[0]


def test_it_renders_through_the_template_tag(device_form):
    html = Template("{% load payvand_forms %}{% payvand_form form values errors prefix='t' %}").render(
        Context({"form": device_form, "values": {"serial": "QQ"}, "errors": {"serial": ["Wrong"]}})
    )
    assert 'name="t-serial"' in html
    assert 'value="QQ"' in html
    assert "Wrong" in html
    assert Template("{% load payvand_forms %}{% payvand_form None %}").render(Context({})) == ""


def test_it_shows_stored_values_read_only(device_form, customer_x):
    values = {
        "serial": "AB-1234",
        "model": "x1",
        "bought": "2024-03-20",
        "problems": ["screen", "battery"],
        "warranty": True,
        "customer": customer_x.pk,
        "count": 2500,
    }
    rows = dict(form_values_display(device_form, values))
    assert rows["Serial number"] == "AB-1234"
    assert rows["Bought on"] == "2024-03-20"
    assert rows["Problems"] == "screen, battery"
    assert rows["Under warranty"] == "Yes"
    assert rows["Customer"] == "Xerxes Customer"
    assert rows["Count"] == "2,500"
    with translation.override("fa"):
        assert dict(form_values_display(device_form, values))["Bought on"] == "۱ فروردین ۱۴۰۳"
    html = Template("{% load payvand_forms %}{% payvand_form_values form values %}").render(
        Context({"form": device_form, "values": values})
    )
    assert "<dl" in html
    assert "AB-1234" in html


def test_it_lays_out_jalali_months_from_saturday():
    month = jalali_month(1403, 1)  # 1 Farvardin 1403 was a Wednesday
    assert month["weeks"][0][:4] == [None, None, None, None]
    assert month["weeks"][0][4].value == "1403/01/01"
    assert sum(1 for week in month["weeks"] for d in week if d) == 31
    assert (month["previous"], month["next"]) == ("1402-12", "1403-02")
    assert sum(1 for week in jalali_month(1403, 12)["weeks"] for d in week if d) == 30  # a leap year
    assert sum(1 for week in jalali_month(1404, 12)["weeks"] for d in week if d) == 29
