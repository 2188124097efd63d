from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from payvand.contacts.schemas import BodyIn
from payvand.core.schemas import QueryId

ProjectStatus = Literal["planned", "active", "on_hold", "done", "cancelled"]


class ProjectMemberOut(Schema):
    id: int
    name: str
    email: str


class ProjectOut(Schema):
    id: int
    name: str
    code: str
    description: str
    customer_id: int | None
    customer_name: str | None
    team_id: int | None
    team_name: str | None
    status: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    members: list[ProjectMemberOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class ProjectSummaryOut(Schema):
    id: int
    name: str
    code: str
    customer_id: int | None
    team_id: int | None
    status: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    ticket_count: int
    open_count: int


class ProjectPageOut(Schema):
    items: list[ProjectSummaryOut]
    total: int
    next_offset: int | None


class ProjectCreateIn(BodyIn):
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=32)
    description: str = Field(default="", max_length=20000)
    customer_id: QueryId | None = None
    team_id: QueryId | None = None
    member_ids: list[QueryId] = Field(default_factory=list, max_length=500)
    status: ProjectStatus = "active"
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class ProjectUpdateIn(BodyIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    code: str | None = Field(default=None, min_length=1, max_length=32)
    description: str | None = Field(default=None, max_length=20000)
    customer_id: QueryId | None = None
    team_id: QueryId | None = None
    member_ids: list[QueryId] | None = Field(default=None, max_length=500)
    status: ProjectStatus | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class ProjectMemberIn(BodyIn):
    user_id: QueryId


class WeekCountOut(Schema):
    week: dt.date
    tickets: int


class PersonTimeOut(Schema):
    user_id: int
    name: str
    minutes: int
    billable_minutes: int


class CategoryCountOut(Schema):
    category_id: int | None
    name: str | None
    tickets: int


class ProjectStatsOut(Schema):
    volume: list[WeekCountOut]
    open: int
    closed: int
    cancelled: int
    minutes_total: int
    time: list[PersonTimeOut]
    categories: list[CategoryCountOut]
