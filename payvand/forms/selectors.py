"""Every read of forms, and filtering other records (tickets) by the values entered into a form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.forms import spec as specs
from payvand.forms.models import Form, FormVersion

# Reading a form is part of registering a request, so whoever works with tickets may read forms as well as whoever
# may edit them. Only `formbuilder.change_form` (the admin role) may change them.
VIEW_PERMS = ("formbuilder.view_form", "formbuilder.change_form", "helpdesk.view_ticket", "helpdesk.add_ticket")
CHANGE_PERM = "formbuilder.change_form"


def form_require_perm(*, user: User, action: str = "view") -> None:
    if not user.is_authenticated:
        raise PermissionDenied(detail=_("You do not have permission to do this with forms."))
    allowed = user.has_perm(CHANGE_PERM) if action == "change" else any(user.has_perm(p) for p in VIEW_PERMS)
    if not allowed:
        raise PermissionDenied(detail=_("You do not have permission to do this with forms."))


def form_get_for_user(*, user: User, form_id: int, action: str = "view") -> Form:
    """The only way a view or endpoint loads a form: 403 without the permission, 404 if it does not exist."""
    form_require_perm(user=user, action=action)
    form = Form.objects.filter(pk=form_id).first()
    if form is None:
        raise NotFound(detail=_("No such form."))
    return form


def form_list(*, user: User, active: bool | None = None, q: str = "") -> QuerySet[Form]:
    """Forms by name, each with `ticket_type_count` (how many ticket types use it)."""
    form_require_perm(user=user, action="view")
    qs = Form.objects.all()
    if active is not None:
        qs = qs.filter(is_active=active)
    if q.strip() and "\x00" not in q:
        qs = qs.filter(name__icontains=q.strip())
    return qs.annotate(ticket_type_count=Count("ticket_types")).order_by("name", "pk")


def form_layout_for_version(*, form: Form, version: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema, layout) of a given version of the form (the current one if that version is unknown)."""
    if version is None or version == form.version:
        return form.schema, form.layout
    old = FormVersion.objects.filter(form=form, version=version).values_list("schema", "layout").first()
    return (old[0], old[1]) if old else (form.schema, form.layout)


def form_version_list(*, form: Form) -> QuerySet[FormVersion]:
    return FormVersion.objects.filter(form=form).select_related("created_by").order_by("-version")


# ---------------------------------------------------------------------------------------------- filtering values


@dataclass
class _Filter:
    name: str
    op: str  # "", "min" or "max"
    raw: Any


_TEXT_SEARCH_KINDS = (specs.TEXT, specs.LONG_TEXT, specs.ASSET)


def _parse_filters(filters: Mapping[str, Any], fields: Mapping[str, Any]) -> list[_Filter]:
    parsed = []
    for key, raw in filters.items():
        name, _sep, op = str(key).partition("__")
        if name not in fields:
            raise ValidationFailed.on(str(key)[:64], _("This form has no such field."))
        if op not in ("", "min", "max") or (op and fields[name]["kind"] not in (specs.NUMBER, specs.DATE)):
            raise ValidationFailed.on(str(key)[:64], _("This field cannot be filtered this way."))
        if specs._empty(raw):
            continue
        parsed.append(_Filter(name, op, raw))
    return parsed


def form_values_filter(
    qs: QuerySet[Any],
    form_values_field: str = "form_values",
    filters: Mapping[str, Any] | None = None,
    *,
    form: Form,
    search: str = "",
) -> QuerySet[Any]:
    """Narrow `qs` (e.g. tickets) to rows whose form values (a JSONField, or a `__`-path to one) match:
    `{"model": "x1"}` (choice, checkbox, number, contact, date: exact), `{"serial": "ab-1"}` (text, long text, asset:
    contains, ignoring case), `{"tags": "urgent"}` (multiple choice: contains that value), `{"amount__min": 5,
    "bought__max": "1403/12/29"}` (number and date ranges). Filter values are read like form input (Persian
    digits, Jalali dates). `search` looks for text in every text field. Raises ValidationFailed for an unknown
    field or a value that field cannot hold. Works on SQLite and PostgreSQL."""
    fields = dict(specs.fields_in_order(form.layout or {}))
    vendor = connections[qs.db].vendor
    condition = Q()
    for item in _parse_filters(filters or {}, fields):
        field = fields[item.name]
        kind = field["kind"]
        lookup = f"{form_values_field}__{item.name}"
        try:
            if kind == specs.FILE:
                raise specs.BadValue(_("File fields cannot be filtered."))
            if kind == specs.MULTI_CHOICE:
                value: Any = specs.coerce_value({"kind": specs.CHOICE}, item.raw)
            else:
                value = specs.coerce_value(field, item.raw)
        except specs.BadValue as exc:
            raise ValidationFailed.on(item.name, str(exc)) from exc
        if kind in _TEXT_SEARCH_KINDS:
            condition &= Q(**{f"{lookup}__icontains": value})
        elif kind == specs.MULTI_CHOICE:
            if vendor == "postgresql":
                condition &= Q(**{f"{lookup}__contains": [value]})  # jsonb @>, served by a GIN index
            else:
                # SQLite has no JSON containment; choice values are plain ASCII words (the compiler allows only
                # letters, digits, `.`, `-`, `_`), so the quoted value inside the array's JSON text is exact.
                condition &= Q(**{f"{lookup}__regex": re.escape(f'"{value}"')})
        elif item.op == "min":
            condition &= Q(**{f"{lookup}__gte": value})
        elif item.op == "max":
            condition &= Q(**{f"{lookup}__lte": value})
        else:
            condition &= Q(**{lookup: value})
    if search.strip() and "\x00" not in search:
        text_fields = [name for name, f in fields.items() if f["kind"] in _TEXT_SEARCH_KINDS]
        any_text = Q()
        for name in text_fields:
            any_text |= Q(**{f"{form_values_field}__{name}__icontains": search.strip()})
        condition &= any_text if text_fields else Q(pk__in=[])
    return qs.filter(condition)
