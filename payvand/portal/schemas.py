from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class EmailIn(Schema):
    email: str = Field(max_length=254)


class MagicTokenIn(Schema):
    token: str = Field(max_length=200, description="The token from the emailed sign-in link (its last path part).")


class PasswordLoginIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class PortalTokenOut(Schema):
    token: str = Field(description="Send it as `Authorization: Bearer <token>` to /api/v1/portal/. Valid 30 days.")
    contact_id: int
    name: str


class DetailOut(Schema):
    detail: str


class PortalAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class PortalMessageOut(Schema):
    id: int
    kind: str = Field(description="inbound (from the customer) or reply (from the service). Never internal notes.")
    author: str = Field(description="'you', or the agent's first name.")
    body: str
    created_at: dt.datetime
    attachments: list[PortalAttachmentOut]


class PortalTicketOut(Schema):
    id: int
    reference: str
    subject: str
    description: str
    status: str
    status_category: str
    type: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    resolution: str
    proposed_resolution: str
    rating: int | None = None


class PortalTicketIn(Schema):
    subject: str = Field(max_length=300)
    description: str = Field("", max_length=100_000)
    type_id: int | None = Field(None, ge=1, le=2**63 - 1)
    form_values: dict[str, Any] | None = None


class ReopenIn(Schema):
    reason: str = Field("", max_length=500)


class RatingIn(Schema):
    rating: int = Field(description="1 (bad) to 5 (very good).")
    comment: str = Field("", max_length=4000)


class RatingOut(Schema):
    ticket_id: int
    rating: int
    comment: str
    answered_at: dt.datetime


class ArticleOut(Schema):
    id: int
    title: str
    summary: str
    body: str
    language: str
    category: str
    url: str
