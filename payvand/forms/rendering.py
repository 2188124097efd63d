"""Rendering a form as HTML (Bootstrap 5, right-to-left safe) and reading its values back from a POST.

The same output serves the operator who registers a request for a customer and, later, the customer portal:

    html = form_render(form, values, errors, prefix="fv")        # or {% payvand_form form values errors %}
    values, files = form_values_from_post(form, request.POST, request.FILES, prefix="fv", current=ticket.form_values)
    clean = services.form_values_clean(form=form, values=values, files=files)

Conditions are applied on the server when the page is drawn (hidden fields arrive hidden and disabled) and in the
browser as the user types (static/forms/forms.js reads `data-show-if-*`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jdatetime
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from payvand.contacts.models import Contact
from payvand.core.errors import FieldError, PayvandError
from payvand.core.localization import (  # the month names are the ones every Jalali date in Payvand uses
    _JALALI_MONTHS_FA,
    _JALALI_MONTHS_LATIN,
    JALALI,
    current_calendar,
    format_date,
    format_date_short,
    format_number,
    localize_digits,
    to_ascii_digits,
    uses_persian_digits,
)
from payvand.forms import spec as specs
from payvand.forms.models import Form

Errors = PayvandError | Iterable[FieldError] | Mapping[str, Any] | None


@dataclass
class Choice:
    value: str
    label: str
    selected: bool


@dataclass
class FieldView:
    name: str
    html_name: str
    id: str
    kind: str
    label: str
    help: str
    required: bool
    value: Any = ""
    errors: list[str] = field(default_factory=list)
    hidden: bool = False
    show_if_field: str = ""
    show_if_value: str = ""
    pattern: str = ""
    min: Any = None
    max: Any = None
    choices: list[Choice] = field(default_factory=list)
    jalali: bool = False
    placeholder: str = ""
    contact_label: str = ""
    file: dict[str, Any] | None = None


@dataclass
class SectionView:
    title: str
    fields: list[FieldView]


def _errors_by_field(errors: Errors, names: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    if errors is None:
        return by_field, general
    if isinstance(errors, PayvandError):
        if not errors.errors:
            general.append(str(errors.detail))
        items: list[tuple[str | None, Any]] = [(e.field, e.message) for e in errors.errors]
    elif isinstance(errors, Mapping):
        items = [(k, m) for k, v in errors.items() for m in (v if isinstance(v, list | tuple) else [v])]
    else:
        items = [(e.field, e.message) for e in errors]
    for name, message in items:
        if name in names:
            by_field.setdefault(str(name), []).append(str(message))
        else:
            general.append(str(message))
    return by_field, general


def _lenient(field_spec: Mapping[str, Any], raw: Any) -> Any:
    """A value as it would be stored if it is valid, else as given (to decide what a condition shows)."""
    if specs._empty(raw):
        return None
    try:
        return specs.coerce_value(field_spec, raw)
    except specs.BadValue:
        return raw


def _visible(layout: Mapping[str, Any], values: Mapping[str, Any]) -> set[str]:
    ordered = specs.fields_in_order(layout)
    kinds = {name: f.get("kind", "") for name, f in ordered}
    seen: dict[str, Any] = {}
    shown: set[str] = set()
    for name, f in ordered:
        if not specs.condition_met(f.get("show_if"), seen, kinds):
            continue
        shown.add(name)
        if f.get("kind") == specs.CHECKBOX:
            seen[name] = specs.parse_bool(values[name]) if _is_bool(values.get(name)) else False
        else:
            value = _lenient(f, values.get(name))
            if value is not None:
                seen[name] = value
    return shown


def _is_bool(raw: Any) -> bool:
    try:
        specs.parse_bool(raw)
    except specs.BadValue:
        return False
    return raw is not None


def _date_display(raw: Any, jalali: bool) -> str:
    if specs._empty(raw):
        return ""
    try:
        day = dt.date.fromisoformat(specs.parse_iso_date(raw))
    except (specs.BadValue, ValueError):
        return str(raw)
    return format_date_short(day, calendar=JALALI) if jalali else day.isoformat()


def _number_display(raw: Any) -> str:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return localize_digits(str(raw))
    return "" if raw is None else str(raw)


def _contact_labels(layout: Mapping[str, Any], values: Mapping[str, Any]) -> dict[int, str]:
    ids = set()
    for name, f in specs.fields_in_order(layout):
        if f.get("kind") == specs.CONTACT:
            try:
                ids.add(specs.parse_id(values.get(name)))
            except specs.BadValue:
                continue
    if not ids:
        return {}
    return dict(Contact.objects.filter(pk__in=ids).values_list("pk", "name"))


def _field_view(
    name: str,
    f: Mapping[str, Any],
    *,
    prefix: str,
    raw: Any,
    errors: list[str],
    hidden: bool,
    contacts: Mapping[int, str],
) -> FieldView:
    kind = f.get("kind", specs.TEXT)
    html_name = f"{prefix}-{name}" if prefix else name
    view = FieldView(
        name=name,
        html_name=html_name,
        id=f"id-{html_name}",
        kind=kind,
        label=specs.label_text(f.get("label")),
        help=specs.label_text(f.get("help")),
        required=bool(f.get("required")),
        errors=errors,
        hidden=hidden,
        pattern=f.get("pattern", ""),
        min=f.get("min"),
        max=f.get("max"),
    )
    condition = f.get("show_if")
    if condition:
        view.show_if_field = condition.get("field", "")
        view.show_if_value = json.dumps(condition.get("equals"), ensure_ascii=False)
    if kind in specs.TEXT_KINDS:
        view.value = "" if raw is None else str(raw)
        view.max = f.get("max", specs.TEXT_LIMITS[kind])
        if kind == specs.ASSET:
            view.placeholder = _("Asset tag or serial number")
    elif kind == specs.NUMBER:
        view.value = _number_display(raw)
        view.placeholder = _range_hint(f.get("min"), f.get("max"), format_number)
    elif kind == specs.DATE:
        view.jalali = current_calendar() == JALALI
        view.value = _date_display(raw, view.jalali)
        view.placeholder = localize_digits("1403/01/31") if view.jalali else ""
        view.min, view.max = f.get("min"), f.get("max")
    elif kind in specs.CHOICE_KINDS:
        picked = raw if isinstance(raw, list) else [raw]
        picked = [str(p) for p in picked if p is not None]
        view.choices = [
            Choice(c["value"], specs.label_text(c.get("label")) or c["value"], c["value"] in picked)
            for c in f.get("choices", [])
        ]
        view.value = picked
    elif kind == specs.CHECKBOX:
        view.value = _is_bool(raw) and specs.parse_bool(raw)
    elif kind == specs.CONTACT:
        try:
            pk = specs.parse_id(raw)
        except specs.BadValue:
            pk = None
        view.value = pk or ""
        view.contact_label = contacts.get(pk, "") if pk else ""
    elif kind == specs.FILE:
        view.file = raw if isinstance(raw, dict) and raw.get("name") else None
    return view


def _range_hint(low: Any, high: Any, show: Any) -> str:
    if low is not None and high is not None:
        return _("%(low)s to %(high)s") % {"low": show(low), "high": show(high)}
    if low is not None:
        return _("at least %(low)s") % {"low": show(low)}
    if high is not None:
        return _("at most %(high)s") % {"high": show(high)}
    return ""


def form_render(
    form: Form,
    values: Mapping[str, Any] | None = None,
    errors: Errors = None,
    *,
    prefix: str = "fv",
    layout: Mapping[str, Any] | None = None,
) -> SafeString:
    """The form's fields as HTML to put inside the caller's <form> (use enctype="multipart/form-data" when it has a
    file field). `values` are stored values or what the user sent back; `errors` a ValidationFailed, FieldErrors or
    {field: messages}. Input names are `<prefix>-<field name>`; `form_values_from_post` reads them back. `layout`
    draws an older version (`selectors.form_layout_for_version`)."""
    layout = layout if layout is not None else (form.layout or {})
    values = values or {}
    ordered = specs.fields_in_order(layout)
    by_field, general = _errors_by_field(errors, {name for name, _f in ordered})
    shown = _visible(layout, values)
    contacts = _contact_labels(layout, values)
    fields = layout.get("fields") or {}
    sections = []
    for section in layout.get("sections") or []:
        views = [
            _field_view(
                name,
                fields[name],
                prefix=prefix,
                raw=values.get(name),
                errors=by_field.get(name, []),
                hidden=name not in shown,
                contacts=contacts,
            )
            for name in section.get("fields", [])
            if name in fields
        ]
        sections.append(SectionView(title=specs.label_text(section.get("title")), fields=views))
    return render_to_string(
        "formbuilder/render.html",
        {
            "form": form,
            "prefix": prefix,
            "sections": sections,
            "general_errors": general,
            "persian_digits": uses_persian_digits(),
        },
    )


def form_values_display(
    form: Form, values: Mapping[str, Any] | None, *, layout: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    """(label, value as text) of each filled-in field, in order: for read-only pages such as a ticket's details."""
    layout = layout if layout is not None else (form.layout or {})
    values = values or {}
    contacts = _contact_labels(layout, values)
    rows = []
    for name, f in specs.fields_in_order(layout):
        if name not in values:
            continue
        raw, kind = values[name], f.get("kind")
        text: str
        if kind == specs.DATE:
            try:
                text = format_date(dt.date.fromisoformat(str(raw)))
            except ValueError:
                text = str(raw)
        elif kind == specs.NUMBER:
            text = format_number(raw) if isinstance(raw, int | float) else str(raw)
        elif kind in specs.CHOICE_KINDS:
            labels = {c["value"]: specs.label_text(c.get("label")) for c in f.get("choices", [])}
            picked = raw if isinstance(raw, list) else [raw]
            text = ("، " if uses_persian_digits() else ", ").join(labels.get(v, str(v)) for v in picked)
        elif kind == specs.CHECKBOX:
            text = _("Yes") if raw is True else _("No")
        elif kind == specs.CONTACT:
            text = contacts.get(raw, "") or f"#{raw}"
        elif kind == specs.FILE:
            text = str(raw.get("name", "")) if isinstance(raw, dict) else ""
        else:
            text = str(raw)
        rows.append((specs.label_text(f.get("label")), text))
    return rows


def form_values_from_post(
    form: Form,
    data: QueryDict | Mapping[str, Any],
    files: Mapping[str, UploadedFile] | None = None,
    *,
    prefix: str = "fv",
    current: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """(values, uploads) as sent by a page drawn with `form_render`, ready for `services.form_values_clean`. A file
    field without a new upload keeps its `current` (stored) value unless its "remove" box is ticked."""
    values: dict[str, Any] = {}
    uploads: dict[str, UploadedFile] = {}
    current = current or {}
    for name, f in specs.fields_in_order(form.layout or {}):
        key = f"{prefix}-{name}" if prefix else name
        kind = f.get("kind")
        if kind == specs.MULTI_CHOICE:
            values[name] = data.getlist(key) if isinstance(data, QueryDict) else data.get(key, [])
        elif kind == specs.CHECKBOX:
            values[name] = key in data and data.get(key) not in ("", "0", "false", "off")
        elif kind == specs.FILE:
            upload = (files or {}).get(key)
            if upload is not None:
                uploads[name] = upload
            elif current.get(name) and not data.get(f"{key}-clear"):
                values[name] = current[name]
        elif key in data:
            values[name] = data.get(key)
            if kind == specs.NUMBER and isinstance(values[name], str):
                values[name] = to_ascii_digits(values[name])
    return values, uploads


# ---------------------------------------------------------------------------------------------- Jalali calendar


@dataclass
class CalendarDay:
    day: int
    label: str
    value: str  # what the picker writes into the input: 1403/01/15 (in the viewer's digits)
    today: bool


def jalali_month(year: int, month: int) -> dict[str, Any]:
    """A Jalali month laid out in weeks starting on Saturday (the Iranian week), for the date picker."""
    first = jdatetime.date(year, month, 1)
    days_in_month = jdatetime.j_days_in_month[month - 1]
    if month == 12 and first.isleap():
        days_in_month = 30
    today = jdatetime.date.today()
    weeks: list[list[CalendarDay | None]] = []
    week: list[CalendarDay | None] = [None] * first.weekday()  # jdatetime: Saturday is 0
    for day in range(1, days_in_month + 1):
        week.append(
            CalendarDay(
                day=day,
                label=localize_digits(str(day)),
                value=localize_digits(f"{year:04d}/{month:02d}/{day:02d}"),
                today=(year, month, day) == (today.year, today.month, today.day),
            )
        )
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    names = _JALALI_MONTHS_FA if uses_persian_digits() else _JALALI_MONTHS_LATIN
    return {
        "title": localize_digits(f"{names[month - 1]} {year}"),
        "weeks": weeks,
        "weekdays": _weekdays(),
        "previous": f"{previous[0]:04d}-{previous[1]:02d}",
        "next": f"{following[0]:04d}-{following[1]:02d}",
    }


_WEEKDAYS_FA = ["ش", "ی", "د", "س", "چ", "پ", "ج"]


def _weekdays() -> list[str]:
    if uses_persian_digits():
        return _WEEKDAYS_FA
    return [
        pgettext("short weekday", "Sa"),
        pgettext("short weekday", "Su"),
        pgettext("short weekday", "Mo"),
        pgettext("short weekday", "Tu"),
        pgettext("short weekday", "We"),
        pgettext("short weekday", "Th"),
        pgettext("short weekday", "Fr"),
    ]
