from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from payvand.core.schemas import QueryId

CallRef = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Number = Annotated[str, StringConstraints(max_length=64)]
Extension = Annotated[str, StringConstraints(max_length=32, pattern=r"^[\x21-\x7e]*$")]


class CallEventIn(Schema):
    event: Literal["ringing", "answered", "hangup", "missed", "transferred"]
    call_id: CallRef
    caller: Number = ""
    dialled: Number = ""
    extension: Extension = Field("", description="The agent extension that rings, answered, or took the transfer.")
    at: dt.datetime | None = Field(None, description="When it happened (default: now).")
    outcome: Literal["", "missed", "voicemail", "busy"] = ""
    direction: Literal["inbound", "outbound"] = "inbound"


class CallOut(Schema):
    id: int
    call_id: str
    direction: str
    caller: str
    number_e164: str
    dialled: str
    extension: str
    agent_id: int | None
    state: str
    outcome: str
    started_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration: int | None
    wrap_up: str | None
    note: str
    contact_id: int | None
    ticket_id: int | None
    callback: str
    returned_at: dt.datetime | None


class CallEventOut(Schema):
    created: bool
    event: str
    call: CallOut


class CallListIn(Schema):
    outcome: Literal["answered", "missed", "voicemail", "busy"] | None = None
    direction: Literal["inbound", "outbound"] | None = None
    callback: Literal["pending", "done"] | None = None
    contact: QueryId | None = None
    before: QueryId | None = None
    limit: int = Field(50, ge=1, le=200)


class CallLogIn(Schema):
    note: Annotated[str, StringConstraints(max_length=10000)] | None = None
    wrap_up: QueryId | None = None
    ticket: QueryId | None = None
    contact: QueryId | None = None


class CallOriginateIn(Schema):
    number: Number
    contact: QueryId | None = None
