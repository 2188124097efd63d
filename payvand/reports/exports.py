"""CSV and XLSX files of a report: one header row of translated column names, then the rows as numbers and ISO
dates (spreadsheets read them as numbers and dates whatever the viewer's calendar)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook

from payvand.reports.registry import ReportResult, cell_text

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _value(result: ReportResult, key: str, row: dict[str, Any]) -> Any:
    column = next(c for c in result.columns if c.key == key)
    value = row.get(key)
    if column.kind in ("int", "minutes", "float", "date"):
        return value
    return cell_text(result, column, row)


def _safe_text(value: Any) -> Any:
    """Keep spreadsheet programs from running text as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_table(result: ReportResult) -> tuple[list[str], list[list[Any]]]:
    header = [str(c.label) for c in result.columns]
    rows = [[_safe_text(_value(result, c.key, row)) for c in result.columns] for row in result.rows]
    return header, rows


def report_csv(result: ReportResult) -> bytes:
    header, rows = report_table(result)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8 (Persian names)


def report_xlsx(result: ReportResult) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 -- a new workbook always has one sheet
    sheet.title = str(result.report.title)[:31].translate(str.maketrans("", "", "[]:*?/\\"))
    header, rows = report_table(result)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for n, column in enumerate(result.columns, start=1):
        if column.kind == "date":
            for cell in sheet.iter_cols(min_col=n, max_col=n, min_row=2):
                for c in cell:
                    c.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_file_response(result: ReportResult, fmt: str) -> HttpResponse:
    body = report_csv(result) if fmt == "csv" else report_xlsx(result)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    name = f"{result.report.name}-{result.params.start.isoformat()}-{result.params.end.isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Report-Rows"] = str(len(result.rows))
    return response
