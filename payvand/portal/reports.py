"""Satisfaction reports, added to the reports registry (payvand/reports/registry.py) when the app loads, so they get
the chart, the table and the CSV/XLSX export like every other report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, Q
from django.utils.translation import gettext_lazy

from payvand.accounts.models import Team, User
from payvand.portal.models import Satisfaction


def _answers(user: User, start: Any, end: Any, team: Team | int | None) -> Any:
    from payvand.reports.selectors import _bounds, _team_id, _tickets

    visible = _tickets(user, team)  # checks the report right and what the user may see
    lower, upper = _bounds(start, end)
    qs = Satisfaction.objects.filter(ticket__in=visible.values("pk"))
    if lower is not None:
        qs = qs.filter(answered_at__gte=lower)
    if upper is not None:
        qs = qs.filter(answered_at__lt=upper)
    team_id = _team_id(team)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    return qs


_AGG = {
    "answers": Count("id"),
    "average": Avg("rating"),
    "satisfied": Count("id", filter=Q(rating__gte=4)),
}


def _row(label: Any, r: dict[str, Any]) -> dict[str, Any]:
    n = r["answers"] or 0
    return {
        "name": label,
        "answers": n,
        "average": round(float(r["average"]), 2) if r["average"] is not None else None,
        "satisfied_share": round(100.0 * r["satisfied"] / n, 1) if n else None,
    }


def report_satisfaction_per_agent(
    *, user: User, start: dt.date | None = None, end: dt.date | None = None, team: Team | int | None = None
) -> list[dict[str, Any]]:
    """Per agent (the assignee when the customer answered): answers, average rating, share rating 4 or 5."""
    rows = (
        _answers(user, start, end, team)
        .values("agent_id", "agent__full_name", "agent__email")
        .annotate(**_AGG)
        .order_by("-answers", "agent_id")
    )
    return [{"agent_id": r["agent_id"], **_row(r["agent__full_name"] or r["agent__email"], r)} for r in rows]


def report_satisfaction_per_team(
    *, user: User, start: dt.date | None = None, end: dt.date | None = None, team: Team | int | None = None
) -> list[dict[str, Any]]:
    rows = _answers(user, start, end, team).values("team_id", "team__name").annotate(**_AGG).order_by("team__name")
    return [{"team_id": r["team_id"], **_row(r["team__name"], r)} for r in rows]


def report_satisfaction_per_period(
    *,
    user: User,
    start: dt.date | None = None,
    end: dt.date | None = None,
    team: Team | int | None = None,
    interval: str = "day",
) -> list[dict[str, Any]]:
    from django.db.models.functions import TruncDay, TruncWeek

    trunc = TruncWeek if interval == "week" else TruncDay
    rows = (
        _answers(user, start, end, team)
        .annotate(period=trunc("answered_at"))
        .values("period")
        .annotate(**_AGG)
        .order_by("period")
    )
    out = []
    for r in rows:
        period = r["period"].date() if isinstance(r["period"], dt.datetime) else r["period"]
        row = _row(None, r)
        row.pop("name")
        out.append({"period": period, **row})
    return out


def register() -> None:
    from payvand.reports.registry import REPORTS, Column, Report

    answers, average = gettext_lazy("Answers"), gettext_lazy("Average rating (1-5)")
    satisfied = gettext_lazy("Satisfied, 4 or 5 (%)")
    for report in (
        Report(
            "satisfaction_per_agent",
            gettext_lazy("Satisfaction per agent"),
            gettext_lazy("How customers rated the requests each agent resolved."),
            report_satisfaction_per_agent,
            (
                Column("name", gettext_lazy("Agent")),
                Column("answers", answers, "int"),
                Column("average", average, "float"),
                Column("satisfied_share", satisfied, "float"),
            ),
            "hbar",
            "name",
            ("average",),
            empty_label=gettext_lazy("Nobody"),
        ),
        Report(
            "satisfaction_per_team",
            gettext_lazy("Satisfaction per team"),
            gettext_lazy("How customers rated the requests each team resolved."),
            report_satisfaction_per_team,
            (
                Column("name", gettext_lazy("Team")),
                Column("answers", answers, "int"),
                Column("average", average, "float"),
                Column("satisfied_share", satisfied, "float"),
            ),
            "bar",
            "name",
            ("average",),
            empty_label=gettext_lazy("No team"),
        ),
        Report(
            "satisfaction_per_period",
            gettext_lazy("Satisfaction over time"),
            gettext_lazy("Average rating and answers per day or week."),
            report_satisfaction_per_period,
            (
                Column("period", gettext_lazy("Period"), "date"),
                Column("answers", answers, "int"),
                Column("average", average, "float"),
                Column("satisfied_share", satisfied, "float"),
            ),
            "line",
            "period",
            ("average",),
            intervals=True,
        ),
    ):
        REPORTS.setdefault(report.name, report)
