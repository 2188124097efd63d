"""API authentication: bearer tokens, and the browser session (ninja's SessionAuth checks CSRF on writes)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from payvand.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(raw=token)
        if user is None:
            return None
        request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The browser session. Without a signed-in session it steps aside before the CSRF check, so a request with a
    missing or revoked token gets 401, not 403; with a session, writes still need the CSRF token."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The login name django-axes counts failures by: the email, trimmed and lower-cased like the login form does,
    so writing it in another case does not buy more attempts."""
    source: Any = credentials or getattr(request, "data", request.POST)
    value = source.get("username")
    return value.strip().lower() if isinstance(value, str) else value


__all__ = ["SessionAuth", "TokenAuth", "axes_username"]
