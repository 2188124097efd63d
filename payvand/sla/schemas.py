from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from payvand.core.schemas import QueryId

Minutes = Field(default=None, ge=1, le=60 * 24 * 366)


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class HoursIO(Schema):
    weekday: int = Field(ge=0, le=6, description="0 is Monday, 5 Saturday, 6 Sunday")
    start: str = Field(pattern=HHMM, examples=["08:00"], description="local time, HH:MM")
    end: str = Field(pattern=HHMM, examples=["16:00"], description="local time, HH:MM; 00:00 is midnight at the end")


class CalendarIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    time_zone: str = Field(max_length=64, examples=["Asia/Tehran", "Europe/Budapest"])
    country: str = Field(default="", max_length=8, description="Holiday country code (IR, HU, …) or empty")
    hours: list[HoursIO] = Field(max_length=70)


class CalendarPatchIn(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    time_zone: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, max_length=8)
    hours: list[HoursIO] | None = Field(default=None, max_length=70)


class HolidayOut(Schema):
    id: int
    date: dt.date
    name: str
    source: str


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    country: str
    hours: list[HoursIO]
    holidays: list[HolidayOut]


class HolidayIn(Schema):
    date: dt.date
    name: str = Field(min_length=1, max_length=200)


class HolidaysLoadIn(Schema):
    year: int = Field(ge=1990, le=2100)


class HolidaysLoadOut(Schema):
    loaded: int


class EscalationIO(Schema):
    on: str = Field(max_length=16, description="warning or breach")
    action: str = Field(
        max_length=20,
        description="notify_assignee, notify_lead, notify_manager, reassign (user), raise_priority, refer (team)",
    )
    kind: str = Field(default="", max_length=20, description="first_response, next_response, resolution or empty")
    user: QueryId | None = None
    team: QueryId | None = None


class PolicyIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    calendar: QueryId
    order: int = Field(default=100, ge=0, le=1_000_000)
    is_active: bool = True
    priorities: list[int] = Field(default_factory=list, max_length=10)
    channels: list[str] = Field(default_factory=list, max_length=20)
    types: list[QueryId] = Field(default_factory=list, max_length=100)
    segments: list[QueryId] = Field(default_factory=list, max_length=100)
    organisations: list[QueryId] = Field(default_factory=list, max_length=100)
    first_response_minutes: int | None = Minutes
    next_response_minutes: int | None = Minutes
    resolution_minutes: int | None = Minutes
    warning_percent: int = Field(default=80, ge=1, le=99)
    escalations: list[EscalationIO] = Field(default_factory=list, max_length=50)


class PolicyOut(Schema):
    id: int
    name: str
    calendar: int
    order: int
    is_active: bool
    priorities: list[int]
    channels: list[str]
    types: list[int]
    segments: list[int]
    organisations: list[int]
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    warning_percent: int
    escalations: list[EscalationIO]


class ClockOut(Schema):
    id: int
    kind: str
    state: str = Field(description="running, paused, met or breached")
    policy: str
    target_minutes: int
    used_minutes: float
    remaining_minutes: float = Field(description="business minutes left; negative when overdue")
    warning: bool
    breached: bool
    started_at: dt.datetime
    due_at: dt.datetime | None = Field(description="wall-clock deadline while running")
    stopped_at: dt.datetime | None
    working_now: bool


class TicketSlaOut(Schema):
    ticket: int
    clocks: list[ClockOut]
