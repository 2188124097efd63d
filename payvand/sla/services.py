"""Every write of the SLA app: calendars and holidays, policies and escalations, the per-ticket timers (started,
paused, resumed and stopped by the helpdesk through hooks.py) and the scheduler's tick."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact, Segment
from payvand.core import batch
from payvand.core.errors import Conflict, FieldError, PayvandError, ValidationFailed
from payvand.core.models import Event
from payvand.core.services import event_record
from payvand.helpdesk.models import (
    ACTIVE_CATEGORIES,
    DONE_CATEGORIES,
    Channel,
    Priority,
    StatusCategory,
    TeamContact,
    Ticket,
    TicketType,
)
from payvand.sla.businesstime import ZERO, NoWorkingTime, Schedule, business_add, business_between
from payvand.sla.models import (
    MAX_TARGET_MINUTES,
    BusinessCalendar,
    Escalation,
    Holiday,
    SlaPolicy,
    Timer,
    TimerKind,
    WorkingHours,
)

PAUSE_CATEGORIES = (StatusCategory.PENDING_CUSTOMER, StatusCategory.POSTPONED)
LIVE_STATES = (Timer.State.RUNNING, Timer.State.PAUSED)
HOLIDAY_YEARS = (1990, 2100)
TICK_BATCH = 5000
MAX_NAME = 120


# ---------------------------------------------------------------------------------------------- calendars


@dataclass(frozen=True)
class HoursIn:
    weekday: int
    start: dt.time
    end: dt.time


def _hours_errors(hours: Sequence[HoursIn]) -> list[FieldError]:
    errors: list[FieldError] = []
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for n, h in enumerate(hours):
        if h.weekday not in range(7):
            errors.append(FieldError(f"hours.{n}.weekday", _("Choose a weekday.")))
            continue
        if h.start.tzinfo is not None or h.end.tzinfo is not None:
            errors.append(FieldError(f"hours.{n}.start", _("Give local times without a time zone.")))
            continue
        if not (h.end == dt.time(0) or h.end > h.start):
            errors.append(FieldError(f"hours.{n}.end", _("The end must be after the start.")))
            continue
        end = dt.time(23, 59, 59, 999999) if h.end == dt.time(0) else h.end
        for start, other_end in by_day.get(h.weekday, []):
            if h.start < other_end and start < end:
                errors.append(FieldError(f"hours.{n}.start", _("This overlaps other hours of the same day.")))
                break
        by_day.setdefault(h.weekday, []).append((h.start, end))
    return errors


def _calendar_errors(
    *, name: str, time_zone: str, country: str, hours: Sequence[HoursIn], instance: BusinessCalendar | None
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not name.strip():
        errors.append(FieldError("name", _("Give the calendar a name.")))
    elif len(name) > MAX_NAME:
        errors.append(FieldError("name", _("Use at most %(n)s characters.") % {"n": MAX_NAME}))
    elif BusinessCalendar.objects.filter(name=name.strip()).exclude(pk=instance.pk if instance else 0).exists():
        errors.append(FieldError("name", _("A calendar with this name exists already.")))
    if time_zone not in zoneinfo.available_timezones():
        errors.append(FieldError("time_zone", _("Unknown time zone.")))
    if country and country.upper() not in supported_countries():
        errors.append(FieldError("country", _("No holiday list for this country.")))
    errors += _hours_errors(hours)
    if (
        not errors
        and not Schedule.build(time_zone=time_zone, hours=[(h.weekday, h.start, h.end) for h in hours]).has_working_time
    ):
        errors.append(FieldError("hours", _("Give at least one working interval.")))
    return errors


def supported_countries() -> dict[str, str]:
    import holidays

    return {code: str(code) for code in holidays.list_supported_countries()}


@transaction.atomic
def calendar_create(
    *, by: User | None, name: str, time_zone: str, country: str = "", hours: Sequence[HoursIn]
) -> BusinessCalendar:
    errors = _calendar_errors(name=name, time_zone=time_zone, country=country, hours=hours, instance=None)
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    calendar = BusinessCalendar.objects.create(name=name.strip(), time_zone=time_zone, country=country.upper())
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=h.weekday, start=h.start, end=h.end) for h in hours
    )
    event_record(actor=by, verb="sla.calendar_created", target=calendar, data={"name": calendar.name})
    return calendar


def calendar_update(
    *,
    calendar: BusinessCalendar,
    by: User | None,
    name: str | None = None,
    time_zone: str | None = None,
    country: str | None = None,
    hours: Sequence[HoursIn] | None = None,
) -> BusinessCalendar:
    """Change a calendar; the running timers on it get their deadlines again from the new hours."""
    new_hours = hours if hours is not None else [HoursIn(h.weekday, h.start, h.end) for h in calendar.hours.all()]
    values = {
        "name": calendar.name if name is None else name,
        "time_zone": calendar.time_zone if time_zone is None else time_zone,
        "country": calendar.country if country is None else country,
    }
    errors = _calendar_errors(**values, hours=new_hours, instance=calendar)
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        locked.name = values["name"].strip()
        locked.time_zone = values["time_zone"]
        locked.country = values["country"].upper()
        locked.save(update_fields=["name", "time_zone", "country"])
        if hours is not None:
            locked.hours.all().delete()
            WorkingHours.objects.bulk_create(
                WorkingHours(calendar=locked, weekday=h.weekday, start=h.start, end=h.end) for h in hours
            )
        event_record(actor=by, verb="sla.calendar_updated", target=locked, data={"name": locked.name})
        timers_reschedule(calendar=locked)
    return locked


_T = dt.time
TEMPLATES: dict[str, tuple[str, str, str, list[HoursIn]]] = {
    # Saturday to Wednesday, Thursday morning; Hungary Monday to Thursday, a short Friday.
    "iran": (
        "Iran (Tehran)",
        "Asia/Tehran",
        "IR",
        [HoursIn(d, _T(8), _T(16)) for d in (5, 6, 0, 1, 2)] + [HoursIn(3, _T(8), _T(12))],
    ),
    "hungary": (
        "Hungary (Budapest)",
        "Europe/Budapest",
        "HU",
        [HoursIn(d, _T(8), _T(16, 30)) for d in (0, 1, 2, 3)] + [HoursIn(4, _T(8), _T(14))],
    ),
}


def calendar_from_template(*, by: User | None, template: str) -> BusinessCalendar:
    """A calendar to start from: Iran (Saturday to Wednesday, Thursday morning) or Hungary (Monday to Friday)."""
    if template not in TEMPLATES:
        raise ValidationFailed.on("template", _("Unknown template."))
    name, time_zone, country, hours = TEMPLATES[template]
    return calendar_create(by=by, name=name, time_zone=time_zone, country=country, hours=hours)


@transaction.atomic
def calendar_delete(*, calendar: BusinessCalendar, by: User | None) -> None:
    if SlaPolicy.objects.filter(calendar=calendar).exists():
        raise Conflict(detail=_("Policies use this calendar; give them another one first."))
    event_record(actor=by, verb="sla.calendar_deleted", target=calendar, data={"name": calendar.name})
    calendar.delete()


def _year_errors(year: Any) -> None:
    if not isinstance(year, int) or not HOLIDAY_YEARS[0] <= year <= HOLIDAY_YEARS[1]:
        raise ValidationFailed.on(
            "year", _("Choose a year from %(a)s to %(b)s.") % {"a": HOLIDAY_YEARS[0], "b": HOLIDAY_YEARS[1]}
        )


def holidays_load(*, calendar: BusinessCalendar, by: User | None, year: int) -> int:
    """Put the public holidays of the calendar's country for `year` in the calendar (from the `holidays` package).
    Dates an admin set keep their name; the year's other dates from the package are replaced. Returns the count."""
    _year_errors(year)
    if not calendar.country:
        raise ValidationFailed.on("country", _("Give the calendar a holiday country first."))
    import holidays

    try:
        found = holidays.country_holidays(calendar.country, years=year)
    except NotImplementedError:
        raise ValidationFailed.on("country", _("No holiday list for this country.")) from None
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        Holiday.objects.filter(calendar=locked, date__year=year, source=Holiday.Source.PACKAGE).delete()
        taken = set(Holiday.objects.filter(calendar=locked, date__year=year).values_list("date", flat=True))
        rows = [
            Holiday(calendar=locked, date=day, name=str(label)[:200], source=Holiday.Source.PACKAGE)
            for day, label in sorted(found.items())
            if day not in taken
        ]
        Holiday.objects.bulk_create(rows)
        event_record(actor=by, verb="sla.holidays_loaded", target=locked, data={"year": year, "count": len(rows)})
        timers_reschedule(calendar=locked)
    return len(rows)


def holiday_add(*, calendar: BusinessCalendar, by: User | None, date: dt.date, name: str) -> Holiday:
    if not name.strip():
        raise ValidationFailed.on("name", _("Name the holiday."))
    if len(name) > 200:
        raise ValidationFailed.on("name", _("Use at most %(n)s characters.") % {"n": 200})
    _year_errors(date.year)
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        holiday, _created = Holiday.objects.update_or_create(
            calendar=locked, date=date, defaults={"name": name.strip(), "source": Holiday.Source.ADMIN}
        )
        event_record(actor=by, verb="sla.holiday_added", target=locked, data={"date": date, "name": holiday.name})
        timers_reschedule(calendar=locked)
    return holiday


def holiday_remove(*, holiday: Holiday, by: User | None) -> None:
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=holiday.calendar_id)
        event_record(actor=by, verb="sla.holiday_removed", target=locked, data={"date": holiday.date})
        holiday.delete()
        timers_reschedule(calendar=locked)


def schedule_for(calendar: BusinessCalendar | int) -> Schedule:
    """The calendar as a Schedule (two queries)."""
    calendar_id = calendar if isinstance(calendar, int) else calendar.pk
    tz = (
        BusinessCalendar.objects.filter(pk=calendar_id).values_list("time_zone", flat=True).first()
        if isinstance(calendar, int)
        else calendar.time_zone
    )
    return Schedule.build(
        time_zone=tz or "UTC",
        hours=WorkingHours.objects.filter(calendar_id=calendar_id).values_list("weekday", "start", "end"),
        holidays=Holiday.objects.filter(calendar_id=calendar_id).values_list("date", flat=True),
    )


# ---------------------------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class EscalationIn:
    on: str
    action: str
    kind: str = ""
    user: User | None = None
    team: Team | None = None


@dataclass
class PolicyIn:
    name: str
    calendar: BusinessCalendar | None
    order: int = 100
    is_active: bool = True
    priorities: Sequence[int] = ()
    channels: Sequence[str] = ()
    types: Sequence[TicketType] = ()
    segments: Sequence[Segment] = ()
    organisations: Sequence[Contact] = ()
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    warning_percent: int = 80
    escalations: Sequence[EscalationIn] = ()


def _policy_errors(data: PolicyIn, instance: SlaPolicy | None) -> list[FieldError]:
    errors: list[FieldError] = []
    name = data.name.strip()
    if not name:
        errors.append(FieldError("name", _("Give the policy a name.")))
    elif len(name) > MAX_NAME:
        errors.append(FieldError("name", _("Use at most %(n)s characters.") % {"n": MAX_NAME}))
    elif SlaPolicy.objects.filter(name=name).exclude(pk=instance.pk if instance else 0).exists():
        errors.append(FieldError("name", _("A policy with this name exists already.")))
    if data.calendar is None:
        errors.append(FieldError("calendar", _("Choose a calendar.")))
    if not 0 <= data.order <= 1_000_000:
        errors.append(FieldError("order", _("Choose an order from 0 to 1,000,000.")))
    if any(p not in Priority.values for p in data.priorities):
        errors.append(FieldError("priorities", _("Unknown priority.")))
    if any(c not in Channel.values for c in data.channels):
        errors.append(FieldError("channels", _("Unknown channel.")))
    if any(not o.is_organisation for o in data.organisations):
        errors.append(FieldError("organisations", _("Choose organisations, not people.")))
    targets = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
    for key in targets:
        value = getattr(data, key)
        if value is not None and not 1 <= value <= MAX_TARGET_MINUTES:
            errors.append(FieldError(key, _("Choose from %(a)s to %(b)s minutes.") % {"a": 1, "b": MAX_TARGET_MINUTES}))
    if all(getattr(data, key) is None for key in targets):
        errors.append(FieldError("first_response_minutes", _("Give at least one target.")))
    if not 1 <= data.warning_percent <= 99:
        errors.append(FieldError("warning_percent", _("Choose a percentage from 1 to 99.")))
    for n, esc in enumerate(data.escalations):
        if esc.on not in Escalation.On.values:
            errors.append(FieldError(f"escalations.{n}.on", _("Choose warning or breach.")))
        if esc.kind and esc.kind not in TimerKind.values:
            errors.append(FieldError(f"escalations.{n}.kind", _("Unknown timer.")))
        if esc.action not in Escalation.Action.values:
            errors.append(FieldError(f"escalations.{n}.action", _("Unknown action.")))
        elif esc.action == Escalation.Action.REASSIGN and esc.user is None:
            errors.append(FieldError(f"escalations.{n}.user", _("Choose the person to reassign to.")))
        elif esc.action == Escalation.Action.REFER and esc.team is None:
            errors.append(FieldError(f"escalations.{n}.team", _("Choose the team to refer to.")))
        if esc.user is not None and not esc.user.is_active:
            errors.append(FieldError(f"escalations.{n}.user", _("This user is not active.")))
        if (
            esc.action == Escalation.Action.REASSIGN
            and esc.user is not None
            and esc.team is not None
            and not esc.user.memberships.filter(team=esc.team).exists()
        ):
            errors.append(FieldError(f"escalations.{n}.user", _("This person is not a member of that team.")))
    return errors


def _policy_write(policy: SlaPolicy, data: PolicyIn) -> None:
    policy.name = data.name.strip()
    policy.calendar = cast(BusinessCalendar, data.calendar)
    policy.order = data.order
    policy.is_active = data.is_active
    policy.priorities = sorted(set(data.priorities))
    policy.channels = sorted(set(data.channels))
    policy.first_response_minutes = data.first_response_minutes
    policy.next_response_minutes = data.next_response_minutes
    policy.resolution_minutes = data.resolution_minutes
    policy.warning_percent = data.warning_percent
    policy.save()
    policy.types.set(data.types)
    policy.segments.set(data.segments)
    policy.organisations.set(data.organisations)
    policy.escalations.all().delete()
    Escalation.objects.bulk_create(
        Escalation(policy=policy, on=e.on, kind=e.kind, action=e.action, user=e.user, team=e.team)
        for e in data.escalations
    )


def policy_create(*, by: User | None, data: PolicyIn) -> SlaPolicy:
    errors = _policy_errors(data, None)
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    with transaction.atomic():
        policy = SlaPolicy()
        _policy_write(policy, data)
        event_record(actor=by, verb="sla.policy_created", target=policy, data={"name": policy.name})
    return policy


def policy_update(*, policy: SlaPolicy, by: User | None, data: PolicyIn) -> SlaPolicy:
    """Change a policy. Live timers under it take its new targets and calendar."""
    errors = _policy_errors(data, policy)
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    with transaction.atomic():
        locked = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        _policy_write(locked, data)
        event_record(actor=by, verb="sla.policy_updated", target=locked, data={"name": locked.name})
        timers_reschedule(policy=locked)
    return locked


@transaction.atomic
def policy_delete(*, policy: SlaPolicy, by: User | None) -> None:
    """Delete a policy with its timers (the compliance reports lose them): deactivate it to keep its history."""
    event_record(actor=by, verb="sla.policy_deleted", target=policy, data={"name": policy.name})
    policy.delete()


def policy_matches(policy: SlaPolicy, ticket: Ticket, segment_ids: set[int]) -> bool:
    if policy.priorities and ticket.priority not in policy.priorities:
        return False
    if policy.channels and ticket.channel not in policy.channels:
        return False
    type_ids = {t.pk for t in policy.types.all()}
    if type_ids and ticket.type_id not in type_ids:
        return False
    wanted_segments = {s.pk for s in policy.segments.all()}
    if wanted_segments and not wanted_segments & segment_ids:
        return False
    organisation_ids = {o.pk for o in policy.organisations.all()}
    return not (organisation_ids and ticket.organisation_id not in organisation_ids)


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy (by order) whose conditions all hold for the ticket."""
    policies = batch.memo(
        "sla.policies",
        lambda: list(
            SlaPolicy.objects.filter(is_active=True)
            .select_related("calendar")
            .prefetch_related("types", "segments", "organisations")
        ),
    )
    if not policies:
        return None
    contact_ids = [ticket.requester_id, *([ticket.organisation_id] if ticket.organisation_id else [])]
    segment_ids = set(
        Contact.segments.through.objects.filter(contact_id__in=contact_ids).values_list("segment_id", flat=True)
    )
    return next((p for p in policies if policy_matches(p, ticket, segment_ids)), None)


# ---------------------------------------------------------------------------------------------- timers


def _deadlines(timer: Timer, schedule: Schedule) -> None:
    """Set warn_at and breach_at of a running timer from the business time it has left."""
    assert timer.running_since is not None
    used = dt.timedelta(seconds=timer.used_seconds)
    try:
        timer.warn_at = (
            business_add(schedule, timer.running_since, max(dt.timedelta(seconds=timer.warn_seconds) - used, ZERO))
            if timer.warned_at is None
            else None
        )
        timer.breach_at = (
            business_add(schedule, timer.running_since, max(dt.timedelta(seconds=timer.target_seconds) - used, ZERO))
            if timer.breached_at is None
            else None
        )
    except NoWorkingTime:
        timer.warn_at = timer.breach_at = None


def _used(timer: Timer, schedule: Schedule, now: dt.datetime) -> int:
    """Business seconds used so far, the current running stretch included."""
    if timer.state != Timer.State.RUNNING or timer.running_since is None:
        return timer.used_seconds
    return timer.used_seconds + int(business_between(schedule, timer.running_since, now).total_seconds())


class _Schedules(dict[int, Schedule]):
    def __missing__(self, calendar_id: int) -> Schedule:
        self[calendar_id] = schedule_for(calendar_id)
        return self[calendar_id]


def _timer_start(
    *, ticket: Ticket, policy: SlaPolicy, kind: str, at: dt.datetime, schedules: _Schedules, paused: bool
) -> Timer | None:
    target = policy.target_for(kind)
    if target is None:
        return None
    timer = Timer(
        ticket=ticket,
        policy=policy,
        kind=kind,
        target_minutes=target,
        warning_percent=policy.warning_percent,
        started_at=at,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
    )
    if paused:
        timer.state = Timer.State.PAUSED
    else:
        timer.running_since = at
        _deadlines(timer, schedules[policy.calendar_id])
    timer.save()
    return timer


def _live_timers(ticket: Ticket, *kinds: str) -> list[Timer]:
    qs = Timer.objects.select_for_update().filter(ticket_id=ticket.pk, state__in=LIVE_STATES)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return list(qs.select_related("policy"))


def _event(ticket: Ticket, verb: str, data: dict[str, Any]) -> None:
    event_record(actor=None, verb=verb, target=ticket, contact=ticket.requester, data=data)


def ticket_timers_start(*, ticket: Ticket, at: dt.datetime | None = None) -> list[Timer]:
    """Put a new ticket under its policy: a first-response and a resolution clock, from its creation."""
    policy = policy_for(ticket)
    if policy is None:
        return []
    at = at or ticket.created_at
    schedules = _Schedules()
    paused = ticket.status_category in PAUSE_CATEGORIES
    kinds = [TimerKind.RESOLUTION]
    if ticket.first_response_at is None:
        kinds.insert(0, TimerKind.FIRST_RESPONSE)
    started = [
        t
        for kind in kinds
        if (t := _timer_start(ticket=ticket, policy=policy, kind=kind, at=at, schedules=schedules, paused=paused))
    ]
    if started:
        _event(ticket, "sla.applied", {"policy": policy.pk, "name": policy.name})
    return started


def _stop(timer: Timer, schedule: Schedule, now: dt.datetime, ticket: Ticket) -> None:
    timer.used_seconds = _used(timer, schedule, now)
    timer.state = Timer.State.STOPPED
    timer.stopped_at = now
    timer.running_since = None
    timer.warn_at = timer.breach_at = None
    timer.team_id = ticket.team_id
    timer.assignee_id = ticket.assignee_id
    if timer.breached_at is None and timer.used_seconds >= timer.target_seconds:
        timer.breached_at = now  # breached between two ticks: it counts as breached
    timer.save()


def _met_event(ticket: Ticket, timer: Timer) -> None:
    verb = f"sla.{'breached_done' if timer.breached_at else 'met'}.{timer.kind}"
    _event(ticket, verb, {"timer": timer.pk, "used_minutes": timer.used_seconds // 60})


def timers_on_status(*, ticket: Ticket, old: str, new: str, now: dt.datetime | None = None) -> None:
    """Pause in pending-customer and postponed, stop when done, resume (or, after a reopen, restart the
    resolution clock where it stopped) when work goes on."""
    if old == new:
        return
    now = now or timezone.now()
    schedules = _Schedules()
    if new in DONE_CATEGORIES:
        for timer in _live_timers(ticket):
            _stop(timer, schedules[timer.policy.calendar_id], now, ticket)
            _met_event(ticket, timer)
        return
    if new in PAUSE_CATEGORIES:
        paused = []
        for timer in _live_timers(ticket):
            if timer.state == Timer.State.RUNNING:
                timer.used_seconds = _used(timer, schedules[timer.policy.calendar_id], now)
                timer.state = Timer.State.PAUSED
                timer.running_since = None
                timer.warn_at = timer.breach_at = None
                timer.save()
                paused.append(timer.kind)
        if paused:
            _event(ticket, "sla.paused", {"kinds": paused})
        return
    if new in ACTIVE_CATEGORIES:
        resumed = []
        if old in DONE_CATEGORIES:
            reopen = [TimerKind.RESOLUTION] + ([TimerKind.FIRST_RESPONSE] if ticket.first_response_at is None else [])
            for timer in (
                Timer.objects.select_for_update()
                .filter(ticket_id=ticket.pk, state=Timer.State.STOPPED, kind__in=reopen)
                .select_related("policy")
            ):
                if not Timer.objects.filter(
                    ticket_id=ticket.pk, kind=timer.kind, started_at__gt=timer.started_at
                ).exists():
                    timer.state = Timer.State.PAUSED
                    timer.stopped_at = None
                    timer.save()
        for timer in _live_timers(ticket):
            if timer.state == Timer.State.PAUSED:
                timer.state = Timer.State.RUNNING
                timer.running_since = now
                _deadlines(timer, schedules[timer.policy.calendar_id])
                timer.save()
                resumed.append(timer.kind)
        if resumed:
            _event(ticket, "sla.resumed", {"kinds": resumed})


def timers_on_agent_reply(*, ticket: Ticket, at: dt.datetime | None = None) -> None:
    """A public reply went out: the first-response and next-response clocks have been answered."""
    at = at or timezone.now()
    schedules = _Schedules()
    for timer in _live_timers(ticket, TimerKind.FIRST_RESPONSE, TimerKind.NEXT_RESPONSE):
        _stop(timer, schedules[timer.policy.calendar_id], at, ticket)
        _met_event(ticket, timer)


def timers_on_customer_message(*, ticket: Ticket, at: dt.datetime | None = None) -> None:
    """The customer wrote after an answer: a next-response clock starts (one at a time)."""
    if ticket.first_response_at is None or not ticket.is_active:
        return
    if Timer.objects.filter(ticket_id=ticket.pk, state__in=LIVE_STATES).exclude(kind=TimerKind.RESOLUTION).exists():
        return
    policy_id = (
        Timer.objects.filter(ticket_id=ticket.pk).order_by("-started_at", "-id").values_list("policy_id", flat=True)
    ).first()
    policy = SlaPolicy.objects.filter(pk=policy_id).first() if policy_id else policy_for(ticket)
    if policy is None:
        return
    _timer_start(
        ticket=ticket,
        policy=policy,
        kind=TimerKind.NEXT_RESPONSE,
        at=at or timezone.now(),
        schedules=_Schedules(),
        paused=ticket.status_category in PAUSE_CATEGORIES,
    )


POLICY_FIELDS = {"priority", "type", "channel"}


def timers_on_change(*, ticket: Ticket, fields: Iterable[str]) -> None:
    """Priority, type or channel changed: the ticket may fall under another policy, whose targets its live
    clocks take over (the time used so far stays)."""
    if not POLICY_FIELDS & set(fields) or not ticket.is_active:
        return
    policy = policy_for(ticket)
    timers = _live_timers(ticket)
    if not timers:
        if policy is not None and not Timer.objects.filter(ticket_id=ticket.pk).exists():
            ticket_timers_start(ticket=ticket, at=timezone.now())
        return
    if policy is None or all(t.policy_id == policy.pk for t in timers):
        return
    schedules = _Schedules()
    now = timezone.now()
    for timer in timers:
        target = policy.target_for(timer.kind)
        if target is None:
            _stop(timer, schedules[timer.policy.calendar_id], now, ticket)
            continue
        if timer.state == Timer.State.RUNNING:
            timer.used_seconds = _used(timer, schedules[timer.policy.calendar_id], now)
            timer.running_since = now
        timer.policy = policy
        timer.target_minutes = target
        timer.warning_percent = policy.warning_percent
        if timer.state == Timer.State.RUNNING:
            _deadlines(timer, schedules[policy.calendar_id])
        timer.save()
    _event(ticket, "sla.applied", {"policy": policy.pk, "name": policy.name})


def timers_reschedule(*, calendar: BusinessCalendar | None = None, policy: SlaPolicy | None = None) -> int:
    """Recompute the deadlines of running timers after their calendar or policy changed. Returns the count."""
    qs = Timer.objects.filter(state__in=LIVE_STATES).select_related("policy")
    if calendar is not None:
        qs = qs.filter(policy__calendar=calendar)
    if policy is not None:
        qs = qs.filter(policy=policy)
    schedules = _Schedules()
    now = timezone.now()
    changed = []
    for timer in qs.iterator(chunk_size=2000):
        if policy is not None:
            timer.target_minutes = policy.target_for(timer.kind) or timer.target_minutes
            timer.warning_percent = policy.warning_percent
        if timer.state == Timer.State.RUNNING:
            # The stretch so far counts under the old rules (its deadlines were set by them).
            timer.used_seconds = _used(timer, schedules[timer.policy.calendar_id], now)
            timer.running_since = now
            _deadlines(timer, schedules[timer.policy.calendar_id])
        changed.append(timer)
    Timer.objects.bulk_update(
        changed, ["target_minutes", "warning_percent", "used_seconds", "running_since", "warn_at", "breach_at"], 1000
    )
    return len(changed)


# ---------------------------------------------------------------------------------------------- the tick


@dataclass
class TickResult:
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    failed: int = 0


def sla_tick(*, now: dt.datetime | None = None, limit: int = TICK_BATCH) -> TickResult:
    """Find every running timer whose warning or breach moment has passed, in one query over the two partial
    indexes; mark them in two UPDATEs, write their timeline events in one INSERT, then run the policies'
    escalations (each in its own savepoint: one that fails is recorded and leaves the ticket as it was)."""
    now = now or timezone.now()
    result = TickResult()
    with transaction.atomic():
        due_q = Q(state=Timer.State.RUNNING) & (
            Q(warned_at__isnull=True, warn_at__lte=now) | Q(breached_at__isnull=True, breach_at__lte=now)
        )
        qs = Timer.objects.filter(due_q).order_by()
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(
            qs.values(
                "id", "kind", "policy_id", "ticket_id", "ticket__requester_id", "warn_at", "breach_at", "breached_at"
            )[:limit]
        )
        if not rows:
            return result
        breached = [
            r for r in rows if r["breached_at"] is None and r["breach_at"] is not None and r["breach_at"] <= now
        ]
        breached_ids = {r["id"] for r in breached}
        warned = [r for r in rows if r["id"] not in breached_ids]
        if breached_ids:
            # Who holds the ticket at the breach is whom the compliance reports count it against.
            holder = Ticket.objects.filter(pk=OuterRef("ticket_id"))
            Timer.objects.filter(pk__in=breached_ids).update(
                breached_at=now,
                team_id=Subquery(holder.values("team_id")[:1]),
                assignee_id=Subquery(holder.values("assignee_id")[:1]),
            )
            Timer.objects.filter(pk__in=breached_ids, warned_at__isnull=True).update(warned_at=now)
        if warned:
            Timer.objects.filter(pk__in=[r["id"] for r in warned]).update(warned_at=now)
        ticket_type = ContentType.objects.get_for_model(Ticket)
        Event.objects.bulk_create(
            Event(
                verb=f"sla.{'breached' if r['id'] in breached_ids else 'warning'}.{r['kind']}",
                target_type=ticket_type,
                target_id=str(r["ticket_id"]),
                contact_id=r["ticket__requester_id"],
                data={"timer": r["id"], "policy": r["policy_id"], "kind": r["kind"]},
                created_at=now,
            )
            for r in rows
        )
    result.warnings, result.breaches = len(warned), len(breached)
    _automation_run(rows, breached_ids)
    escalations: dict[tuple[int, str], list[Escalation]] = {}
    for esc in Escalation.objects.filter(policy_id__in={r["policy_id"] for r in rows}).select_related("user", "team"):
        escalations.setdefault((esc.policy_id, esc.on), []).append(esc)
    if not escalations:
        return result
    for r in rows:
        on = Escalation.On.BREACH if r["id"] in breached_ids else Escalation.On.WARNING
        for esc in escalations.get((r["policy_id"], on), []):
            if esc.kind and esc.kind != r["kind"]:
                continue
            if escalation_run(escalation=esc, ticket_id=r["ticket_id"], kind=r["kind"]):
                result.escalations += 1
            else:
                result.failed += 1
    return result


def _automation_run(rows: Sequence[Mapping[str, Any]], breached_ids: set[int]) -> None:
    """The automation rules on SLA warnings and breaches (once per ticket and tick), only if any exist."""
    from payvand.automation import hooks as automation_hooks
    from payvand.automation.engine import active_rules

    if not (active_rules("sla.warning") or active_rules("sla.breached")):
        return
    seen: set[tuple[int, bool]] = set()
    for r in rows:
        key = (r["ticket_id"], r["id"] in breached_ids)
        if key not in seen:
            seen.add(key)
            with transaction.atomic():
                automation_hooks.sla_event(*key)


def _kind_label(kind: str) -> str:
    return str(TimerKind(kind).label) if kind in TimerKind.values else kind


def escalation_run(*, escalation: Escalation, ticket_id: int, kind: str) -> bool:
    """Run one escalation on one ticket. False (and an `sla.escalation_failed` event) when it could not be done."""
    from payvand.helpdesk import services as helpdesk
    from payvand.notifications.services import notify

    ticket = Ticket.objects.select_related("team__lead", "assignee", "requester").filter(pk=ticket_id).first()
    if ticket is None:
        return False
    action = escalation.action
    data = {"action": action, "on": escalation.on, "kind": kind, "escalation": escalation.pk}
    system = cast(User, None)  # the scheduler acts: events and referrals carry no actor
    try:
        with transaction.atomic():
            if action in (
                Escalation.Action.NOTIFY_ASSIGNEE,
                Escalation.Action.NOTIFY_LEAD,
                Escalation.Action.NOTIFY_MANAGER,
            ):
                if action == Escalation.Action.NOTIFY_ASSIGNEE:
                    recipients = [ticket.assignee]
                elif action == Escalation.Action.NOTIFY_LEAD:
                    recipients = [ticket.team.lead if ticket.team else None]
                else:
                    recipients = [
                        tc.user
                        for tc in TeamContact.objects.filter(
                            team_id=ticket.team_id or 0, role=TeamContact.Role.SERVICE_MANAGER
                        ).select_related("user")
                    ]
                title = (
                    _("%(ref)s: %(timer)s target breached")
                    if escalation.on == Escalation.On.BREACH
                    else _("%(ref)s: %(timer)s target is near")
                ) % {"ref": ticket.reference, "timer": _kind_label(kind)}
                sent = notify(
                    recipients=recipients,
                    kind="sla",
                    title=title,
                    body=ticket.subject,
                    url=helpdesk.ticket_url(ticket),
                    ticket=ticket,
                )
                if not sent:
                    raise ValidationFailed.on("recipients", _("There is no one to notify."))
                data["recipients"] = [n.user_id for n in sent]
            elif action == Escalation.Action.REASSIGN:
                helpdesk.ticket_assign(ticket=ticket, by=system, assignee=escalation.user, team=escalation.team)
                data["user"] = escalation.user_id
            elif action == Escalation.Action.RAISE_PRIORITY:
                if ticket.priority >= Priority.URGENT:
                    raise Conflict(detail=_("The ticket is already urgent."))
                helpdesk.ticket_update(ticket=ticket, by=system, priority=ticket.priority + 1)
                data["priority"] = ticket.priority + 1
            elif action == Escalation.Action.REFER:
                helpdesk.ticket_refer(
                    ticket=ticket,
                    by=system,
                    to_team=escalation.team,
                    note=_("SLA escalation: %(timer)s") % {"timer": _kind_label(kind)},
                )
                data["team"] = escalation.team_id
            _event(ticket, "sla.escalated", data)
    except PayvandError as exc:
        _event(ticket, "sla.escalation_failed", {**data, "reason": exc.detail})
        return False
    return True
