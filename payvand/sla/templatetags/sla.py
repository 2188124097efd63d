"""Business durations as people read them: "2 h 05 min", in the viewer's digits."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from payvand.core.localization import localize_digits

register = template.Library()


@register.filter
def duration(seconds: Any) -> str:
    """Business seconds as days, hours and minutes (the sign left out; the card says "left" or "overdue")."""
    try:
        total = abs(int(seconds)) // 60
    except (TypeError, ValueError):
        return ""
    days, rest = divmod(total, 60 * 24)
    hours, minutes = divmod(rest, 60)
    if days:
        text = _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)s h %(m)02d min") % {"h": hours, "m": minutes}
    else:
        text = _("%(m)s min") % {"m": minutes}
    return localize_digits(text)


@register.filter
def mul60(minutes: Any) -> int:
    """Minutes as seconds, for `duration`."""
    try:
        return int(minutes) * 60
    except (TypeError, ValueError):
        return 0
