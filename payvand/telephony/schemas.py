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


class AppointmentCreateIn(Schema):
    contact_id: int = Field(..., ge=1, le=2**63 - 1)
    kind: Literal["call", "meeting"] = "call"
    starts_at: dt.datetime
    duration: int = Field(15, description="Minutes, 1 to 1440.")
    note: Annotated[str, StringConstraints(max_length=10000)] = ""
    owner_id: int | None = Field(None, ge=1, le=2**63 - 1, description="Default: you. Leads may plan for others.")
    ticket_id: int | None = Field(None, ge=1, le=2**63 - 1)


class AppointmentUpdateIn(Schema):
    kind: Literal["call", "meeting"] | None = None
    starts_at: dt.datetime | None = None
    duration: int | None = None
    note: Annotated[str, StringConstraints(max_length=10000)] | None = None
    owner_id: int | None = Field(None, ge=1, le=2**63 - 1)
    done: bool | None = None
    ticket_id: int | None = Field(None, ge=0, le=2**63 - 1, description="0 unlinks the ticket.")


class AppointmentListIn(Schema):
    contact: QueryId | None = None
    done: bool | None = None
    limit: int = Field(50, ge=1, le=200)


class AppointmentOut(Schema):
    id: int
    contact_id: int
    ticket_id: int | None
    kind: str
    starts_at: dt.datetime
    duration: int
    owner_id: int
    note: str
    done: bool
    reminded_at: dt.datetime | None
    version: int
