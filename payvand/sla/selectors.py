"""Every read of the SLA app: calendars and policies for the settings, a ticket's clocks, compliance figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import Team, User
from payvand.core.errors import NotFound, PermissionDenied
from payvand.helpdesk.models import Ticket
from payvand.helpdesk.selectors import sees_everything, ticket_get_for_user, visibility_q
from payvand.reports.selectors import _bounds, report_require_perm
from payvand.sla.businesstime import is_working
from payvand.sla.models import BusinessCalendar, SlaPolicy, Timer, TimerKind
from payvand.sla.services import _Schedules, _used

MANAGE_PERM = "sla.change_slapolicy"


def sla_require_manage(*, user: User) -> None:
    """Admins and supervisors configure calendars and policies."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(detail=_("Sign in first."))
    if not user.has_perm(MANAGE_PERM):
        raise PermissionDenied(detail=_("You do not have permission to change service levels."))


def calendar_list(*, user: User) -> QuerySet[BusinessCalendar]:
    sla_require_manage(user=user)
    return BusinessCalendar.objects.prefetch_related("hours").annotate(
        holiday_count=Count("holidays", distinct=True), policy_count=Count("policies", distinct=True)
    )


def calendar_get(*, user: User, calendar_id: int) -> BusinessCalendar:
    sla_require_manage(user=user)
    calendar = BusinessCalendar.objects.prefetch_related("hours", "holidays").filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(detail=_("No such calendar."))
    return calendar


def policy_list(*, user: User) -> QuerySet[SlaPolicy]:
    sla_require_manage(user=user)
    return SlaPolicy.objects.select_related("calendar").prefetch_related(
        "types", "segments", "organisations", "escalations__user", "escalations__team"
    )


def policy_get(*, user: User, policy_id: int) -> SlaPolicy:
    policy = policy_list(user=user).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(detail=_("No such policy."))
    return policy


@dataclass
class Clock:
    """A ticket's timer as the ticket page and the API show it."""

    timer: Timer
    state: str  # running, paused, met, breached
    used_seconds: int
    remaining_seconds: int  # business seconds left (negative: overdue)
    warning: bool
    breached: bool
    due_at: dt.datetime | None
    working_now: bool

    @property
    def kind(self) -> str:
        return self.timer.kind

    @property
    def percent(self) -> int:
        target = self.timer.target_seconds or 1
        return max(0, min(100, self.used_seconds * 100 // target))


def ticket_clocks(*, user: User, ticket_id: int, now: dt.datetime | None = None) -> tuple[Ticket, list[Clock]]:
    """The ticket's clocks (the viewer must see the ticket: 404 otherwise), the live ones first."""
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
    now = now or timezone.now()
    schedules = _Schedules()
    clocks = []
    for timer in Timer.objects.filter(ticket=ticket).select_related("policy").order_by("started_at", "id"):
        schedule = schedules[timer.policy.calendar_id]
        used = _used(timer, schedule, now)
        breached = timer.breached_at is not None or used >= timer.target_seconds
        state = ("breached" if breached else "met") if timer.state == Timer.State.STOPPED else timer.state
        clocks.append(
            Clock(
                timer=timer,
                state=state,
                used_seconds=used,
                remaining_seconds=timer.target_seconds - used,
                warning=used >= timer.warn_seconds,
                breached=breached,
                due_at=timer.breach_at if timer.state == Timer.State.RUNNING else None,
                working_now=timer.state == Timer.State.RUNNING and is_working(schedule, now),
            )
        )
    clocks.sort(key=lambda c: (c.timer.state == Timer.State.STOPPED, c.timer.started_at))
    return ticket, clocks


# ---------------------------------------------------------------------------------------------- compliance


def _timers(user: User, team: Team | int | None, start: Any, end: Any) -> QuerySet[Timer]:
    """Timers started in the period, on tickets the viewer may count (reports' rules)."""
    report_require_perm(user=user)
    qs = Timer.objects.all()
    if not sees_everything(user):
        qs = qs.filter(ticket_id__in=Ticket.objects.filter(visibility_q(user)).values("pk"))
    team_id = team.pk if isinstance(team, Team) else team
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    lower, upper = _bounds(start, end)
    if lower is not None:
        qs = qs.filter(started_at__gte=lower)
    if upper is not None:
        qs = qs.filter(started_at__lt=upper)
    return qs


AGGREGATES = {
    "timers": Count("id"),
    "met": Count("id", filter=Q(state=Timer.State.STOPPED, breached_at__isnull=True)),
    "breached": Count("id", filter=Q(breached_at__isnull=False)),
    "running": Count("id", filter=~Q(state=Timer.State.STOPPED) & Q(breached_at__isnull=True)),
}


def _row(r: dict[str, Any]) -> dict[str, Any]:
    decided = r["met"] + r["breached"]
    return {
        "timers": r["timers"],
        "met": r["met"],
        "breached": r["breached"],
        "running": r["running"],
        "compliance": round(100.0 * r["met"] / decided, 1) if decided else None,
    }


def report_sla_per_team(
    *, user: User, start: Any = None, end: Any = None, team: Team | int | None = None
) -> list[dict[str, Any]]:
    """Per team (the one holding the ticket when the clock stopped or breached): timers, met, breached, still
    running, compliance % (met of met + breached)."""
    timers = _timers(user, team, start, end)
    rows = timers.values("team_id", "team__name").annotate(**AGGREGATES)
    result = sorted(
        ({"team_id": r["team_id"], "team": r["team__name"], **_row(dict(r))} for r in rows),
        key=lambda r: (r["team"] is None, r["team"] or ""),
    )
    return [*result, {"team_id": None, "team": "all", **_row(timers.aggregate(**AGGREGATES))}]


def report_sla_per_agent(
    *, user: User, start: Any = None, end: Any = None, team: Team | int | None = None
) -> list[dict[str, Any]]:
    timers = _timers(user, team, start, end)
    rows = timers.values("assignee_id", "assignee__full_name", "assignee__email").annotate(**AGGREGATES)
    result = sorted(
        (
            {"user_id": r["assignee_id"], "name": r["assignee__full_name"] or r["assignee__email"], **_row(dict(r))}
            for r in rows
        ),
        key=lambda r: (r["name"] is None, r["name"] or ""),
    )
    return [*result, {"user_id": None, "name": _("All agents"), **_row(timers.aggregate(**AGGREGATES))}]


def report_sla_per_policy(
    *, user: User, start: Any = None, end: Any = None, team: Team | int | None = None
) -> list[dict[str, Any]]:
    timers = _timers(user, team, start, end)
    rows = timers.values("policy_id", "policy__name", "kind").annotate(**AGGREGATES)
    result = sorted(
        (
            {
                "policy_id": r["policy_id"],
                "policy": r["policy__name"],
                "kind": str(TimerKind(r["kind"]).label),
                **_row(dict(r)),
            }
            for r in rows
        ),
        key=lambda r: (r["policy"], r["kind"]),
    )
    total = {"policy_id": None, "policy": _("All policies"), "kind": _("All targets")}
    return [*result, {**total, **_row(timers.aggregate(**AGGREGATES))}]
