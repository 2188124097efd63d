"""Call-centre reports, added to the reports registry (payvand/reports/registry.py) when the app loads, so they get
the reports page with its chart, the CSV/XLSX export and GET /api/v1/reports/<name> like every other report.

Calls per hour, the answer rate and average handle time per day or week, calls per agent, and how soon missed calls
were returned. Inbound calls only, except calls per agent (both directions). Periods are whole days in the
viewer's time zone; `team` keeps the calls of that team's members (and, for inbound calls, those nobody answered)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import ExtractHour, TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payvand.accounts.models import Team, User
from payvand.core.errors import PermissionDenied, ValidationFailed
from payvand.telephony.models import Call, Direction, Outcome, State

MAX_DAYS = 10 * 366
# Buckets of the callback report, in minutes from the end of the missed call to the callback.
CALLBACK_BUCKETS = (15, 30, 60, 240)


def _calls(user: User, start: Any, end: Any, team: Team | int | None) -> QuerySet[Call]:
    if not user.has_perm("telephony.view_call_reports"):
        raise PermissionDenied(detail=_("You do not have permission to see call-centre reports."))
    today = timezone.localdate()
    end = end or today
    start = start or end - dt.timedelta(days=29)
    if isinstance(start, dt.datetime):
        start = timezone.localtime(start).date()
    if isinstance(end, dt.datetime):
        end = timezone.localtime(end).date()
    if end < start:
        raise ValidationFailed.on("to", _("The end of the period must be after its start."))
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed.on("from", _("Choose a shorter period."))
    lower = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    upper = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    qs = Call.objects.filter(started_at__gte=lower, started_at__lt=upper)
    if team is not None:
        team_id = team.pk if isinstance(team, Team) else int(team)
        qs = qs.filter(Q(agent__memberships__team_id=team_id) | Q(agent__isnull=True)).distinct()
    return qs


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _ended(qs: QuerySet[Call]) -> QuerySet[Call]:
    return qs.filter(direction=Direction.INBOUND, state=State.ENDED)


def report_calls_per_hour(*, user: User, start: Any = None, end: Any = None, team: Any = None) -> list[dict[str, Any]]:
    """Inbound calls by hour of the day (viewer's time zone): hour, calls, answered, missed."""
    rows = {
        r["hour"]: r
        for r in _ended(_calls(user, start, end, team))
        .annotate(hour=ExtractHour("started_at", tzinfo=timezone.get_current_timezone()))
        .values("hour")
        .annotate(calls=Count("id"), answered=Count("id", filter=Q(outcome=Outcome.ANSWERED)))
        .order_by()
    }
    result = []
    for hour in range(24):
        r = rows.get(hour, {"calls": 0, "answered": 0})
        result.append(
            {
                "hour": f"{hour:02d}:00",
                "calls": r["calls"],
                "answered": r["answered"],
                "missed": r["calls"] - r["answered"],
            }
        )
    return result


def report_answer_rate(
    *, user: User, start: Any = None, end: Any = None, team: Any = None, interval: str = "day"
) -> list[dict[str, Any]]:
    """Per day or week: inbound calls, answered, answer rate (%), average handle time (seconds of talk)."""
    if interval not in ("day", "week"):
        raise ValidationFailed.on("interval", _("Choose day or week."))
    trunc = TruncDate if interval == "day" else TruncWeek
    qs = _ended(_calls(user, start, end, team))
    rows = (
        qs.annotate(bucket=trunc("started_at", tzinfo=timezone.get_current_timezone()))
        .values("bucket")
        .annotate(
            calls=Count("id"),
            answered=Count("id", filter=Q(outcome=Outcome.ANSWERED)),
            handle=Avg("duration", filter=Q(outcome=Outcome.ANSWERED)),
        )
        .order_by("bucket")
    )
    result = []
    for r in rows:
        bucket = r["bucket"].date() if isinstance(r["bucket"], dt.datetime) else r["bucket"]
        result.append(
            {
                "period": bucket,
                "calls": r["calls"],
                "answered": r["answered"],
                "answer_rate": _rate(r["answered"], r["calls"]),
                "handle_seconds": round(float(r["handle"]), 1) if r["handle"] is not None else None,
            }
        )
    return result


def report_calls_per_agent(*, user: User, start: Any = None, end: Any = None, team: Any = None) -> list[dict[str, Any]]:
    """Per agent, most calls first: calls (both directions), inbound answered, outbound, average handle time."""
    rows = (
        _calls(user, start, end, team)
        .filter(agent__isnull=False)
        .values("agent_id", "agent__full_name", "agent__email")
        .annotate(
            calls=Count("id"),
            answered=Count("id", filter=Q(direction=Direction.INBOUND, outcome=Outcome.ANSWERED)),
            outbound=Count("id", filter=Q(direction=Direction.OUTBOUND)),
            handle=Avg("duration", filter=Q(outcome=Outcome.ANSWERED)),
        )
        .order_by("-calls", "agent_id")
    )
    return [
        {
            "agent": r["agent__full_name"] or r["agent__email"],
            "calls": r["calls"],
            "answered": r["answered"],
            "outbound": r["outbound"],
            "handle_seconds": round(float(r["handle"]), 1) if r["handle"] is not None else None,
        }
        for r in rows
    ]


def report_callbacks(*, user: User, start: Any = None, end: Any = None, team: Any = None) -> list[dict[str, Any]]:
    """Missed inbound calls by how soon they were returned: within 15, 30, 60, 240 minutes, later, not yet."""
    missed = _ended(_calls(user, start, end, team)).exclude(outcome=Outcome.ANSWERED)
    counts: dict[int | str, int] = dict.fromkeys([*CALLBACK_BUCKETS, "later", "open"], 0)
    for ended_at, returned_at in missed.values_list("ended_at", "returned_at"):
        if returned_at is None or ended_at is None:
            counts["open"] += 1
            continue
        minutes = (returned_at - ended_at).total_seconds() / 60
        bucket: int | str = next((b for b in CALLBACK_BUCKETS if minutes <= b), "later")
        counts[bucket] += 1
    total = sum(counts.values())
    labels: dict[int | str, str] = {b: _("Within %(n)s minutes") % {"n": b} for b in CALLBACK_BUCKETS}
    labels.update({"later": _("Later"), "open": _("Not returned yet")})
    rows, running = [], 0
    for key, n in counts.items():
        running += n if key != "open" else 0
        rows.append(
            {
                "returned": labels[key],
                "calls": n,
                "share": _rate(n, total),
                "cumulative_share": _rate(running, total) if key != "open" else None,
            }
        )
    return rows


def register() -> None:
    from payvand.reports.registry import REPORTS, Column, Report

    calls, answered = gettext_lazy("Calls"), gettext_lazy("Answered")
    handle = gettext_lazy("Average handle time (s)")
    for report in (
        Report(
            "calls_per_hour",
            gettext_lazy("Calls per hour"),
            gettext_lazy("Inbound calls by hour of the day, answered and missed."),
            report_calls_per_hour,
            (
                Column("hour", gettext_lazy("Hour")),
                Column("calls", calls, "int"),
                Column("answered", answered, "int"),
                Column("missed", gettext_lazy("Missed"), "int"),
            ),
            "bar",
            "hour",
            ("answered", "missed"),
            extra={"stacked": True},
        ),
        Report(
            "call_answer_rate",
            gettext_lazy("Answer rate and handle time"),
            gettext_lazy("Inbound calls per day or week, the share answered and the average talk time."),
            report_answer_rate,
            (
                Column("period", gettext_lazy("Period"), "date"),
                Column("calls", calls, "int"),
                Column("answered", answered, "int"),
                Column("answer_rate", gettext_lazy("Answer rate (%)"), "float"),
                Column("handle_seconds", handle, "float"),
            ),
            "line",
            "period",
            ("answer_rate",),
            intervals=True,
        ),
        Report(
            "calls_per_agent",
            gettext_lazy("Calls per agent"),
            gettext_lazy("Calls each agent took or made, and their average handle time."),
            report_calls_per_agent,
            (
                Column("agent", gettext_lazy("Agent")),
                Column("calls", calls, "int"),
                Column("answered", answered, "int"),
                Column("outbound", gettext_lazy("Outbound"), "int"),
                Column("handle_seconds", handle, "float"),
            ),
            "hbar",
            "agent",
            ("calls",),
        ),
        Report(
            "missed_call_callbacks",
            gettext_lazy("Missed calls returned"),
            gettext_lazy("How soon missed calls were called back."),
            report_callbacks,
            (
                Column("returned", gettext_lazy("Returned")),
                Column("calls", calls, "int"),
                Column("share", gettext_lazy("Share (%)"), "float"),
                Column("cumulative_share", gettext_lazy("Cumulative share (%)"), "float"),
            ),
            "bar",
            "returned",
            ("calls",),
        ),
    ):
        REPORTS.setdefault(report.name, report)
