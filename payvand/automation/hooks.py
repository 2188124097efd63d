"""The calls the helpdesk and the SLA tick make into the rules, inside their own transactions (one line at each
place). A ticket the rules changed is refreshed in place, so the caller goes on with what is stored."""

from __future__ import annotations

from typing import Any

from payvand.helpdesk.models import Ticket


def _run(trigger: str, ticket: Ticket, data: dict[str, Any] | None = None) -> None:
    from payvand.automation.engine import dispatch

    if dispatch(trigger=trigger, ticket=ticket, data=data):
        ticket.refresh_from_db()


def ticket_created(ticket: Ticket) -> None:
    from payvand.automation.models import StateEntry

    # An upsert in one statement (no lookup, no savepoint): what update_or_create does, for a hook every new
    # ticket runs.
    StateEntry.objects.bulk_create(
        [StateEntry(ticket_id=ticket.pk, category=ticket.status_category, entered_at=ticket.created_at)],
        update_conflicts=True,
        unique_fields=["ticket"],
        update_fields=["category", "entered_at"],
    )
    _run("ticket.created", ticket)


def status_changed(ticket: Ticket, new: str) -> None:
    """The ticket enters another status category: time-based rules count from now."""
    from django.utils import timezone

    from payvand.automation.models import StateEntry

    StateEntry.objects.update_or_create(ticket_id=ticket.pk, defaults={"category": new, "entered_at": timezone.now()})


def ticket_updated(ticket: Ticket) -> None:
    _run("ticket.updated", ticket)


def message_received(ticket: Ticket) -> None:
    _run("message.received", ticket)


def task_done(ticket: Ticket) -> None:
    _run("task.done", ticket)


def sla_event(ticket_id: int, breached: bool) -> None:
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is not None:
        _run("sla.breached" if breached else "sla.warning", ticket)
