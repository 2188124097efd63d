from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from payvand.core.schemas import QueryId


class InboundDeliverIn(Schema):
    to: str = Field(max_length=254, description="the mailbox address the message is for")


class InboundDeliverOut(Schema):
    id: int
    created: bool
    status: str
    key: str


class InboundOut(Schema):
    id: int
    mailbox_id: int
    key: str
    message_id: str
    source: str
    sender: str
    subject: str
    kind: str
    status: str
    reason: str
    attempts: int
    size: int
    received_at: dt.datetime
    processed_at: dt.datetime | None
    ticket_id: int | None
    ticket_message_id: int | None


class InboundListIn(Schema):
    status: str | None = Field(default=None, max_length=16)
    mailbox: QueryId | None = None
    before: QueryId | None = None
    limit: int = Field(default=50, ge=1, le=200)


class MailboxOut(Schema):
    id: int
    name: str
    address: str
    addresses: list[str]
    team_id: int | None
    language: str
    is_active: bool
    auto_acknowledge: bool
    imap_configured: bool
    imap_polled_at: dt.datetime | None
    imap_error: str
    smtp_configured: bool
