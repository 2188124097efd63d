from __future__ import annotations

import re
from typing import Any

from django import template

from payvand.portal.models import Branding
from payvand.portal.selectors import branding_get

register = template.Library()
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@register.simple_tag
def portal_branding() -> Branding:
    return branding_get()


@register.filter
def safe_colour(value: str, default: str = "#0d6efd") -> str:
    """Only #rrggbb reaches the page's style (an admin's typo can't break out of the CSS)."""
    return value if isinstance(value, str) and _COLOUR.match(value) else default


@register.simple_tag(takes_context=True)
def portal_signed_in(context: template.Context) -> bool:
    from payvand.portal.auth import SESSION_KEY

    request = context.get("request")
    return request is not None and isinstance(request.session.get(SESSION_KEY), int)


@register.simple_tag
def ticket_satisfaction(ticket: Any) -> Any:
    from payvand.portal.models import Satisfaction

    return Satisfaction.objects.filter(ticket=ticket).first() if ticket is not None else None
