from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field


class CaseTaskOut(Schema):
    title: str
    skill: str | None
    role: str
    mandatory: bool


class CaseTemplateOut(Schema):
    id: int
    name: str
    button: str
    ticket_type_id: int
    form_id: int | None
    team_id: int | None
    priority: int | None
    tags: list[str]
    tasks: list[CaseTaskOut]


class CaseStartIn(Schema):
    template_id: int = Field(..., ge=1, le=2**63 - 1)
    contact_id: int = Field(..., ge=1, le=2**63 - 1)
    values: dict[str, Any] = Field(default_factory=dict, description="Answers to the ticket type's form.")
    call_id: int | None = Field(None, ge=1, le=2**63 - 1, description="The call it comes from: channel phone.")


class CaseStartOut(Schema):
    ticket_id: int
    reference: str
    team_id: int | None
    priority: int
    task_ids: list[int]
