from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from payvand.contacts.schemas import BodyIn


class FormSummaryOut(Schema):
    id: int
    name: str
    description: str
    version: int
    is_active: bool
    updated_at: datetime


class FormPageOut(Schema):
    items: list[FormSummaryOut]
    total: int


class FormOut(FormSummaryOut):
    spec: dict[str, Any] = Field(description="The builder spec (docs/forms.md): sections with their fields.")
    value_schema: dict[str, Any] = Field(description="The JSON Schema (draft 2020-12) the values are checked against.")
    layout: dict[str, Any]
    created_at: datetime


class FormCreateIn(BodyIn):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=5000)
    spec: dict[str, Any] = Field(description="Sections with their fields (docs/forms.md).")
    is_active: bool = True


class FormUpdateIn(BodyIn):
    version: int = Field(ge=1, le=2**31 - 1, description="The version being edited; a newer one gives 409.")
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=5000)
    spec: dict[str, Any] | None = None
    is_active: bool | None = None


class FormValidateIn(BodyIn):
    values: dict[str, Any] = Field(description="Field name → value, as a client would save them.")


class FormValidateOut(Schema):
    version: int
    values: dict[str, Any] = Field(description="The values as they are stored: hidden fields dropped, dates ISO.")
