"""Helpers shared by the helpdesk service, selector and concurrency tests (plain functions, no fixtures)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.models import Event
from payvand.helpdesk import services
from payvand.helpdesk.models import Ticket


def ticket_new(
    *, by: User | None, requester: Contact, team: Team | None = None, route: bool = False, **fields: Any
) -> Ticket:
    """A ticket made by the real service (numbered, with events), not routed unless asked."""
    fields.setdefault("subject", "Printer is broken")
    return services.ticket_create(by=by, requester=requester, team=team, route=route, **fields)


def verbs(ticket: Ticket) -> list[str]:
    """The verbs of the ticket's events, oldest first."""
    return list(
        Event.objects.filter(target_type=ContentType.objects.get_for_model(Ticket), target_id=str(ticket.pk))
        .order_by("pk")
        .values_list("verb", flat=True)
    )


def event_data(ticket: Ticket, verb: str) -> dict[str, Any]:
    event = (
        Event.objects.filter(target_type=ContentType.objects.get_for_model(Ticket), target_id=str(ticket.pk), verb=verb)
        .order_by("-pk")
        .first()
    )
    assert event is not None, f"no {verb} event on {ticket.reference}"
    return dict(event.data)


def agent_in(team: Team, email: str) -> User:
    """Another agent (the agent role: may work tickets, may not close them) in `team`."""
    from payvand.accounts import roles
    from payvand.accounts.services import team_add_member, user_create

    user = user_create(email=email, password=None, full_name=email.split("@")[0].title(), role_names=[roles.AGENT])
    team_add_member(team=team, user=user, by=None)
    return user


def detail(*, user: User, ticket_id: int) -> Any:
    """`selectors.ticket_detail`, typed loosely: it adds thread, task_list, worklog_list, referral_list,
    watcher_list, tag_list and minutes_total to the ticket."""
    from payvand.helpdesk import selectors

    return selectors.ticket_detail(user=user, ticket_id=ticket_id)
