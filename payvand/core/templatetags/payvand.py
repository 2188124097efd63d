"""Template filters for dates, numbers and digits in the viewer's calendar and language (a template builtin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from payvand.core import localization

register = template.Library()


def _not_a_date(value: Any) -> str:
    """What the date filters show for anything but a date: nothing for a missing value, else the value as it is
    (template filters fail quietly, like Django's own)."""
    return "" if value in (None, "") else str(value)


@register.filter
def udate(value: dt.date | dt.datetime | None) -> str:
    """A date in the viewer's calendar, with month names and digits of their language."""
    if not isinstance(value, dt.date):
        return _not_a_date(value)
    return localization.format_date(value)


@register.filter
def udatetime(value: dt.datetime | None) -> str:
    if not isinstance(value, dt.datetime):
        return udate(value)
    return localization.format_datetime(value)


@register.filter
def ushortdate(value: dt.date | dt.datetime | None) -> str:
    if not isinstance(value, dt.date):
        return _not_a_date(value)
    return localization.format_date_short(value)


@register.filter
def unum(value: Any) -> str:
    """A number grouped and with digits in the viewer's language."""
    if value in (None, ""):
        return ""
    try:
        return localization.format_number(value)
    except (TypeError, ValueError, ArithmeticError):  # not a number: show it as it is, like Django's filters
        return str(value)


@register.filter
def digits(value: Any) -> str:
    """Any text with its digits in the viewer's language (Persian digits for fa)."""
    return localization.localize_digits(str(value))


@register.simple_tag(takes_context=True)
def query_replace(context: dict[str, Any], **kwargs: Any) -> str:
    """The current query string with some parameters replaced (for pagination and filter links)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def get_field(form: Any, key: str) -> Any:
    """The bound custom field `custom_<key>` of a contact form."""
    return form[f"custom_{key}"]


@register.filter
def parse_iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
