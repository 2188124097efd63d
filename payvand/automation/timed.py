"""Time-based rules: "pending customer for 3 business days → remind; after 5 → close". The scheduler's job
(`automation.tick`) finds, for each active time rule, the tickets that entered the rule's status long enough ago
(in the rule's business calendar, via the SLA app's business-time functions; wall-clock time without one), checks
the rule's other conditions, and runs its actions once per ticket and entry into the status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from payvand.automation.engine import Facts, compile_rule, fire
from payvand.automation.models import Rule, StateEntry, TimedFiring, Trigger
from payvand.helpdesk.models import Ticket
from payvand.sla.businesstime import NoWorkingTime, business_between

BATCH = 500


@dataclass
class TickResult:
    fired: int = 0
    failed: int = 0
    checked: int = 0


def automation_tick(*, now: dt.datetime | None = None, batch: int = BATCH) -> TickResult:
    now = now or timezone.now()
    result = TickResult()
    rules = list(
        Rule.objects.filter(is_active=True, trigger=Trigger.TIME_ELAPSED, after_minutes__isnull=False)
        .exclude(state="")
        .order_by("position", "id")
    )
    for rule in rules:
        _rule_tick(rule, now, batch, result)
    return result


def _rule_tick(rule: Rule, now: dt.datetime, batch: int, result: TickResult) -> None:
    from payvand.sla.services import schedule_for

    after = dt.timedelta(minutes=rule.after_minutes or 0)
    compiled = compile_rule(rule)
    schedule = schedule_for(rule.calendar_id) if rule.calendar_id else None
    # Business time never runs faster than the wall clock: entries newer than `after` cannot be due.
    done = TimedFiring.objects.filter(rule=rule, ticket_id=OuterRef("ticket_id"), entered_at=OuterRef("entered_at"))
    entries = list(
        StateEntry.objects.filter(category=rule.state, entered_at__lte=now - after)
        .exclude(Exists(done))
        .order_by("entered_at")
        .values_list("ticket_id", "entered_at")[:batch]
    )
    tickets = Ticket.objects.select_related("requester").in_bulk([t for t, _e in entries])
    for ticket_id, entered_at in entries:
        ticket = tickets.get(ticket_id)
        if ticket is None or ticket.status_category != rule.state:
            continue
        result.checked += 1
        if schedule is not None:
            try:
                if business_between(schedule, entered_at, now) < after:
                    continue
            except NoWorkingTime:
                continue
        if not compiled.matches(Facts(ticket, now)):
            continue
        try:
            with transaction.atomic():
                TimedFiring.objects.create(rule=rule, ticket=ticket, entered_at=entered_at, fired_at=now)
                ok, _current = fire(rule=compiled, ticket=ticket, trigger=Trigger.TIME_ELAPSED)
        except IntegrityError:  # another scheduler fired it first
            continue
        if ok:
            result.fired += 1
        else:
            result.failed += 1
