"""One application error hierarchy, mapped once to the JSON error shape and to form errors.

Shape: {"detail": str, "errors": [{"field": str | None, "message": str}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass
class FieldError:
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": str(self.message)}


@dataclass
class PayvandError(Exception):
    detail: Any = _("The request could not be processed.")
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    status = 400

    def __str__(self) -> str:
        return str(self.detail)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": str(self.detail), "errors": [e.as_dict() for e in self.errors]}
        body.update(self.extra)
        return body


class ValidationFailed(PayvandError):
    status = 422

    @classmethod
    def on(cls, field_name: str | None, message: Any) -> ValidationFailed:
        return cls(detail=_("Some fields are not valid."), errors=[FieldError(field_name, message)])


class NotAuthenticated(PayvandError):
    status = 401


class PermissionDenied(PayvandError):
    status = 403


class NotFound(PayvandError):
    status = 404


class Conflict(PayvandError):
    status = 409


class TooManyRequests(PayvandError):
    status = 429


def error_body(detail: Any, errors: list[FieldError] | None = None) -> dict[str, Any]:
    return PayvandError(detail=detail, errors=errors or []).as_dict()
