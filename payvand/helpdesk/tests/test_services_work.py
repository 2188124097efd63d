"""Tasks, worklogs, availability, saved views and team settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from payvand.accounts.models import Availability, Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from payvand.helpdesk import services
from payvand.helpdesk.models import SavedView, Task, TeamSettings, Ticket, WorkLog
from payvand.helpdesk.tests.factories import SkillFactory
from payvand.helpdesk.tests.services_support import agent_in, event_data, ticket_new, verbs
from payvand.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(agent_a: User, customer_x: Contact, team_a: Team) -> Ticket:
    return ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a)


# ---------------------------------------------------------------------------------------------- tasks


def test_a_task_for_another_agent_notifies_them(ticket: Ticket, agent_a: User, team_a: Team):
    colleague = agent_in(team_a, "colleague@example.com")
    due = timezone.now() + dt.timedelta(days=1)
    task = services.task_create(ticket=ticket, by=agent_a, title=" Visit the site ", assignee=colleague, due_at=due)
    assert (task.title, task.assignee, task.due_at, task.state, task.mandatory) == (
        "Visit the site",
        colleague,
        due,
        Task.State.OPEN,
        True,
    )
    note = Notification.objects.get(user=colleague, kind="task")
    assert note.ticket == ticket
    assert "Visit the site" in note.title
    assert not Notification.objects.filter(user=agent_a, kind="task").exists()  # the author is not told
    assert event_data(ticket, "task.created")["assignee"] == colleague.pk


def test_a_teams_task_notifies_its_members(ticket: Ticket, agent_a: User, agent_b: User, team_b: Team):
    task = services.task_create(ticket=ticket, by=agent_a, title="Check the line", team=team_b)
    assert task.assignee is None
    assert Notification.objects.filter(user=agent_b, kind="task").exists()


def test_the_required_skill_is_checked(ticket: Ticket, agent_a: User, team_a: Team):
    skill = SkillFactory.create(name="Fibre")
    unskilled = agent_in(team_a, "unskilled@example.com")
    with pytest.raises(ValidationFailed) as exc:
        services.task_create(ticket=ticket, by=agent_a, title="Splice", assignee=unskilled, required_skill=skill)
    assert [e.field for e in exc.value.errors] == ["assignee"]
    skilled = agent_in(team_a, "skilled@example.com")
    skilled.skills.add(skill)
    # no assignee: the first member of the ticket's team with the skill
    task = services.task_create(ticket=ticket, by=agent_a, title="Splice", required_skill=skill)
    assert task.assignee == skilled
    with pytest.raises(ValidationFailed):
        services.task_update(task=task, by=agent_a, assignee=unskilled)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "ok", "description": "x" * 100_001}, "description"),
    ],
)
def test_bad_tasks_are_refused(ticket: Ticket, agent_a: User, kwargs: dict[str, Any], field: str):
    with pytest.raises(ValidationFailed) as exc:
        services.task_create(ticket=ticket, by=agent_a, **kwargs)
    assert [e.field for e in exc.value.errors] == [field]


def test_a_task_for_someone_outside_its_team_is_refused(ticket: Ticket, agent_a: User, team_b: Team):
    with pytest.raises(ValidationFailed):
        services.task_create(ticket=ticket, by=agent_a, title="X", assignee=agent_a, team=team_b)


def test_no_tasks_on_a_closed_ticket(ticket: Ticket, agent_a: User, supervisor: User):
    services.ticket_close(ticket=ticket, by=supervisor)
    with pytest.raises(Conflict):
        services.task_create(ticket=ticket, by=agent_a, title="Too late")


def test_finishing_a_task_records_task_done(ticket: Ticket, agent_a: User):
    task = services.task_create(ticket=ticket, by=agent_a, title="Call back")
    services.task_update(task=task, by=agent_a, state=Task.State.IN_PROGRESS)
    assert verbs(ticket)[-1] == "task.updated"
    done = services.task_update(task=task, by=agent_a, state=Task.State.DONE)
    assert done.done_at is not None
    assert verbs(ticket)[-1] == "task.done"
    reopened = services.task_update(task=task, by=agent_a, state=Task.State.OPEN)
    assert reopened.done_at is None


def test_handing_a_task_over_notifies_the_new_assignee(ticket: Ticket, agent_a: User, team_a: Team):
    task = services.task_create(ticket=ticket, by=agent_a, title="Call back")
    colleague = agent_in(team_a, "colleague@example.com")
    services.task_update(task=task, by=agent_a, assignee=colleague)
    assert Notification.objects.filter(user=colleague, kind="task").count() == 1
    services.task_update(task=task, by=agent_a, assignee=colleague)  # no change: no second notice
    assert Notification.objects.filter(user=colleague, kind="task").count() == 1


def test_task_update_refuses_bad_input(ticket: Ticket, agent_a: User):
    task = services.task_create(ticket=ticket, by=agent_a, title="Call back")
    with pytest.raises(ValidationFailed):
        services.task_update(task=task, by=agent_a, ticket=None)
    with pytest.raises(ValidationFailed):
        services.task_update(task=task, by=agent_a, state="sleeping")
    with pytest.raises(ValidationFailed):
        services.task_update(task=task, by=agent_a, title="")
    task.refresh_from_db()
    assert (task.title, task.state) == ("Call back", Task.State.OPEN)


# ---------------------------------------------------------------------------------------------- worklogs


def test_time_is_logged_on_a_ticket_and_a_task(ticket: Ticket, agent_a: User):
    task = services.task_create(ticket=ticket, by=agent_a, title="Visit")
    log = services.worklog_add(ticket=ticket, by=agent_a, minutes=45, billable=True, note="On site", task=task)
    assert (log.user, log.minutes, log.billable, log.task, log.note) == (agent_a, 45, True, task, "On site")
    plain = services.worklog_add(ticket=ticket, by=agent_a, minutes=10)
    assert (plain.billable, plain.task) == (False, None)
    assert event_data(ticket, "worklog.added")["minutes"] == 10


@pytest.mark.parametrize("minutes", [0, -5, 1441, True, "30"])
def test_worklog_minutes_are_bounded(ticket: Ticket, agent_a: User, minutes: Any):
    with pytest.raises(ValidationFailed) as exc:
        services.worklog_add(ticket=ticket, by=agent_a, minutes=minutes)
    assert [e.field for e in exc.value.errors] == ["minutes"]
    assert not WorkLog.objects.exists()


def test_worklog_refuses_a_task_of_another_ticket_and_the_future(ticket: Ticket, agent_a: User, customer_x):
    other = ticket_new(by=agent_a, requester=customer_x, subject="Other")
    foreign = services.task_create(ticket=other, by=agent_a, title="Elsewhere")
    with pytest.raises(ValidationFailed) as exc:
        services.worklog_add(
            ticket=ticket,
            by=agent_a,
            minutes=5,
            task=foreign,
            started_at=timezone.now() + dt.timedelta(hours=1),
            note="x" * 5001,
        )
    assert {e.field for e in exc.value.errors} == {"task", "started_at", "note"}


def test_only_leads_log_time_for_someone_else(ticket: Ticket, agent_a: User, agent_b: User, dispatcher: User):
    with pytest.raises(PermissionDenied):
        services.worklog_add(ticket=ticket, by=agent_a, minutes=5, user=agent_b)
    log = services.worklog_add(ticket=ticket, by=dispatcher, minutes=5, user=agent_b)
    assert log.user == agent_b


def test_only_the_owner_or_a_lead_removes_time(ticket: Ticket, agent_a: User, agent_b: User, supervisor: User):
    log = services.worklog_add(ticket=ticket, by=agent_a, minutes=30)
    with pytest.raises(PermissionDenied):
        services.worklog_delete(worklog=log, by=agent_b)
    services.worklog_delete(worklog=log, by=supervisor)
    assert not WorkLog.objects.exists()
    assert "worklog.removed" in verbs(ticket)


# ---------------------------------------------------------------------------------------------- availability


def test_coming_online_drains_the_queue(
    customer_x: Contact, team_a: Team, dispatcher: User, django_capture_on_commit_callbacks: Any
):
    agent = agent_in(team_a, "late@example.com")
    services.availability_set(user=agent, availability=Availability.OFF)
    waiting = ticket_new(by=dispatcher, requester=customer_x, team=team_a, route=True)
    assert waiting.assignee is None
    with django_capture_on_commit_callbacks(execute=True):
        services.availability_set(user=agent, availability=Availability.ONLINE)
    waiting.refresh_from_db()
    agent.refresh_from_db()
    assert agent.availability == Availability.ONLINE
    assert waiting.assignee == agent


def test_availability_is_validated(agent_a: User):
    with pytest.raises(ValidationFailed):
        services.availability_set(user=agent_a, availability="sleeping")
    agent_a.refresh_from_db()
    assert agent_a.availability == Availability.ONLINE


# ---------------------------------------------------------------------------------------------- saved views


def test_a_saved_view_is_stored_and_overwritten_by_name(agent_a: User):
    view = services.saved_view_save(user=agent_a, name=" Urgent ", filters={"priority": "4", "list": "team"})
    assert (view.name, view.filters, view.sort) == ("Urgent", {"priority": "4", "list": "team"}, "-updated_at")
    again = services.saved_view_save(user=agent_a, name="Urgent", filters={"priority": "3"}, sort="due_at")
    assert again.pk == view.pk
    assert (again.filters, again.sort) == ({"priority": "3"}, "due_at")


@pytest.mark.parametrize(
    ("name", "filters", "sort", "field"),
    [
        ("", {}, "-updated_at", "name"),
        ("x" * 101, {}, "-updated_at", "name"),
        ("V", {"colour": "red"}, "-updated_at", "filters"),
        ("V", {}, "random", "sort"),
        ("V", {"priority": "high"}, "-updated_at", "priority"),
        ("V", {"list": "everything"}, "-updated_at", "list"),
        ("V", {"channel": "pigeon"}, "-updated_at", "channel"),
        ("V", {"form.serial": "AB"}, "-updated_at", "form.serial"),
    ],
)
def test_bad_saved_views_are_refused(agent_a: User, name: str, filters: dict[str, Any], sort: str, field: str):
    with pytest.raises(ValidationFailed) as exc:
        services.saved_view_save(user=agent_a, name=name, filters=filters, sort=sort)
    assert field in {e.field for e in exc.value.errors}
    assert not SavedView.objects.exists()


def test_a_view_is_deleted_only_by_its_owner(agent_a: User, agent_b: User):
    view = services.saved_view_save(user=agent_a, name="Mine", filters={})
    with pytest.raises(NotFound):  # no one learns about others' views
        services.saved_view_delete(user=agent_b, view_id=view.pk)
    services.saved_view_delete(user=agent_a, view_id=view.pk)
    assert not SavedView.objects.exists()


# ---------------------------------------------------------------------------------------------- team settings


def test_team_settings_need_the_right(team_a: Team, agent_a: User, supervisor: User):
    with pytest.raises(PermissionDenied):
        services.team_settings_update(team=team_a, by=agent_a, review_replies=True)
    with pytest.raises(ValidationFailed):
        services.team_settings_update(team=team_a, by=supervisor, strategy="lottery")
    row = services.team_settings_update(
        team=team_a, by=supervisor, strategy=TeamSettings.Strategy.ROUND_ROBIN, review_replies=True
    )
    assert (row.strategy, row.review_replies) == (TeamSettings.Strategy.ROUND_ROBIN, True)


def test_the_tickets_time_total_follows_its_worklogs(ticket: Ticket, agent_a: User, supervisor: User, customer_x):
    """`minutes_spent` (read by the all-time reports) is the sum of the ticket's worklogs after every change."""
    first = services.worklog_add(ticket=ticket, by=agent_a, minutes=30)
    services.worklog_add(ticket=ticket, by=agent_a, minutes=15)
    ticket.refresh_from_db()
    assert ticket.minutes_spent == 45

    services.worklog_delete(worklog=first, by=agent_a)
    ticket.refresh_from_db()
    assert ticket.minutes_spent == 15

    other = ticket_new(by=agent_a, requester=customer_x, team=ticket.team)
    services.worklog_add(ticket=other, by=agent_a, minutes=20)
    services.ticket_merge(survivor=ticket, duplicate=other, by=supervisor)
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert (ticket.minutes_spent, other.minutes_spent) == (35, 0)
