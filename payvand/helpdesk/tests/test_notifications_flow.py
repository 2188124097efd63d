"""From a helpdesk change to the people told about it: who gets a notification, by email at once or in the digest
(each user's preferences), and the live push to the cartable after commit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.helpdesk import services
from payvand.helpdesk.models import Message, TeamContact, Ticket
from payvand.helpdesk.tests.services_support import agent_in, ticket_new
from payvand.notifications.models import Kind, Notification, Preference
from payvand.notifications.tasks import notifications_digest_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(agent_a: User, customer_x: Contact, team_a: Team) -> Ticket:
    return ticket_new(by=None, requester=customer_x, team=team_a, assignee=agent_a)


@pytest.fixture
def listen() -> Iterator[Any]:
    """Subscribe a fresh channel to groups of the in-memory channel layer; `receive()` returns what arrived."""
    layer = get_channel_layer()
    assert layer is not None
    channel = async_to_sync(layer.new_channel)()
    groups: list[str] = []

    class Listener:
        def join(self, *names: str) -> None:
            for name in names:
                async_to_sync(layer.group_add)(name, channel)
                groups.append(name)

        def receive_all(self) -> list[dict[str, Any]]:
            got: list[dict[str, Any]] = []
            while True:
                message = async_to_sync(_receive_nowait)(layer, channel)
                if message is None:
                    return got
                got.append(message)

    yield Listener()
    for name in groups:
        async_to_sync(layer.group_discard)(name, channel)


async def _receive_nowait(layer: Any, channel: str) -> dict[str, Any] | None:
    import asyncio

    try:
        return await asyncio.wait_for(layer.receive(channel), timeout=0.05)
    except TimeoutError:
        return None


def test_the_assignee_is_emailed_at_once_after_commit(
    agent_a: User, customer_x: Contact, team_a: Team, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_new(by=None, requester=customer_x, team=team_a, assignee=agent_a)
    note = Notification.objects.get(user=agent_a)
    assert (note.kind, note.ticket, note.read_at) == (Kind.ASSIGNED, ticket, None)
    assert note.emailed_at is not None
    assert [m.to for m in mailoutbox] == [[agent_a.email]]
    assert ticket.reference in mailoutbox[0].body


def test_nothing_is_sent_before_the_commit(ticket: Ticket, agent_a: User, agent_b: User, mailoutbox: list[Any]):
    services.message_add(ticket=ticket, by=agent_b, body="@agent.a@example.com see", kind=Message.Kind.NOTE)
    assert Notification.objects.filter(user=agent_a, kind=Kind.MENTION).exists()
    assert mailoutbox == []  # the on-commit callbacks haven't run inside the test's transaction


def test_the_actor_is_never_told_about_their_own_change(ticket: Ticket, agent_a: User):
    services.ticket_watch(ticket=ticket, by=agent_a)
    services.message_add(ticket=ticket, by=agent_a, body="My own note", kind=Message.Kind.NOTE)
    assert not Notification.objects.filter(user=agent_a, kind=Kind.MESSAGE).exists()


def test_inactive_people_are_not_told(ticket: Ticket, agent_a: User, customer_x: Contact):
    User.objects.filter(pk=agent_a.pk).update(is_active=False)
    agent_a.refresh_from_db()
    services.message_add(ticket=ticket, by=None, body="Hello", kind=Message.Kind.INBOUND, author_contact=customer_x)
    assert not Notification.objects.filter(user=agent_a, kind=Kind.MESSAGE).exists()


def test_preferences_decide_in_app_and_email(
    ticket: Ticket,
    agent_a: User,
    team_a: Team,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
):
    quiet = agent_in(team_a, "quiet@example.com")
    digest = agent_in(team_a, "digest@example.com")
    Preference.objects.create(user=quiet, kind=Kind.TASK, in_app=False, email=Preference.Email.NEVER)
    Preference.objects.create(user=digest, kind=Kind.TASK, in_app=True, email=Preference.Email.DIGEST)

    with django_capture_on_commit_callbacks(execute=True):
        services.task_create(ticket=ticket, by=agent_a, title="Team job", team=team_a)

    assert not Notification.objects.filter(user=quiet).exists()
    waiting = Notification.objects.get(user=digest)
    assert (waiting.email_due, waiting.emailed_at) == (True, None)
    assert [m.to for m in mailoutbox] == []  # agent A made it; the digest waits

    assert notifications_digest_send.call() == 1
    assert [m.to for m in mailoutbox] == [[digest.email]]
    waiting.refresh_from_db()
    assert waiting.emailed_at is not None


def test_closing_tells_the_team_lead_and_the_service_manager(
    ticket: Ticket, agent_a: User, supervisor: User, team_a: Team
):
    manager = agent_in(team_a, "manager@example.com")
    lead = agent_in(team_a, "lead@example.com")
    team_a.lead = lead
    team_a.save()
    TeamContact.objects.create(team=team_a, user=manager, role=TeamContact.Role.SERVICE_MANAGER)
    services.ticket_close(ticket=ticket, by=supervisor)
    told = set(Notification.objects.filter(kind=Kind.STATUS, ticket=ticket).values_list("user", flat=True))
    assert told == {agent_a.pk, lead.pk, manager.pk}


def test_changes_are_pushed_live_after_commit(
    agent_a: User,
    customer_x: Contact,
    team_a: Team,
    dispatcher: User,
    listen: Any,
    django_capture_on_commit_callbacks: Any,
):
    listen.join(f"team.{team_a.pk}", f"user.{agent_a.pk}", "dispatch")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = ticket_new(by=dispatcher, requester=customer_x, team=team_a, assignee=agent_a)
    assert listen.receive_all() == []  # nothing before the commit
    for callback in callbacks:
        callback()
    payloads = [m["payload"] for m in listen.receive_all()]
    assert {"type": "ticket", "ticket": ticket.pk, "verb": "created"} in payloads
    assert {"type": "notification", "kind": "assigned"} in payloads
    assert all(m.get("type") for m in payloads)


def test_a_referral_is_pushed_to_the_receiving_team(
    ticket: Ticket, dispatcher: User, team_b: Team, listen: Any, django_capture_on_commit_callbacks: Any
):
    listen.join(f"team.{team_b.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_refer(ticket=ticket, by=dispatcher, to_team=team_b)
    payloads = [m["payload"] for m in listen.receive_all()]
    assert {"type": "ticket", "ticket": ticket.pk, "verb": "referred"} in payloads
