from __future__ import annotations

import datetime as dt

import pytest

from payvand.core.errors import Conflict, PermissionDenied, ValidationFailed
from payvand.core.models import Event
from payvand.helpdesk.tests.factories import TicketFactory
from payvand.projects import services
from payvand.projects.models import Project
from payvand.projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _errors(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str | None]:
    return {e.field for e in exc.value.errors}


def test_it_creates_a_project_with_members_and_an_event(supervisor, agent_a, team_a, customer_x):
    project = services.project_create(
        by=supervisor,
        name=" ERP roll-out ",
        code="ERP-1",
        customer=customer_x,
        team=team_a,
        members=[agent_a],
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 6, 30),
    )
    project.refresh_from_db()
    assert project.name == "ERP roll-out"
    assert project.customer == customer_x
    assert project.team == team_a
    assert list(project.members.all()) == [agent_a]
    event = Event.objects.get(verb="project.created", target_id=str(project.pk))
    assert event.actor == supervisor
    assert event.contact == customer_x
    assert event.data["members"] == [agent_a.pk]


def test_it_refuses_bad_input_with_every_field_named(supervisor):
    ProjectFactory.create(code="TAKEN")
    with pytest.raises(ValidationFailed) as exc:
        services.project_create(
            by=supervisor,
            name="  ",
            code="taken",
            status="sleeping",
            starts_on=dt.date(2025, 2, 1),
            ends_on=dt.date(2025, 1, 1),
            description="x" * 20_001,
        )
    assert _errors(exc) == {"name", "code", "status", "ends_on", "description"}
    assert not Project.objects.exclude(code="TAKEN").exists()


@pytest.mark.parametrize("code", ["", "has space", "x" * 33, "-lead"])
def test_it_refuses_bad_codes(supervisor, code):
    with pytest.raises(ValidationFailed) as exc:
        services.project_create(by=supervisor, name="P", code=code)
    assert _errors(exc) == {"code"}


def test_it_refuses_inactive_members(supervisor, agent_a):
    agent_a.is_active = False
    agent_a.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed) as exc:
        services.project_create(by=supervisor, name="P", code="P1", members=[agent_a])
    assert _errors(exc) == {"members"}


def test_an_agent_cannot_create_or_change_projects(agent_a, outsider):
    project = ProjectFactory.create()
    for user in (agent_a, outsider):
        with pytest.raises(PermissionDenied):
            services.project_create(by=user, name="P", code="P-X")
        with pytest.raises(PermissionDenied):
            services.project_update(project=project, by=user, name="New")
        with pytest.raises(PermissionDenied):
            services.project_member_add(project=project, user=agent_a, by=user)
    assert Project.objects.count() == 1


def test_it_updates_only_changed_fields_and_records_them(supervisor, agent_a, agent_b, team_b):
    project = ProjectFactory.create(name="Old", members=[agent_a])
    services.project_update(
        project=project, by=supervisor, name="New", team=team_b, status=Project.Status.ON_HOLD, members=[agent_b]
    )
    project.refresh_from_db()
    assert (project.name, project.team, project.status) == ("New", team_b, "on_hold")
    assert list(project.members.all()) == [agent_b]
    event = Event.objects.get(verb="project.updated")
    assert event.data["changed"] == {"name": "New", "team": team_b.pk, "status": "on_hold"}
    assert event.data["members_added"] == [agent_b.pk]
    assert event.data["members_removed"] == [agent_a.pk]


def test_an_update_that_changes_nothing_writes_no_event(supervisor):
    project = ProjectFactory.create(name="Same")
    services.project_update(project=project, by=supervisor, name="Same")
    assert not Event.objects.filter(verb="project.updated").exists()


def test_an_update_is_validated_against_the_stored_values(supervisor):
    project = ProjectFactory.create(starts_on=dt.date(2025, 5, 1))
    ProjectFactory.create(code="OTHER")
    with pytest.raises(ValidationFailed) as exc:
        services.project_update(project=project, by=supervisor, ends_on=dt.date(2025, 4, 1), code="other")
    assert _errors(exc) == {"ends_on", "code"}
    with pytest.raises(ValidationFailed) as exc:
        services.project_update(project=project, by=supervisor, version=3)
    assert _errors(exc) == {"version"}


def test_it_adds_and_removes_members(supervisor, agent_a):
    project = ProjectFactory.create()
    services.project_member_add(project=project, user=agent_a, by=supervisor)
    services.project_member_add(project=project, user=agent_a, by=supervisor)  # twice: nothing more happens
    assert list(project.members.all()) == [agent_a]
    assert Event.objects.filter(verb="project.member_added").count() == 1
    services.project_member_remove(project=project, user=agent_a, by=supervisor)
    assert not project.members.exists()
    assert Event.objects.get(verb="project.member_removed").data == {"user": agent_a.pk}
    with pytest.raises(ValidationFailed):
        services.project_member_remove(project=project, user=agent_a, by=supervisor)


def test_it_deletes_only_projects_without_tickets(admin_user, supervisor):
    empty, used = ProjectFactory.create(), ProjectFactory.create()
    TicketFactory.create(project=used)
    with pytest.raises(PermissionDenied):
        services.project_delete(project=empty, by=supervisor)  # supervisors change projects, admins delete them
    with pytest.raises(Conflict):
        services.project_delete(project=used, by=admin_user)
    services.project_delete(project=empty, by=admin_user)
    assert list(Project.objects.all()) == [used]
    assert Event.objects.filter(verb="project.deleted", target_id=str(empty.pk)).exists()
