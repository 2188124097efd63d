"""Referral: refer to a person or a team, accept, return (the ticket goes back to whoever had it), who may answer."""

from __future__ import annotations

from typing import Any

import pytest

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from payvand.helpdesk import selectors, services
from payvand.helpdesk.models import Referral, StatusCategory, Ticket
from payvand.helpdesk.tests.services_support import agent_in, detail, event_data, ticket_new
from payvand.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(agent_a: User, customer_x: Contact, team_a: Team, dispatcher: User) -> Ticket:
    ticket = ticket_new(by=dispatcher, requester=customer_x, team=team_a)
    return services.ticket_assign(ticket=ticket, by=dispatcher, assignee=agent_a)


def test_a_dispatcher_refers_to_a_team(ticket: Ticket, dispatcher: User, agent_a, agent_b: User, team_b: Team):
    with pytest.raises(NotFound):  # agent B can't see team A's ticket yet
        selectors.ticket_get_for_user(user=agent_b, ticket_id=ticket.pk)

    referral = services.ticket_refer(ticket=ticket, by=dispatcher, to_team=team_b, note="Line fault")

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team_b, None)
    assert (referral.from_user, referral.from_team, referral.to_team, referral.to_user) == (
        dispatcher,
        ticket.referrals.get().from_team,
        team_b,
        None,
    )
    assert referral.state == Referral.State.PENDING
    assert list(selectors.referrals_waiting(user=agent_b)) == [referral]
    assert selectors.ticket_get_for_user(user=agent_b, ticket_id=ticket.pk) == ticket
    assert Notification.objects.filter(user=agent_b, kind="referred", ticket=ticket).exists()
    assert event_data(ticket, "ticket.referred")["from_assignee"] == agent_a.pk


def test_the_receiver_accepts_and_takes_the_ticket(ticket: Ticket, dispatcher: User, agent_b: User, team_b: Team):
    referral = services.ticket_refer(ticket=ticket, by=dispatcher, to_team=team_b)
    services.referral_respond(referral=referral, by=agent_b, accept=True, note="Mine")
    referral.refresh_from_db()
    ticket.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED
    assert referral.responded_by == agent_b
    assert referral.response_note == "Mine"
    assert ticket.assignee == agent_b
    assert Notification.objects.filter(user=dispatcher, kind="referred", ticket=ticket).exists()
    assert list(selectors.referrals_waiting(user=agent_b)) == []


def test_returning_gives_the_ticket_back_to_who_had_it(
    ticket: Ticket, dispatcher: User, agent_a: User, agent_b: User, team_a: Team, team_b: Team
):
    referral = services.ticket_refer(ticket=ticket, by=dispatcher, to_user=agent_b, note="Please check")
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team_b, agent_b)

    services.referral_respond(referral=referral, by=agent_b, accept=False, note="Not ours")

    ticket.refresh_from_db()
    referral.refresh_from_db()
    assert referral.state == Referral.State.RETURNED
    # back to team A and agent A (who had it), not to the dispatcher who referred it
    assert (ticket.team, ticket.assignee) == (team_a, agent_a)
    assert Notification.objects.filter(user=agent_a, kind="referred", title__contains="returned").exists()


def test_a_chain_of_referrals_is_kept_in_order(
    ticket: Ticket, dispatcher: User, agent_a: User, agent_b: User, team_a: Team, team_b: Team
):
    first = services.ticket_refer(ticket=ticket, by=agent_a, to_team=team_b)
    services.referral_respond(referral=first, by=agent_b, accept=True)
    colleague = agent_in(team_b, "colleague@example.com")
    second = services.ticket_refer(ticket=ticket, by=agent_b, to_user=colleague)
    services.referral_respond(referral=second, by=colleague, accept=False)

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team_b, agent_b)  # back to agent B, who had it before
    chain = detail(user=dispatcher, ticket_id=ticket.pk).referral_list
    assert [(r.pk, r.state) for r in chain] == [
        (first.pk, Referral.State.ACCEPTED),
        (second.pk, Referral.State.RETURNED),
    ]


def test_only_the_receiver_or_a_dispatcher_may_answer(
    ticket: Ticket, dispatcher: User, agent_a: User, agent_b: User, team_b: Team, supervisor: User
):
    referral = services.ticket_refer(ticket=ticket, by=agent_a, to_user=agent_b)
    with pytest.raises(PermissionDenied):
        services.referral_respond(referral=referral, by=agent_a, accept=True)
    services.referral_respond(referral=referral, by=dispatcher, accept=True)
    with pytest.raises(Conflict):
        services.referral_respond(referral=referral, by=agent_b, accept=False)


def test_a_team_member_answers_a_referral_to_the_team(ticket: Ticket, agent_a: User, agent_b: User, team_b: Team):
    colleague = agent_in(team_b, "colleague@example.com")
    referral = services.ticket_refer(ticket=ticket, by=agent_a, to_team=team_b)
    services.referral_respond(referral=referral, by=colleague, accept=True)
    ticket.refresh_from_db()
    assert ticket.assignee == colleague


def test_a_new_referral_supersedes_a_pending_one(ticket: Ticket, agent_a: User, agent_b: User, team_b: Team):
    first = services.ticket_refer(ticket=ticket, by=agent_a, to_user=agent_b)
    services.ticket_refer(ticket=ticket, by=agent_b, to_team=team_b)
    first.refresh_from_db()
    assert first.state == Referral.State.RETURNED
    assert Referral.objects.filter(ticket=ticket, state=Referral.State.PENDING).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "to_user"),
        ({"to_user": "agent_b", "to_team": "team_a"}, "to_user"),
        ({"to_team": "team_b", "note": "x" * 5001}, "note"),
    ],
)
def test_bad_referrals_are_refused(ticket: Ticket, agent_a: User, request: Any, kwargs: dict[str, Any], field: str):
    resolved = {k: request.getfixturevalue(v) if k in ("to_user", "to_team") else v for k, v in kwargs.items()}
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_refer(ticket=ticket, by=agent_a, **resolved)
    assert [e.field for e in exc.value.errors] == [field]
    assert not Referral.objects.exists()


def test_a_closed_ticket_cannot_be_referred(ticket: Ticket, supervisor: User, agent_b: User):
    services.ticket_close(ticket=ticket, by=supervisor)
    with pytest.raises(Conflict):
        services.ticket_refer(ticket=ticket, by=supervisor, to_user=agent_b)


def test_a_referral_on_a_ticket_closed_meanwhile_cannot_be_answered(
    ticket: Ticket, agent_a: User, agent_b: User, supervisor: User
):
    referral = services.ticket_refer(ticket=ticket, by=agent_a, to_user=agent_b)
    services.ticket_close(ticket=ticket, by=supervisor)
    assert list(selectors.referrals_waiting(user=agent_b)) == []
    with pytest.raises(Conflict):
        services.referral_respond(referral=referral, by=agent_b, accept=True)


def test_the_status_opens_when_a_new_ticket_is_accepted(customer_x: Contact, agent_a: User, agent_b, team_b):
    ticket = ticket_new(by=agent_a, requester=customer_x)
    referral = services.ticket_refer(ticket=ticket, by=agent_a, to_user=agent_b)
    services.referral_respond(referral=referral, by=agent_b, accept=True)
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
