"""Validation of admin-defined custom fields, applied on every write."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from payvand.contacts.models import Contact, CustomField
from payvand.core import batch
from payvand.core.errors import FieldError
from payvand.core.localization import parse_date, to_ascii_digits


def clean_custom_values(
    *, kind: str, values: dict[str, Any], partial: bool = False
) -> tuple[dict[str, Any], list[FieldError]]:
    """Validate and coerce custom field values. Returns (clean values, errors)."""
    # Read once per batch (an email import creating many contacts): the definitions don't change meanwhile.
    defined = batch.memo("contacts.custom_fields", lambda: list(CustomField.objects.all()))
    fields = {f.key: f for f in defined if f.applies_to in (CustomField.AppliesTo.ALL, kind)}
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    if not isinstance(values, dict):
        return {}, [FieldError("custom", _("Custom fields must be an object."))]
    for key in values:
        if key not in fields:
            errors.append(FieldError(f"custom.{key}", _("There is no custom field with this key.")))
    for key, field in fields.items():
        raw = values.get(key)
        if raw in (None, ""):
            if field.required and not (partial and key not in values):
                errors.append(FieldError(f"custom.{key}", _("This field is required.")))
            continue
        try:
            clean[key] = _coerce(field, raw)
        except ValueError as exc:
            errors.append(FieldError(f"custom.{key}", str(exc)))
    return clean, errors


def _coerce(field: CustomField, raw: Any) -> Any:
    kind = field.kind
    if isinstance(raw, dict | list | tuple | set):
        raise ValueError(_("Enter a single value."))
    if kind == CustomField.Kind.TEXT:
        text = str(raw).strip()
        if len(text) > 1000:
            raise ValueError(_("At most 1000 characters."))
        return text
    if kind == CustomField.Kind.NUMBER:
        if isinstance(raw, bool):
            raise ValueError(_("Enter a number."))
        try:
            text = to_ascii_digits(str(raw)).strip().replace("٫", ".")
            number = Decimal(text.replace(",", "").replace("٬", ""))
        except InvalidOperation as exc:
            raise ValueError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        # Bounded before int(): 1e999999999 would otherwise build a billion-digit integer.
        if number and number.adjusted() >= 15:
            raise ValueError(_("The number is too large."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomField.Kind.DATE:
        try:
            return parse_date(str(raw)).isoformat()
        except (ValueError, TypeError) as exc:
            raise ValueError(_("Enter a date such as 2024-03-20 or 1403/01/01.")) from exc
    if kind == CustomField.Kind.CHOICE:
        if str(raw) not in [str(c) for c in field.choices]:
            raise ValueError(_("Choose one of the offered values."))
        return str(raw)
    if kind == CustomField.Kind.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = to_ascii_digits(str(raw)).strip().lower()
        if text in {"1", "true", "yes", "on", "بله", "igen"}:
            return True
        if text in {"0", "false", "no", "off", "خیر", "nem"}:
            return False
        raise ValueError(_("Enter yes or no."))
    raise ValueError(_("Unknown field kind."))


def custom_fields_for(kind: str) -> list[CustomField]:
    return [f for f in CustomField.objects.all() if f.applies_to in (CustomField.AppliesTo.ALL, kind)]


def custom_display(contact: Contact) -> list[tuple[CustomField, Any]]:
    return [(f, contact.custom.get(f.key)) for f in custom_fields_for(contact.kind) if f.key in contact.custom]
