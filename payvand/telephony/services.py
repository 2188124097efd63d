"""Every write of the telephony app: call events from the PBX, and what agents do with a call."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.contacts import selectors as contact_selectors
from payvand.contacts import services as contact_services
from payvand.contacts.models import Contact
from payvand.contacts.normalize import normalize_phone, phone_display
from payvand.core.errors import FieldError, PermissionDenied, ValidationFailed
from payvand.core.services import event_record
from payvand.helpdesk import selectors as ticket_selectors
from payvand.helpdesk import services as ticket_services
from payvand.helpdesk.models import Channel, Ticket
from payvand.notifications import live
from payvand.telephony.models import (
    Appointment,
    AppointmentKind,
    Call,
    Callback,
    CallEvent,
    Direction,
    EventKind,
    Outcome,
    State,
    WrapUpCode,
)

log = logging.getLogger(__name__)

# How far a PBX clock may be off: an event dated outside this window is refused (a wrong year, a unit mix-up).
CLOCK_SKEW = dt.timedelta(days=2)
END_OUTCOMES = (Outcome.MISSED, Outcome.VOICEMAIL, Outcome.BUSY)


def caller_e164(raw: str) -> str:
    """The E.164 form of a caller number in any format (Persian digits, IR and HU local forms), or ""."""
    try:
        return normalize_phone(raw)
    except ValueError:
        return ""


@dataclass(frozen=True, slots=True)
class EventResult:
    call: Call
    event: CallEvent
    created: bool


def _validate(kind: str, outcome: str, at: dt.datetime, now: dt.datetime) -> None:
    errors: list[FieldError] = []
    if kind not in EventKind.values:
        errors.append(FieldError("event", _("Unknown call event.")))
    if outcome and outcome not in Outcome.values:
        errors.append(FieldError("outcome", _("Unknown outcome.")))
    if abs(at - now) > CLOCK_SKEW:
        errors.append(FieldError("at", _("The event time is too far from now.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)


# The agents at each extension, kept in this process for AGENT_CACHE_SECONDS: the event path reads it on every
# event, and extensions change rarely (an admin edits them). `agent_cache_clear()` forgets it at once.
_AGENTS: dict[str, tuple[float, list[int]]] = {}


def agent_cache_clear() -> None:
    _AGENTS.clear()


def _agent_ids(extension: str) -> list[int]:
    if not extension:
        return []
    now = time.monotonic()
    hit = _AGENTS.get(extension)
    if hit is not None and hit[0] > now:
        return hit[1]
    ids = list(User.objects.filter(extension=extension, is_active=True).order_by("pk").values_list("pk", flat=True))
    _AGENTS[extension] = (now + settings.TELEPHONY_AGENT_CACHE_SECONDS, ids)
    return ids


def call_event_record(
    *,
    kind: str,
    call_id: str,
    caller: str = "",
    dialled: str = "",
    extension: str = "",
    at: dt.datetime | None = None,
    outcome: str = "",
    direction: str = Direction.INBOUND,
    by: User | None = None,
) -> EventResult:
    """Take one call event from the PBX. The same (call id, event, extension) is taken once: a repeat (a webhook
    retry, two connectors) returns the first one with `created=False` and changes nothing, also when the copies
    arrive at the same moment (the unique constraints decide: the loser's transaction is rolled back and it runs
    once more, finding the winner's rows). Ringing and transfers pop the call on the screen of the agents with that
    extension, after commit. Raises ValidationFailed.

    The path is kept short because it sits between the phone ringing and the pop: a first event inserts the call
    whole (no update after), the agents at the extension come from a cache, the contact lookup is one statement,
    the pop is built from the lookup's rows, and no savepoint is taken when this is the outermost transaction."""
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at, dt.UTC)
    _validate(kind, outcome, at, now)
    if direction not in Direction.values:
        raise ValidationFailed.on("direction", _("Unknown direction."))
    args = (kind, call_id, caller, dialled, extension, at, outcome, direction, by)
    try:
        with transaction.atomic():
            return _event_apply(*args)
    except IntegrityError:
        # A concurrent copy of this event (or the first event of this call) committed first.
        with transaction.atomic():
            return _event_apply(*args)


def _event_apply(
    kind: str,
    call_id: str,
    caller: str,
    dialled: str,
    extension: str,
    at: dt.datetime,
    outcome: str,
    direction: str,
    by: User | None,
) -> EventResult:
    # Events of one call apply one after the other: the row lock orders them (PostgreSQL; SQLite has one writer).
    # A slice, not .first(): no ORDER BY to compile or run for a unique key.
    call = next(iter(Call.objects.select_for_update().filter(call_id=call_id)[:1]), None)
    new = call is None
    if call is None:
        call = Call(
            call_id=call_id,
            direction=direction,
            caller=caller,
            caller_e164=caller_e164(caller),
            dialled=dialled,
            extension=extension,
            started_at=at,
        )
    else:
        existing = CallEvent.objects.filter(call=call, kind=kind, extension=extension).first()
        if existing is not None:
            return EventResult(call, existing, False)
        if not call.caller and caller:
            call.caller, call.caller_e164 = caller, caller_e164(caller)
        if not call.dialled and dialled:
            call.dialled = dialled
    agent_ids = _agent_ids(extension)
    pop = False
    if kind == EventKind.RINGING:
        if call.state == State.RINGING:
            call.extension = extension or call.extension
            pop = bool(agent_ids)
    elif kind == EventKind.TRANSFERRED:
        if call.state != State.ENDED:
            call.extension = extension or call.extension
            call.agent_id = agent_ids[0] if agent_ids else call.agent_id
            pop = bool(agent_ids)
    elif kind == EventKind.ANSWERED:
        call.answered_at = call.answered_at or at
        call.extension = extension or call.extension
        call.agent_id = agent_ids[0] if agent_ids else call.agent_id
        call.outcome = Outcome.ANSWERED
        call.callback = Callback.NONE if call.callback == Callback.PENDING else call.callback
        if call.state != State.ENDED:
            call.state = State.ANSWERED
    elif kind in (EventKind.HANGUP, EventKind.MISSED) and call.state != State.ENDED:
        call.state = State.ENDED
        call.ended_at = at
        if call.answered_at is not None:
            call.outcome = Outcome.ANSWERED
        elif outcome in END_OUTCOMES:
            call.outcome = outcome
        else:
            call.outcome = Outcome.MISSED
    if call.answered_at is not None and call.ended_at is not None:
        call.duration = max(0, int((call.ended_at - call.answered_at).total_seconds()))
    missed = call.state == State.ENDED and call.outcome != Outcome.ANSWERED
    if missed and call.direction == Direction.INBOUND and call.callback == Callback.NONE:
        call.callback = Callback.PENDING
    matches: list[contact_selectors.ContactSummary] = []
    if pop or (kind == EventKind.RINGING and call.contact_id is None):
        matches = _matches(call)
        if call.contact_id is None and len(matches) == 1:
            call.contact_id = matches[0].id
    if new:
        call.save(force_insert=True)
    else:
        call.version += 1
        call.save()
    event = CallEvent.objects.create(
        call=call,
        kind=kind,
        extension=extension,
        occurred_at=at,
        data={"caller": caller, "dialled": dialled, "outcome": outcome},
    )
    event_record(
        actor=by,
        verb=f"call.{kind}",
        target=call,
        contact_id=call.contact_id,
        data={"call": call.call_id, "caller": call.caller, "extension": extension, "outcome": call.outcome},
    )
    if pop:
        payload = pop_payload(call=call, matches=matches, event=kind)
        transaction.on_commit(lambda: live.push_users(agent_ids, payload))
    elif kind in (EventKind.ANSWERED, EventKind.HANGUP, EventKind.MISSED) and call.agent_id:
        payload = {"type": "call", "event": kind, "call": call.pk, "state": call.state}
        to = [call.agent_id]
        transaction.on_commit(lambda: live.push_users(to, payload))
    return EventResult(call, event, True)


def _matches(call: Call) -> list[contact_selectors.ContactSummary]:
    if not call.caller_e164:
        return []
    return contact_selectors.contact_lookup_summaries_unscoped(phone=call.caller_e164)


def pop_payload(*, call: Call, matches: list[contact_selectors.ContactSummary], event: str) -> dict[str, Any]:
    """The screen-pop message. The page fetches `url` for the banner, rendered with the viewer's permissions;
    the names and flags here let it show who is calling at once."""
    contact_url = ""
    if len(matches) == 1:
        contact_url = reverse("contacts:detail", args=[matches[0].id]) + f"?call={call.pk}"
    return {
        "type": "call",
        "event": event,
        "call": call.pk,
        "caller": phone_display(call.caller_e164) if call.caller_e164 else call.caller,
        "matches": [
            {"id": m.id, "name": m.name, "flags": [{"name": f.name, "colour": f.colour} for f in m.flags]}
            for m in matches[:10]
        ],
        "match_count": len(matches),
        "url": reverse("telephony:pop", args=[call.pk]),
        "contact_url": contact_url,
    }


# --- What the agent does with a call ---------------------------------------------------------------------------


def _lock(call: Call) -> Call:
    return Call.objects.select_for_update().get(pk=call.pk)


def _record(call: Call, by: User, verb: str, data: dict[str, Any]) -> None:
    event_record(actor=by, verb=verb, target=call, contact=call.contact, data={"call": call.call_id, **data})


@transaction.atomic
def call_log(
    *,
    call: Call,
    by: User,
    note: str | None = None,
    wrap_up_id: int | None = None,
    ticket_id: int | None = None,
    contact_id: int | None = None,
) -> Call:
    """Log the call: a note, a wrap-up code, the contact and ticket it was about. Only the fields given change.
    Raises ValidationFailed, NotFound (a ticket or contact the agent may not see)."""
    errors: list[FieldError] = []
    wrap_up: WrapUpCode | None = None
    if wrap_up_id is not None:
        wrap_up = WrapUpCode.objects.filter(pk=wrap_up_id, is_active=True).first()
        if wrap_up is None:
            errors.append(FieldError("wrap_up", _("No such wrap-up code.")))
    if note is not None and len(note) > 10000:
        errors.append(FieldError("note", _("The note is too long.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    ticket: Ticket | None = None
    if ticket_id is not None:
        ticket = ticket_selectors.ticket_get_for_user(user=by, ticket_id=ticket_id)
    contact: Contact | None = None
    if contact_id is not None:
        contact = contact_selectors.contact_get_for_user(user=by, contact_id=contact_id)
    call = _lock(call)
    changed: dict[str, Any] = {}
    if note is not None:
        call.note = note.strip()
        changed["note"] = call.note
    if wrap_up is not None:
        call.wrap_up = wrap_up
        changed["wrap_up"] = wrap_up.name
    if contact is not None:
        call.contact = contact
        changed["contact"] = contact.pk
    if ticket is not None:
        call.ticket = ticket
        changed["ticket"] = ticket.reference
        if call.contact is None:
            call.contact = ticket.requester
    call.logged_at = timezone.now()
    call.version += 1
    call.save()
    _record(call, by, "call.logged", changed)
    if ticket is not None:
        event_record(
            actor=by,
            verb="ticket.call_linked",
            target=ticket,
            contact=ticket.requester,
            data={"call": call.call_id, "caller": call.caller},
        )
    return call


@transaction.atomic
def call_ticket_attach(*, call: Call, ticket: Ticket, by: User) -> Call:
    """Link the call to a ticket the agent has just created from it (a guided case routed to another team, which
    the agent may then not see)."""
    call = _lock(call)
    call.ticket = ticket
    if call.contact_id is None:
        call.contact_id = ticket.requester_id
    call.logged_at = timezone.now()
    call.version += 1
    call.save(update_fields=["ticket", "contact", "logged_at", "version"])
    _record(call, by, "call.logged", {"ticket": ticket.reference})
    event_record(
        actor=by,
        verb="ticket.call_linked",
        target=ticket,
        contact=ticket.requester,
        data={"call": call.call_id, "caller": call.caller},
    )
    return call


@transaction.atomic
def call_ticket_create(*, call: Call, by: User, subject: str, description: str = "") -> Ticket:
    """A new ticket from the call (channel: phone) for the call's contact, linked to the call."""
    if call.contact is None:
        raise ValidationFailed.on("contact", _("Choose or create the caller's contact first."))
    contact = contact_selectors.contact_get_for_user(user=by, contact_id=call.contact.pk)
    if not subject.strip():
        raise ValidationFailed.on("subject", _("Give the ticket a subject."))
    ticket = ticket_services.ticket_create(
        by=by, subject=subject.strip(), requester=contact, description=description, channel=Channel.PHONE
    )
    call_log(call=call, by=by, ticket_id=ticket.pk)
    return ticket


@transaction.atomic
def call_contact_create(*, call: Call, by: User, name: str) -> Contact:
    """Quick-create the unknown caller as a contact with the caller's number, and link the call to it."""
    number = call.caller_e164 or call.caller
    contact = contact_services.contact_create(by=by, name=name, phones=[number] if number else [])
    call_log(call=call, by=by, contact_id=contact.pk)
    return contact


@transaction.atomic
def call_callback_done(*, call: Call, by: User) -> Call:
    """The missed call has been returned: it leaves the callback queue."""
    call = _lock(call)
    if call.callback != Callback.PENDING:
        raise ValidationFailed.on("callback", _("This call is not waiting for a callback."))
    call.callback = Callback.DONE
    call.returned_at = timezone.now()
    call.version += 1
    call.save(update_fields=["callback", "returned_at", "version"])
    _record(call, by, "call.returned", {})
    return call


def ami_configured() -> bool:
    return bool(settings.TELEPHONY_AMI_HOST and settings.TELEPHONY_AMI_USER)


def call_originate(*, by: User, number: str, contact: Contact | None = None, callback_of: Call | None = None) -> Call:
    """Click-to-call: ring the agent's extension, then the number, through the PBX (AMI Originate), and record the
    outbound call; calling back a missed call takes it off the callback queue. The PBX is asked before anything is
    written, so a refused call leaves no trace but the error. Raises ValidationFailed, PermissionDenied."""
    from payvand.telephony import ami

    if not by.has_perm("telephony.originate_call"):
        raise PermissionDenied(detail=_("You may not start calls."))
    if not ami_configured():
        raise ValidationFailed.on(None, _("No PBX is connected: use your phone."))
    if not by.extension:
        raise ValidationFailed.on(None, _("You have no phone extension: ask an admin to set one."))
    e164 = caller_e164(number)
    if not e164:
        raise ValidationFailed.on("number", _("This is not a phone number."))
    call_ref = f"pv-{uuid.uuid4().hex}"
    try:
        ami.originate_sync(extension=by.extension, number=e164, action_id=call_ref)
    except (OSError, TimeoutError, ami.AmiError) as exc:
        log.warning("originate %s failed: %s", call_ref, exc)
        raise ValidationFailed.on(None, _("The PBX did not start the call: %(error)s") % {"error": exc}) from exc
    with transaction.atomic():
        call = Call.objects.create(
            call_id=call_ref,
            direction=Direction.OUTBOUND,
            caller=by.extension,
            dialled=e164,
            caller_e164=e164,
            extension=by.extension,
            agent=by,
            contact=contact,
            state=State.RINGING,
        )
        _record(call, by, "call.originated", {"number": e164})
        if callback_of is not None and callback_of.callback == Callback.PENDING:
            call_callback_done(call=callback_of, by=by)
    return call


# --- Scheduled calls and meetings with a customer (R-002.14) ----------------------------------------------------

APPOINTMENT_MAX_MINUTES = 24 * 60
APPOINTMENT_FIELDS = ("kind", "starts_at", "duration", "owner_id", "note", "done", "ticket_id")


def _appointment_check(
    *, by: User, contact: Contact, kind: str, starts_at: dt.datetime | None, duration: int, note: str
) -> list[FieldError]:
    errors: list[FieldError] = []
    if kind not in AppointmentKind.values:
        errors.append(FieldError("kind", _("Choose a call or a meeting.")))
    if starts_at is None:
        errors.append(FieldError("starts_at", _("Give the start time.")))
    elif timezone.is_naive(starts_at):
        errors.append(FieldError("starts_at", _("Give the start time with its time zone.")))
    elif abs(starts_at - timezone.now()) > dt.timedelta(days=3660):
        errors.append(FieldError("starts_at", _("The start time is too far from now.")))
    if not 1 <= duration <= APPOINTMENT_MAX_MINUTES:
        errors.append(FieldError("duration", _("The duration is 1 to 1,440 minutes.")))
    if len(note) > 10000:
        errors.append(FieldError("note", _("The note is too long.")))
    return errors


def _appointment_owner(*, by: User, owner_id: int | None) -> User:
    if owner_id is None or owner_id == by.pk:
        return by
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise ValidationFailed.on("owner", _("No such user."))
    if not by.has_perm("telephony.view_all_calls"):
        raise PermissionDenied(detail=_("You may plan only your own calls and meetings."))
    return owner


@transaction.atomic
def appointment_create(
    *,
    by: User,
    contact: Contact,
    starts_at: dt.datetime | None,
    kind: str = AppointmentKind.CALL,
    duration: int = 15,
    note: str = "",
    owner_id: int | None = None,
    ticket_id: int | None = None,
) -> Appointment:
    """Plan a call or meeting with the contact, for the agent (or, for a lead, for another agent); the owner gets a
    reminder when it starts. Raises ValidationFailed, PermissionDenied, NotFound (a ticket the agent may not see)."""
    if not by.has_perm("telephony.add_appointment"):
        raise PermissionDenied(detail=_("You may not plan calls and meetings."))
    errors = _appointment_check(by=by, contact=contact, kind=kind, starts_at=starts_at, duration=duration, note=note)
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    owner = _appointment_owner(by=by, owner_id=owner_id)
    ticket = ticket_selectors.ticket_get_for_user(user=by, ticket_id=ticket_id) if ticket_id else None
    if ticket is not None and ticket.requester_id != contact.pk:
        raise ValidationFailed.on("ticket", _("The ticket belongs to another contact."))
    assert starts_at is not None
    appointment = Appointment.objects.create(
        contact=contact,
        ticket=ticket,
        kind=kind,
        starts_at=starts_at,
        duration=duration,
        owner=owner,
        note=note.strip(),
        created_by=by,
    )
    event_record(
        actor=by,
        verb="appointment.created",
        target=appointment,
        contact=contact,
        data={"kind": kind, "starts_at": starts_at, "owner": owner.pk},
    )
    return appointment


@transaction.atomic
def appointment_update(*, appointment: Appointment, by: User, changes: dict[str, Any]) -> Appointment:
    """Change the given fields (kind, starts_at, duration, owner_id, note, done, ticket_id). Moving the start time
    re-arms the reminder. Raises ValidationFailed, PermissionDenied, NotFound."""
    unknown = set(changes) - set(APPOINTMENT_FIELDS)
    if unknown:
        raise ValidationFailed.on(sorted(unknown)[0], _("This field cannot be changed."))
    appointment = Appointment.objects.select_for_update().select_related("contact").get(pk=appointment.pk)
    kind = changes.get("kind", appointment.kind)
    starts_at = changes.get("starts_at", appointment.starts_at)
    duration = changes.get("duration", appointment.duration)
    note = changes.get("note", appointment.note)
    errors = _appointment_check(
        by=by, contact=appointment.contact, kind=kind, starts_at=starts_at, duration=duration, note=note
    )
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    if "owner_id" in changes and changes["owner_id"] != appointment.owner_id:
        appointment.owner = _appointment_owner(by=by, owner_id=changes["owner_id"])
    if "ticket_id" in changes:
        ticket_id = changes["ticket_id"]
        ticket = ticket_selectors.ticket_get_for_user(user=by, ticket_id=ticket_id) if ticket_id else None
        if ticket is not None and ticket.requester_id != appointment.contact_id:
            raise ValidationFailed.on("ticket", _("The ticket belongs to another contact."))
        appointment.ticket = ticket
    if starts_at != appointment.starts_at:
        appointment.reminded_at = None
    appointment.kind, appointment.starts_at, appointment.duration = kind, starts_at, duration
    appointment.note = note.strip()
    if "done" in changes:
        appointment.done = bool(changes["done"])
    appointment.version += 1
    appointment.save()
    event_record(
        actor=by,
        verb="appointment.done" if changes.get("done") else "appointment.changed",
        target=appointment,
        contact=appointment.contact,
        data={k: v for k, v in changes.items() if k != "note"},
    )
    return appointment


@transaction.atomic
def appointment_delete(*, appointment: Appointment, by: User) -> None:
    event_record(
        actor=by,
        verb="appointment.deleted",
        target=appointment,
        contact_id=appointment.contact_id,
        data={"kind": appointment.kind, "starts_at": appointment.starts_at},
    )
    appointment.delete()


def appointment_reminders_send(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The scheduler's job: remind each owner of the calls and meetings that have started and were not reminded of
    (nor done). Each reminder is taken under a row lock (skip_locked), so two schedulers never send it twice."""
    from payvand.notifications.models import Kind
    from payvand.notifications.services import notify

    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(
            Appointment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("contact", "owner")
            .filter(done=False, reminded_at__isnull=True, starts_at__lte=now)
            .order_by("starts_at", "pk")[:limit]
        )
        for appointment in due:
            title = (
                _("Call %(name)s now") if appointment.kind == AppointmentKind.CALL else _("Meeting with %(name)s now")
            ) % {"name": appointment.contact.name}
            notify(
                recipients=[appointment.owner],
                kind=Kind.APPOINTMENT,
                title=title,
                body=appointment.note,
                url=reverse("contacts:detail", args=[appointment.contact_id]),
                ticket=appointment.ticket,
            )
            appointment.reminded_at = now
            sent += 1
        Appointment.objects.bulk_update(due, ["reminded_at"])
    return sent
