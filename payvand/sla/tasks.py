from __future__ import annotations

from django.tasks import task

from payvand.sla.services import sla_tick


@task()
def sla_tick_task() -> dict[str, int]:
    """The scheduler's SLA check: warnings, breaches and their escalations."""
    result = sla_tick()
    return {
        "warnings": result.warnings,
        "breaches": result.breaches,
        "escalations": result.escalations,
        "failed": result.failed,
    }
