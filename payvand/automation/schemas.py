from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema


class ConditionIO(Schema):
    field: str = Field(
        max_length=100,
        description="status, priority, channel, type, category, team, assignee, "
        "tags, subject, description, text, hours_since_created, hours_since_updated or form:<name>",
    )
    op: str = Field(max_length=16, description="eq, ne, gt, lt, contains, not_contains, is_set, not_set")
    value: Any = Field(default="", description="a name, email, number or text")


class ActionIO(Schema):
    type: str = Field(max_length=32)
    value: Any = Field(default="")
    text: str = Field(default="", max_length=5000)


class RuleIn(Schema):
    name: str = Field(max_length=200)
    trigger: str = Field(max_length=32)
    match: str = Field(default="all", max_length=8)
    conditions: list[ConditionIO] = Field(default_factory=list, max_length=20)
    actions: list[ActionIO] = Field(max_length=20)
    is_active: bool = True
    max_fires: int = Field(default=3, ge=1, le=100)
    position: int | None = Field(default=None, ge=0, le=100000)
    state: str = Field(default="", max_length=24, description="time.elapsed: the status category waited in")
    after_minutes: int | None = Field(default=None, ge=1, le=525600, description="time.elapsed: minutes in it")
    calendar: int | None = Field(default=None, ge=1, description="time.elapsed: business calendar (id)")


class RuleOut(Schema):
    id: int
    name: str
    trigger: str
    match: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    is_active: bool
    max_fires: int
    position: int
    state: str
    after_minutes: int | None
    calendar: int | None


class RuleMatchOut(Schema):
    id: int
    reference: str
    subject: str


class RuleTestRunOut(Schema):
    rule: int
    tickets: list[RuleMatchOut]


class MacroOut(Schema):
    id: int
    name: str
    body: str
    actions: list[dict[str, Any]]
    team: int | None
    personal: bool


class MacroApplyIn(Schema):
    ticket: int = Field(ge=1, le=2**63 - 1)


class MacroApplyOut(Schema):
    ticket: int
    reference: str
    status: str
    priority: int


class WebhookIn(Schema):
    name: str = Field(max_length=200)
    url: str = Field(max_length=500)
    events: list[str] = Field(max_length=50, description="verbs or their beginnings: ticket., sla.breached")
    is_active: bool = True


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    secret: str


class DeliveryOut(Schema):
    id: int
    event: int
    verb: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None


class ApprovalCreateIn(Schema):
    ticket: int = Field(ge=1, le=2**63 - 1)
    kind: str = Field(max_length=16, description="refund, discount or other")
    amount: str | None = Field(default=None, max_length=20)
    currency: str = Field(default="", max_length=3)
    reason: str = Field(max_length=5000)
    approvers: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        default_factory=list, max_length=50, description="user ids"
    )
    role: str | None = Field(default=None, max_length=150, description="a role (group) name")
    mode: str = Field(default="any", max_length=8)


class ApprovalOut(Schema):
    id: int
    kind: str
    amount: str | None
    currency: str
    reason: str
    mode: str
    state: str
    target_type: str
    target_id: str
    requested_by: int | None
    created_at: dt.datetime
    approvers: int = Field(description="how many were asked")
    approved: int
    rejected: int


class ApprovalDecideIn(Schema):
    approve: bool
    comment: str = Field(default="", max_length=5000)
