"""Input and output schemas of the notifications API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from payvand.contacts.schemas import BodyIn
from payvand.core.schemas import QueryId

KindName = Literal["assigned", "referred", "message", "mention", "task", "review", "review_done", "status", "queued"]
EmailChoice = Literal["never", "instant", "digest"]


class NotificationListParams(Schema):
    unread: bool = Field(default=False, description="Only the unread ones (one page, up to 200).")
    cursor: str | None = Field(default=None, max_length=200, description="From `next_cursor`: the next read ones.")
    limit: int = Field(default=30, ge=1, le=100, description="How many read ones per page.")


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    ticket_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPageOut(Schema):
    items: list[NotificationOut] = Field(description="Unread first, then newest first.")
    next_cursor: str | None
    unread: int = Field(description="How many are unread in all.")


class NotificationReadIn(BodyIn):
    ids: list[QueryId] | None = Field(default=None, max_length=500, description="These (mine only).")
    all: bool = Field(default=False, description="Every unread one.")


class NotificationReadOut(Schema):
    marked: int
    unread: int


class PreferenceOut(Schema):
    kind: str
    label: str
    in_app: bool
    email: str = Field(description="never, instant or digest.")


class PreferenceIn(BodyIn):
    kind: KindName
    in_app: bool
    email: EmailChoice


class PreferencesIn(BodyIn):
    preferences: list[PreferenceIn] = Field(max_length=50)
