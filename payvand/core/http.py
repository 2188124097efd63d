"""Request helpers shared by the HTMX views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

from payvand.core.errors import NotFound, PermissionDenied


def client_ip(request: HttpRequest) -> str:
    """The caller's address, as rate limits count it (REMOTE_ADDR: a proxy in front must set it)."""
    return str(request.META.get("REMOTE_ADDR") or "0.0.0.0")  # noqa: S104 - a value, not a bind address


def is_htmx(request: HttpRequest) -> bool:
    """True when django-htmx's middleware saw an `HX-Request` header (the view should answer with a partial)."""
    return bool(getattr(request, "htmx", False))


def ui_errors[R: HttpResponseBase](view: Callable[..., R]) -> Callable[..., R]:
    """Sign-in required; access errors from selectors become Django's 403/404 pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> R:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from exc
        except NotFound as exc:
            raise Http404(str(exc)) from exc

    return login_required(wrapper)
