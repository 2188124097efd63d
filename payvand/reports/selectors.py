"""Helpdesk reports: every figure is a GROUP BY in the database (SQLite and PostgreSQL alike), scoped to the viewer.

Each `report_*` function takes `user`, an optional period (`start`, `end`: dates in the viewer's time zone, both
inclusive, or aware datetimes, `end` exclusive) and an optional `team` (a Team or its id), and returns a list of
plain dicts. Viewers need `helpdesk.view_reports`; dispatchers, supervisors and admins count every ticket, anyone
else only the tickets they can see.
"""

from __future__ import annotations

import datetime as dt
import statistics
from contextlib import nullcontext
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import PermissionDenied, ValidationFailed
from payvand.helpdesk.models import ACTIVE_CATEGORIES, StatusCategory, Ticket, WorkLog
from payvand.helpdesk.selectors import sees_everything, visibility_q

MAX_DAYS_DAILY = 731  # daily series (backlog, created vs solved per day) cover at most two years
MAX_TICKET_ROWS = 5000  # "time per ticket" lists the tickets with the most time first, up to this many


# ---------------------------------------------------------------------------------------------- SQL helpers


class SecondsBetween(Func):
    """end - start in seconds, as a float."""

    output_field = FloatField()
    arg_joiner = " - "
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class _SqliteMedian:
    """The median aggregate SQLite lacks (registered on the connection before a query that uses it)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    name = "Median"
    output_field = FloatField()
    template = "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="payvand_median", template="%(function)s(%(expressions)s)")


def _enable_sqlite_median() -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_aggregate("payvand_median", 1, _SqliteMedian)


# ---------------------------------------------------------------------------------------------- scope and period


def report_require_perm(*, user: User) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(detail=_("Sign in first."))
    if not user.has_perm("helpdesk.view_reports"):
        raise PermissionDenied(detail=_("You do not have permission to see reports."))


def _team_id(team: Team | int | None) -> int | None:
    if team is None:
        return None
    return team.pk if isinstance(team, Team) else int(team)


def _to_datetime(value: dt.date | dt.datetime | None, *, end: bool) -> dt.datetime | None:
    """Dates are whole days in the current time zone; the end date is included (so the bound is the next midnight)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    day = value + dt.timedelta(days=1) if end else value
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _bounds(start: dt.date | dt.datetime | None, end: dt.date | dt.datetime | None) -> tuple[Any, Any]:
    lower, upper = _to_datetime(start, end=False), _to_datetime(end, end=True)
    if lower is not None and upper is not None and upper <= lower:
        raise ValidationFailed.on("to", _("The end of the period must be after its start."))
    return lower, upper


def _tickets(user: User, team: Team | int | None) -> QuerySet[Ticket]:
    """The tickets a report counts: all of them for those who see everything, else the visible ones."""
    report_require_perm(user=user)
    qs = Ticket.objects.all()
    if not sees_everything(user):
        qs = qs.filter(pk__in=Ticket.objects.filter(visibility_q(user)).values("pk"))
    team_id = _team_id(team)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    return qs


def _created_in(qs: QuerySet[Ticket], start: Any, end: Any) -> QuerySet[Ticket]:
    lower, upper = _bounds(start, end)
    if lower is not None:
        qs = qs.filter(created_at__gte=lower)
    if upper is not None:
        qs = qs.filter(created_at__lt=upper)
    return qs


def _worklogs(user: User, start: Any, end: Any, team: Team | int | None) -> QuerySet[WorkLog]:
    report_require_perm(user=user)
    lower, upper = _bounds(start, end)
    qs = WorkLog.objects.all()
    if lower is not None:
        qs = qs.filter(started_at__gte=lower)
    if upper is not None:
        qs = qs.filter(started_at__lt=upper)
    team_id = _team_id(team)
    if team_id is not None:
        qs = qs.filter(ticket__team_id=team_id)
    if not sees_everything(user):
        qs = qs.filter(ticket__in=Ticket.objects.filter(visibility_q(user)).values("pk"))
    return qs


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# ---------------------------------------------------------------------------------------------- time spent


def report_time_per_customer(
    *,
    user: User,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    team: Team | int | None = None,
) -> list[dict[str, Any]]:
    """Minutes logged per customer (the tickets' requester), most first: customer_id, name, minutes, tickets.

    For all time, the tickets' own totals (`minutes_spent`) are grouped by requester. For a period, worklogs are
    summed per ticket first (a scan of the worklog table, no join), then those per-ticket sums are joined to their
    tickets and grouped by requester. Names are joined last, on the grouped rows only. `tickets` is the number of
    tickets with time logged (in the period), without a COUNT(DISTINCT).
    """
    contact_table = Contact._meta.db_table
    if start is None and end is None:
        # All time: each ticket's total is kept on the ticket (`minutes_spent`), so this is one pass over the
        # index of (requester, minutes_spent) instead of a scan of every worklog joined to every ticket.
        per_customer = (
            _tickets(user, team)
            .filter(minutes_spent__gt=0)
            .values("requester_id")
            # COUNT(*), not COUNT(id): then the (requester, minutes_spent) index alone answers it (index-only scan).
            .annotate(minutes=Sum("minutes_spent"), tickets=Count("*"))
            .order_by()
        )
        inner_sql, inner_params = per_customer.query.sql_with_params()
        params: list[Any] = list(inner_params)
        grouped = f"SELECT requester_id AS customer_id, minutes, tickets FROM ({inner_sql}) g"  # noqa: S608
    else:
        per_ticket = _worklogs(user, start, end, None).values("ticket_id").annotate(spent=Sum("minutes")).order_by()
        inner_sql, inner_params = per_ticket.query.sql_with_params()
        ticket_table = Ticket._meta.db_table
        where: list[str] = []
        params = list(inner_params)
        team_id = _team_id(team)
        if team_id is not None:
            where.append("t.team_id = %s")
            params.append(team_id)
        grouped = f"""
            SELECT t.requester_id AS customer_id, SUM(w.spent) AS minutes, COUNT(*) AS tickets
            FROM ({inner_sql}) w
            JOIN {ticket_table} t ON t.id = w.ticket_id
            {"WHERE " + " AND ".join(where) if where else ""}
            GROUP BY t.requester_id
        """  # noqa: S608 -- table names come from model metadata, values are parameters
    sql = f"""
        SELECT c.id, c.name, agg.minutes, agg.tickets
        FROM ({grouped}) agg
        JOIN {contact_table} c ON c.id = agg.customer_id
        ORDER BY agg.minutes DESC, c.id
    """  # noqa: S608 -- table names come from model metadata, values are parameters
    postgres = connection.vendor == "postgresql"
    with transaction.atomic() if postgres else nullcontext(), connection.cursor() as cursor:
        if postgres:  # JIT-compiling this one scan-and-group query costs ~0.2 s and saves nothing
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [
        {"customer_id": cid, "name": name, "minutes": int(minutes or 0), "tickets": int(tickets)}
        for cid, name, minutes, tickets in found
    ]


def report_time_per_ticket(
    *,
    user: User,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    team: Team | int | None = None,
    limit: int = MAX_TICKET_ROWS,
) -> list[dict[str, Any]]:
    """Minutes per ticket (the whole team's time), most first: ticket_id, reference, subject, customer, minutes,
    billable_minutes."""
    from django.conf import settings

    rows = (
        _worklogs(user, start, end, team)
        .values("ticket_id", "ticket__number", "ticket__subject", "ticket__requester__name")
        .annotate(spent=Sum("minutes"), billable=Sum("minutes", filter=Q(billable=True)))
        .order_by("-spent", "ticket_id")[:limit]
    )
    return [
        {
            "ticket_id": r["ticket_id"],
            "reference": f"{settings.PAYVAND_TICKET_PREFIX}{r['ticket__number']}",
            "subject": r["ticket__subject"],
            "customer": r["ticket__requester__name"],
            "minutes": r["spent"] or 0,
            "billable_minutes": r["billable"] or 0,
        }
        for r in rows
    ]


def report_time_per_person(
    *,
    user: User,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    team: Team | int | None = None,
) -> list[dict[str, Any]]:
    """Minutes per person, most first: user_id, name, minutes, billable_minutes, tickets."""
    rows = (
        _worklogs(user, start, end, team)
        .values("user_id", "user__full_name", "user__email")
        .annotate(
            spent=Sum("minutes"),
            billable=Sum("minutes", filter=Q(billable=True)),
            tickets=Count("ticket_id", distinct=True),
        )
        .order_by("-spent", "user_id")
    )
    return [
        {
            "user_id": r["user_id"],
            "name": r["user__full_name"] or r["user__email"],
            "minutes": r["spent"] or 0,
            "billable_minutes": r["billable"] or 0,
            "tickets": r["tickets"],
        }
        for r in rows
    ]


def report_time_per_project(
    *,
    user: User,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    team: Team | int | None = None,
) -> list[dict[str, Any]]:
    """Minutes per project (time on tickets without a project under project None): project_id, code, name,
    minutes, billable_minutes, tickets."""
    rows = (
        _worklogs(user, start, end, team)
        .values("ticket__project_id", "ticket__project__code", "ticket__project__name")
        .annotate(
            spent=Sum("minutes"),
            billable=Sum("minutes", filter=Q(billable=True)),
            tickets=Count("ticket_id", distinct=True),
        )
        .order_by("-spent", "ticket__project_id")
    )
    return [
        {
            "project_id": r["ticket__project_id"],
            "code": r["ticket__project__code"],
            "name": r["ticket__project__name"],
            "minutes": r["spent"] or 0,
            "billable_minutes": r["billable"] or 0,
            "tickets": r["tickets"],
        }
        for r in rows
    ]


# ---------------------------------------------------------------------------------------------- ticket counts


def report_tickets_by_category(
    *,
    user: User,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    team: Team | int | None = None,
) -> list[dict[str, Any]]:
    """Tickets created in the period per category (the root cause), most first: category_id, name, parent,
    tickets, open."""
    rows = (
        _created_in(_tickets(user, team), start, end)
        .values("category_id", "category__name", "category__parent__name")
        .annotate(n=Count("id"), open=Count("id", filter=Q(status_category__in=ACTIVE_CATEGORIES)))
        .order_by("-n", "category_id")
    )
    return [
        {
            "category_id": r["category_id"],
            "name": r["category__name"],
            "parent": r["category__parent__name"],
            "tickets": r["n"],
            "open": r["open"],
        }
        for r in rows
    ]


def report_tickets_by_tag(
    *,
    user: User,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    team: Team | int | None = None,
) -> list[dict[str, Any]]:
    """Tickets created in the period per tag (a ticket with two tags counts for both): tag_id, name, tickets."""
    through = Ticket.tags.through
    rows = (
        through.objects.filter(ticket__in=_created_in(_tickets(user, team), start, end).values("pk"))
        .values("tag_id", "tag__name")
        .annotate(n=Count("ticket_id"))
        .order_by("-n", "tag__name")
    )
    return [{"tag_id": r["tag_id"], "name": r["tag__name"], "tickets": r["n"]} for r in rows]


def report_tickets_by_project(
    *,
    user: User,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    team: Team | int | None = None,
) -> list[dict[str, Any]]:
    """Tickets created in the period per project (None: no project): project_id, code, name, tickets, open,
    closed."""
    rows = (
        _created_in(_tickets(user, team), start, end)
        .values("project_id", "project__code", "project__name")
        .annotate(
            n=Count("id"),
            open=Count("id", filter=Q(status_category__in=ACTIVE_CATEGORIES)),
            closed=Count("id", filter=Q(status_category__in=(StatusCategory.RESOLVED, StatusCategory.CLOSED))),
        )
        .order_by("-n", "project_id")
    )
    return [
        {
            "project_id": r["project_id"],
            "code": r["project__code"],
            "name": r["project__name"],
            "tickets": r["n"],
            "open": r["open"],
            "closed": r["closed"],
        }
        for r in rows
    ]


# ---------------------------------------------------------------------------------------------- series


def _series_bounds(start: Any, end: Any, *, max_days: int) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    last = _day(timezone.localtime(end)) if isinstance(end, dt.datetime) else (end or today)
    first = _day(timezone.localtime(start)) if isinstance(start, dt.datetime) else (start or last - dt.timedelta(29))
    if last < first:
        raise ValidationFailed.on("to", _("The end of the period must be after its start."))
    if (last - first).days + 1 > max_days:
        raise ValidationFailed.on("from", _("Choose a period of at most %(n)s days for this report.") % {"n": max_days})
    return first, last


def _done_at() -> Coalesce:
    """When a ticket stopped needing work: resolved, closed, or (cancelled tickets) last changed."""
    return Coalesce(
        "resolved_at",
        "closed_at",
        Case(When(status_category=StatusCategory.CANCELLED, then=F("updated_at")), output_field=DateTimeField()),
        output_field=DateTimeField(),
    )


def report_backlog(
    *,
    user: User,
    start: dt.date | None = None,
    end: dt.date | None = None,
    team: Team | int | None = None,
) -> list[dict[str, Any]]:
    """Open tickets at the end of each day: day, open. Three GROUP BY queries, whatever the period's length:
    the backlog before the first day, then tickets opened and finished per day."""
    first, last = _series_bounds(start, end, max_days=MAX_DAYS_DAILY)
    lower, upper = _to_datetime(first, end=False), _to_datetime(last, end=True)
    tickets = _tickets(user, team).annotate(done=_done_at())
    before = tickets.filter(created_at__lt=lower).filter(Q(done__isnull=True) | Q(done__gte=lower)).count()
    opened = {
        _day(r["day"]): r["n"]
        for r in tickets.filter(created_at__gte=lower, created_at__lt=upper)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    }
    finished = {
        _day(r["day"]): r["n"]
        for r in tickets.filter(done__gte=lower, done__lt=upper)
        .annotate(day=TruncDate("done"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    }
    rows, running, day = [], before, first
    while day <= last:
        running += opened.get(day, 0) - finished.get(day, 0)
        rows.append({"day": day, "open": running})
        day += dt.timedelta(days=1)
    return rows


def report_created_vs_solved(
    *,
    user: User,
    start: dt.date | None = None,
    end: dt.date | None = None,
    team: Team | int | None = None,
    interval: str = "day",
) -> list[dict[str, Any]]:
    """Tickets created and solved (resolved or closed) per day or per week (weeks start on Monday):
    period, created, solved."""
    if interval not in ("day", "week"):
        raise ValidationFailed.on("interval", _("Choose day or week."))
    first, last = _series_bounds(start, end, max_days=MAX_DAYS_DAILY if interval == "day" else 10 * 366)
    lower, upper = _to_datetime(first, end=False), _to_datetime(last, end=True)
    trunc = TruncDate if interval == "day" else TruncWeek
    tickets = _tickets(user, team)
    created = {
        _day(r["bucket"]): r["n"]
        for r in tickets.filter(created_at__gte=lower, created_at__lt=upper)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by()
    }
    solved = {
        _day(r["bucket"]): r["n"]
        for r in tickets.filter(resolved_at__gte=lower, resolved_at__lt=upper)
        .annotate(bucket=trunc("resolved_at"))
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by()
    }
    step = dt.timedelta(days=1 if interval == "day" else 7)
    bucket = first if interval == "day" else first - dt.timedelta(days=first.weekday())
    rows = []
    while bucket <= last:
        rows.append({"period": bucket, "created": created.get(bucket, 0), "solved": solved.get(bucket, 0)})
        bucket += step
    return rows


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 60, 1)


def report_response_times(
    *,
    user: User,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    team: Team | int | None = None,
) -> list[dict[str, Any]]:
    """First-response and resolution times of the tickets created in the period, per team, then all together
    (team_id None, team "all"; left out when one team is asked for): team_id, team, tickets, responded,
    first_response_avg, first_response_median, resolved, resolution_avg, resolution_median (minutes)."""
    _enable_sqlite_median()
    response = SecondsBetween(F("first_response_at"), F("created_at"))
    resolution = SecondsBetween(F("resolved_at"), F("created_at"))
    aggregates = {
        "tickets": Count("id"),
        "responded": Count("id", filter=Q(first_response_at__isnull=False)),
        "resolved": Count("id", filter=Q(resolved_at__isnull=False)),
        "response_avg": Avg(response, filter=Q(first_response_at__isnull=False), output_field=FloatField()),
        "response_median": Median(Case(When(first_response_at__isnull=False, then=response))),
        "resolution_avg": Avg(resolution, filter=Q(resolved_at__isnull=False), output_field=FloatField()),
        "resolution_median": Median(Case(When(resolved_at__isnull=False, then=resolution))),
    }
    tickets = _created_in(_tickets(user, team), start, end)
    grouped = list(tickets.values("team_id", "team__name").annotate(**aggregates).order_by("team__name", "team_id"))
    total = tickets.aggregate(**aggregates)

    def row(team_id: int | None, name: str | None, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "team_id": team_id,
            "team": name,
            "tickets": r["tickets"],
            "responded": r["responded"],
            "first_response_avg": _minutes(r["response_avg"]),
            "first_response_median": _minutes(r["response_median"]),
            "resolved": r["resolved"],
            "resolution_avg": _minutes(r["resolution_avg"]),
            "resolution_median": _minutes(r["resolution_median"]),
        }

    rows = [row(r["team_id"], r["team__name"], dict(r)) for r in grouped]
    if team is None:
        rows.append(row(None, "all", total))
    return rows
