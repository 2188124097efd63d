"""Report pages: a list of reports, and each report with filters, a chart, a table and CSV/XLSX export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from payvand.accounts.models import User
from payvand.core.errors import ValidationFailed
from payvand.core.forms import apply_errors
from payvand.core.http import is_htmx, ui_errors
from payvand.reports import registry
from payvand.reports.exports import report_file_response
from payvand.reports.forms import ReportFilterForm
from payvand.reports.selectors import report_require_perm

NUMERIC = ("int", "minutes", "float")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@ui_errors
def report_index(request: HttpRequest) -> HttpResponse:
    report_require_perm(user=_user(request))
    return render(request, "reports/index.html", {"reports": list(registry.REPORTS.values())})


def _field_for(name: str) -> str | None:
    return {"from": "start", "to": "end"}.get(name, name)


@ui_errors
def report_detail(request: HttpRequest, name: str) -> HttpResponse:
    user = _user(request)
    report_require_perm(user=user)
    report = registry.report_get(name)
    form = ReportFilterForm(request.GET or None, intervals=report.intervals)
    result = None
    try:
        params = registry.report_params(request.GET)
        result = registry.report_run(name=name, user=user, params=params)
    except ValidationFailed as exc:
        form.is_valid()  # bind the typed values, then show the service's messages on them
        apply_errors(form, exc, _field_for)
    fmt = request.GET.get("format", "")
    if result is not None and fmt in ("csv", "xlsx"):
        return report_file_response(result, fmt)
    if result is not None and not request.GET:
        form = ReportFilterForm(
            initial={"start": result.params.start, "end": result.params.end, "interval": "day"},
            intervals=report.intervals,
        )
    table = []
    if result is not None:
        for row in result.rows:
            table.append(
                [
                    (row.get(c.key), c.kind)
                    if c.kind in NUMERIC and row.get(c.key) is not None
                    else (registry.cell_text(result, c, row), "text")
                    for c in result.columns
                ]
            )
    chart = registry.chart_spec(result) if result is not None else None
    context = {
        "report": report,
        "form": form,
        "result": result,
        "table": table,
        "chart": chart,
        "chart_height": max(260, 26 * len(chart["labels"])) if chart and chart["horizontal"] else 300,
    }
    template = "reports/report.html#results" if is_htmx(request) else "reports/report.html"
    return render(request, template, context)
