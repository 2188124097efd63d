from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from payvand.accounts.services import team_add_member
from payvand.core.errors import NotFound, PermissionDenied, ValidationFailed
from payvand.helpdesk.models import StatusCategory, WorkLog
from payvand.helpdesk.tests.factories import CategoryFactory, TicketFactory, UserFactory, status_for
from payvand.projects import selectors
from payvand.projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def test_roles_with_the_view_permission_see_every_project(agent_a, supervisor):
    projects = [ProjectFactory.create(), ProjectFactory.create()]
    for user in (agent_a, supervisor):
        assert set(selectors.project_queryset_for_user(user=user)) == set(projects)


def test_users_without_the_role_see_only_their_projects(outsider, team_b):
    own = ProjectFactory.create(members=[outsider])
    via_team = ProjectFactory.create(team=team_b)
    ProjectFactory.create()
    team_add_member(team=team_b, user=outsider, by=None)
    assert set(selectors.project_queryset_for_user(user=outsider)) == {own, via_team}


def test_an_outsider_gets_a_404_and_an_agent_a_403_for_changes(outsider, agent_a):
    project = ProjectFactory.create()
    with pytest.raises(NotFound):
        selectors.project_get_for_user(user=outsider, project_id=project.pk)
    assert selectors.project_get_for_user(user=agent_a, project_id=project.pk) == project
    with pytest.raises(PermissionDenied):
        selectors.project_get_for_user(user=agent_a, project_id=project.pk, action="change")
    with pytest.raises(NotFound):
        selectors.project_get_for_user(user=agent_a, project_id="abc")


def test_the_list_counts_open_and_all_tickets_in_three_queries(supervisor, django_assert_max_num_queries):
    first = ProjectFactory.create(name="Alpha")
    ProjectFactory.create(name="Beta", status="done")
    TicketFactory.create(project=first)
    TicketFactory.create(project=first, status=status_for(StatusCategory.CLOSED), status_category="closed")
    supervisor.has_perm("projects.view_project")  # warm the permission cache
    with django_assert_max_num_queries(3):  # total, page, ticket counts of the page
        page = selectors.project_list(user=supervisor)
    counted = [(p.name, getattr(p, "ticket_count", None), getattr(p, "open_count", None)) for p in page.items]
    assert counted == [("Alpha", 2, 1), ("Beta", 0, 0)]
    assert [p.name for p in selectors.project_list(user=supervisor, status="done").items] == ["Beta"]
    assert [p.name for p in selectors.project_list(user=supervisor, q="alp").items] == ["Alpha"]
    with pytest.raises(ValidationFailed):
        selectors.project_list(user=supervisor, status="nonsense")


def test_the_list_pages(supervisor):
    for n in range(5):
        ProjectFactory.create(name=f"P{n}")
    page = selectors.project_list(user=supervisor, limit=2, offset=2)
    assert [p.name for p in page.items] == ["P2", "P3"]
    assert (page.total, page.next_offset, page.previous_offset) == (5, 4, 0)


def test_the_stats_add_up_from_hand_built_data(supervisor):
    project = ProjectFactory.create()
    hardware, billing = CategoryFactory.create(name="Hardware"), CategoryFactory.create(name="Billing")
    monday = dt.date(2025, 3, 3)
    t1 = TicketFactory.create(project=project, category=hardware, created_at=_at(monday))
    t2 = TicketFactory.create(
        project=project,
        category=hardware,
        created_at=_at(monday + dt.timedelta(days=2)),
        status=status_for(StatusCategory.RESOLVED),
        status_category="resolved",
    )
    TicketFactory.create(
        project=project,
        category=billing,
        created_at=_at(monday + dt.timedelta(days=14)),
        status=status_for(StatusCategory.CANCELLED),
        status_category="cancelled",
    )
    TicketFactory.create(project=project, created_at=_at(monday + dt.timedelta(days=15)))
    TicketFactory.create(created_at=_at(monday))  # another project's: not counted
    ana, bob = UserFactory.create(full_name="Ana"), UserFactory.create(full_name="Bob")
    WorkLog.objects.create(ticket=t1, user=ana, minutes=30, billable=True)
    WorkLog.objects.create(ticket=t2, user=ana, minutes=15)
    WorkLog.objects.create(ticket=t2, user=bob, minutes=20, billable=True)

    stats = selectors.project_stats(project=project, today=monday + dt.timedelta(days=16))

    assert stats["volume"] == [
        {"week": monday, "tickets": 2},
        {"week": monday + dt.timedelta(weeks=1), "tickets": 0},
        {"week": monday + dt.timedelta(weeks=2), "tickets": 2},
    ]
    assert (stats["open"], stats["closed"], stats["cancelled"]) == (2, 1, 1)
    assert stats["time"] == [
        {"user_id": ana.pk, "name": "Ana", "minutes": 45, "billable_minutes": 30},
        {"user_id": bob.pk, "name": "Bob", "minutes": 20, "billable_minutes": 20},
    ]
    assert stats["minutes_total"] == 65
    assert stats["categories"] == [  # most first, then by name, uncategorised last among equals
        {"category_id": hardware.pk, "name": "Hardware", "tickets": 2},
        {"category_id": billing.pk, "name": "Billing", "tickets": 1},
        {"category_id": None, "name": None, "tickets": 1},
    ]


def test_the_tickets_on_the_project_page_are_scoped(agent_a, agent_b, team_a, outsider):
    project = ProjectFactory.create()
    mine = TicketFactory.create(project=project, team=team_a)
    TicketFactory.create(project=project)  # no team: agent_a can't see it
    assert selectors.project_tickets(user=agent_a, project=project) == [mine]
    assert selectors.project_tickets(user=agent_b, project=project) == []
    assert selectors.project_tickets(user=outsider, project=project) == []
