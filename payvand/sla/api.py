"""/api/v1/sla/calendars, /api/v1/sla/policies (admins and supervisors) and /api/v1/tickets/{id}/sla."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact, Segment
from payvand.core.errors import FieldError, NotFound, ValidationFailed
from payvand.core.schemas import ERRORS, PathId
from payvand.helpdesk.models import TicketType
from payvand.sla import selectors, services
from payvand.sla.models import BusinessCalendar, Holiday, SlaPolicy
from payvand.sla.schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPatchIn,
    ClockOut,
    EscalationIO,
    HolidayIn,
    HolidayOut,
    HolidaysLoadIn,
    HolidaysLoadOut,
    HoursIO,
    PolicyIn,
    PolicyOut,
    TicketSlaOut,
)

router = Router(tags=["sla"])
ticket_router = Router(tags=["sla"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------- ticket clocks


@ticket_router.get("/{ticket_id}/sla", response={200: TicketSlaOut, **ERRORS}, summary="The ticket's SLA clocks")
def ticket_sla(request: HttpRequest, ticket_id: PathId) -> TicketSlaOut:
    ticket, clocks = selectors.ticket_clocks(user=_user(request), ticket_id=ticket_id)
    return TicketSlaOut(
        ticket=ticket.pk,
        clocks=[
            ClockOut(
                id=c.timer.pk,
                kind=c.kind,
                state=c.state,
                policy=c.timer.policy.name,
                target_minutes=c.timer.target_minutes,
                used_minutes=round(c.used_seconds / 60, 1),
                remaining_minutes=round(c.remaining_seconds / 60, 1),
                warning=c.warning,
                breached=c.breached,
                started_at=c.timer.started_at,
                due_at=c.due_at,
                stopped_at=c.timer.stopped_at,
                working_now=c.working_now,
            )
            for c in clocks
        ],
    )


# ---------------------------------------------------------------------------------------------- calendars


def calendar_out(calendar: BusinessCalendar) -> CalendarOut:
    return CalendarOut(
        id=calendar.pk,
        name=calendar.name,
        time_zone=calendar.time_zone,
        country=calendar.country,
        hours=[
            HoursIO(weekday=h.weekday, start=h.start.strftime("%H:%M"), end=h.end.strftime("%H:%M"))
            for h in calendar.hours.all()
        ],
        holidays=[
            HolidayOut(id=h.pk, date=h.date, name=h.name, source=h.source)
            for h in sorted(calendar.holidays.all(), key=lambda h: h.date)
        ],
    )


def _hours(hours: Sequence[HoursIO]) -> list[services.HoursIn]:
    return [services.HoursIn(h.weekday, _time(h.start), _time(h.end)) for h in hours]


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


@router.get("/calendars", response={200: list[CalendarOut], **ERRORS}, summary="Business calendars")
def calendar_list(request: HttpRequest) -> list[CalendarOut]:
    return [calendar_out(c) for c in selectors.calendar_list(user=_user(request)).prefetch_related("holidays")]


@router.post("/calendars", response={201: CalendarOut, **ERRORS}, summary="Create a business calendar")
def calendar_create(request: HttpRequest, payload: CalendarIn) -> tuple[int, CalendarOut]:
    user = _user(request)
    selectors.sla_require_manage(user=user)
    calendar = services.calendar_create(
        by=user, name=payload.name, time_zone=payload.time_zone, country=payload.country, hours=_hours(payload.hours)
    )
    return 201, calendar_out(selectors.calendar_get(user=user, calendar_id=calendar.pk))


@router.get("/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS}, summary="One business calendar")
def calendar_get(request: HttpRequest, calendar_id: PathId) -> CalendarOut:
    return calendar_out(selectors.calendar_get(user=_user(request), calendar_id=calendar_id))


@router.patch("/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS}, summary="Change a calendar")
def calendar_update(request: HttpRequest, calendar_id: PathId, payload: CalendarPatchIn) -> CalendarOut:
    user = _user(request)
    calendar = selectors.calendar_get(user=user, calendar_id=calendar_id)
    services.calendar_update(
        calendar=calendar,
        by=user,
        name=payload.name,
        time_zone=payload.time_zone,
        country=payload.country,
        hours=_hours(payload.hours) if payload.hours is not None else None,
    )
    return calendar_out(selectors.calendar_get(user=user, calendar_id=calendar_id))


@router.delete("/calendars/{calendar_id}", response={204: None, **ERRORS}, summary="Delete an unused calendar")
def calendar_delete(request: HttpRequest, calendar_id: PathId) -> tuple[int, None]:
    user = _user(request)
    services.calendar_delete(calendar=selectors.calendar_get(user=user, calendar_id=calendar_id), by=user)
    return 204, None


@router.post(
    "/calendars/{calendar_id}/holidays/load",
    response={200: HolidaysLoadOut, **ERRORS},
    summary="Load the public holidays of the calendar's country for a year",
)
def holidays_load(request: HttpRequest, calendar_id: PathId, payload: HolidaysLoadIn) -> HolidaysLoadOut:
    user = _user(request)
    calendar = selectors.calendar_get(user=user, calendar_id=calendar_id)
    return HolidaysLoadOut(loaded=services.holidays_load(calendar=calendar, by=user, year=payload.year))


@router.post(
    "/calendars/{calendar_id}/holidays", response={201: HolidayOut, **ERRORS}, summary="Add (or rename) a holiday"
)
def holiday_add(request: HttpRequest, calendar_id: PathId, payload: HolidayIn) -> tuple[int, HolidayOut]:
    user = _user(request)
    calendar = selectors.calendar_get(user=user, calendar_id=calendar_id)
    h = services.holiday_add(calendar=calendar, by=user, date=payload.date, name=payload.name)
    return 201, HolidayOut(id=h.pk, date=h.date, name=h.name, source=h.source)


@router.delete(
    "/calendars/{calendar_id}/holidays/{holiday_id}", response={204: None, **ERRORS}, summary="Remove a holiday"
)
def holiday_remove(request: HttpRequest, calendar_id: PathId, holiday_id: PathId) -> tuple[int, None]:
    user = _user(request)
    calendar = selectors.calendar_get(user=user, calendar_id=calendar_id)
    holiday = Holiday.objects.filter(calendar=calendar, pk=holiday_id).first()
    if holiday is None:
        raise NotFound(detail=_("No such holiday."))
    services.holiday_remove(holiday=holiday, by=user)
    return 204, None


# ---------------------------------------------------------------------------------------------- policies


def policy_out(policy: SlaPolicy) -> PolicyOut:
    return PolicyOut(
        id=policy.pk,
        name=policy.name,
        calendar=policy.calendar_id,
        order=policy.order,
        is_active=policy.is_active,
        priorities=list(policy.priorities),
        channels=list(policy.channels),
        types=[t.pk for t in policy.types.all()],
        segments=[s.pk for s in policy.segments.all()],
        organisations=[o.pk for o in policy.organisations.all()],
        first_response_minutes=policy.first_response_minutes,
        next_response_minutes=policy.next_response_minutes,
        resolution_minutes=policy.resolution_minutes,
        warning_percent=policy.warning_percent,
        escalations=[
            EscalationIO(on=e.on, action=e.action, kind=e.kind, user=e.user_id, team=e.team_id)
            for e in policy.escalations.all()
        ],
    )


def _objects[M: Model](
    model: type[M], ids: Sequence[int], field: str, errors: list[FieldError], **extra: Any
) -> list[M]:
    found = {o.pk: o for o in model._default_manager.filter(pk__in=set(ids), **extra)}
    missing = [i for i in ids if i not in found]
    if missing:
        errors.append(FieldError(field, _("Unknown id: %(id)s.") % {"id": missing[0]}))
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def _policy_data(payload: PolicyIn) -> services.PolicyIn:
    errors: list[FieldError] = []
    calendar = BusinessCalendar.objects.filter(pk=payload.calendar).first()
    if calendar is None:
        errors.append(FieldError("calendar", _("No such calendar.")))
    escalations = []
    for n, e in enumerate(payload.escalations):
        user = _objects(User, [e.user], f"escalations.{n}.user", errors) if e.user else []
        team = _objects(Team, [e.team], f"escalations.{n}.team", errors) if e.team else []
        escalations.append(
            services.EscalationIn(
                on=e.on, action=e.action, kind=e.kind, user=user[0] if user else None, team=team[0] if team else None
            )
        )
    data = services.PolicyIn(
        name=payload.name,
        calendar=calendar,
        order=payload.order,
        is_active=payload.is_active,
        priorities=payload.priorities,
        channels=payload.channels,
        types=_objects(TicketType, payload.types, "types", errors),
        segments=_objects(Segment, payload.segments, "segments", errors),
        organisations=_objects(Contact, payload.organisations, "organisations", errors),
        first_response_minutes=payload.first_response_minutes,
        next_response_minutes=payload.next_response_minutes,
        resolution_minutes=payload.resolution_minutes,
        warning_percent=payload.warning_percent,
        escalations=escalations,
    )
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    return data


@router.get("/policies", response={200: list[PolicyOut], **ERRORS}, summary="SLA policies, in the order tried")
def policy_list(request: HttpRequest) -> list[PolicyOut]:
    return [policy_out(p) for p in selectors.policy_list(user=_user(request))]


@router.post("/policies", response={201: PolicyOut, **ERRORS}, summary="Create an SLA policy")
def policy_create(request: HttpRequest, payload: PolicyIn) -> tuple[int, PolicyOut]:
    user = _user(request)
    selectors.sla_require_manage(user=user)
    policy = services.policy_create(by=user, data=_policy_data(payload))
    return 201, policy_out(selectors.policy_get(user=user, policy_id=policy.pk))


@router.get("/policies/{policy_id}", response={200: PolicyOut, **ERRORS}, summary="One SLA policy")
def policy_get(request: HttpRequest, policy_id: PathId) -> PolicyOut:
    return policy_out(selectors.policy_get(user=_user(request), policy_id=policy_id))


@router.put("/policies/{policy_id}", response={200: PolicyOut, **ERRORS}, summary="Replace an SLA policy")
def policy_update(request: HttpRequest, policy_id: PathId, payload: PolicyIn) -> PolicyOut:
    user = _user(request)
    policy = selectors.policy_get(user=user, policy_id=policy_id)
    services.policy_update(policy=policy, by=user, data=_policy_data(payload))
    return policy_out(selectors.policy_get(user=user, policy_id=policy_id))


@router.delete("/policies/{policy_id}", response={204: None, **ERRORS}, summary="Delete an SLA policy")
def policy_delete(request: HttpRequest, policy_id: PathId) -> tuple[int, None]:
    user = _user(request)
    services.policy_delete(policy=selectors.policy_get(user=user, policy_id=policy_id), by=user)
    return 204, None
