"""Every write of the helpdesk: one function per use case, each in one transaction, each leaving an Event."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import nh3
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from payvand.accounts.models import Skill, Team, User
from payvand.automation import hooks as automation_hooks
from payvand.contacts.models import Contact, Tag
from payvand.contacts.normalize import normalize_text
from payvand.core import batch
from payvand.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from payvand.core.services import event_record
from payvand.helpdesk import routing
from payvand.helpdesk.models import (
    ACTIVE_CATEGORIES,
    DONE_CATEGORIES,
    Attachment,
    Category,
    Channel,
    Mention,
    Message,
    Priority,
    Referral,
    SavedView,
    Status,
    StatusCategory,
    Task,
    TeamContact,
    TeamSettings,
    Ticket,
    TicketCounter,
    TicketLink,
    TicketType,
    WorkLog,
)
from payvand.notifications import live
from payvand.notifications.models import Kind
from payvand.notifications.services import notify
from payvand.projects.models import Project
from payvand.sla import hooks as sla_hooks

MAX_SUBJECT = 300
# Test factories number their tickets from here up; the counter never counts them.
FACTORY_NUMBERS = 1_000_000_000
MAX_BODY = 100_000
DUPLICATE_SCORE = 80


# ---------------------------------------------------------------------------------------------- helpers


def status_for(category: str) -> Status:
    status = batch.memo(
        ("helpdesk.status_for", category), lambda: Status.objects.filter(category=category, is_builtin=True).first()
    )
    if status is None:  # pragma: no cover - the built-in statuses come with the migrations
        status = Status.objects.create(name=category, category=category, is_builtin=True)
    return status


def ticket_url(ticket: Ticket) -> str:
    """The ticket page (mounted at /tickets/<id>/ by helpdesk/urls.py)."""
    return f"/tickets/{ticket.pk}/"


def _search_text(subject: str, description: str) -> str:
    return normalize_text(f"{subject} {description}")[:4000]


def _lock(ticket: Ticket, version: int | None = None) -> Ticket:
    """Re-read the ticket under a row lock; with `version`, refuse if someone else changed it meanwhile."""
    locked = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
    if locked is None:
        raise NotFound(detail=_("No such ticket."))
    if version is not None and locked.version != version:
        raise Conflict(
            detail=_("Someone else changed this ticket meanwhile. Reload it and try again."),
            errors=[FieldError("version", _("Expected version %(v)s.") % {"v": locked.version})],
            extra={"version": locked.version},
        )
    return locked


_KEPT_RELATIONS = ("requester", "assignee", "team", "status", "organisation", "type", "category", "project")


def _refresh_keeping(ticket: Ticket, source: Ticket) -> None:
    """Re-read the ticket, keeping the related rows `source` holds in memory (the requester, the assignee …) where
    the ids did not change: they were just written or read in this transaction, and re-reading them costs a query
    each. `source` may be the ticket itself."""
    kept = {}
    for name in _KEPT_RELATIONS:
        field = Ticket._meta.get_field(name)
        if field.is_cached(source):  # type: ignore[union-attr]
            kept[name] = (field, field.get_cached_value(source))  # type: ignore[union-attr]
    if ticket is source:
        ticket.refresh_from_db()
    for _name, (field, obj) in kept.items():
        if getattr(ticket, field.attname) == (obj.pk if obj is not None else None):  # type: ignore[union-attr]
            field.set_cached_value(ticket, obj)  # type: ignore[union-attr]


def _save(ticket: Ticket, fields: Iterable[str]) -> None:
    """Save changed fields of the ticket itself: the version goes up, so an editor holding the old one conflicts."""
    ticket.version = F("version") + 1
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=[*set(fields), "version", "updated_at"])
    ticket.refresh_from_db(fields=["version"])


def _touch(ticket: Ticket, fields: Iterable[str] = ()) -> None:
    """Something around the ticket changed (a message, task, worklog, watcher): it moves up in the lists, but its
    version stays, so an agent editing the ticket's fields meanwhile doesn't get a needless conflict. Saves
    `fields` too when they are bookkeeping (first response time), never the ticket's own fields."""
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=[*set(fields), "updated_at"])


def _minutes_recount(ticket_id: int) -> None:
    """Set the ticket's `minutes_spent` to the sum of its worklogs (after worklogs moved or were removed)."""
    total = WorkLog.objects.filter(ticket_id=ticket_id).aggregate(total=Sum("minutes"))["total"] or 0
    Ticket.objects.filter(pk=ticket_id).update(minutes_spent=total)


def _next_number() -> int:
    """The next ticket number, under the counter's row lock (held until the creating transaction ends), so numbers
    never repeat and rise in the order tickets are created."""
    table = connection.ops.quote_name(TicketCounter._meta.db_table)
    for _attempt in range(3):
        # One round trip: the increment hands back the new number (UPDATE … RETURNING: PostgreSQL, SQLite ≥ 3.35).
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE id = 1 RETURNING last")  # noqa: S608
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        # The row comes with the migrations; recreate it if it was lost (a flushed test database), above every
        # number in use.
        highest = Ticket.objects.filter(number__lt=FACTORY_NUMBERS).aggregate(m=Max("number"))["m"] or 0
        try:
            with transaction.atomic():
                TicketCounter.objects.create(pk=1, last=max(highest, 10000))
        except IntegrityError:
            pass  # someone else created it meanwhile: take the update path
    raise Conflict(detail=_("Could not number the ticket; try again."))  # pragma: no cover


def batch_prepare(*, teams: Iterable[Team]) -> None:
    """Before a batch of ticket creations in one transaction (an email import), inside `core.batch.batch_scope`
    and the transaction, outside any savepoint: take the ticket counter's lock, then lock the teams and their members
    once for the routing of every ticket of the batch (the order `ticket_create` takes them in)."""
    TicketCounter.objects.select_for_update().filter(pk=1).first()
    for team in {t.pk: t for t in teams if t is not None}.values():
        routing.members_hold(team)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A datetime in UTC-aware form; a naive one is read in the current time zone."""
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value)


def _tag_objects(names: Iterable[str]) -> list[Tag]:
    """Tags by name, created when missing (safely when two requests create the same tag at once)."""
    wanted = list(dict.fromkeys(n.strip() for n in names if isinstance(n, str) and n.strip()))
    if not wanted:
        return []
    existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    missing = [Tag(name=n) for n in wanted if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    return [existing[n] for n in wanted if n in existing]


def _tag_errors(names: Any) -> list[FieldError]:
    if isinstance(names, str) or not isinstance(names, Iterable):
        return [FieldError("tags", _("Give a list of tags."))]
    items = list(names)
    if any(not isinstance(t, str) for t in items):
        return [FieldError("tags", _("Each tag must be text."))]
    if any(len(t.strip()) > 64 for t in items):
        return [FieldError("tags", _("A tag has at most 64 characters."))]
    if len(items) > 50:
        return [FieldError("tags", _("Give at most 50 tags."))]
    return []


def users_with_perm(users: QuerySet[User], perm: str) -> QuerySet[User]:
    """Active users of `users` holding `perm` through a role, directly, or as superusers (one query)."""
    app_label, codename = perm.split(".", 1)
    has = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app_label
    )
    ids = users.filter(is_active=True).filter(has | Q(is_superuser=True)).values("pk")
    return User.objects.filter(pk__in=ids)


def _broadcast(ticket: Ticket, verb: str, *, extra_users: Iterable[int | None] = (), teams: Iterable[int | None] = ()):
    team_ids = [ticket.team_id, *teams]
    user_ids = [ticket.assignee_id, *extra_users]
    tid = ticket.pk
    transaction.on_commit(lambda: live.push_ticket(ticket_id=tid, team_ids=team_ids, user_ids=user_ids, verb=verb))


def _set_status(ticket: Ticket, status: Status) -> list[str]:
    now = timezone.now()
    sla_hooks.status_changed(ticket, ticket.status_category, status.category)
    if status.category != ticket.status_category:
        automation_hooks.status_changed(ticket, status.category)
    ticket.status = status
    ticket.status_category = status.category
    fields = ["status", "status_category"]
    if status.category == StatusCategory.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif status.category == StatusCategory.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
        if ticket.resolved_at is None:
            ticket.resolved_at = now
            fields.append("resolved_at")
    elif status.category in ACTIVE_CATEGORIES:
        ticket.resolved_at = None
        ticket.closed_at = None
        fields += ["resolved_at", "closed_at"]
    if status.category != StatusCategory.POSTPONED and ticket.postponed_until is not None:
        ticket.postponed_until = None
        fields.append("postponed_until")
    return fields


def _freed_capacity(team_id: int | None) -> None:
    """A ticket left someone's plate: let the team's waiting tickets in."""
    if team_id is None:
        return
    team = Team.objects.filter(pk=team_id).first()
    if team is not None:
        routing.queue_drain(team=team)


def sanitize_html(html: str) -> str:
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|tr|h[1-6]|blockquote|pre)\s*>")


def _text_of(html: str) -> str:
    """The plain text of an HTML body (entities decoded, a line break per block), for search, previews and
    plain-text mail."""
    marked = _BLOCK_END.sub("\n", html)
    text = htmllib.unescape(nh3.clean(marked, tags=set()))
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _team_right(*, user: User, ticket: Ticket, roles_field: str, permission: str) -> bool:
    """A right the ticket's team may give to chosen roles (its `roles_field`); without a choice, the permission."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    settings_row = TeamSettings.objects.filter(team_id=ticket.team_id).first() if ticket.team_id else None
    if settings_row is not None:
        role_ids = set(getattr(settings_row, roles_field).values_list("pk", flat=True))
        if role_ids:
            return user.groups.filter(pk__in=role_ids).exists()
    return user.has_perm(permission)


def user_may_close(*, user: User, ticket: Ticket) -> bool:
    """Closing right: the team's close roles if it set any, else the role's `close_ticket` permission."""
    return _team_right(user=user, ticket=ticket, roles_field="close_roles", permission="helpdesk.close_ticket")


def user_may_reopen(*, user: User, ticket: Ticket) -> bool:
    """Reopening right: the team's reopen roles if it set any, else anyone who can change tickets."""
    return _team_right(user=user, ticket=ticket, roles_field="reopen_roles", permission="helpdesk.change_ticket")


def _team_watchers(ticket: Ticket) -> list[User]:
    """The assignee, the watchers, the team lead and the team's dispatcher/service/area managers."""
    people: list[User | None] = [ticket.assignee, *ticket.watchers.all()]
    if ticket.team_id:
        people += _team_heads(ticket.team_id)
    return [p for p in people if p is not None]


def _team_heads(team_id: int) -> list[User | None]:
    """The team's lead and its dispatcher/service/area managers (read once per batch)."""

    def load() -> list[User | None]:
        team = Team.objects.select_related("lead").get(pk=team_id)
        return [team.lead, *[tc.user for tc in TeamContact.objects.filter(team_id=team_id).select_related("user")]]

    return batch.memo(("helpdesk.team_heads", team_id), load)


# ---------------------------------------------------------------------------------------------- duplicates


@dataclass
class DuplicateCandidate:
    ticket: Ticket
    score: int
    reason: str


def ticket_find_duplicates(
    *,
    requester: Contact,
    subject: str,
    description: str = "",
    external_id: str = "",
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[DuplicateCandidate]:
    """Likely duplicates: the same external message id, or the same requester's open tickets within the window
    whose subject (or body) is similar."""
    found: dict[int, DuplicateCandidate] = {}
    if external_id:
        for t in Ticket.objects.filter(external_id=external_id).exclude(pk=exclude_id or 0)[:limit]:
            found[t.pk] = DuplicateCandidate(t, 100, "external_id")
    since = timezone.now() - dt.timedelta(days=settings.TICKET_DUPLICATE_WINDOW_DAYS)
    open_tickets = (
        Ticket.objects.filter(requester=requester, status_category__in=ACTIVE_CATEGORIES, created_at__gte=since)
        .exclude(pk=exclude_id or 0)
        .order_by("-created_at")[:200]
    )
    wanted_subject = normalize_text(subject)
    wanted_body = normalize_text(description)[:2000]
    for t in open_tickets:
        if t.pk in found:
            continue
        score = fuzz.token_set_ratio(wanted_subject, normalize_text(t.subject))
        reason = "subject"
        if wanted_body and t.description:
            body_score = fuzz.token_set_ratio(wanted_body, normalize_text(t.description)[:2000])
            if body_score > score:
                score, reason = body_score, "description"
        if score >= DUPLICATE_SCORE:
            found[t.pk] = DuplicateCandidate(t, int(score), reason)
    return sorted(found.values(), key=lambda c: -c.score)[:limit]


# ---------------------------------------------------------------------------------------------- create and edit


def _validate_fields(
    *,
    subject: str | None,
    description: str | None,
    priority: int | None,
    channel: str | None,
    estimate_minutes: int | None,
) -> list[FieldError]:
    errors: list[FieldError] = []
    if subject is not None:
        if not subject.strip():
            errors.append(FieldError("subject", _("Give the ticket a subject.")))
        elif len(subject) > MAX_SUBJECT:
            errors.append(FieldError("subject", _("Use at most %(n)s characters.") % {"n": MAX_SUBJECT}))
    if description is not None and len(description) > MAX_BODY:
        errors.append(FieldError("description", _("Use at most %(n)s characters.") % {"n": MAX_BODY}))
    if priority is not None and priority not in Priority.values:
        errors.append(FieldError("priority", _("Choose a priority from 1 (low) to 4 (urgent).")))
    if channel is not None and channel not in Channel.values:
        errors.append(FieldError("channel", _("Unknown channel.")))
    if estimate_minutes is not None and not (0 <= estimate_minutes <= 100_000):
        errors.append(FieldError("estimate_minutes", _("Give an estimate between 0 and 100000 minutes.")))
    return errors


def _clean_form_values(
    ticket_type: TicketType | None, values: dict[str, Any] | None, files: Mapping[str, UploadedFile] | None = None
) -> dict[str, Any]:
    if not values and not files and (ticket_type is None or ticket_type.form_id is None):
        return {}
    if ticket_type is None or ticket_type.form is None:
        raise ValidationFailed.on("form_values", _("This ticket has no form; choose a type with a form."))
    from payvand.forms.services import form_values_clean

    return form_values_clean(form=ticket_type.form, values=values or {}, files=files)


def _organisation_of(contact: Contact) -> Contact | None:
    """The requester's organisation: their primary affiliation, else the oldest one."""
    if contact.kind == Contact.Kind.ORGANISATION:
        return None

    def load() -> Contact | None:
        aff = contact.affiliations.select_related("organisation").order_by("-is_primary", "id").first()
        return aff.organisation if aff is not None else None

    # A batch (an email import) creates many tickets for the same customers; their affiliations stay put meanwhile.
    return batch.memo(("helpdesk.organisation_of", contact.pk), load)


def ticket_create(
    *,
    by: User | None,
    subject: str,
    requester: Contact,
    description: str = "",
    channel: str = Channel.WEB,
    type: TicketType | None = None,
    category: Category | None = None,
    priority: int | None = None,
    team: Team | None = None,
    assignee: User | None = None,
    project: Project | None = None,
    form_values: dict[str, Any] | None = None,
    form_files: Mapping[str, UploadedFile] | None = None,
    tags: Iterable[str] = (),
    watchers: Iterable[User] = (),
    estimate_minutes: int | None = None,
    due_at: dt.datetime | None = None,
    external_id: str = "",
    route: bool = True,
) -> Ticket:
    """Register a request. The same external message id is never registered twice (409 with the existing ticket);
    the team is chosen by the routing rules unless given, and then a person by the team's strategy. `form_files`
    are the uploads of the type form's file fields, stored with the ticket's values."""
    errors = _validate_fields(
        subject=subject,
        description=description,
        priority=priority,
        channel=channel,
        estimate_minutes=estimate_minutes,
    )
    if requester is None or requester.pk is None:
        errors.append(FieldError("requester", _("Choose the customer who asks.")))
    if type is not None and not type.is_active:
        errors.append(FieldError("type", _("This ticket type is no longer in use.")))
    if category is not None and not category.is_active:
        errors.append(FieldError("category", _("This category is no longer in use.")))
    if assignee is not None and not assignee.is_active:
        errors.append(FieldError("assignee", _("This user is not active.")))
    elif assignee is not None and team is not None and not assignee.memberships.filter(team=team).exists():
        errors.append(FieldError("assignee", _("This person is not a member of that team.")))
    if len(external_id) > 300:
        errors.append(FieldError("external_id", _("Use at most %(n)s characters.") % {"n": 300}))
    tag_errors = _tag_errors(tags)
    errors += tag_errors
    tags = [] if tag_errors else list(tags)
    watcher_list = [w for w in watchers if w is not None]
    if any(not w.is_active for w in watcher_list):
        errors.append(FieldError("watchers", _("This user is not active.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    values = _clean_form_values(type, form_values, form_files)
    with transaction.atomic():
        if form_files:
            from payvand.forms.services import form_files_save

            values = form_files_save(values=values, files=form_files)
        # The counter's row lock serialises creations, so this check can't race with another creation of the same
        # external id (and SQLite transactions are IMMEDIATE anyway).
        number = _next_number()
        if external_id:
            existing = Ticket.objects.filter(external_id=external_id).order_by("pk").first()
            if existing is not None:
                raise Conflict(
                    detail=_("This message is already registered as ticket %(ref)s.") % {"ref": existing.reference},
                    extra={"ticket": existing.pk, "reference": existing.reference},
                )
        if project is not None and team is None and project.team_id is not None:
            team = project.team
        if assignee is not None and team is None:
            team = Team.objects.filter(memberships__user=assignee).order_by("pk").first()
        ticket = Ticket.objects.create(
            number=number,
            subject=subject.strip(),
            description=description,
            requester=requester,
            organisation=_organisation_of(requester),
            channel=channel,
            type=type,
            category=category,
            priority=priority or (type.default_priority if type is not None else Priority.NORMAL),
            status=status_for(StatusCategory.NEW),
            status_category=StatusCategory.NEW,
            team=team,
            assignee=assignee,
            project=project,
            form_values=values,
            estimate_minutes=estimate_minutes,
            due_at=_aware(due_at),
            external_id=external_id,
            created_by=by if by is not None and by.is_authenticated else None,
            search_text=_search_text(subject, description),
        )
        if tags:
            ticket.tags.set(_tag_objects(tags))
        if watcher_list:
            ticket.watchers.set(watcher_list)
        event_record(
            actor=by,
            verb="ticket.created",
            target=ticket,
            contact=requester,
            data={"reference": ticket.reference, "subject": ticket.subject, "channel": channel},
        )
        if assignee is not None:
            event_record(
                actor=by,
                verb="ticket.assigned",
                target=ticket,
                contact=requester,
                data={"assignee": assignee.pk, "reason": "chosen"},
            )
        if route:
            routing.ticket_route(ticket=ticket, by=by)
            _refresh_keeping(ticket, ticket)
        sla_hooks.ticket_created(ticket)
        if ticket.assignee_id and ticket.assignee_id != (by.pk if by else None):
            notify(
                recipients=[ticket.assignee],
                kind=Kind.ASSIGNED,
                title=_("%(ref)s assigned to you: %(subject)s") % {"ref": ticket.reference, "subject": ticket.subject},
                url=ticket_url(ticket),
                ticket=ticket,
                exclude=by,
            )
        elif ticket.team_id and not ticket.assignee_id:
            team_obj = Team.objects.select_related("lead").get(pk=ticket.team_id)
            notify(
                recipients=[
                    team_obj.lead,
                    *[tc.user for tc in TeamContact.objects.filter(team=team_obj).select_related("user")],
                ],
                kind=Kind.QUEUED,
                title=_("New in %(team)s: %(ref)s %(subject)s")
                % {"team": team_obj.name, "ref": ticket.reference, "subject": ticket.subject},
                url=ticket_url(ticket),
                ticket=ticket,
                exclude=by,
            )
        _broadcast(ticket, "created")
        automation_hooks.ticket_created(ticket)
    return ticket


DONE_OR_POSTPONED = (*DONE_CATEGORIES, StatusCategory.POSTPONED)

UPDATABLE = {
    "subject",
    "description",
    "type",
    "category",
    "priority",
    "channel",
    "project",
    "form_values",
    "estimate_minutes",
    "due_at",
    "tags",
    "watchers",
    "status",
}


def ticket_update(*, ticket: Ticket, by: User, version: int | None = None, **changes: Any) -> Ticket:
    """Edit a ticket's fields. `version` must match the one the editor read (optimistic locking): of two agents
    saving at once one gets a conflict, and no update is lost."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationFailed.on(sorted(unknown)[0], _("This field cannot be changed here."))
    errors = _validate_fields(
        subject=changes.get("subject"),
        description=changes.get("description"),
        priority=changes.get("priority"),
        channel=changes.get("channel"),
        estimate_minutes=changes.get("estimate_minutes"),
    )
    new_type = changes.get("type")
    if new_type is not None and not new_type.is_active and new_type.pk != ticket.type_id:
        errors.append(FieldError("type", _("This ticket type is no longer in use.")))
    new_category = changes.get("category")
    if new_category is not None and not new_category.is_active and new_category.pk != ticket.category_id:
        errors.append(FieldError("category", _("This category is no longer in use.")))
    if "subject" in changes and changes["subject"] is None:
        errors.append(FieldError("subject", _("Give the ticket a subject.")))
    if "tags" in changes:
        changes["tags"] = list(changes["tags"] or []) if not isinstance(changes["tags"], str) else changes["tags"]
        errors += _tag_errors(changes["tags"])
    if "watchers" in changes:
        changes["watchers"] = [w for w in changes["watchers"] or [] if w is not None]
        if any(not w.is_active for w in changes["watchers"]):
            errors.append(FieldError("watchers", _("This user is not active.")))
    if "due_at" in changes:
        changes["due_at"] = _aware(changes["due_at"])
    new_status: Status | None = changes.get("status")
    if "status" in changes and not isinstance(new_status, Status):
        errors.append(FieldError("status", _("Choose a status.")))
        new_status = None
    if new_status is not None and new_status.category in DONE_OR_POSTPONED:
        errors.append(
            FieldError("status", _("Use resolve, close, cancel or postpone to move a ticket to this status."))
        )
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    with transaction.atomic():
        locked = _lock(ticket, version)
        if not locked.is_active and set(changes) - {"tags", "watchers"}:
            raise Conflict(detail=_("Reopen the ticket before changing it."))
        fields: list[str] = []
        before: dict[str, Any] = {}
        for name in ("subject", "description", "type", "category", "priority", "channel", "project"):
            if name in changes:
                old = getattr(locked, f"{name}_id" if name in ("type", "category", "project") else name)
                new = changes[name]
                new_key = new.pk if hasattr(new, "pk") else new
                if old != new_key:
                    before[name] = old
                    setattr(locked, name, new)
                    fields.append(name)
        for name in ("estimate_minutes", "due_at"):
            if name in changes and getattr(locked, name) != changes[name]:
                before[name] = getattr(locked, name)
                setattr(locked, name, changes[name])
                fields.append(name)
        if "form_values" in changes or "type" in fields:
            values = changes.get("form_values", locked.form_values if "type" not in fields else {})
            locked.form_values = _clean_form_values(locked.type, values)
            fields.append("form_values")
        if "subject" in fields or "description" in fields:
            locked.search_text = _search_text(locked.subject, locked.description)
            fields.append("search_text")
        if new_status is not None and new_status.pk != locked.status_id:
            before["status"] = locked.status_id
            fields += _set_status(locked, new_status)
        if fields:
            _save(locked, fields)
            sla_hooks.ticket_changed(locked, fields)
        if "tags" in changes:
            wanted = _tag_objects(changes["tags"])
            if {t.pk for t in wanted} != set(locked.tags.values_list("pk", flat=True)):
                locked.tags.set(wanted)
                before["tags"] = True
        if "watchers" in changes:
            wanted_ids = {w.pk for w in changes["watchers"]}
            if wanted_ids != set(locked.watchers.values_list("pk", flat=True)):
                locked.watchers.set(changes["watchers"])
                before["watchers"] = True
        if before:
            if not fields:  # tags or watchers only: still an edit of the ticket, so the version goes up
                _save(locked, [])
            event_record(
                actor=by,
                verb="ticket.updated",
                target=locked,
                contact=locked.requester,
                data={"fields": sorted(before)},
            )
            _broadcast(locked, "updated")
            automation_hooks.ticket_updated(locked)
    return locked


def _freed_user(user_id: int | None) -> None:
    """A ticket left this agent's plate: their capacity counts in every team they're in."""
    if user_id is None:
        return
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        routing.queue_drain_for_user(user=user)


def ticket_assign(
    *, ticket: Ticket, by: User, assignee: User | None, team: Team | None = None, version: int | None = None
) -> Ticket:
    """Give the ticket to a person (and optionally move it to a team). The assignee must be in the team; a ticket
    without a team goes to the assignee's (first) team. With no assignee the ticket waits in the team's queue."""
    if assignee is not None and not assignee.is_active:
        raise ValidationFailed.on("assignee", _("This user is not active."))
    with transaction.atomic():
        locked = _lock(ticket, version)
        if not locked.is_active:
            raise Conflict(detail=_("Reopen the ticket before assigning it."))
        target_team = team or locked.team
        if assignee is not None:
            if target_team is None:
                target_team = Team.objects.filter(memberships__user=assignee).order_by("pk").first()
            if target_team is not None and not assignee.memberships.filter(team=target_team).exists():
                raise ValidationFailed.on("assignee", _("This person is not a member of the ticket's team."))
        old_assignee, old_team = locked.assignee_id, locked.team_id
        new_assignee_id = assignee.pk if assignee else None
        new_team_id = target_team.pk if target_team else None
        if (old_assignee, old_team) == (new_assignee_id, new_team_id):
            return locked
        locked.assignee = assignee
        locked.team = target_team
        fields = ["assignee", "team"]
        if locked.status_category == StatusCategory.NEW and assignee is not None:
            fields += _set_status(locked, status_for(StatusCategory.OPEN))
        _save(locked, fields)
        event_record(
            actor=by,
            verb="ticket.assigned",
            target=locked,
            contact=locked.requester,
            data={
                "assignee": new_assignee_id,
                "team": new_team_id,
                "from_assignee": old_assignee,
                "from_team": old_team,
                "reason": "manual",
            },
        )
        if assignee is not None:
            notify(
                recipients=[assignee],
                kind=Kind.ASSIGNED,
                title=_("%(ref)s assigned to you: %(subject)s") % {"ref": locked.reference, "subject": locked.subject},
                url=ticket_url(locked),
                ticket=locked,
                exclude=by,
            )
        _broadcast(locked, "assigned", extra_users=[old_assignee], teams=[old_team])
        if old_assignee and old_assignee != new_assignee_id:
            transaction.on_commit(lambda: _freed_user(old_assignee))
        if assignee is None and new_team_id is not None:
            transaction.on_commit(lambda: _freed_capacity(new_team_id))
    return locked


def ticket_watch(*, ticket: Ticket, by: User, watch: bool = True) -> Ticket:
    """Follow a ticket (its notifications, and it stays visible to the watcher) or stop following it."""
    with transaction.atomic():
        locked = _lock(ticket)
        is_watching = locked.watchers.filter(pk=by.pk).exists()
        if watch == is_watching:
            return locked
        if watch:
            locked.watchers.add(by)
        else:
            locked.watchers.remove(by)
        event_record(
            actor=by,
            verb="ticket.watched" if watch else "ticket.unwatched",
            target=locked,
            contact=locked.requester,
        )
    return locked


# ---------------------------------------------------------------------------------------------- referral


def ticket_refer(
    *, ticket: Ticket, by: User, to_user: User | None = None, to_team: Team | None = None, note: str = ""
) -> Referral:
    """Hand the ticket to another person or team, with a note. The receiver accepts it or returns it; returning
    gives the ticket back to the team and assignee it had before."""
    if to_user is None and to_team is None:
        raise ValidationFailed.on("to_user", _("Refer to a person or a team."))
    if to_user is not None and not to_user.is_active:
        raise ValidationFailed.on("to_user", _("This user is not active."))
    if to_user is not None and to_team is not None and not to_user.memberships.filter(team=to_team).exists():
        raise ValidationFailed.on("to_user", _("This person is not a member of that team."))
    if len(note) > 5000:
        raise ValidationFailed.on("note", _("Use at most %(n)s characters.") % {"n": 5000})
    with transaction.atomic():
        locked = _lock(ticket)
        if not locked.is_active:
            raise Conflict(detail=_("Reopen the ticket before referring it."))
        if to_team is None and to_user is not None:
            member_teams = list(to_user.memberships.values_list("team_id", flat=True))
            to_team = (
                locked.team
                if locked.team_id in member_teams
                else Team.objects.filter(pk__in=member_teams).order_by("pk").first()
            )
        Referral.objects.filter(ticket=locked, state=Referral.State.PENDING).update(
            state=Referral.State.RETURNED, response_note=_("Superseded by a new referral."), responded_at=timezone.now()
        )
        referral = Referral.objects.create(
            ticket=locked,
            from_user=by,
            from_team=locked.team,
            to_user=to_user,
            to_team=to_team,
            note=note,
        )
        old_assignee, old_team = locked.assignee_id, locked.team_id
        locked.team = to_team or locked.team
        locked.assignee = to_user
        _save(locked, ["team", "assignee"])
        event_record(
            actor=by,
            verb="ticket.referred",
            target=locked,
            contact=locked.requester,
            data={
                "referral": referral.pk,
                "to_user": to_user.pk if to_user else None,
                "to_team": to_team.pk if to_team else None,
                # Who had the ticket before, so that returning the referral gives it back to them.
                "from_assignee": old_assignee,
                "from_team": old_team,
                "note": note[:500],
            },
        )
        if to_user is not None:
            recipients: list[User | None] = [to_user]
        else:
            team_obj = Team.objects.select_related("lead").get(pk=locked.team_id) if locked.team_id else None
            recipients = [team_obj.lead] if team_obj else []
            recipients += list(User.objects.filter(memberships__team_id=locked.team_id or 0, is_active=True))
        notify(
            recipients=recipients,
            kind=Kind.REFERRED,
            title=_("%(ref)s referred to you: %(subject)s") % {"ref": locked.reference, "subject": locked.subject},
            body=note,
            url=ticket_url(locked),
            ticket=locked,
            exclude=by,
        )
        _broadcast(locked, "referred", extra_users=[old_assignee], teams=[old_team])
        if old_assignee and old_assignee != locked.assignee_id:
            transaction.on_commit(lambda: _freed_user(old_assignee))
    return referral


def _holder_before(referral: Referral) -> tuple[int | None, int | None]:
    """(team id, assignee id) the ticket had when it was referred (from the referral's event), for a return."""
    from payvand.core.models import Event

    event = (
        Event.objects.filter(
            target_type=ContentType.objects.get_for_model(Ticket),
            target_id=str(referral.ticket_id),
            verb="ticket.referred",
            data__referral=referral.pk,
        )
        .order_by("-pk")
        .first()
    )
    if event is not None and "from_team" in event.data:
        return event.data.get("from_team"), event.data.get("from_assignee")
    return referral.from_team_id, referral.from_user_id


def referral_respond(*, referral: Referral, by: User, accept: bool, note: str = "") -> Referral:
    """The receiver (the person it was referred to, or a member of the team when it went to a team) or a dispatcher
    accepts the referral (and takes the ticket) or returns it: the ticket goes back to the team and person that had
    it before."""
    if len(note) > 5000:
        raise ValidationFailed.on("note", _("Use at most %(n)s characters.") % {"n": 5000})
    with transaction.atomic():
        # The ticket first, then the referral: the same order as ticket_refer, so the two never deadlock.
        ticket_id = Referral.objects.filter(pk=referral.pk).values_list("ticket_id", flat=True).first()
        if ticket_id is None:
            raise NotFound(detail=_("No such referral."))
        ticket = _lock(Ticket(pk=ticket_id))
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.state != Referral.State.PENDING:
            raise Conflict(detail=_("This referral has already been answered."))
        is_receiver = referral.to_user_id == by.pk or (
            referral.to_user_id is None and by.memberships.filter(team_id=referral.to_team_id or 0).exists()
        )
        if not is_receiver and not by.has_perm("helpdesk.dispatch_ticket"):
            raise PermissionDenied(detail=_("Only the person or team it was referred to can answer a referral."))
        if not ticket.is_active:
            raise Conflict(detail=_("The ticket is already %(status)s.") % {"status": ticket.status})
        referral.state = Referral.State.ACCEPTED if accept else Referral.State.RETURNED
        referral.response_note = note
        referral.responded_by = by
        referral.responded_at = timezone.now()
        referral.save(update_fields=["state", "response_note", "responded_by", "responded_at"])
        fields: list[str] = []
        old_assignee = ticket.assignee_id
        if accept:
            if ticket.assignee_id is None and by.memberships.filter(team_id=ticket.team_id or 0).exists():
                ticket.assignee = by
                fields.append("assignee")
            if ticket.status_category == StatusCategory.NEW and ticket.assignee_id is not None:
                fields += _set_status(ticket, status_for(StatusCategory.OPEN))
        else:
            team_id, assignee_id = _holder_before(referral)
            if team_id is not None and not Team.objects.filter(pk=team_id).exists():
                team_id = None
            ticket.team_id = team_id or ticket.team_id
            if assignee_id is not None:
                holder = User.objects.filter(pk=assignee_id, is_active=True).first()
                if holder is None or (
                    ticket.team_id is not None and not holder.memberships.filter(team_id=ticket.team_id).exists()
                ):
                    assignee_id = None
            ticket.assignee_id = assignee_id
            fields += ["team", "assignee"]
        if fields:
            _save(ticket, fields)
        else:
            _touch(ticket)
        event_record(
            actor=by,
            verb="referral.accepted" if accept else "referral.returned",
            target=ticket,
            contact=ticket.requester,
            data={"referral": referral.pk, "note": note[:500], "team": ticket.team_id, "assignee": ticket.assignee_id},
        )
        told = [referral.from_user] if referral.from_user_id and referral.from_user_id != by.pk else []
        if not accept and ticket.assignee_id and ticket.assignee_id not in (by.pk, referral.from_user_id):
            told.append(ticket.assignee)
        if told:
            notify(
                recipients=told,
                kind=Kind.REFERRED,
                title=(
                    _("%(ref)s: your referral was accepted")
                    if accept
                    else _("%(ref)s: the referral was returned to you")
                )
                % {"ref": ticket.reference},
                body=note,
                url=ticket_url(ticket),
                ticket=ticket,
                exclude=by,
            )
        _broadcast(ticket, "referral", extra_users=[referral.to_user_id], teams=[referral.to_team_id])
        if old_assignee and old_assignee != ticket.assignee_id:
            transaction.on_commit(lambda: _freed_user(old_assignee))
    return referral


# ---------------------------------------------------------------------------------------------- messages


MENTION_RE = re.compile(r"(?<![\w.])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def _mentioned_users(text: str) -> list[User]:
    """People mentioned as @their@email: only those who work on tickets (a mention lets them see the ticket)."""
    emails = {m.lower().rstrip(".") for m in MENTION_RE.findall(text)}
    if not emails:
        return []
    return list(users_with_perm(User.objects.filter(email__in=emails), "helpdesk.view_ticket").order_by("pk"))


def _needs_review(ticket: Ticket, by: User | None, kind: str) -> bool:
    if kind != Message.Kind.REPLY or by is None or ticket.team_id is None:
        return False
    if by.has_perm("helpdesk.review_message"):
        return False
    return TeamSettings.objects.filter(team_id=ticket.team_id, review_replies=True).exists()


def _attachments_clean(files: Iterable[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    from payvand.helpdesk.files import sniff_content_type

    out = []
    for f in files:
        if f.size is not None and f.size > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationFailed.on(
                "attachments",
                _("%(name)s is larger than %(mb)s MB.")
                % {"name": f.name, "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
            )
        out.append((f, sniff_content_type(f)))
    return out


def _message_body(body: str, is_html: bool) -> tuple[str, str]:
    """(text, sanitised HTML) of a message body."""
    if not is_html:
        return body.strip(), ""
    return _text_of(body), sanitize_html(body)


def _survivor(ticket: Ticket) -> Ticket:
    """The ticket a merged ticket lives on in (following merges of merges)."""
    seen = {ticket.pk}
    current = ticket
    while current.merged_into_id is not None and current.merged_into_id not in seen:
        seen.add(current.merged_into_id)
        current = Ticket.objects.get(pk=current.merged_into_id)
    return current


def message_add(
    *,
    ticket: Ticket,
    by: User | None,
    body: str,
    kind: str = Message.Kind.REPLY,
    is_html: bool = False,
    is_draft: bool = False,
    attachments: Iterable[UploadedFile] = (),
    author_contact: Contact | None = None,
    channel: str = "",
    external_id: str = "",
    reply_to_closed: str = "",
    automatic: bool = False,
) -> Message:
    """Add a public reply, an internal note or an inbound customer message. Replies of teams with review switched
    on wait for a dispatcher; drafts wait for their author. @name@example.com mentions notify those people.

    An inbound message on a merged ticket goes to the ticket it was merged into. On a resolved ticket it reopens
    it. On a closed or cancelled ticket it reopens it when `settings.TICKET_REPLY_TO_CLOSED` is "reopen";
    otherwise ("follow_up") it opens a new ticket linked to the old one as its follow-up, and the returned message
    belongs to that new ticket (`message.ticket`). `reply_to_closed` ("reopen" or "follow_up") overrides the setting
    for this message (a mailbox's own choice). An `automatic` reply (an automation rule's SMS) is sent like any
    other but is not the ticket's first response for the SLA."""
    errors: list[FieldError] = []
    if kind not in Message.Kind.values:
        errors.append(FieldError("kind", _("Unknown message kind.")))
    if len(body) > MAX_BODY:
        errors.append(FieldError("body", _("Use at most %(n)s characters.") % {"n": MAX_BODY}))
    if is_draft and kind == Message.Kind.INBOUND:
        errors.append(FieldError("is_draft", _("Only replies and notes can be drafts.")))
    if channel and channel not in Channel.values:
        errors.append(FieldError("channel", _("Unknown channel.")))
    if len(external_id) > 300:
        errors.append(FieldError("external_id", _("Use at most %(n)s characters.") % {"n": 300}))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    text, html = _message_body(body, is_html)
    files = _attachments_clean(attachments)
    if not text and not files:
        raise ValidationFailed.on("body", _("Write something or attach a file."))
    with transaction.atomic():
        locked = _lock(ticket)
        if batch.active():  # in a batch the ticket in hand was read in this transaction: keep its related rows
            _refresh_keeping(locked, ticket)
        if locked.merged_into_id:
            if kind != Message.Kind.INBOUND:
                raise Conflict(detail=_("This ticket was merged into another one; write there."))
            locked = _lock(_survivor(locked))
        if (
            kind == Message.Kind.INBOUND
            and locked.status_category in (StatusCategory.CLOSED, StatusCategory.CANCELLED)
            and (reply_to_closed or settings.TICKET_REPLY_TO_CLOSED) != "reopen"
        ):
            return _follow_up(
                closed=locked,
                by=by,
                body=body,
                text=text,
                is_html=is_html,
                files=[f for f, _type in files],
                author_contact=author_contact,
                channel=channel,
                external_id=external_id,
            )
        review = Message.Review.PENDING if not is_draft and _needs_review(locked, by, kind) else ""
        message = Message.objects.create(
            ticket=locked,
            kind=kind,
            author=by if by is not None and by.is_authenticated else None,
            author_contact=author_contact,
            channel=channel or _default_channel(locked, kind),
            body_text=text,
            body_html=html,
            is_draft=is_draft,
            review=review,
            external_id=external_id,
        )
        for f, content_type in files:
            Attachment.objects.create(
                message=message, file=f, name=(f.name or "file")[:255], content_type=content_type, size=f.size or 0
            )
        fields: list[str] = []
        if kind == Message.Kind.INBOUND and (
            not locked.is_active or locked.status_category == StatusCategory.PENDING_CUSTOMER
        ):
            fields += _set_status(locked, status_for(StatusCategory.OPEN))
        if fields:
            _save(locked, fields)
        else:
            _touch(locked)
        if kind == Message.Kind.INBOUND:
            sla_hooks.customer_wrote(locked, message.created_at)
        event_record(
            actor=by,
            verb="message.draft" if is_draft else f"message.{kind}",
            target=locked,
            contact=locked.requester,
            data={"message": message.pk, "review": review, **({"reopened": True} if fields else {})},
        )
        if not is_draft:
            _after_message(locked, message, by, automatic=automatic)
        if kind == Message.Kind.INBOUND:
            automation_hooks.message_received(locked)
    return message


def _default_channel(ticket: Ticket, kind: str) -> str:
    """A note has no channel; a reply goes back the way the customer last wrote (else the ticket's channel)."""
    if kind == Message.Kind.NOTE:
        return ""
    if kind == Message.Kind.REPLY:
        last = (
            Message.objects.filter(ticket=ticket, kind=Message.Kind.INBOUND)
            .exclude(channel="")
            .order_by("-created_at", "-id")
            .values_list("channel", flat=True)
            .first()
        )
        if last:
            return last
    return ticket.channel


def _follow_up(
    *,
    closed: Ticket,
    by: User | None,
    body: str,
    text: str,
    is_html: bool,
    files: list[UploadedFile],
    author_contact: Contact | None,
    channel: str,
    external_id: str,
) -> Message:
    """A customer wrote to a closed ticket: open a new one, linked to it as its follow-up, with the message."""
    subject = closed.subject
    common: dict[str, Any] = {
        "by": by,
        "subject": subject[:MAX_SUBJECT],
        "requester": author_contact or closed.requester,
        "description": text[:MAX_BODY],
        "channel": channel or closed.channel,
        "category": closed.category if closed.category is None or closed.category.is_active else None,
        "priority": closed.priority,
        "team": closed.team,
        "project": closed.project,
        "external_id": external_id,
    }
    ticket_type = closed.type if closed.type is not None and closed.type.is_active else None
    try:
        new = ticket_create(**common, type=ticket_type, form_values=closed.form_values or None)
    except ValidationFailed:
        # The old values no longer fit the type's form (it changed): the follow-up goes in without a type,
        # rather than the customer's message being lost; an agent sets the type.
        new = ticket_create(**common)
    TicketLink.objects.get_or_create(
        source=new, target=closed, kind=TicketLink.Kind.FOLLOW_UP, defaults={"created_by": None}
    )
    event_record(
        actor=by,
        verb="ticket.follow_up",
        target=closed,
        contact=closed.requester,
        data={"new_ticket": new.pk, "reference": new.reference},
    )
    return message_add(
        ticket=new,
        by=by,
        body=body,
        kind=Message.Kind.INBOUND,
        is_html=is_html,
        attachments=files,
        author_contact=author_contact,
        channel=channel,
        external_id=external_id,
    )


def _after_message(ticket: Ticket, message: Message, by: User | None, *, automatic: bool = False) -> None:
    """What a message that is no longer a draft sets off: mentions, review queue or sending, notifications."""
    mentioned: list[User] = []
    if message.kind != Message.Kind.INBOUND and message.author_id is not None:
        mentioned = [u for u in _mentioned_users(message.body_text) if by is None or u.pk != by.pk]
    for user in mentioned:
        Mention.objects.get_or_create(message=message, user=user)
    if mentioned:
        notify(
            recipients=mentioned,
            kind=Kind.MENTION,
            title=_("You were mentioned on %(ref)s") % {"ref": ticket.reference},
            body=message.body_text[:500],
            url=ticket_url(ticket),
            ticket=ticket,
            exclude=by,
        )
    if message.review == Message.Review.PENDING:
        candidates = User.objects.filter(
            Q(memberships__team_id=ticket.team_id) | Q(pk__in=_dispatchers(ticket.team_id))
        )
        notify(
            recipients=list(users_with_perm(candidates, "helpdesk.review_message")),
            kind=Kind.REVIEW,
            title=_("A reply on %(ref)s waits for your review") % {"ref": ticket.reference},
            body=message.body_text[:500],
            url=ticket_url(ticket),
            ticket=ticket,
            exclude=by,
        )
    elif message.kind == Message.Kind.REPLY:
        _send_reply(ticket, message, by, automatic=automatic)
    if message.kind in (Message.Kind.INBOUND, Message.Kind.NOTE):
        mentioned_ids = {u.pk for u in mentioned}
        notify(
            recipients=[u for u in _team_watchers(ticket) if u.pk not in mentioned_ids],
            kind=Kind.MESSAGE,
            title=_("New message on %(ref)s: %(subject)s") % {"ref": ticket.reference, "subject": ticket.subject},
            body=message.body_text[:500],
            url=ticket_url(ticket),
            ticket=ticket,
            exclude=by,
        )
    _broadcast(ticket, "message", extra_users=[u.pk for u in mentioned])


def _dispatchers(team_id: int | None) -> list[int]:
    if team_id is None:
        return []
    return list(
        TeamContact.objects.filter(team_id=team_id, role=TeamContact.Role.DISPATCHER).values_list("user_id", flat=True)
    )


def _send_reply(ticket: Ticket, message: Message, by: User | None, *, automatic: bool = False) -> None:
    """Mark the reply sent and hand it to the outbound channel (email to the requester for now), after commit. An
    automatic reply leaves the first-response time and the SLA clocks alone."""
    now = timezone.now()
    message.sent_at = now
    message.save(update_fields=["sent_at"])
    if not automatic:
        if Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(first_response_at=now):
            ticket.first_response_at = now
        sla_hooks.agent_replied(ticket, now)
    message_id = message.pk
    from payvand.helpdesk.tasks import reply_deliver

    transaction.on_commit(lambda: reply_deliver.enqueue(message_id=message_id))


def _message_lock(message: Message) -> tuple[Ticket, Message]:
    """Lock the message's ticket, then the message (the order every writer uses)."""
    ticket_id = Message.objects.filter(pk=message.pk).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise NotFound(detail=_("No such message."))
    ticket = _lock(Ticket(pk=ticket_id))
    locked = Message.objects.select_for_update().get(pk=message.pk)
    locked.ticket = ticket
    return ticket, locked


def message_draft_update(*, message: Message, by: User, body: str, is_html: bool = False) -> Message:
    """The author changes the text of their draft (or of a reply sent back to them by the reviewer)."""
    if len(body) > MAX_BODY:
        raise ValidationFailed.on("body", _("Use at most %(n)s characters.") % {"n": MAX_BODY})
    text, html = _message_body(body, is_html)
    with transaction.atomic():
        ticket, message = _message_lock(message)
        if message.author_id != by.pk:
            raise PermissionDenied(detail=_("Only the author can change a draft."))
        if not message.is_draft:
            raise Conflict(detail=_("This message has already been sent."))
        if not text and not message.attachments.exists():
            raise ValidationFailed.on("body", _("Write something or attach a file."))
        message.body_text, message.body_html = text, html
        message.save(update_fields=["body_text", "body_html"])
    return message


def message_publish_draft(*, message: Message, by: User) -> Message:
    """The author sends their draft: it goes to review (teams with review) or out, like a new message."""
    with transaction.atomic():
        ticket, message = _message_lock(message)
        if message.author_id != by.pk:
            raise PermissionDenied(detail=_("Only the author can send a draft."))
        if not message.is_draft:
            raise Conflict(detail=_("This message has already been sent."))
        if ticket.merged_into_id:
            raise Conflict(detail=_("This ticket was merged into another one; write there."))
        message.is_draft = False
        message.review = Message.Review.PENDING if _needs_review(ticket, by, message.kind) else ""
        message.created_at = timezone.now()
        message.save(update_fields=["is_draft", "review", "created_at"])
        _touch(ticket)
        event_record(
            actor=by,
            verb=f"message.{message.kind}",
            target=ticket,
            contact=ticket.requester,
            data={"message": message.pk, "review": message.review},
        )
        _after_message(ticket, message, by)
    return message


def message_review(
    *,
    message: Message,
    by: User,
    approve: bool,
    body: str | None = None,
    note: str = "",
    is_html: bool = False,
) -> Message:
    """A dispatcher approves a reply (optionally edited: then it goes out as edited), or sends it back to its
    author as a draft, with a note."""
    if not by.has_perm("helpdesk.review_message"):
        raise PermissionDenied(detail=_("You may not review replies."))
    if body is not None and len(body) > MAX_BODY:
        raise ValidationFailed.on("body", _("Use at most %(n)s characters.") % {"n": MAX_BODY})
    with transaction.atomic():
        ticket, message = _message_lock(message)
        if message.review != Message.Review.PENDING:
            raise Conflict(detail=_("This reply is not waiting for review."))
        fields = ["review", "reviewed_by", "review_note"]
        if body is not None:
            text, html = _message_body(body, is_html)
            if not text:
                raise ValidationFailed.on("body", _("Write something."))
            message.body_text, message.body_html = text, html
            fields += ["body_text", "body_html"]
        message.review = Message.Review.APPROVED if approve else Message.Review.RETURNED
        message.reviewed_by = by
        message.review_note = note[:5000]
        if not approve:
            message.is_draft = True  # back with the author, to edit and send again
            fields.append("is_draft")
        message.save(update_fields=fields)
        event_record(
            actor=by,
            verb="message.approved" if approve else "message.returned",
            target=ticket,
            contact=ticket.requester,
            data={"message": message.pk, "edited": body is not None, "note": note[:500]},
        )
        if approve:
            _send_reply(ticket, message, by)
            _touch(ticket)
        if message.author_id:
            notify(
                recipients=[message.author],
                kind=Kind.REVIEW_DONE,
                title=(_("Your reply on %(ref)s was approved") if approve else _("Your reply on %(ref)s was sent back"))
                % {"ref": ticket.reference},
                body=note,
                url=ticket_url(ticket),
                ticket=ticket,
                exclude=by,
            )
        _broadcast(ticket, "review", extra_users=[message.author_id])
    return message


def message_split(*, message: Message, by: User, subject: str = "") -> Ticket:
    """Move one message out into a new ticket for the same requester, linked to the original."""
    if len(subject) > MAX_SUBJECT:
        raise ValidationFailed.on("subject", _("Use at most %(n)s characters.") % {"n": MAX_SUBJECT})
    with transaction.atomic():
        source, message = _message_lock(message)
        if message.is_draft:
            raise Conflict(detail=_("A draft can't be split out; send it first."))
        if source.merged_into_id:
            raise Conflict(detail=_("This ticket was merged into another one."))
        default_subject = _("Split from %(ref)s: %(subject)s") % {"ref": source.reference, "subject": source.subject}
        new = ticket_create(
            by=by,
            subject=(subject.strip() or default_subject)[:MAX_SUBJECT],
            requester=message.author_contact or source.requester,
            description=message.body_text[:MAX_BODY],
            channel=message.channel or source.channel,
            type=source.type if source.type is not None and source.type.is_active else None,
            category=source.category if source.category is not None and source.category.is_active else None,
            priority=source.priority,
            team=source.team,
            project=source.project,
            form_values=source.form_values or None,
        )
        Message.objects.filter(pk=message.pk).update(ticket=new)
        TicketLink.objects.get_or_create(
            source=new, target=source, kind=TicketLink.Kind.SPLIT, defaults={"created_by": by}
        )
        _touch(source)
        event_record(
            actor=by,
            verb="ticket.split",
            target=source,
            contact=source.requester,
            data={"message": message.pk, "new_ticket": new.pk, "reference": new.reference},
        )
        event_record(
            actor=by,
            verb="ticket.split_from",
            target=new,
            contact=new.requester,
            data={"message": message.pk, "from": source.pk, "reference": source.reference},
        )
        _broadcast(source, "split")
    return new


# ---------------------------------------------------------------------------------------------- merge and link


def ticket_link(*, source: Ticket, target: Ticket, by: User, kind: str = TicketLink.Kind.RELATED) -> TicketLink:
    if source.pk == target.pk:
        raise ValidationFailed.on("target", _("A ticket can't be linked to itself."))
    if kind not in TicketLink.Kind.values:
        raise ValidationFailed.on("kind", _("Unknown link kind."))
    with transaction.atomic():
        link, created = TicketLink.objects.get_or_create(
            source=source, target=target, kind=kind, defaults={"created_by": by}
        )
        if not created:
            return link
        event_record(
            actor=by,
            verb="ticket.linked",
            target=source,
            contact=source.requester,
            data={"target": target.pk, "kind": kind, "reference": target.reference},
        )
    return link


def ticket_merge(*, survivor: Ticket, duplicate: Ticket, by: User) -> Ticket:
    """Merge `duplicate` into `survivor`: messages, tasks, worklogs and watchers move; the duplicate closes and
    points to the survivor."""
    if survivor.pk == duplicate.pk:
        raise ValidationFailed.on("into", _("A ticket can't be merged into itself."))
    if not by.has_perm("helpdesk.merge_ticket"):
        raise PermissionDenied(detail=_("You may not merge tickets."))
    with transaction.atomic():
        first, second = sorted([survivor.pk, duplicate.pk])
        locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
        if len(locked) != 2:
            raise NotFound(detail=_("No such ticket."))
        keep, gone = locked[survivor.pk], locked[duplicate.pk]
        if gone.merged_into_id:
            raise Conflict(detail=_("%(ref)s was already merged.") % {"ref": gone.reference})
        if keep.merged_into_id:
            raise Conflict(detail=_("%(ref)s was merged into another ticket.") % {"ref": keep.reference})
        if keep.status_category == StatusCategory.CANCELLED:
            raise Conflict(detail=_("%(ref)s is cancelled; merge into an open ticket.") % {"ref": keep.reference})
        moved = {
            "messages": Message.objects.filter(ticket=gone).update(ticket=keep),
            "tasks": Task.objects.filter(ticket=gone).update(ticket=keep),
            "worklogs": WorkLog.objects.filter(ticket=gone).update(ticket=keep),
        }
        _minutes_recount(keep.pk)
        _minutes_recount(gone.pk)
        watchers = list(gone.watchers.all())
        keep.watchers.add(*watchers)
        moved["watchers"] = len(watchers)
        keep.tags.add(*gone.tags.all())
        Referral.objects.filter(ticket=gone, state=Referral.State.PENDING).update(
            state=Referral.State.RETURNED,
            response_note=_("Merged into %(ref)s.") % {"ref": keep.reference},
            responded_at=timezone.now(),
        )
        old_assignee, old_team, previous_category = gone.assignee_id, gone.team_id, gone.status_category
        gone.merged_into = keep
        fields = ["merged_into", *_set_status(gone, status_for(StatusCategory.CLOSED))]
        gone.resolution = _("Merged into %(ref)s.") % {"ref": keep.reference}
        fields.append("resolution")
        _save(gone, fields)
        _touch(keep)
        TicketLink.objects.get_or_create(
            source=gone, target=keep, kind=TicketLink.Kind.DUPLICATE, defaults={"created_by": by}
        )
        event_record(
            actor=by,
            verb="ticket.merged",
            target=gone,
            contact=gone.requester,
            data={"into": keep.pk, "reference": keep.reference, **moved},
        )
        event_record(
            actor=by,
            verb="ticket.merged_in",
            target=keep,
            contact=keep.requester,
            data={"from": gone.pk, "reference": gone.reference, **moved},
        )
        _broadcast(keep, "merged", extra_users=[old_assignee], teams=[old_team])
        if old_assignee and gone.status_category != previous_category and previous_category in ACTIVE_CATEGORIES:
            transaction.on_commit(lambda: _freed_user(old_assignee))
    keep.refresh_from_db()
    return keep


# ---------------------------------------------------------------------------------------------- life cycle


def _open_mandatory_tasks(ticket: Ticket) -> list[Task]:
    if ticket.type is not None and not ticket.type.tasks_mandatory:
        return []
    return list(ticket.tasks.filter(mandatory=True, state__in=[Task.State.OPEN, Task.State.IN_PROGRESS]))


def ticket_resolve(*, ticket: Ticket, by: User, resolution: str = "", version: int | None = None) -> Ticket:
    """Resolve the ticket. Someone without the closing right only proposes the resolution; a ticket with an open
    mandatory task can't be resolved."""
    if len(resolution) > MAX_BODY:
        raise ValidationFailed.on("resolution", _("Use at most %(n)s characters.") % {"n": MAX_BODY})
    with transaction.atomic():
        locked = _lock(ticket, version)
        if not locked.is_active:
            raise Conflict(detail=_("This ticket is already %(status)s.") % {"status": locked.status})
        open_tasks = _open_mandatory_tasks(locked)
        if open_tasks:
            raise Conflict(
                detail=_("Finish or cancel its mandatory tasks first."),
                errors=[FieldError("tasks", t.title) for t in open_tasks],
            )
        if not user_may_close(user=by, ticket=locked):
            locked.proposed_resolution = resolution
            _save(locked, ["proposed_resolution"])
            event_record(
                actor=by,
                verb="ticket.resolution_proposed",
                target=locked,
                contact=locked.requester,
                data={"resolution": resolution[:1000]},
            )
            notify(
                recipients=_closers(locked),
                kind=Kind.STATUS,
                title=_("%(ref)s: a resolution is proposed") % {"ref": locked.reference},
                body=resolution,
                url=ticket_url(locked),
                ticket=locked,
                exclude=by,
            )
            _broadcast(locked, "proposed")
            return locked
        locked.resolution = resolution or locked.proposed_resolution
        fields = ["resolution", *_set_status(locked, status_for(StatusCategory.RESOLVED))]
        _save(locked, fields)
        _after_done(locked, by, "ticket.resolved")
    return locked


def _closers(ticket: Ticket) -> list[User]:
    candidates = [p for p in _team_watchers(ticket)]
    return [u for u in candidates if user_may_close(user=u, ticket=ticket)]


def _after_done(ticket: Ticket, by: User, verb: str) -> None:
    event_record(
        actor=by,
        verb=verb,
        target=ticket,
        contact=ticket.requester,
        data={"resolution": ticket.resolution[:1000], "reason": ticket.cancel_reason[:1000]},
    )
    notify(
        recipients=_team_watchers(ticket),
        kind=Kind.STATUS,
        title=_("%(ref)s is now %(status)s") % {"ref": ticket.reference, "status": ticket.status},
        url=ticket_url(ticket),
        ticket=ticket,
        exclude=by,
    )
    if verb in ("ticket.resolved", "ticket.closed"):
        ticket_id, verb_name = ticket.pk, verb
        from payvand.helpdesk.tasks import requester_status_notify

        transaction.on_commit(lambda: requester_status_notify.enqueue(ticket_id=ticket_id, verb=verb_name))
    _broadcast(ticket, verb.split(".")[1])
    assignee_id = ticket.assignee_id
    if assignee_id is not None:
        transaction.on_commit(lambda: _freed_user(assignee_id))


def ticket_close(*, ticket: Ticket, by: User, resolution: str = "", version: int | None = None) -> Ticket:
    with transaction.atomic():
        locked = _lock(ticket, version)
        if not user_may_close(user=by, ticket=locked):
            raise PermissionDenied(detail=_("You may not close this ticket; propose a resolution instead."))
        if locked.status_category in (StatusCategory.CLOSED, StatusCategory.CANCELLED):
            raise Conflict(detail=_("This ticket is already %(status)s.") % {"status": locked.status})
        open_tasks = _open_mandatory_tasks(locked)
        if open_tasks:
            raise Conflict(
                detail=_("Finish or cancel its mandatory tasks first."),
                errors=[FieldError("tasks", t.title) for t in open_tasks],
            )
        if resolution:
            locked.resolution = resolution[:MAX_BODY]
        elif not locked.resolution:
            locked.resolution = locked.proposed_resolution
        fields = ["resolution", *_set_status(locked, status_for(StatusCategory.CLOSED))]
        _save(locked, fields)
        _after_done(locked, by, "ticket.closed")
    return locked


def ticket_cancel(*, ticket: Ticket, by: User, reason: str, version: int | None = None) -> Ticket:
    if not reason.strip():
        raise ValidationFailed.on("reason", _("Say why the ticket is cancelled."))
    with transaction.atomic():
        locked = _lock(ticket, version)
        if not locked.is_active:
            raise Conflict(detail=_("This ticket is already %(status)s.") % {"status": locked.status})
        if not user_may_close(user=by, ticket=locked):
            raise PermissionDenied(detail=_("You may not cancel this ticket."))
        locked.cancel_reason = reason.strip()[:5000]
        fields = ["cancel_reason", *_set_status(locked, status_for(StatusCategory.CANCELLED))]
        _save(locked, fields)
        _after_done(locked, by, "ticket.cancelled")
    return locked


def ticket_postpone(
    *, ticket: Ticket, by: User, until: dt.datetime, note: str = "", version: int | None = None
) -> Ticket:
    """Put the ticket aside until a date; the scheduler (`postponed_wake`) reopens it then."""
    if not isinstance(until, dt.datetime):
        raise ValidationFailed.on("until", _("Give a date and time."))
    until = _aware(until) or until
    if until <= timezone.now():
        raise ValidationFailed.on("until", _("Postpone to a time in the future."))
    if until > timezone.now() + dt.timedelta(days=3660):
        raise ValidationFailed.on("until", _("Postpone by at most ten years."))
    with transaction.atomic():
        locked = _lock(ticket, version)
        if not locked.is_active:
            raise Conflict(detail=_("Reopen the ticket before postponing it."))
        fields = _set_status(locked, status_for(StatusCategory.POSTPONED))
        locked.postponed_until = until
        fields.append("postponed_until")
        _save(locked, fields)
        event_record(
            actor=by,
            verb="ticket.postponed",
            target=locked,
            contact=locked.requester,
            data={"until": until.isoformat(), "note": note[:500]},
        )
        _broadcast(locked, "postponed")
    return locked


def ticket_set_status(*, ticket: Ticket, by: User, status: Status, version: int | None = None) -> Ticket:
    """Move to a status of an active category (custom statuses included)."""
    return ticket_update(ticket=ticket, by=by, version=version, status=status)


def ticket_reopen(*, ticket: Ticket, by: User | None, reason: str = "", version: int | None = None) -> Ticket:
    """Open a resolved, closed or cancelled ticket again: the team's reopen roles decide who may (anyone who can
    change tickets when it set none); `by=None` is the system (a customer's reply)."""
    with transaction.atomic():
        locked = _lock(ticket, version)
        if locked.is_active:
            raise Conflict(detail=_("This ticket is open."))
        if locked.merged_into_id:
            raise Conflict(
                detail=_("A merged ticket can't be reopened; work on %(ref)s.")
                % {"ref": locked.merged_into.reference if locked.merged_into else ""}
            )
        if by is not None and not user_may_reopen(user=by, ticket=locked):
            raise PermissionDenied(detail=_("You may not reopen this ticket."))
        fields = _set_status(locked, status_for(StatusCategory.OPEN))
        if locked.cancel_reason:
            locked.cancel_reason = ""
            fields.append("cancel_reason")
        _save(locked, fields)
        event_record(
            actor=by, verb="ticket.reopened", target=locked, contact=locked.requester, data={"reason": reason[:500]}
        )
        _broadcast(locked, "reopened")
    return locked


def postponed_wake(*, now: dt.datetime | None = None) -> int:
    """Reopen postponed tickets whose date has come (run by the scheduler)."""
    now = now or timezone.now()
    woken = 0
    for ticket in Ticket.objects.filter(status_category=StatusCategory.POSTPONED, postponed_until__lte=now)[:500]:
        with transaction.atomic():
            locked = _lock(ticket)
            if locked.status_category != StatusCategory.POSTPONED:
                continue
            _save(locked, _set_status(locked, status_for(StatusCategory.OPEN)))
            event_record(actor=None, verb="ticket.woken", target=locked, contact=locked.requester)
            _broadcast(locked, "woken")
            woken += 1
    return woken


# ---------------------------------------------------------------------------------------------- tasks and time


def _task_assignee_errors(
    *, assignee: User | None, team: Team | None, required_skill: Skill | None
) -> list[FieldError]:
    errors = []
    if assignee is not None and not assignee.is_active:
        errors.append(FieldError("assignee", _("This user is not active.")))
    elif assignee is not None and team is not None and not assignee.memberships.filter(team=team).exists():
        errors.append(FieldError("assignee", _("This person is not a member of that team.")))
    elif (
        required_skill is not None
        and assignee is not None
        and not assignee.skills.filter(pk=required_skill.pk).exists()
    ):
        errors.append(FieldError("assignee", _("This person does not have the required skill.")))
    return errors


def _task_notify(task: Task, ticket: Ticket, by: User) -> None:
    """Tell the task's assignee (or, for a team's task, its members) about it."""
    recipients: list[User | None] = [task.assignee] if task.assignee_id else []
    if task.assignee_id is None and task.team_id is not None:
        members = User.objects.filter(memberships__team_id=task.team_id, is_active=True)
        if task.required_skill_id is not None:
            members = members.filter(skills=task.required_skill_id)
        recipients = list(members)
    notify(
        recipients=recipients,
        kind=Kind.TASK,
        title=_("New task on %(ref)s: %(title)s") % {"ref": ticket.reference, "title": task.title},
        body=task.description[:500],
        url=ticket_url(ticket),
        ticket=ticket,
        exclude=by,
    )


def task_create(
    *,
    ticket: Ticket,
    by: User,
    title: str,
    description: str = "",
    assignee: User | None = None,
    team: Team | None = None,
    required_skill: Any = None,
    due_at: dt.datetime | None = None,
    mandatory: bool = True,
) -> Task:
    """Add a task to an open ticket, for a person or a team. With a required skill the assignee must have it;
    without an assignee, the first member of the ticket's team who has the skill gets it. The assignee (or the
    team's members) are notified."""
    errors = []
    if not title.strip():
        errors.append(FieldError("title", _("Give the task a title.")))
    elif len(title) > 300:
        errors.append(FieldError("title", _("Use at most %(n)s characters.") % {"n": 300}))
    if len(description) > MAX_BODY:
        errors.append(FieldError("description", _("Use at most %(n)s characters.") % {"n": MAX_BODY}))
    errors += _task_assignee_errors(assignee=assignee, team=team, required_skill=required_skill)
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    with transaction.atomic():
        locked = _lock(ticket)
        if not locked.is_active:
            raise Conflict(detail=_("Reopen the ticket before adding tasks."))
        if assignee is None and team is None and required_skill is not None and locked.team_id:
            assignee = (
                User.objects.filter(memberships__team_id=locked.team_id, skills=required_skill, is_active=True)
                .order_by("pk")
                .first()
            )
        task = Task.objects.create(
            ticket=locked,
            title=title.strip(),
            description=description,
            assignee=assignee,
            team=team,
            required_skill=required_skill,
            due_at=_aware(due_at),
            mandatory=mandatory,
            created_by=by,
        )
        _touch(locked)
        event_record(
            actor=by,
            verb="task.created",
            target=locked,
            contact=locked.requester,
            data={"task": task.pk, "title": task.title, "assignee": assignee.pk if assignee else None},
        )
        _task_notify(task, locked, by)
        _broadcast(locked, "task", extra_users=[assignee.pk if assignee else None], teams=[team.pk if team else None])
    return task


TASK_FIELDS = {"title", "description", "assignee", "team", "due_at", "state", "mandatory"}


def task_update(*, task: Task, by: User, **changes: Any) -> Task:
    """Change a task: its title, description, assignee or team, due date, status or whether it is mandatory.
    Marking it done writes `task.done`; a new assignee is notified."""
    unknown = set(changes) - TASK_FIELDS
    if unknown:
        raise ValidationFailed.on(sorted(unknown)[0], _("This field cannot be changed here."))
    errors = []
    if "state" in changes and changes["state"] not in Task.State.values:
        errors.append(FieldError("state", _("Unknown task status.")))
    if "title" in changes:
        title = changes["title"] if isinstance(changes["title"], str) else ""
        if not title.strip():
            errors.append(FieldError("title", _("Give the task a title.")))
        elif len(title) > 300:
            errors.append(FieldError("title", _("Use at most %(n)s characters.") % {"n": 300}))
        else:
            changes["title"] = title.strip()
    if "description" in changes and len(changes["description"] or "") > MAX_BODY:
        errors.append(FieldError("description", _("Use at most %(n)s characters.") % {"n": MAX_BODY}))
    if "due_at" in changes:
        changes["due_at"] = _aware(changes["due_at"])
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    with transaction.atomic():
        ticket_id = Task.objects.filter(pk=task.pk).values_list("ticket_id", flat=True).first()
        if ticket_id is None:
            raise NotFound(detail=_("No such task."))
        ticket = _lock(Ticket(pk=ticket_id))  # the ticket first, then the task: the order merge uses
        task = Task.objects.select_for_update(of=("self",)).select_related("required_skill").get(pk=task.pk)
        if "assignee" in changes or "team" in changes:
            errors = _task_assignee_errors(
                assignee=changes.get("assignee", task.assignee),
                team=changes.get("team", task.team),
                required_skill=task.required_skill,
            )
            if errors:
                raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
        old_assignee = task.assignee_id
        changed = []
        for name, value in changes.items():
            key = f"{name}_id" if name in ("assignee", "team") else name
            new_value = value.pk if name in ("assignee", "team") and value is not None else value
            if getattr(task, key) != new_value:
                setattr(task, name, value)
                changed.append(name)
        if not changed:
            return task
        if "state" in changed:
            task.done_at = timezone.now() if task.state == Task.State.DONE else None
            changed.append("done_at")
        task.updated_at = timezone.now()
        task.save(update_fields=[*changed, "updated_at"])
        _touch(ticket)
        done = "state" in changed and task.state == Task.State.DONE
        event_record(
            actor=by,
            verb="task.done" if done else "task.updated",
            target=ticket,
            contact=ticket.requester,
            data={"task": task.pk, "fields": sorted(set(changed) - {"done_at"}), "title": task.title},
        )
        handed_over = "assignee" in changed or "team" in changed
        if handed_over and (task.assignee_id or task.team_id):
            _task_notify(task, ticket, by)
        _broadcast(ticket, "task", extra_users=[task.assignee_id, old_assignee], teams=[task.team_id])
        if done:
            automation_hooks.task_done(ticket)
    task.ticket = ticket
    return task


def worklog_add(
    *,
    ticket: Ticket,
    by: User,
    minutes: int,
    billable: bool = False,
    note: str = "",
    task: Task | None = None,
    started_at: dt.datetime | None = None,
    user: User | None = None,
) -> WorkLog:
    """Log time on a ticket or one of its tasks: 1 to 1440 minutes, not in the future. Only dispatchers and
    supervisors log time for someone else."""
    errors = []
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0 or minutes > 24 * 60:
        errors.append(FieldError("minutes", _("Log between 1 and 1440 minutes.")))
    if task is not None and task.ticket_id != ticket.pk:
        errors.append(FieldError("task", _("This task belongs to another ticket.")))
    started_at = _aware(started_at)
    if started_at is not None and started_at > timezone.now() + dt.timedelta(minutes=5):
        errors.append(FieldError("started_at", _("Work can't be logged in the future.")))
    if len(note) > 5000:
        errors.append(FieldError("note", _("Use at most %(n)s characters.") % {"n": 5000}))
    if user is not None and not user.is_active:
        errors.append(FieldError("user", _("This user is not active.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    if user is not None and user.pk != by.pk and not by.has_perm("helpdesk.dispatch_ticket"):
        raise PermissionDenied(detail=_("You can only log your own time."))
    with transaction.atomic():
        locked = _lock(ticket)
        log = WorkLog.objects.create(
            ticket=locked,
            task=task,
            user=user or by,
            minutes=minutes,
            billable=bool(billable),
            note=note,
            started_at=started_at or timezone.now(),
        )
        Ticket.objects.filter(pk=locked.pk).update(minutes_spent=F("minutes_spent") + minutes)
        _touch(locked)
        event_record(
            actor=by,
            verb="worklog.added",
            target=locked,
            contact=locked.requester,
            data={
                "worklog": log.pk,
                "minutes": minutes,
                "billable": bool(billable),
                "task": task.pk if task else None,
                "user": log.user_id,
            },
        )
        _broadcast(locked, "worklog")
    return log


def worklog_delete(*, worklog: WorkLog, by: User) -> None:
    """Remove logged time: your own, or anyone's with the right to delete work logs."""
    if worklog.user_id != by.pk and not by.has_perm("helpdesk.delete_worklog"):
        raise PermissionDenied(detail=_("You can only remove your own time."))
    with transaction.atomic():
        ticket = _lock(Ticket(pk=worklog.ticket_id))
        minutes = WorkLog.objects.filter(pk=worklog.pk).values_list("minutes", flat=True).first()
        deleted, _details = WorkLog.objects.filter(pk=worklog.pk).delete()
        if not deleted or minutes is None:
            raise NotFound(detail=_("No such work log."))
        _minutes_recount(ticket.pk)
        event_record(
            actor=by,
            verb="worklog.removed",
            target=ticket,
            contact=ticket.requester,
            data={"worklog": worklog.pk, "minutes": worklog.minutes},
        )
        _touch(ticket)
        _broadcast(ticket, "worklog")


# ---------------------------------------------------------------------------------------------- people and views


def availability_set(*, user: User, availability: str) -> User:
    """An agent goes online, away or off. Coming online lets their teams' waiting tickets in (after commit)."""
    from payvand.accounts.models import Availability

    if availability not in Availability.values:
        raise ValidationFailed.on("availability", _("Choose online, away or off."))
    with transaction.atomic():
        before = User.objects.filter(pk=user.pk).values_list("availability", flat=True).first()
        User.objects.filter(pk=user.pk).update(availability=availability)
        user.availability = availability
        if before == availability:
            return user
        event_record(
            actor=user, verb="user.availability", target=user, data={"availability": availability, "before": before}
        )
        if availability == Availability.ONLINE:
            user_id = user.pk
            transaction.on_commit(lambda: _freed_user(user_id))
    return user


SAVED_VIEW_FILTERS = {
    "status",
    "team",
    "assignee",
    "requester",
    "project",
    "search",
    "priority",
    "type",
    "category",
    "channel",
    "tag",
    "list",
}
SAVED_VIEW_SORTS = {
    "-updated_at",
    "updated_at",
    "-created_at",
    "created_at",
    "-priority",
    "priority",
    "due_at",
    "-due_at",
}


MAX_SAVED_VIEWS = 50


def saved_view_save(*, user: User, name: str, filters: dict[str, Any], sort: str = "-updated_at") -> SavedView:
    """Save (or overwrite, by name) one of the user's own cartable views. The filters are the ticket list's
    (`form.<field>` ones included) and are checked the way the list checks them."""
    from payvand.helpdesk.selectors import ticket_filter

    errors = []
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        errors.append(FieldError("name", _("Give the view a name of at most 100 characters.")))
    if not isinstance(filters, dict):
        errors.append(FieldError("filters", _("Give the filters as names and values.")))
        filters = {}
    unknown = {
        str(k)
        for k in filters
        if k not in SAVED_VIEW_FILTERS and not (isinstance(k, str) and k.startswith("form.") and 5 < len(k) <= 64)
    }
    if unknown:
        errors.append(FieldError("filters", _("Unknown filter: %(name)s") % {"name": sorted(unknown)[0][:64]}))
    if sort not in SAVED_VIEW_SORTS:
        errors.append(FieldError("sort", _("Unknown sort order.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    clean = {k: str(v)[:200] for k, v in filters.items() if v not in (None, "")}
    ticket_filter(Ticket.objects.none(), user=user, filters=clean)  # raises ValidationFailed for bad values
    name = name.strip()
    if (
        not SavedView.objects.filter(user=user, name=name).exists()
        and SavedView.objects.filter(user=user).count() >= MAX_SAVED_VIEWS
    ):
        raise ValidationFailed.on("name", _("You can keep at most %(n)s views.") % {"n": MAX_SAVED_VIEWS})
    with transaction.atomic():
        view, _created = SavedView.objects.update_or_create(
            user=user, name=name, defaults={"filters": clean, "sort": sort}
        )
    return view


def saved_view_delete(*, user: User, view_id: int) -> None:
    deleted, _details = SavedView.objects.filter(user=user, pk=view_id).delete()
    if not deleted:
        raise NotFound(detail=_("No such view."))


def team_settings_for(team: Team) -> TeamSettings:
    return TeamSettings.objects.get_or_create(team=team)[0]


def team_settings_update(
    *,
    team: Team,
    by: User,
    strategy: str | None = None,
    review_replies: bool | None = None,
    close_roles: Iterable[Group] | None = None,
    reopen_roles: Iterable[Group] | None = None,
) -> TeamSettings:
    """Change how a team works (routing strategy, reply review, close and reopen roles); needs the right to change
    team settings."""
    if by is not None and not by.has_perm("helpdesk.change_teamsettings"):
        raise PermissionDenied(detail=_("You may not change team settings."))
    if strategy is not None and strategy not in TeamSettings.Strategy.values:
        raise ValidationFailed.on("strategy", _("Unknown routing strategy."))
    with transaction.atomic():
        row = team_settings_for(team)
        if strategy is not None:
            row.strategy = strategy
        if review_replies is not None:
            row.review_replies = review_replies
        row.save()
        if close_roles is not None:
            row.close_roles.set(list(close_roles))
        if reopen_roles is not None:
            row.reopen_roles.set(list(reopen_roles))
        event_record(
            actor=by,
            verb="team.helpdesk_settings",
            target=team,
            data={"strategy": row.strategy, "review_replies": row.review_replies},
        )
    transaction.on_commit(lambda: _freed_capacity(team.pk))
    return row
