"""The calls the helpdesk makes into the SLA clocks, inside its own transactions (one line at each place)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from payvand.helpdesk.models import Ticket


def ticket_created(ticket: Ticket) -> None:
    from payvand.sla.services import ticket_timers_start

    ticket_timers_start(ticket=ticket)


def status_changed(ticket: Ticket, old: str, new: str) -> None:
    from payvand.sla.services import timers_on_status

    timers_on_status(ticket=ticket, old=old, new=new)


def agent_replied(ticket: Ticket, at: dt.datetime) -> None:
    from payvand.sla.services import timers_on_agent_reply

    timers_on_agent_reply(ticket=ticket, at=at)


def customer_wrote(ticket: Ticket, at: dt.datetime) -> None:
    from payvand.sla.services import timers_on_customer_message

    timers_on_customer_message(ticket=ticket, at=at)


def ticket_changed(ticket: Ticket, fields: Iterable[str]) -> None:
    from payvand.sla.services import timers_on_change

    timers_on_change(ticket=ticket, fields=fields)
