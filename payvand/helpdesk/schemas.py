"""Input and output schemas of the helpdesk API: one `<Entity><Action>In` / `...Out` per operation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.utils.translation import gettext
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field

from payvand.contacts.schemas import BodyIn
from payvand.core.schemas import QueryId

ChannelName = Literal["email", "phone", "sms", "social", "web", "portal", "letter", "fax", "walk_in"]
MessageKindIn = Literal["reply", "note"]
TaskState = Literal["open", "in_progress", "done", "cancelled"]
LinkKind = Literal["duplicate", "related", "follow_up", "split"]
ListName = Literal["mine", "team", "unassigned", "overdue", "all", "closed"]
SortName = Literal[
    "-updated_at", "updated_at", "-created_at", "created_at", "-priority", "priority", "due_at", "-due_at"
]
Version = Annotated[int, Field(ge=1, le=2**31 - 1, description="The version you read: 409 if someone changed it.")]
Tag = Annotated[str, Field(min_length=1, max_length=64)]


def _bounded(value: dt.datetime) -> dt.datetime:
    """A time the database can store on both engines: converted to UTC, between the years 1900 and 9000."""
    try:
        utc = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError(gettext("This time is out of range.")) from None
    if not 1900 <= utc.year <= 9000:
        raise ValueError(gettext("This time is out of range."))
    return utc


When = Annotated[AwareDatetime, AfterValidator(_bounded)]


# ---------------------------------------------------------------------------------------------- small references


class UserRefOut(Schema):
    id: int
    full_name: str
    email: str


class TeamRefOut(Schema):
    id: int
    name: str


class ContactRefOut(Schema):
    id: int
    name: str


class NamedRefOut(Schema):
    id: int
    name: str


class StatusOut(Schema):
    id: int
    name: str
    category: str
    is_builtin: bool
    order: int
    colour: str


class TicketRefOut(Schema):
    id: int
    reference: str
    subject: str


# ---------------------------------------------------------------------------------------------- create and list


class TicketCreateIn(BodyIn):
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=100_000)
    requester: QueryId = Field(description="The contact who asks.")
    channel: ChannelName = "web"
    type: QueryId | None = None
    category: QueryId | None = None
    team: QueryId | None = Field(default=None, description="Without it, the routing rules choose the team.")
    assignee: QueryId | None = None
    priority: int | None = Field(default=None, ge=1, le=4, description="1 low … 4 urgent; default: the type's.")
    project: QueryId | None = None
    form_values: dict[str, Any] | None = Field(default=None, description="Values of the type's form, by field name.")
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    watchers: list[QueryId] = Field(default_factory=list, max_length=50)
    estimate_minutes: int | None = Field(default=None, ge=0, le=100_000)
    due_at: When | None = None
    external_id: str = Field(default="", max_length=300, description="The source message id: 409 when seen before.")


class TicketDuplicateOut(Schema):
    ticket: TicketRefOut
    score: int
    reason: str = Field(description="external_id, subject or description.")


class TicketStateOut(Schema):
    """A ticket after an action: its state, without the thread."""

    id: int
    reference: str
    subject: str
    version: int
    status: StatusOut
    team: TeamRefOut | None
    assignee: UserRefOut | None
    postponed_until: dt.datetime | None
    resolution: str
    proposed_resolution: str
    merged_into: TicketRefOut | None


class TicketCreateOut(TicketStateOut):
    duplicates: list[TicketDuplicateOut] = Field(description="Likely duplicates: link or merge them.")


class TicketListParams(Schema):
    list: ListName | None = Field(default=None, description="A cartable list.")
    status: str | None = Field(
        default=None,
        pattern=r"^(active|new|open|pending_customer|pending_third_party|postponed|resolved|closed|cancelled|\d{1,18})$",
        description="A status category, `active`, or a status id.",
    )
    team: str | None = Field(default=None, pattern=r"^(none|\d{1,18})$")
    assignee: str | None = Field(default=None, pattern=r"^(me|none|\d{1,18})$")
    requester: str | None = Field(default=None, pattern=r"^\d{1,18}$")
    project: str | None = Field(default=None, pattern=r"^(none|\d{1,18})$")
    type: str | None = Field(default=None, pattern=r"^(none|\d{1,18})$")
    category: str | None = Field(default=None, pattern=r"^(none|\d{1,18})$")
    priority: int | None = Field(default=None, ge=1, le=4)
    channel: ChannelName | None = None
    tag: str | None = Field(default=None, max_length=64)
    search: str | None = Field(default=None, max_length=200)
    sort: SortName = "-updated_at"
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=25, ge=1, le=200)
    count: bool = Field(default=False, description="Also count every match (slower on large lists).")


class TicketListItemOut(Schema):
    id: int
    reference: str
    subject: str
    status: StatusOut
    priority: int
    channel: str
    requester: ContactRefOut
    team: TeamRefOut | None
    assignee: UserRefOut | None
    type: NamedRefOut | None
    category: NamedRefOut | None
    due_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class TicketPageOut(Schema):
    items: list[TicketListItemOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    count: int | None


# ---------------------------------------------------------------------------------------------- detail


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str = Field(description="Sniffed from the file's bytes.")
    size: int


class MessageOut(Schema):
    id: int
    kind: str
    author: UserRefOut | None
    author_contact: ContactRefOut | None
    channel: str
    body_text: str
    body_html: str
    is_draft: bool
    review: str = Field(description="'', pending, approved or returned.")
    reviewed_by: UserRefOut | None
    review_note: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    attachments: list[AttachmentOut]


class TaskOut(Schema):
    id: int
    ticket_id: int
    title: str
    description: str
    assignee: UserRefOut | None
    team: TeamRefOut | None
    required_skill: NamedRefOut | None
    due_at: dt.datetime | None
    state: str
    mandatory: bool
    done_at: dt.datetime | None
    created_at: dt.datetime


class WorkLogOut(Schema):
    id: int
    ticket_id: int
    task_id: int | None
    user: UserRefOut
    started_at: dt.datetime
    minutes: int
    billable: bool
    note: str


class ReferralOut(Schema):
    id: int
    ticket_id: int
    from_user: UserRefOut | None
    from_team: TeamRefOut | None
    to_user: UserRefOut | None
    to_team: TeamRefOut | None
    note: str
    state: str
    response_note: str
    responded_by: UserRefOut | None
    created_at: dt.datetime
    responded_at: dt.datetime | None


class LinkOut(Schema):
    id: int
    kind: str
    direction: Literal["out", "in"] = Field(description="out: this ticket is the link's source.")
    ticket: TicketRefOut


class TicketOut(Schema):
    id: int
    reference: str
    subject: str
    description: str
    requester: ContactRefOut
    organisation: ContactRefOut | None
    channel: str
    type: NamedRefOut | None
    category: NamedRefOut | None
    priority: int
    status: StatusOut
    team: TeamRefOut | None
    assignee: UserRefOut | None
    project: NamedRefOut | None
    form_values: dict[str, Any]
    estimate_minutes: int | None
    due_at: dt.datetime | None
    postponed_until: dt.datetime | None
    external_id: str
    merged_into: TicketRefOut | None
    cancel_reason: str
    resolution: str
    proposed_resolution: str
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    may_close: bool = Field(description="Whether you may close it (otherwise resolve only proposes).")
    tags: list[str]
    watchers: list[UserRefOut]
    messages: list[MessageOut]
    tasks: list[TaskOut]
    worklogs: list[WorkLogOut]
    minutes_total: int
    referrals: list[ReferralOut]
    links: list[LinkOut]


class TicketUpdateIn(BodyIn):
    version: Version
    subject: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=100_000)
    type: QueryId | None = Field(default=None, description="null clears it.")
    category: QueryId | None = None
    priority: int | None = Field(default=None, ge=1, le=4)
    channel: ChannelName | None = None
    project: QueryId | None = None
    form_values: dict[str, Any] | None = None
    estimate_minutes: int | None = Field(default=None, ge=0, le=100_000)
    due_at: When | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    watchers: list[QueryId] | None = Field(default=None, max_length=50)
    status: QueryId | None = Field(default=None, description="A status of an active category.")


# ---------------------------------------------------------------------------------------------- actions


class TicketAssignIn(BodyIn):
    assignee: QueryId | None = Field(description="null leaves it unassigned (in the team's queue).")
    team: QueryId | None = Field(default=None, description="Move to this team too.")
    version: Version | None = None


class TicketReferIn(BodyIn):
    to_user: QueryId | None = None
    to_team: QueryId | None = None
    note: str = Field(default="", max_length=5000)


class ReferralRespondIn(BodyIn):
    note: str = Field(default="", max_length=5000)


class TicketMergeIn(BodyIn):
    into: QueryId = Field(description="The ticket that survives; this one closes and points to it.")


class MessageAddIn(BodyIn):
    body: str = Field(default="", max_length=100_000)
    kind: MessageKindIn = "reply"
    is_html: bool = False
    is_draft: bool = False


class MessageReviewIn(BodyIn):
    decision: Literal["approve", "return"]
    body: str | None = Field(default=None, max_length=100_000, description="The edited text to send instead.")
    note: str = Field(default="", max_length=5000)


class MessageSplitIn(BodyIn):
    subject: str = Field(default="", max_length=300)


class TaskCreateIn(BodyIn):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=10_000)
    assignee: QueryId | None = None
    team: QueryId | None = None
    required_skill: QueryId | None = None
    due_at: When | None = None
    mandatory: bool = True


class TaskUpdateIn(BodyIn):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    assignee: QueryId | None = None
    team: QueryId | None = None
    due_at: When | None = None
    state: TaskState | None = None
    mandatory: bool | None = None


class WorkLogAddIn(BodyIn):
    minutes: int = Field(ge=1, le=1440)
    billable: bool = False
    note: str = Field(default="", max_length=5000)
    task: QueryId | None = None
    started_at: When | None = None


class TicketResolveIn(BodyIn):
    resolution: str = Field(default="", max_length=100_000)
    version: Version | None = None


class TicketCancelIn(BodyIn):
    reason: str = Field(min_length=1, max_length=5000)
    version: Version | None = None


class TicketPostponeIn(BodyIn):
    until: When
    note: str = Field(default="", max_length=500)
    version: Version | None = None


class TicketReopenIn(BodyIn):
    reason: str = Field(default="", max_length=500)


class TicketWatchIn(BodyIn):
    watch: bool = Field(default=True, description="false stops watching.")


class TicketWatchOut(Schema):
    watching: bool
    watchers: list[UserRefOut]


class TicketLinkIn(BodyIn):
    target: QueryId
    kind: LinkKind = "related"


# ---------------------------------------------------------------------------------------------- reference data


class TicketTypeOut(Schema):
    id: int
    name: str
    description: str
    form_id: int | None
    default_priority: int
    tasks_mandatory: bool


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None


# ---------------------------------------------------------------------------------------------- cartable


class CartableTaskOut(Schema):
    id: int
    title: str
    state: str
    due_at: dt.datetime | None
    ticket: TicketRefOut


class CartableMessageOut(Schema):
    id: int
    ticket: TicketRefOut
    author: UserRefOut | None
    body_text: str
    created_at: dt.datetime


class CartableMentionOut(Schema):
    id: int
    message_id: int
    ticket: TicketRefOut
    author: UserRefOut | None
    seen_at: dt.datetime | None
    created_at: dt.datetime


class CartableReferralOut(Schema):
    id: int
    ticket: TicketRefOut
    from_user: UserRefOut | None
    to_team: TeamRefOut | None
    note: str
    created_at: dt.datetime


class CartableOut(Schema):
    counts: dict[str, int] = Field(
        description="mine, team, unassigned, overdue, tasks, review, mentions, referrals, approvals."
    )
    tasks: list[CartableTaskOut]
    review: list[CartableMessageOut]
    mentions: list[CartableMentionOut]
    referrals: list[CartableReferralOut]


class SavedViewIn(BodyIn):
    name: str = Field(min_length=1, max_length=100)
    filters: dict[str, str | int | None] = Field(default_factory=dict, max_length=20)
    sort: SortName = "-updated_at"


class SavedViewOut(Schema):
    id: int
    name: str
    filters: dict[str, Any]
    sort: str
    created_at: dt.datetime


class AvailabilityIn(BodyIn):
    availability: Literal["online", "away", "off"]


class AvailabilityOut(Schema):
    availability: str
