"""Helpers of the SLA tests: a round-the-clock UTC calendar (business time = wall time) and policies on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from payvand.sla import services
from payvand.sla.models import BusinessCalendar, SlaPolicy, Timer

T = dt.time


def always_calendar(name: str = "Always") -> BusinessCalendar:
    return services.calendar_create(
        by=None,
        name=name,
        time_zone="UTC",
        hours=[services.HoursIn(d, T(0), T(0)) for d in range(7)],
    )


def policy_new(calendar: BusinessCalendar | None = None, **fields: Any) -> SlaPolicy:
    fields.setdefault("name", "Standard")
    fields.setdefault("first_response_minutes", 60)
    fields.setdefault("resolution_minutes", 8 * 60)
    fields.setdefault("next_response_minutes", 120)
    return services.policy_create(
        by=None, data=services.PolicyIn(calendar=calendar or always_calendar(f"Always for {fields['name']}"), **fields)
    )


def timer(ticket_id: int, kind: str) -> Timer:
    return Timer.objects.filter(ticket_id=ticket_id, kind=kind).order_by("-started_at", "-id").first()  # type: ignore[return-value]
