from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    language: str
    time_zone: str
    calendar: str
    roles: list[str]
    teams: list[int]


class MeUpdateIn(Schema):
    full_name: str | None = Field(default=None, max_length=200)
    language: str | None = None
    time_zone: str | None = None
    calendar: str | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreateIn(Schema):
    name: str = Field(max_length=100)


class TokenCreateOut(TokenOut):
    token: str = Field(description="The token itself. It is shown only this once.")


class TeamMemberOut(Schema):
    user_id: int
    email: str
    full_name: str
    capacity: int


class TeamOut(Schema):
    id: int
    name: str
    description: str
    lead_id: int | None
    capacity: int
    capacity_per_member: int
    members: list[TeamMemberOut]
