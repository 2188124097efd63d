from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from payvand.accounts.models import User
from payvand.core.schemas import ERRORS
from payvand.reports import registry
from payvand.reports.exports import report_file_response
from payvand.reports.schemas import ReportColumnOut, ReportInfoOut, ReportOut, ReportParamsIn
from payvand.reports.selectors import report_require_perm

router = Router(tags=["reports"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@router.get("", response={200: list[ReportInfoOut], **ERRORS}, summary="The reports there are")
def report_list(request: HttpRequest) -> list[ReportInfoOut]:
    report_require_perm(user=_user(request))
    return [
        ReportInfoOut(name=r.name, title=str(r.title), description=str(r.description), intervals=r.intervals)
        for r in registry.REPORTS.values()
    ]


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/{name}",
    response={200: ReportOut, **ERRORS},
    by_alias=True,
    summary="One report over a period (from/to: ISO or Jalali dates, default the last 30 days), as JSON, CSV or XLSX",
    openapi_extra={
        "responses": {
            200: {
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                }
            }
        }
    },
)
def report_get(request: HttpRequest, name: str, params: Query[ReportParamsIn]) -> ReportOut | HttpResponse:
    user = _user(request)
    report_require_perm(user=user)
    registry.report_get(name)
    parsed = registry.report_params(
        {"from": params.date_from, "to": params.date_to, "team": params.team, "interval": params.interval}
    )
    result = registry.report_run(name=name, user=user, params=parsed)
    if params.format != "json":
        return report_file_response(result, params.format)
    return ReportOut.model_validate(
        {
            "name": name,
            "title": str(result.report.title),
            "from": parsed.start,
            "to": parsed.end,
            "team": parsed.team.pk if parsed.team else None,
            "interval": parsed.interval,
            "columns": [ReportColumnOut(key=c.key, label=str(c.label), kind=c.kind) for c in result.columns],
            "rows": result.rows,
        }
    )
