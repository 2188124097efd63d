from __future__ import annotations

from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from payvand.core.schemas import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class CaseTaskOut(Schema):
    title: str
    skill: str | None
    skill_id: int | None
    role: str
    team_id: int | None
    assignee_id: int | None
    due_minutes: int | None
    mandatory: bool


class CaseTemplateOut(Schema):
    id: int
    name: str
    button: str
    subject: str
    ticket_type_id: int
    form_id: int | None
    team_id: int | None
    priority: int | None
    tags: list[str]
    order: int
    is_active: bool
    archived: bool
    started_count: int
    tasks: list[CaseTaskOut]


class CaseTaskIn(Schema):
    title: str = Field(max_length=300)
    role: str = Field(default="", max_length=80, description="a role (group) name: its first member in the team")
    skill_id: Id | None = None
    team_id: Id | None = Field(default=None, description="empty: the ticket's team")
    assignee_id: Id | None = Field(default=None, description="a person: the task is theirs")
    due_minutes: int | None = Field(default=None, ge=1, le=525600, description="due this long after the start")
    mandatory: bool = True


class CaseTemplateIn(Schema):
    name: str = Field(max_length=120)
    button: str = Field(max_length=80)
    subject: str = Field(default="", max_length=200)
    ticket_type_id: Id | None = Field(default=None, description="its form asks the questions")
    form_id: Id | None = Field(default=None, description="without a ticket type: a new type with this form")
    team_id: Id | None = Field(default=None, description="empty: the routing rules choose")
    priority: int | None = Field(default=None, ge=1, le=4, description="empty: the ticket type's default")
    tags: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=20)
    order: int = Field(default=100, ge=0, le=32767)
    is_active: bool = True
    tasks: list[CaseTaskIn] = Field(default_factory=list, max_length=30)


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


class CaseTemplateActiveIn(Schema):
    is_active: bool
