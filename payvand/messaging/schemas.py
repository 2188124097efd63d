from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from payvand.core.schemas import QueryId


class InboundListIn(Schema):
    state: Literal["received", "processed", "failed", "rate_limited"] | None = None
    before_id: QueryId | None = None
    limit: int = Field(50, ge=1, le=200)


class InboundOut(Schema):
    id: int
    provider: str
    kind: str
    provider_message_id: str
    sender: str
    state: str
    error: str
    attempts: int
    next_attempt_at: dt.datetime | None
    ticket_id: int | None
    message_id: int | None
    received_at: dt.datetime
    processed_at: dt.datetime | None


class InboundListOut(Schema):
    items: list[InboundOut]
    next_before_id: int | None
