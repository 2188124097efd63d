"""Request helpers shared by the HTMX views."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True when django-htmx's middleware saw an `HX-Request` header (the view should answer with a partial)."""
    return bool(getattr(request, "htmx", False))
