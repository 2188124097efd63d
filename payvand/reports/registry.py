"""The reports users can open: each one's title, filters, columns and chart, over a selector in selectors.py.

To add a report: write `report_<name>` in selectors.py, then add a `Report` to REPORTS below (see CONTRIBUTING.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payvand.accounts.models import Team, User
from payvand.core.errors import FieldError, NotFound, ValidationFailed
from payvand.core.localization import format_date_short, parse_date, to_ascii_digits
from payvand.reports import selectors

MAX_PERIOD_DAYS = 10 * 366
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise | str
    kind: str = "text"  # text, int, minutes, date, float


@dataclass(frozen=True)
class Report:
    name: str
    title: Promise | str
    description: Promise | str
    selector: Callable[..., list[dict[str, Any]]]
    columns: tuple[Column, ...]
    chart: str  # line, bar, hbar
    label_key: str  # the column the chart's labels come from
    value_keys: tuple[str, ...]  # the columns drawn
    intervals: bool = False  # offers per day / per week
    empty_label: Promise | str = gettext_lazy("None")
    extra: dict[str, Any] = field(default_factory=dict)


_MIN = gettext_lazy("Minutes")
_BILLABLE = gettext_lazy("Billable minutes")
_TICKETS = gettext_lazy("Tickets")

REPORTS: dict[str, Report] = {
    r.name: r
    for r in [
        Report(
            "time_per_ticket",
            gettext_lazy("Time per ticket"),
            gettext_lazy("Minutes the whole team logged on each ticket, most first."),
            selectors.report_time_per_ticket,
            (
                Column("reference", gettext_lazy("Ticket")),
                Column("subject", gettext_lazy("Subject")),
                Column("customer", gettext_lazy("Customer")),
                Column("minutes", _MIN, "minutes"),
                Column("billable_minutes", _BILLABLE, "minutes"),
            ),
            "hbar",
            "reference",
            ("minutes",),
        ),
        Report(
            "time_per_person",
            gettext_lazy("Time per person"),
            gettext_lazy("Minutes each person logged, and on how many tickets."),
            selectors.report_time_per_person,
            (
                Column("name", gettext_lazy("Person")),
                Column("minutes", _MIN, "minutes"),
                Column("billable_minutes", _BILLABLE, "minutes"),
                Column("tickets", _TICKETS, "int"),
            ),
            "hbar",
            "name",
            ("minutes", "billable_minutes"),
        ),
        Report(
            "time_per_customer",
            gettext_lazy("Time per customer"),
            gettext_lazy("Minutes logged on each customer's tickets."),
            selectors.report_time_per_customer,
            (
                Column("name", gettext_lazy("Customer")),
                Column("minutes", _MIN, "minutes"),
                Column("tickets", _TICKETS, "int"),
            ),
            "hbar",
            "name",
            ("minutes",),
        ),
        Report(
            "time_per_project",
            gettext_lazy("Time per project"),
            gettext_lazy("Minutes logged on each project's tickets."),
            selectors.report_time_per_project,
            (
                Column("code", gettext_lazy("Code")),
                Column("name", gettext_lazy("Project")),
                Column("minutes", _MIN, "minutes"),
                Column("billable_minutes", _BILLABLE, "minutes"),
                Column("tickets", _TICKETS, "int"),
            ),
            "hbar",
            "name",
            ("minutes",),
            empty_label=gettext_lazy("No project"),
        ),
        Report(
            "tickets_by_category",
            gettext_lazy("Tickets by category (root cause)"),
            gettext_lazy("Tickets created in the period per category, and how many are still open."),
            selectors.report_tickets_by_category,
            (
                Column("name", gettext_lazy("Category")),
                Column("parent", gettext_lazy("Parent category")),
                Column("tickets", _TICKETS, "int"),
                Column("open", gettext_lazy("Open"), "int"),
            ),
            "hbar",
            "name",
            ("tickets", "open"),
            empty_label=gettext_lazy("No category"),
        ),
        Report(
            "tickets_by_tag",
            gettext_lazy("Tickets by tag"),
            gettext_lazy("Tickets created in the period per tag (root-cause tags)."),
            selectors.report_tickets_by_tag,
            (Column("name", gettext_lazy("Tag")), Column("tickets", _TICKETS, "int")),
            "hbar",
            "name",
            ("tickets",),
        ),
        Report(
            "tickets_by_project",
            gettext_lazy("Tickets by project"),
            gettext_lazy("Tickets created in the period per project: open and resolved."),
            selectors.report_tickets_by_project,
            (
                Column("code", gettext_lazy("Code")),
                Column("name", gettext_lazy("Project")),
                Column("tickets", _TICKETS, "int"),
                Column("open", gettext_lazy("Open"), "int"),
                Column("closed", gettext_lazy("Resolved or closed"), "int"),
            ),
            "hbar",
            "name",
            ("open", "closed"),
            empty_label=gettext_lazy("No project"),
            extra={"stacked": True},
        ),
        Report(
            "backlog",
            gettext_lazy("Backlog"),
            gettext_lazy("Tickets still open at the end of each day."),
            selectors.report_backlog,
            (Column("day", gettext_lazy("Day"), "date"), Column("open", gettext_lazy("Open tickets"), "int")),
            "line",
            "day",
            ("open",),
        ),
        Report(
            "created_vs_solved",
            gettext_lazy("Created versus solved"),
            gettext_lazy("Tickets created and tickets resolved, per day or per week."),
            selectors.report_created_vs_solved,
            (
                Column("period", gettext_lazy("Period"), "date"),
                Column("created", gettext_lazy("Created"), "int"),
                Column("solved", gettext_lazy("Solved"), "int"),
            ),
            "line",
            "period",
            ("created", "solved"),
            intervals=True,
        ),
        Report(
            "response_times",
            gettext_lazy("Response and resolution times"),
            gettext_lazy("First-response and resolution times in minutes of the tickets created in the period."),
            selectors.report_response_times,
            (
                Column("team", gettext_lazy("Team")),
                Column("tickets", _TICKETS, "int"),
                Column("responded", gettext_lazy("Answered"), "int"),
                Column("first_response_avg", gettext_lazy("First response, average"), "float"),
                Column("first_response_median", gettext_lazy("First response, median"), "float"),
                Column("resolved", gettext_lazy("Resolved"), "int"),
                Column("resolution_avg", gettext_lazy("Resolution, average"), "float"),
                Column("resolution_median", gettext_lazy("Resolution, median"), "float"),
            ),
            "bar",
            "team",
            ("first_response_median", "resolution_median"),
            empty_label=gettext_lazy("No team"),
        ),
    ]
}


def report_get(name: str) -> Report:
    report = REPORTS.get(name)
    if report is None:
        raise NotFound(detail=_("No such report."))
    return report


# ---------------------------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ReportParams:
    start: dt.date
    end: dt.date
    team: Team | None
    interval: str = "day"


def _parse_day(raw: str, field_name: str) -> dt.date:
    try:
        return parse_date(raw)
    except ValueError:
        raise ValidationFailed.on(
            field_name, _("Enter a date like %(iso)s or 1403/09/02.") % {"iso": "2024-11-22"}
        ) from None


def report_params(raw: Mapping[str, Any]) -> ReportParams:
    """Read from, to (ISO or Jalali, any digits), team (an id) and interval (day or week). Without dates: the
    last 30 days. Raises ValidationFailed (field: from, to, team or interval)."""
    errors: list[FieldError] = []
    today = timezone.localdate()
    start = end = None
    text = {key: str(raw.get(key) or "").strip()[:40] for key in ("from", "to", "team", "interval")}
    for key in ("from", "to"):
        if text[key]:
            try:
                value = _parse_day(text[key], key)
            except ValidationFailed as exc:
                errors.extend(exc.errors)
                continue
            if key == "from":
                start = value
            else:
                end = value
    end = end or today
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if not errors and end < start:
        errors.append(FieldError("to", _("The end of the period must be after its start.")))
    elif not errors and (end - start).days + 1 > MAX_PERIOD_DAYS:
        errors.append(FieldError("from", _("Choose a period of at most %(n)s days.") % {"n": MAX_PERIOD_DAYS}))
    team = None
    if text["team"]:
        digits = to_ascii_digits(text["team"])
        team = Team.objects.filter(pk=int(digits)).first() if digits.isdigit() and len(digits) < 18 else None
        if team is None:
            errors.append(FieldError("team", _("No such team.")))
    interval = text["interval"] or "day"
    if interval not in ("day", "week"):
        errors.append(FieldError("interval", _("Choose day or week.")))
    if errors:
        raise ValidationFailed(detail=_("Some fields are not valid."), errors=errors)
    return ReportParams(start=start, end=end, team=team, interval=interval)


@dataclass
class ReportResult:
    report: Report
    params: ReportParams
    rows: list[dict[str, Any]]

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.report.columns


def report_run(*, name: str, user: User, params: ReportParams) -> ReportResult:
    report = report_get(name)
    kwargs: dict[str, Any] = {"user": user, "start": params.start, "end": params.end, "team": params.team}
    if report.intervals:
        kwargs["interval"] = params.interval
    return ReportResult(report=report, params=params, rows=report.selector(**kwargs))


def cell_text(result: ReportResult, column: Column, row: dict[str, Any]) -> str:
    """A cell as shown on screen and in the chart: empty groups get a label, dates the viewer's calendar."""
    value = row.get(column.key)
    if column.key == result.report.label_key and value in (None, ""):
        return str(result.report.empty_label)
    if column.key == "team" and value == "all":
        return _("All teams")
    if isinstance(value, dt.date):
        return format_date_short(value)
    return "" if value is None else str(value)


def chart_spec(result: ReportResult, *, limit: int = 30) -> dict[str, Any]:
    """The Chart.js spec read by reports/charts.js: the first `limit` rows of a ranking, every point of a series."""
    report = result.report
    rows = result.rows if report.chart == "line" else result.rows[:limit]
    by_key = {c.key: c for c in report.columns}
    label_column = by_key[report.label_key]
    return {
        "type": "bar" if report.chart == "hbar" else report.chart,
        "horizontal": report.chart == "hbar",
        "stacked": bool(report.extra.get("stacked")),
        "labels": [cell_text(result, label_column, row) for row in rows],
        "datasets": [
            {"label": str(by_key[key].label), "values": [row.get(key) or 0 for row in rows]}
            for key in report.value_keys
        ],
    }
