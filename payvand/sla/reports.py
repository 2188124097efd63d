"""SLA compliance reports, added to the reports registry: they get the reports page, filters, chart, CSV/XLSX
export and GET /api/v1/reports/{name} like every other report."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from payvand.reports.registry import REPORTS, Column, Report
from payvand.sla import selectors

_COMMON = (
    Column("timers", _("Clocks"), "int"),
    Column("met", _("Met"), "int"),
    Column("breached", _("Breached"), "int"),
    Column("running", _("Still running"), "int"),
    Column("compliance", _("Compliance (%)"), "float"),
)

SLA_REPORTS = [
    Report(
        "sla_per_team",
        _("SLA compliance per team"),
        _("SLA clocks started in the period, per team holding the ticket when the clock stopped or breached."),
        selectors.report_sla_per_team,
        (Column("team", _("Team")), *_COMMON),
        "hbar",
        "team",
        ("met", "breached"),
        empty_label=_("No team"),
        extra={"stacked": True},
    ),
    Report(
        "sla_per_agent",
        _("SLA compliance per agent"),
        _("SLA clocks started in the period, per assignee when the clock stopped or breached."),
        selectors.report_sla_per_agent,
        (Column("name", _("Agent")), *_COMMON),
        "hbar",
        "name",
        ("met", "breached"),
        empty_label=_("Unassigned"),
        extra={"stacked": True},
    ),
    Report(
        "sla_per_policy",
        _("SLA compliance per policy"),
        _("SLA clocks started in the period, per policy and target."),
        selectors.report_sla_per_policy,
        (Column("policy", _("Policy")), Column("kind", _("Target")), *_COMMON),
        "hbar",
        "policy",
        ("met", "breached"),
        extra={"stacked": True},
    ),
]


def register() -> None:
    for report in SLA_REPORTS:
        REPORTS.setdefault(report.name, report)
