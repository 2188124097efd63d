"""Shared API types."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Path, Schema
from pydantic import Field

MAX_ID = 2**63 - 1

# A database id in a URL path: out-of-range numbers get a 422, never an overflow in the database.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]


class FieldErrorOut(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
