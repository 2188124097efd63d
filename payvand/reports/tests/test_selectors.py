"""Report figures checked against hand-built data, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from payvand.contacts.models import Tag
from payvand.core.errors import PermissionDenied, ValidationFailed
from payvand.helpdesk.models import StatusCategory
from payvand.helpdesk.services import worklog_add
from payvand.helpdesk.tests.factories import CategoryFactory, TicketFactory, UserFactory, status_for
from payvand.projects.tests.factories import ProjectFactory
from payvand.reports import selectors

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 3)  # a Monday


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def done(category: str) -> dict:
    return {"status": status_for(category), "status_category": category}


@pytest.fixture
def worked(team_a, team_b, agent_a, agent_b, customer_x, customer_y):
    """Three tickets of customer X (two in team A), one of customer Y, and worklogs with known minutes, logged
    through the service (which keeps each ticket's total)."""

    project = ProjectFactory.create(name="Fibre", code="FIB")
    x1 = TicketFactory.create(requester=customer_x, team=team_a, project=project, created_at=at(DAY))
    x2 = TicketFactory.create(requester=customer_x, team=team_a, created_at=at(DAY))
    x3 = TicketFactory.create(requester=customer_x, team=team_b, created_at=at(DAY))
    y1 = TicketFactory.create(requester=customer_y, team=team_b, project=project, created_at=at(DAY))
    worklog_add(ticket=x1, by=agent_a, minutes=30, billable=True, started_at=at(DAY, 9))
    worklog_add(ticket=x1, by=agent_a, minutes=15, started_at=at(DAY + dt.timedelta(days=1), 9))
    worklog_add(ticket=x2, by=agent_b, minutes=20, billable=True, started_at=at(DAY, 10))
    worklog_add(ticket=x3, by=agent_b, minutes=5, started_at=at(DAY + dt.timedelta(days=10), 9))
    worklog_add(ticket=y1, by=agent_b, minutes=50, started_at=at(DAY, 11))
    return {"x1": x1, "x2": x2, "x3": x3, "y1": y1, "project": project}


def test_time_per_customer_sums_minutes_and_counts_tickets(worked, supervisor, customer_x, customer_y):
    rows = selectors.report_time_per_customer(user=supervisor)
    assert rows == [
        {"customer_id": customer_x.pk, "name": "Xerxes Customer", "minutes": 70, "tickets": 3},
        {"customer_id": customer_y.pk, "name": "Yvette Customer", "minutes": 50, "tickets": 1},
    ]


def test_time_per_customer_filters_by_period_and_team(worked, supervisor, team_a, customer_x):
    # the end date is included: DAY+1 counts its whole day, the worklog ten days later does not
    rows = selectors.report_time_per_customer(user=supervisor, start=DAY, end=DAY + dt.timedelta(days=1))
    assert [(r["name"], r["minutes"], r["tickets"]) for r in rows] == [
        ("Xerxes Customer", 65, 2),
        ("Yvette Customer", 50, 1),
    ]
    rows = selectors.report_time_per_customer(user=supervisor, team=team_a)
    assert rows == [{"customer_id": customer_x.pk, "name": "Xerxes Customer", "minutes": 65, "tickets": 2}]
    rows = selectors.report_time_per_customer(
        user=supervisor, start=DAY + dt.timedelta(days=1), end=DAY + dt.timedelta(days=1)
    )
    assert [(r["minutes"], r["tickets"]) for r in rows] == [(15, 1)]
    assert selectors.report_time_per_customer(user=supervisor, start=dt.date(2020, 1, 1), end=dt.date(2020, 1, 2)) == []


def test_time_per_customer_counts_only_visible_tickets_for_other_viewers(worked, role_groups, team_a, customer_x):
    from payvand.accounts import roles
    from payvand.accounts.services import team_add_member, user_create

    manager = user_create(email="sales@example.com", password="pw-Secret-123", role_names=[roles.SALES_MANAGER])
    team_add_member(team=team_a, user=manager, by=None)
    rows = selectors.report_time_per_customer(user=manager)
    assert rows == [{"customer_id": customer_x.pk, "name": "Xerxes Customer", "minutes": 65, "tickets": 2}]


def test_reports_need_the_permission(agent_a, outsider):
    for user in (agent_a, outsider):
        with pytest.raises(PermissionDenied):
            selectors.report_time_per_customer(user=user)
        with pytest.raises(PermissionDenied):
            selectors.report_backlog(user=user)


def test_time_per_ticket_and_per_person(worked, supervisor, agent_a, agent_b, team_b):
    rows = selectors.report_time_per_ticket(user=supervisor)
    assert [(r["ticket_id"], r["minutes"], r["billable_minutes"]) for r in rows] == [
        (worked["y1"].pk, 50, 0),
        (worked["x1"].pk, 45, 30),
        (worked["x2"].pk, 20, 20),
        (worked["x3"].pk, 5, 0),
    ]
    assert rows[0]["reference"].endswith(str(worked["y1"].number))
    assert rows[0]["customer"] == "Yvette Customer"
    people = selectors.report_time_per_person(user=supervisor)
    assert [(r["user_id"], r["minutes"], r["billable_minutes"], r["tickets"]) for r in people] == [
        (agent_b.pk, 75, 20, 3),
        (agent_a.pk, 45, 30, 1),
    ]
    people = selectors.report_time_per_person(user=supervisor, team=team_b)
    assert [(r["user_id"], r["minutes"], r["tickets"]) for r in people] == [(agent_b.pk, 55, 2)]


def test_time_per_project(worked, supervisor):
    rows = selectors.report_time_per_project(user=supervisor)
    assert [(r["code"], r["minutes"], r["billable_minutes"], r["tickets"]) for r in rows] == [
        ("FIB", 95, 30, 2),
        (None, 25, 20, 2),
    ]


def test_tickets_by_category_tag_and_project(supervisor, team_a):
    parent = CategoryFactory.create(name="Network")
    outage = CategoryFactory.create(name="Outage", parent=parent)
    project = ProjectFactory.create(code="NET")
    vip = Tag.objects.create(name="vip")
    t1 = TicketFactory.create(category=outage, project=project, team=team_a, created_at=at(DAY))
    t2 = TicketFactory.create(category=outage, created_at=at(DAY), **done(StatusCategory.CLOSED))
    TicketFactory.create(created_at=at(DAY), project=project, **done(StatusCategory.RESOLVED))
    TicketFactory.create(category=outage, created_at=at(DAY - dt.timedelta(days=40)))  # outside the period
    t1.tags.add(vip)
    t2.tags.add(vip)
    period: dict[str, Any] = {"start": DAY - dt.timedelta(days=1), "end": DAY}
    assert selectors.report_tickets_by_category(user=supervisor, **period) == [
        {"category_id": outage.pk, "name": "Outage", "parent": "Network", "tickets": 2, "open": 1},
        {"category_id": None, "name": None, "parent": None, "tickets": 1, "open": 0},
    ]
    assert selectors.report_tickets_by_tag(user=supervisor, **period) == [
        {"tag_id": vip.pk, "name": "vip", "tickets": 2}
    ]
    assert selectors.report_tickets_by_project(user=supervisor, **period) == [
        {"project_id": project.pk, "code": "NET", "name": project.name, "tickets": 2, "open": 1, "closed": 1},
        {"project_id": None, "code": None, "name": None, "tickets": 1, "open": 0, "closed": 1},
    ]
    assert selectors.report_tickets_by_category(user=supervisor, team=team_a, **period) == [
        {"category_id": outage.pk, "name": "Outage", "parent": "Network", "tickets": 1, "open": 1},
    ]


def test_backlog_per_day(supervisor):
    before = TicketFactory.create(created_at=at(DAY - dt.timedelta(days=5)))  # open since before the period
    TicketFactory.create(
        created_at=at(DAY - dt.timedelta(days=5)),
        resolved_at=at(DAY - dt.timedelta(days=4)),
        **done(StatusCategory.RESOLVED),
    )  # finished before: never counted
    TicketFactory.create(
        created_at=at(DAY), resolved_at=at(DAY + dt.timedelta(days=1)), **done(StatusCategory.RESOLVED)
    )
    TicketFactory.create(created_at=at(DAY + dt.timedelta(days=1)))
    cancelled = TicketFactory.create(created_at=at(DAY), **done(StatusCategory.CANCELLED))
    type(cancelled).objects.filter(pk=cancelled.pk).update(updated_at=at(DAY + dt.timedelta(days=2)))
    type(before).objects.filter(pk=before.pk).update(
        closed_at=at(DAY + dt.timedelta(days=3)), resolved_at=at(DAY + dt.timedelta(days=3))
    )
    rows = selectors.report_backlog(user=supervisor, start=DAY, end=DAY + dt.timedelta(days=3))
    assert rows == [
        {"day": DAY, "open": 3},  # before + created today (resolved tomorrow) + cancelled (in two days)
        {"day": DAY + dt.timedelta(days=1), "open": 3},  # one resolved, one new
        {"day": DAY + dt.timedelta(days=2), "open": 2},  # cancelled
        {"day": DAY + dt.timedelta(days=3), "open": 1},  # "before" closed
    ]


def test_backlog_refuses_a_too_long_or_reversed_period(supervisor):
    with pytest.raises(ValidationFailed):
        selectors.report_backlog(user=supervisor, start=dt.date(2020, 1, 1), end=dt.date(2024, 1, 1))
    with pytest.raises(ValidationFailed):
        selectors.report_backlog(user=supervisor, start=DAY, end=DAY - dt.timedelta(days=1))


def test_created_versus_solved_per_day_and_week(supervisor):
    TicketFactory.create(created_at=at(DAY))
    TicketFactory.create(
        created_at=at(DAY), resolved_at=at(DAY + dt.timedelta(days=2)), **done(StatusCategory.RESOLVED)
    )
    TicketFactory.create(
        created_at=at(DAY + dt.timedelta(days=8)),
        resolved_at=at(DAY + dt.timedelta(days=8)),
        **done(StatusCategory.CLOSED),
    )
    rows = selectors.report_created_vs_solved(user=supervisor, start=DAY, end=DAY + dt.timedelta(days=2))
    assert rows == [
        {"period": DAY, "created": 2, "solved": 0},
        {"period": DAY + dt.timedelta(days=1), "created": 0, "solved": 0},
        {"period": DAY + dt.timedelta(days=2), "created": 0, "solved": 1},
    ]
    weeks = selectors.report_created_vs_solved(
        user=supervisor, start=DAY + dt.timedelta(days=1), end=DAY + dt.timedelta(days=13), interval="week"
    )
    assert weeks == [
        {"period": DAY, "created": 0, "solved": 1},  # the first week counts from the period's start
        {"period": DAY + dt.timedelta(days=7), "created": 1, "solved": 1},
    ]
    with pytest.raises(ValidationFailed):
        selectors.report_created_vs_solved(user=supervisor, start=DAY, end=DAY, interval="month")


def test_response_and_resolution_times_per_team(supervisor, team_a, team_b):
    created = at(DAY, 8)
    for minutes in (10, 20, 60):  # team A: responses after 10, 20 and 60 minutes; mean 30, median 20
        TicketFactory.create(
            team=team_a,
            created_at=created,
            first_response_at=created + dt.timedelta(minutes=minutes),
            resolved_at=created + dt.timedelta(minutes=minutes * 2),
            **done(StatusCategory.RESOLVED),
        )
    TicketFactory.create(team=team_a, created_at=created)  # not answered yet: only counted
    TicketFactory.create(team=team_b, created_at=created, first_response_at=created + dt.timedelta(minutes=5))
    rows = selectors.report_response_times(user=supervisor, start=DAY, end=DAY)
    by_team = {r["team"]: r for r in rows}
    assert by_team["Team A"] == {
        "team_id": team_a.pk,
        "team": "Team A",
        "tickets": 4,
        "responded": 3,
        "first_response_avg": 30.0,
        "first_response_median": 20.0,
        "resolved": 3,
        "resolution_avg": 60.0,
        "resolution_median": 40.0,
    }
    assert by_team["Team B"]["first_response_median"] == 5.0
    assert by_team["Team B"]["resolution_median"] is None
    total = by_team["all"]
    assert (total["tickets"], total["responded"], total["first_response_median"]) == (5, 4, 15.0)
    only_b = selectors.report_response_times(user=supervisor, start=DAY, end=DAY, team=team_b)
    assert [r["team"] for r in only_b] == ["Team B"]


def test_a_period_that_ends_before_it_starts_is_refused(supervisor):
    with pytest.raises(ValidationFailed):
        selectors.report_time_per_customer(user=supervisor, start=DAY, end=DAY - dt.timedelta(days=2))


def test_time_per_customer_runs_one_grouped_query(worked, supervisor, django_assert_max_num_queries):
    supervisor.has_perm("helpdesk.view_reports")
    # one grouped query (on PostgreSQL inside a savepoint with SET LOCAL jit = off: four statements)
    with django_assert_max_num_queries(1 if connection.vendor == "sqlite" else 4):
        selectors.report_time_per_customer(user=supervisor)


def test_people_without_a_name_are_shown_by_email(supervisor, customer_x):
    nameless = UserFactory.create(full_name="", email="nameless@example.com")
    ticket = TicketFactory.create(requester=customer_x)
    worklog_add(ticket=ticket, by=nameless, minutes=7)
    assert selectors.report_time_per_person(user=supervisor)[0]["name"] == "nameless@example.com"


def test_time_per_customer_for_all_time_matches_the_worklogs(worked, supervisor):
    """All time reads the tickets' kept totals; a period wide enough to hold every worklog gives the same rows."""
    import datetime as dt

    all_time = selectors.report_time_per_customer(user=supervisor)
    wide = selectors.report_time_per_customer(user=supervisor, start=dt.date(2000, 1, 1), end=dt.date(2100, 1, 1))
    assert all_time == wide
    assert all_time
