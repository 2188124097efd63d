"""Every read of the helpdesk, scoped to what the viewer may see: the cartable lists, ticket lists and details."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payvand.accounts.models import User
from payvand.contacts.normalize import normalize_text
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.core.localization import to_ascii_digits
from payvand.helpdesk.models import (
    ACTIVE_CATEGORIES,
    Attachment,
    Channel,
    Mention,
    Message,
    Referral,
    Status,
    StatusCategory,
    Task,
    Ticket,
    TicketLink,
    TicketType,
    WorkLog,
)
from payvand.projects.models import Project

PERMS = {
    "view": "helpdesk.view_ticket",
    "add": "helpdesk.add_ticket",
    "change": "helpdesk.change_ticket",
    "close": "helpdesk.close_ticket",
    "merge": "helpdesk.merge_ticket",
    "dispatch": "helpdesk.dispatch_ticket",
    "review": "helpdesk.review_message",
    "reports": "helpdesk.view_reports",
}


def ticket_require_perm(*, user: User, action: str) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(detail=_("Sign in first."))
    if not user.has_perm(PERMS[action]):
        raise PermissionDenied(detail=_("You do not have permission to do this with tickets."))


def sees_everything(user: User) -> bool:
    """Admins, dispatchers and supervisors see every ticket that comes in."""
    return bool(user.is_superuser or user.has_perm(PERMS["dispatch"]))


def _team_ids(user: User) -> list[int]:
    cached = getattr(user, "_helpdesk_team_ids", None)
    if cached is None:
        cached = list(user.memberships.values_list("team_id", flat=True))
        user._helpdesk_team_ids = cached  # type: ignore[attr-defined]
    return cached


def visibility_q(user: User) -> Q:
    """The tickets a team member works on: their teams' tickets, their own, ones they watch, ones with a task for
    them or their team, ones referred to them (or to their team, while pending), ones they are mentioned in, and
    their projects' tickets. Every part is a plain column test or an `id IN (subquery)`, so the condition never
    multiplies rows and the database can use the indexes of each part."""
    teams = _team_ids(user)
    watched = Ticket.watchers.through.objects.filter(user_id=user.pk).values("ticket_id")
    tasks = Task.objects.filter(Q(assignee_id=user.pk) | Q(team_id__in=teams)).values("ticket_id")
    referred = Referral.objects.filter(
        Q(to_user_id=user.pk) | Q(to_team_id__in=teams, state=Referral.State.PENDING)
    ).values("ticket_id")
    mentioned = Mention.objects.filter(user_id=user.pk).values("message__ticket_id")
    projects = Project.members.through.objects.filter(user_id=user.pk).values("project_id")
    return (
        Q(team_id__in=teams)
        | Q(assignee_id=user.pk)
        | Q(pk__in=watched)
        | Q(pk__in=tasks)
        | Q(pk__in=referred)
        | Q(pk__in=mentioned)
        | Q(project_id__in=projects)
    )


def ticket_queryset_for_user(*, user: User) -> QuerySet[Ticket]:
    """Every ticket the user may see: all of them for admins and dispatchers, else `visibility_q`. Users without
    the right to view tickets (customers, other departments) get PermissionDenied."""
    ticket_require_perm(user=user, action="view")
    qs = Ticket.objects.all()
    if sees_everything(user):
        return qs
    return qs.filter(visibility_q(user))


def _may_see(user: User, ticket: Ticket) -> bool:
    if sees_everything(user) or ticket.assignee_id == user.pk or ticket.team_id in _team_ids(user):
        return True
    return Ticket.objects.filter(pk=ticket.pk).filter(visibility_q(user)).exists()


def ticket_get_for_user(*, user: User, ticket_id: int, action: str = "view") -> Ticket:
    """The ticket if the user may see it (404 otherwise: no one learns which ids exist), checked for `action`."""
    ticket_require_perm(user=user, action="view")
    try:
        ticket_id = int(ticket_id)
    except (TypeError, ValueError):
        raise NotFound(detail=_("No such ticket.")) from None
    # Load the ticket by its key, then check visibility: the common cases (my team's ticket, my own) need no
    # query, and the rest one small EXISTS; planning the whole visibility condition into the joined query cost
    # more than running it.
    ticket = (
        # Six joins; the relations that are often empty come by prefetch (no query when empty). Planning a join
        # of twelve tables took PostgreSQL longer than running all of these queries.
        Ticket.objects.select_related("requester", "type", "category", "status", "team", "assignee")
        .prefetch_related("organisation", "type__form", "project", "merged_into", "created_by")
        .filter(pk=ticket_id)
        .order_by()
        .first()
    )
    if ticket is None or not _may_see(user, ticket):
        raise NotFound(detail=_("No such ticket."))
    if action != "view":
        ticket_require_perm(user=user, action=action)
    return ticket


def ticket_get_by_reference(*, user: User, reference: str) -> Ticket:
    digits = "".join(ch for ch in to_ascii_digits(reference) if ch.isdigit())
    if not digits:
        raise NotFound(detail=_("No such ticket."))
    ticket = ticket_queryset_for_user(user=user).filter(number=int(digits)).only("pk").first()
    if ticket is None:
        raise NotFound(detail=_("No such ticket."))
    return ticket_get_for_user(user=user, ticket_id=ticket.pk)


def ticket_detail(*, user: User, ticket_id: int) -> Ticket:
    """The ticket with its thread, tasks, worklogs, referrals and watchers, in a fixed number of queries. Agents
    see internal notes; drafts are shown to their author only."""
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
    messages = (
        Message.objects.filter(ticket=ticket)
        .filter(Q(is_draft=False) | Q(author=user))
        .select_related("author", "author_contact", "reviewed_by")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    ticket.thread = list(messages)  # type: ignore[attr-defined]
    ticket.task_list = list(  # type: ignore[attr-defined]
        ticket.tasks.select_related("assignee", "team", "required_skill").order_by("created_at", "id")
    )
    ticket.worklog_list = list(  # type: ignore[attr-defined]
        ticket.worklogs.select_related("user", "task").order_by("started_at", "id")
    )
    ticket.referral_list = list(  # type: ignore[attr-defined]
        ticket.referrals.select_related("from_user", "from_team", "to_user", "to_team", "responded_by")
    )
    ticket.watcher_list = list(ticket.watchers.all())  # type: ignore[attr-defined]
    ticket.tag_list = list(ticket.tags.all())  # type: ignore[attr-defined]
    ticket.minutes_total = sum(w.minutes for w in ticket.worklog_list)  # type: ignore[attr-defined]
    return ticket


# ---------------------------------------------------------------------------------------------- lists


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None
    count: int | None = None


SORTS: dict[str, tuple[str, bool]] = {
    "-updated_at": ("updated_at", True),
    "updated_at": ("updated_at", False),
    "-created_at": ("created_at", True),
    "created_at": ("created_at", False),
    "-priority": ("priority", True),
    "priority": ("priority", False),
    "due_at": ("due_at", False),
    "-due_at": ("due_at", True),
}

LISTS = {
    "mine": gettext_lazy("My tickets"),
    "team": gettext_lazy("My team's queue"),
    "unassigned": gettext_lazy("Unassigned"),
    "overdue": gettext_lazy("Overdue"),
    "all": gettext_lazy("All I can see"),
    "closed": gettext_lazy("Recently done"),
}


def _encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, field: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, pk = json.loads(raw)
        if not isinstance(pk, int):
            raise ValueError
        if field in ("updated_at", "created_at", "due_at") and value is not None:
            value = dt.datetime.fromisoformat(value)
        elif field == "priority" and not isinstance(value, int):
            raise ValueError
        return value, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed.on("cursor", _("This cursor is not valid; start from the first page.")) from None


def _int_or_error(name: str, value: Any) -> int:
    try:
        return int(to_ascii_digits(str(value)))
    except (TypeError, ValueError):
        raise ValidationFailed.on(name, _("Give a number.")) from None


def ticket_filter(qs: QuerySet[Ticket], *, user: User, filters: dict[str, Any]) -> QuerySet[Ticket]:
    """Apply list filters: list, status, team, assignee, requester, project, priority, type, category, channel,
    tag, search and form values (`form.<field>`)."""
    now = timezone.now()
    which = filters.get("list") or ""
    teams = _team_ids(user)
    if which == "mine":
        qs = qs.filter(assignee=user, status_category__in=ACTIVE_CATEGORIES)
    elif which == "team":
        qs = qs.filter(team_id__in=teams, status_category__in=ACTIVE_CATEGORIES)
    elif which == "unassigned":
        qs = qs.filter(assignee__isnull=True, status_category__in=ACTIVE_CATEGORIES)
        if not sees_everything(user):
            qs = qs.filter(team_id__in=teams)
    elif which == "overdue":
        qs = qs.filter(due_at__lt=now, status_category__in=ACTIVE_CATEGORIES)
    elif which == "closed":
        qs = qs.exclude(status_category__in=ACTIVE_CATEGORIES)
    elif which not in ("", "all"):
        raise ValidationFailed.on("list", _("Unknown list."))
    status = filters.get("status")
    if status:
        if status == "active":
            qs = qs.filter(status_category__in=ACTIVE_CATEGORIES)
        elif status in StatusCategory.values:
            qs = qs.filter(status_category=status)
        else:
            qs = qs.filter(status_id=_int_or_error("status", status))
    for name in ("team", "requester", "project", "type", "category"):
        value = filters.get(name)
        if value not in (None, ""):
            if value == "none":
                qs = qs.filter(**{f"{name}__isnull": True})
            else:
                qs = qs.filter(**{f"{name}_id": _int_or_error(name, value)})
    assignee = filters.get("assignee")
    if assignee not in (None, ""):
        if assignee == "me":
            qs = qs.filter(assignee=user)
        elif assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        else:
            qs = qs.filter(assignee_id=_int_or_error("assignee", assignee))
    priority = filters.get("priority")
    if priority not in (None, ""):
        qs = qs.filter(priority=_int_or_error("priority", priority))
    channel = filters.get("channel")
    if channel:
        if channel not in Channel.values:
            raise ValidationFailed.on("channel", _("Unknown channel."))
        qs = qs.filter(channel=channel)
    tag = filters.get("tag")
    if tag:
        qs = qs.filter(tags__name=tag)
    text = (filters.get("search") or "").strip()
    if text:
        digits = to_ascii_digits(text).lstrip("#")
        if digits.isdigit():
            qs = qs.filter(Q(number=int(digits)) | Q(search_text__contains=digits))
        else:
            for word in normalize_text(text).split()[:8]:
                qs = qs.filter(search_text__contains=word)
    form_filters = {k[5:]: v for k, v in filters.items() if k.startswith("form.") and v not in (None, "")}
    if form_filters:
        qs = _form_filter(qs, filters.get("type"), form_filters)
    return qs


def _form_filter(qs: QuerySet[Ticket], type_id: Any, form_filters: dict[str, Any]) -> QuerySet[Ticket]:
    """Filter by the values of a ticket type's form: the fields belong to one form, so the `type` filter must
    name a type that has one."""
    first = "form." + next(iter(form_filters))
    if type_id in (None, "", "none"):
        raise ValidationFailed.on(first, _("Choose a ticket type to filter by its form's fields."))
    ticket_type = TicketType.objects.select_related("form").filter(pk=_int_or_error("type", type_id)).first()
    if ticket_type is None or ticket_type.form is None:
        raise ValidationFailed.on(first, _("This ticket type has no form."))
    from payvand.forms.selectors import form_values_filter

    try:
        return form_values_filter(qs, "form_values", form_filters, form=ticket_type.form)
    except ValidationFailed as exc:
        for error in exc.errors:  # name the filter as the list knows it
            if error.field and not error.field.startswith("form."):
                error.field = f"form.{error.field}"
        raise


def ticket_page(
    *,
    user: User,
    filters: dict[str, Any] | None = None,
    sort: str = "-updated_at",
    cursor: str | None = None,
    limit: int = 25,
    with_count: bool = False,
) -> Page:
    """One page of tickets by keyset pagination: fast on any page at millions of tickets."""
    if sort not in SORTS:
        raise ValidationFailed.on("sort", _("Unknown sort order."))
    if not 1 <= limit <= 200:
        raise ValidationFailed.on("limit", _("Ask for 1 to 200 items."))
    field, desc = SORTS[sort]
    qs = ticket_filter(ticket_queryset_for_user(user=user), user=user, filters=filters or {})
    count = qs.count() if with_count else None
    if cursor:
        value, pk = _decode_cursor(cursor, field)
        qs = qs.filter(_after_cursor(field, desc, value, pk))
    # Only due_at can be empty: tickets without a due date come last, in both directions.
    if desc:
        order = [F(field).desc(nulls_last=True), "-pk"] if field == "due_at" else [f"-{field}", "-pk"]
    else:
        order = [F(field).asc(nulls_last=True), "pk"] if field == "due_at" else [field, "pk"]
    rows = list(
        qs.select_related("requester", "status", "team", "assignee", "type", "category").order_by(*order)[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor([getattr(last, field), last.pk])
    return Page(items=rows, next_cursor=next_cursor, count=count)


def _after_cursor(field: str, desc: bool, value: Any, pk: int) -> Q:
    """The rows after (value, pk) in the page order: (field, pk) both descending or both ascending, with empty
    due dates last."""
    after, beyond = ("lt", "lt") if desc else ("gt", "gt")
    if value is None:  # inside the trailing block of empty due dates
        return Q(**{f"{field}__isnull": True, f"pk__{beyond}": pk})
    q = Q(**{f"{field}__{after}": value}) | Q(**{field: value, f"pk__{beyond}": pk})
    if field == "due_at":
        q |= Q(due_at__isnull=True)
    return q


def cartable_counts(*, user: User) -> dict[str, int]:
    """How many items are in each cartable list."""
    base = ticket_queryset_for_user(user=user)
    counts = {}
    for name in ("mine", "team", "unassigned", "overdue"):
        counts[name] = ticket_filter(base, user=user, filters={"list": name}).count()
    counts["tasks"] = task_queryset_mine(user=user).count()
    counts["review"] = review_queue(user=user).count() if user.has_perm(PERMS["review"]) else 0
    counts["mentions"] = Mention.objects.filter(user=user, seen_at__isnull=True).count()
    counts["referrals"] = referrals_waiting(user=user).count()
    return counts


def task_queryset_mine(*, user: User) -> QuerySet[Task]:
    """Open tasks for me, and unassigned open tasks of my teams."""
    teams = _team_ids(user)
    return (
        Task.objects.filter(state__in=[Task.State.OPEN, Task.State.IN_PROGRESS])
        .filter(Q(assignee=user) | Q(assignee__isnull=True, team_id__in=teams))
        .select_related("ticket", "ticket__requester", "assignee", "team")
        .order_by("due_at", "created_at")
    )


def review_queue(*, user: User) -> QuerySet[Message]:
    """Replies waiting for review on tickets of my teams (every team for dispatchers)."""
    qs = Message.objects.filter(review=Message.Review.PENDING).select_related("ticket", "author")
    if not sees_everything(user):
        qs = qs.filter(ticket__team_id__in=_team_ids(user))
    return qs.order_by("created_at")


def mentions_for(*, user: User) -> QuerySet[Mention]:
    return (
        Mention.objects.filter(user=user)
        .select_related("message", "message__ticket", "message__author")
        .order_by(F("seen_at").asc(nulls_first=True), "-message__created_at")
    )


def referrals_waiting(*, user: User) -> QuerySet[Referral]:
    teams = _team_ids(user)
    return (
        Referral.objects.filter(state=Referral.State.PENDING, ticket__status_category__in=ACTIVE_CATEGORIES)
        .filter(Q(to_user=user) | Q(to_user__isnull=True, to_team_id__in=teams))
        .select_related("ticket", "from_user", "to_team")
        .order_by("created_at")
    )


def statuses() -> list[Status]:
    return list(Status.objects.order_by("order", "name"))


def requester_history(*, user: User, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """The requester's other tickets (for the sidebar), newest first."""
    return list(
        ticket_queryset_for_user(user=user)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .select_related("status")
        .order_by("-created_at")[:limit]
    )


def tickets_for_contact(*, user: User, contact_id: int, limit: int = 20) -> list[Ticket]:
    """For the 360° page: the contact's tickets (as requester or organisation), open first."""
    if not user.has_perm(PERMS["view"]):
        return []
    qs = ticket_queryset_for_user(user=user).filter(Q(requester_id=contact_id) | Q(organisation_id=contact_id))
    return list(qs.select_related("status", "assignee", "team").order_by("-created_at")[:limit])


def time_by_user_for_ticket(*, ticket: Ticket) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in WorkLog.objects.filter(ticket=ticket)
        .values("user_id", "user__full_name", "user__email")
        .annotate(minutes=Sum("minutes"))
        .order_by("user__full_name")
    ]


INBOUND_LINK_LABELS = {
    TicketLink.Kind.DUPLICATE: gettext_lazy("Duplicate merged here"),
    TicketLink.Kind.SPLIT: gettext_lazy("Split out into"),
    TicketLink.Kind.FOLLOW_UP: gettext_lazy("Followed up by"),
    TicketLink.Kind.RELATED: gettext_lazy("Related to"),
}


def ticket_links(*, ticket: Ticket) -> list[tuple[str, Ticket]]:
    """(label, other ticket) for the ticket's links both ways. The caller has checked access to `ticket`."""
    out = [
        (str(link.get_kind_display()), link.target)
        for link in TicketLink.objects.filter(source=ticket).select_related("target", "target__status")
    ]
    out += [
        (str(INBOUND_LINK_LABELS.get(TicketLink.Kind(link.kind), link.get_kind_display())), link.source)
        for link in TicketLink.objects.filter(target=ticket).select_related("source", "source__status")
    ]
    return out


def attachment_get_for_user(*, user: User, ticket_id: int, attachment_id: int) -> Attachment:
    """An attachment of a ticket the user may see; a draft's attachments only for the draft's author."""
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id, message__ticket=ticket).first()
    if attachment is None or (attachment.message.is_draft and attachment.message.author_id != user.pk):
        raise NotFound(detail=_("No such attachment."))
    return attachment
