from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class ReportInfoOut(Schema):
    name: str
    title: str
    description: str
    intervals: bool


class ReportColumnOut(Schema):
    key: str
    label: str
    kind: str


class ReportOut(Schema):
    name: str
    title: str
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    team: int | None
    interval: str
    columns: list[ReportColumnOut]
    rows: list[dict[str, Any]]


class ReportParamsIn(Schema):
    # Dates as text: ISO (2024-11-22) or Jalali (1403/09/02), Persian digits welcome; checked by report_params.
    date_from: str = Field(default="", max_length=40, alias="from")
    date_to: str = Field(default="", max_length=40, alias="to")
    team: str = Field(default="", max_length=20)
    interval: Literal["day", "week"] = "day"
    format: Literal["json", "csv", "xlsx"] = "json"
