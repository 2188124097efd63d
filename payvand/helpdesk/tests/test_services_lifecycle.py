"""Life cycle: link, merge, split, resolve (or propose), close, cancel, postpone and wake, reopen; closing and
reopening rights per role and per team."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from payvand.accounts import roles
from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict, PermissionDenied, ValidationFailed
from payvand.helpdesk import services
from payvand.helpdesk.models import Message, Referral, StatusCategory, Task, Ticket, TicketLink, WorkLog
from payvand.helpdesk.tests.factories import TicketTypeFactory
from payvand.helpdesk.tests.services_support import agent_in, event_data, ticket_new, verbs
from payvand.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(agent_a: User, customer_x: Contact, team_a: Team) -> Ticket:
    return ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a)


# ---------------------------------------------------------------------------------------------- link and merge


def test_it_links_two_tickets_once(ticket: Ticket, agent_a: User, customer_x: Contact):
    other = ticket_new(by=agent_a, requester=customer_x, subject="Other")
    link = services.ticket_link(source=ticket, target=other, by=agent_a)
    again = services.ticket_link(source=ticket, target=other, by=agent_a)
    assert link.pk == again.pk
    assert link.kind == TicketLink.Kind.RELATED
    assert verbs(ticket).count("ticket.linked") == 1
    with pytest.raises(ValidationFailed):
        services.ticket_link(source=ticket, target=ticket, by=agent_a)
    with pytest.raises(ValidationFailed):
        services.ticket_link(source=ticket, target=other, by=agent_a, kind="friend")


def test_merging_moves_everything_and_closes_the_duplicate(
    ticket: Ticket, agent_a: User, agent_b: User, supervisor: User, customer_x: Contact
):
    survivor = ticket_new(by=agent_a, requester=customer_x, subject="Main one")
    services.message_add(ticket=ticket, by=agent_a, body="Note on the duplicate", kind=Message.Kind.NOTE)
    task = services.task_create(ticket=ticket, by=agent_a, title="Call back")
    services.worklog_add(ticket=ticket, by=agent_a, minutes=15)
    services.ticket_watch(ticket=ticket, by=agent_b)
    services.ticket_update(ticket=ticket, by=agent_a, tags=["line"])
    referral = services.ticket_refer(ticket=ticket, by=agent_a, to_user=agent_b)

    kept = services.ticket_merge(survivor=survivor, duplicate=ticket, by=supervisor)

    ticket.refresh_from_db()
    assert kept == survivor
    assert ticket.merged_into == survivor
    assert ticket.status_category == StatusCategory.CLOSED
    assert ticket.closed_at is not None
    assert list(survivor.messages.values_list("body_text", flat=True)) == ["Note on the duplicate"]
    assert list(survivor.tasks.all()) == [task]
    assert survivor.worklogs.get().minutes == 15
    assert list(survivor.watchers.all()) == [agent_b]
    assert [t.name for t in survivor.tags.all()] == ["line"]
    assert not ticket.messages.exists()
    assert not Task.objects.filter(ticket=ticket).exists()
    assert not WorkLog.objects.filter(ticket=ticket).exists()
    referral.refresh_from_db()
    assert referral.state == Referral.State.RETURNED
    assert TicketLink.objects.filter(source=ticket, target=survivor, kind=TicketLink.Kind.DUPLICATE).exists()
    moved = event_data(survivor, "ticket.merged_in")
    assert (moved["messages"], moved["tasks"], moved["worklogs"], moved["watchers"]) == (1, 1, 1, 1)
    assert event_data(ticket, "ticket.merged")["into"] == survivor.pk


def test_a_ticket_cannot_be_merged_twice_or_into_itself(ticket: Ticket, supervisor: User, customer_x, agent_a):
    first = ticket_new(by=agent_a, requester=customer_x, subject="First")
    second = ticket_new(by=agent_a, requester=customer_x, subject="Second")
    services.ticket_merge(survivor=first, duplicate=ticket, by=supervisor)
    with pytest.raises(Conflict):
        services.ticket_merge(survivor=second, duplicate=ticket, by=supervisor)
    with pytest.raises(Conflict):  # nor into a merged ticket
        services.ticket_merge(survivor=ticket, duplicate=second, by=supervisor)
    with pytest.raises(ValidationFailed):
        services.ticket_merge(survivor=first, duplicate=first, by=supervisor)
    with pytest.raises(Conflict):  # a merged ticket is not reopened
        services.ticket_reopen(ticket=ticket, by=supervisor)


def test_an_agent_may_not_merge(ticket: Ticket, agent_a: User, customer_x: Contact):
    other = ticket_new(by=agent_a, requester=customer_x, subject="Other")
    with pytest.raises(PermissionDenied):
        services.ticket_merge(survivor=other, duplicate=ticket, by=agent_a)
    ticket.refresh_from_db()
    assert ticket.merged_into is None


def test_merging_frees_the_duplicates_assignee(
    customer_x: Contact, team_a: Team, dispatcher: User, supervisor: User, django_capture_on_commit_callbacks: Any
):
    team_a.capacity_per_member = 1
    team_a.save()
    solo = agent_in(team_a, "solo@example.com")
    duplicate = ticket_new(by=dispatcher, requester=customer_x, team=team_a, route=True)
    waiting = ticket_new(by=dispatcher, requester=customer_x, team=team_a, route=True, subject="Waiting")
    survivor = ticket_new(by=dispatcher, requester=customer_x, subject="Survivor")
    assert (duplicate.assignee, waiting.assignee) == (solo, None)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_merge(survivor=survivor, duplicate=duplicate, by=supervisor)
    waiting.refresh_from_db()
    assert waiting.assignee == solo


# ---------------------------------------------------------------------------------------------- split


def test_a_message_is_split_into_a_linked_ticket(ticket: Ticket, agent_a: User, customer_x: Contact):
    keep = services.message_add(
        ticket=ticket, by=None, body="First issue", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    other = services.message_add(
        ticket=ticket, by=None, body="Also my invoice is wrong", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    new = services.message_split(message=other, by=agent_a, subject="Invoice")
    other.refresh_from_db()
    assert other.ticket == new
    assert list(ticket.messages.all()) == [keep]
    assert (new.subject, new.requester, new.team, new.description) == (
        "Invoice",
        customer_x,
        ticket.team,
        "Also my invoice is wrong",
    )
    assert TicketLink.objects.filter(source=new, target=ticket, kind=TicketLink.Kind.SPLIT).exists()
    assert event_data(ticket, "ticket.split")["new_ticket"] == new.pk
    assert "ticket.split_from" in verbs(new)


def test_a_split_without_a_subject_gets_one_that_fits(ticket: Ticket, agent_a: User):
    Ticket.objects.filter(pk=ticket.pk).update(subject="x" * 300)
    message = services.message_add(ticket=ticket, by=agent_a, body="Split me", kind=Message.Kind.NOTE)
    new = services.message_split(message=message, by=agent_a)
    assert len(new.subject) == 300
    assert new.subject.startswith("Split from")


def test_a_draft_cannot_be_split(ticket: Ticket, agent_a: User):
    draft = services.message_add(ticket=ticket, by=agent_a, body="Draft", is_draft=True)
    with pytest.raises(Conflict):
        services.message_split(message=draft, by=agent_a)
    with pytest.raises(ValidationFailed):
        services.message_split(message=draft, by=agent_a, subject="x" * 301)


# ---------------------------------------------------------------------------------------------- resolve and close


def test_a_mandatory_open_task_blocks_resolving(ticket: Ticket, supervisor: User, agent_a: User):
    task = services.task_create(ticket=ticket, by=agent_a, title="Replace the cable")
    services.task_create(ticket=ticket, by=agent_a, title="Optional survey", mandatory=False)
    with pytest.raises(Conflict) as exc:
        services.ticket_resolve(ticket=ticket, by=supervisor, resolution="Done")
    assert [e.message for e in exc.value.errors] == ["Replace the cable"]
    with pytest.raises(Conflict):
        services.ticket_close(ticket=ticket, by=supervisor)
    services.task_update(task=task, by=agent_a, state=Task.State.DONE)
    services.ticket_resolve(ticket=ticket, by=supervisor, resolution="Done")
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.RESOLVED


def test_tasks_of_a_type_without_mandatory_tasks_do_not_block(customer_x: Contact, agent_a: User, supervisor):
    ticket_type = TicketTypeFactory.create(tasks_mandatory=False)
    ticket = ticket_new(by=agent_a, requester=customer_x, type=ticket_type)
    services.task_create(ticket=ticket, by=agent_a, title="Still open")
    services.ticket_resolve(ticket=ticket, by=supervisor)
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.RESOLVED


def test_an_agent_only_proposes_a_resolution(ticket: Ticket, agent_a: User, supervisor: User, team_a: Team):
    team_a.lead = supervisor
    team_a.save()
    proposed = services.ticket_resolve(ticket=ticket, by=agent_a, resolution="Restarted the router")
    proposed.refresh_from_db()
    assert proposed.status_category != StatusCategory.RESOLVED
    assert proposed.proposed_resolution == "Restarted the router"
    assert "ticket.resolution_proposed" in verbs(ticket)
    assert Notification.objects.filter(user=supervisor, kind="status", ticket=ticket).exists()
    # the supervisor resolves it, taking the proposal
    services.ticket_resolve(ticket=ticket, by=supervisor)
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.RESOLVED
    assert ticket.resolution == "Restarted the router"
    assert ticket.resolved_at is not None


def test_closing_tells_the_requester(
    ticket: Ticket, supervisor: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_close(ticket=ticket, by=supervisor, resolution="Fixed")
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED
    assert ticket.closed_at is not None
    assert ticket.resolved_at is not None
    assert ticket.resolution == "Fixed"
    assert [m.to for m in mailoutbox if "x@example.com" in m.to] == [["x@example.com"]]
    assert "ticket.closed" in verbs(ticket)
    with pytest.raises(Conflict):
        services.ticket_close(ticket=ticket, by=supervisor)


def test_an_agent_may_not_close(ticket: Ticket, agent_a: User):
    with pytest.raises(PermissionDenied):
        services.ticket_close(ticket=ticket, by=agent_a)
    ticket.refresh_from_db()
    assert ticket.is_active


def test_team_close_roles_override_the_role_permission(
    ticket: Ticket, agent_a: User, supervisor: User, dispatcher: User, team_a: Team, admin_user: User
):
    agents = Group.objects.get(name=roles.AGENT)
    services.team_settings_update(team=team_a, by=admin_user, close_roles=[agents])
    assert services.user_may_close(user=agent_a, ticket=ticket)
    assert not services.user_may_close(user=dispatcher, ticket=ticket)  # has the permission, not the team's role
    with pytest.raises(PermissionDenied):
        services.ticket_close(ticket=ticket, by=dispatcher)
    services.ticket_close(ticket=ticket, by=agent_a)
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED
    # other teams keep the role rule
    assert services.user_may_close(user=supervisor, ticket=ticket_new(by=None, requester=ticket.requester))


def test_cancel_needs_a_reason_and_the_right(ticket: Ticket, agent_a: User, supervisor: User):
    with pytest.raises(ValidationFailed):
        services.ticket_cancel(ticket=ticket, by=supervisor, reason="   ")
    with pytest.raises(PermissionDenied):
        services.ticket_cancel(ticket=ticket, by=agent_a, reason="Duplicate call")
    services.ticket_cancel(ticket=ticket, by=supervisor, reason="Customer withdrew")
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CANCELLED
    assert ticket.cancel_reason == "Customer withdrew"
    assert event_data(ticket, "ticket.cancelled")["reason"] == "Customer withdrew"


# ---------------------------------------------------------------------------------------------- postpone and reopen


def test_postponing_needs_a_future_date(ticket: Ticket, agent_a: User):
    with pytest.raises(ValidationFailed):
        services.ticket_postpone(ticket=ticket, by=agent_a, until=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(ValidationFailed):
        services.ticket_postpone(ticket=ticket, by=agent_a, until=timezone.now() + dt.timedelta(days=4000))
    with pytest.raises(ValidationFailed):
        services.ticket_postpone(ticket=ticket, by=agent_a, until="tomorrow")  # type: ignore[arg-type]
    ticket.refresh_from_db()
    assert ticket.status_category != StatusCategory.POSTPONED


def test_a_postponed_ticket_wakes_when_its_date_comes(ticket: Ticket, agent_a: User):
    until = timezone.now() + dt.timedelta(hours=2)
    services.ticket_postpone(ticket=ticket, by=agent_a, until=until, note="After the holiday")
    ticket.refresh_from_db()
    assert (ticket.status_category, ticket.postponed_until) == (StatusCategory.POSTPONED, until)
    assert services.postponed_wake(now=timezone.now()) == 0
    assert services.postponed_wake(now=until + dt.timedelta(seconds=1)) == 1
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.postponed_until is None
    assert verbs(ticket)[-1] == "ticket.woken"


def test_a_naive_postpone_date_is_read_in_the_current_time_zone(ticket: Ticket, agent_a: User):
    naive = (timezone.now() + dt.timedelta(days=1)).replace(tzinfo=None)
    services.ticket_postpone(ticket=ticket, by=agent_a, until=naive)
    ticket.refresh_from_db()
    assert ticket.postponed_until is not None
    assert timezone.is_aware(ticket.postponed_until)


def test_reopen_rules(ticket: Ticket, agent_a: User, supervisor: User, team_a: Team, admin_user: User):
    with pytest.raises(Conflict):
        services.ticket_reopen(ticket=ticket, by=agent_a)  # it is open
    services.ticket_cancel(ticket=ticket, by=supervisor, reason="Wrong number")
    services.ticket_reopen(ticket=ticket, by=agent_a, reason="They called back")  # no team rule: anyone
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.cancel_reason == ""

    supervisors = Group.objects.get(name=roles.SUPERVISOR)
    services.team_settings_update(team=team_a, by=admin_user, reopen_roles=[supervisors])
    services.ticket_close(ticket=ticket, by=supervisor)
    with pytest.raises(PermissionDenied):
        services.ticket_reopen(ticket=ticket, by=agent_a)
    services.ticket_reopen(ticket=ticket, by=supervisor)
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.closed_at is None
    assert "ticket.reopened" in verbs(ticket)


def test_an_outsider_may_not_reopen_or_close(ticket: Ticket, supervisor: User, outsider: User):
    assert not services.user_may_close(user=outsider, ticket=ticket)
    services.ticket_close(ticket=ticket, by=supervisor)
    with pytest.raises(PermissionDenied):
        services.ticket_reopen(ticket=ticket, by=outsider)
