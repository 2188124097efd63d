"""The ticket API: create (routing, duplicates, 409 on a seen external id), list (filters, keyset pages, query
count), detail (notes, drafts, time) and edit with optimistic locking, including two agents saving at once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict
from payvand.core.models import Event
from payvand.helpdesk import services
from payvand.helpdesk.models import Message, StatusCategory, Ticket, TicketLink
from payvand.helpdesk.tests.factories import CategoryFactory, TicketFactory, TicketTypeFactory, status_for
from payvand.projects.models import Project

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets"


def _post(api: Client, path: str, body: Any) -> Any:
    return api.post(path, body, content_type="application/json")


def _patch(api: Client, path: str, body: Any) -> Any:
    return api.patch(path, body, content_type="application/json")


def _fields(response: Any) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


def make_ticket(*, team: Team | None, requester: Contact, subject: str = "Printer on fire", **kw: Any) -> Ticket:
    return services.ticket_create(by=None, subject=subject, requester=requester, team=team, route=False, **kw)


# ---------------------------------------------------------------------------------------------- create


def test_it_creates_a_ticket_with_every_field(agent_a, api_for, team_a, customer_x, supervisor):
    ticket_type = TicketTypeFactory.create(name="Repair", default_priority=3)
    category = CategoryFactory.create(name="Hardware")
    project = Project.objects.create(name="Roll-out", code="RO1")
    due = timezone.now() + dt.timedelta(days=2)
    response = _post(
        api_for(agent_a),
        URL,
        {
            "subject": "  Printer on fire ",
            "description": "Smoke everywhere",
            "requester": customer_x.pk,
            "channel": "phone",
            "type": ticket_type.pk,
            "category": category.pk,
            "team": team_a.pk,
            "assignee": agent_a.pk,
            "project": project.pk,
            "tags": ["urgent", "hardware"],
            "watchers": [supervisor.pk],
            "estimate_minutes": 90,
            "due_at": due.isoformat(),
            "external_id": "<abc@mail>",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert body["reference"] == ticket.reference == f"#{ticket.number}"
    assert body["subject"] == ticket.subject == "Printer on fire"
    assert body["team"] == {"id": team_a.pk, "name": "Team A"}
    assert body["assignee"]["id"] == agent_a.pk
    assert body["status"]["category"] == "new"
    assert body["duplicates"] == []
    assert body["version"] == ticket.version
    assert (ticket.channel, ticket.type, ticket.category, ticket.project) == ("phone", ticket_type, category, project)
    assert ticket.priority == 3  # the type's default
    assert ticket.estimate_minutes == 90
    assert ticket.due_at == due
    assert sorted(t.name for t in ticket.tags.all()) == ["hardware", "urgent"]
    assert list(ticket.watchers.all()) == [supervisor]
    assert ticket.created_by == agent_a
    assert ticket.external_id == "<abc@mail>"
    assert Event.objects.filter(verb="ticket.created", target_id=str(ticket.pk)).exists()


def test_it_routes_a_ticket_created_without_a_team(agent_a, api_for, team_a, customer_x):
    project = Project.objects.create(name="Roll-out", code="RO1", team=team_a)
    response = _post(api_for(agent_a), URL, {"subject": "Hi", "requester": customer_x.pk, "project": project.pk})
    assert response.status_code == 201, response.content
    assert response.json()["team"]["id"] == team_a.pk  # the project's team


def test_it_lists_likely_duplicates_but_not_the_new_ticket_itself(agent_a, api_for, team_a, customer_x):
    first = make_ticket(team=team_a, requester=customer_x, subject="Internet connection is down")
    response = _post(
        api_for(agent_a),
        URL,
        {"subject": "internet connection down", "requester": customer_x.pk, "team": team_a.pk},
    )
    assert response.status_code == 201, response.content
    duplicates = response.json()["duplicates"]
    assert [d["ticket"]["id"] for d in duplicates] == [first.pk]
    assert duplicates[0]["ticket"]["reference"] == first.reference
    assert duplicates[0]["reason"] == "subject"
    assert duplicates[0]["score"] >= 80


def test_it_hides_duplicates_the_creator_may_not_see(agent_a, api_for, team_a, team_b, customer_x):
    make_ticket(team=team_b, requester=customer_x, subject="Internet connection is down")
    response = _post(
        api_for(agent_a), URL, {"subject": "Internet connection is down", "requester": customer_x.pk, "team": team_a.pk}
    )
    assert response.status_code == 201
    assert response.json()["duplicates"] == []


def test_it_refuses_the_same_external_id_twice_with_the_existing_reference(agent_a, api_for, team_a, customer_x):
    api = api_for(agent_a)
    body = {"subject": "Hi", "requester": customer_x.pk, "team": team_a.pk, "external_id": "<m1@mail>"}
    first = _post(api, URL, body)
    assert first.status_code == 201
    second = _post(api, URL, body)
    assert second.status_code == 409
    assert second.json()["reference"] == first.json()["reference"]
    assert second.json()["ticket"] == first.json()["id"]
    assert Ticket.objects.filter(external_id="<m1@mail>").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requester", 999_999),
        ("type", 999_999),
        ("category", 999_999),
        ("team", 999_999),
        ("assignee", 999_999),
        ("project", 999_999),
    ],
)
def test_it_names_the_field_with_an_unknown_id(agent_a, api_for, customer_x, field, value):
    body = {"subject": "Hi", "requester": customer_x.pk, field: value}
    response = _post(api_for(agent_a), URL, body)
    assert response.status_code == 422, response.content
    assert _fields(response) == {field}
    assert not Ticket.objects.exists()


def test_it_names_the_unknown_watcher_by_position(agent_a, api_for, customer_x):
    response = _post(api_for(agent_a), URL, {"subject": "Hi", "requester": customer_x.pk, "watchers": [agent_a.pk, 0]})
    assert response.status_code == 422
    response = _post(
        api_for(agent_a), URL, {"subject": "Hi", "requester": customer_x.pk, "watchers": [agent_a.pk, 987_654]}
    )
    assert response.status_code == 422
    assert _fields(response) == {"watchers.1"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"priority": 9}, "priority"),
        ({"channel": "pigeon"}, "channel"),
        ({"estimate_minutes": -1}, "estimate_minutes"),
        ({"due_at": "2025-01-01T10:00:00"}, "due_at"),  # no time zone
        ({"due_at": "0001-01-01T00:00:00+05:00"}, "due_at"),
        ({"requester": "abc"}, "requester"),
        ({"tags": ["x" * 65]}, "tags.0"),
        ({"form_values": {"colour": "red"}}, "form_values"),  # this ticket has no form
    ],
)
def test_it_refuses_bad_input_in_the_error_shape(agent_a, api_for, customer_x, body, field):
    response = _post(api_for(agent_a), URL, {"subject": "Hi", "requester": customer_x.pk, **body})
    assert response.status_code == 422, response.content
    data = response.json()
    assert set(data) == {"detail", "errors"}
    assert field in _fields(response)


def test_it_refuses_a_body_that_is_not_an_object(agent_a, api_for):
    assert _post(api_for(agent_a), URL, [1, 2]).status_code == 422


def test_it_needs_a_signed_in_user_with_the_right_to_add(outsider, api_for, customer_x):
    body = {"subject": "Hi", "requester": customer_x.pk}
    assert _post(Client(), URL, body).status_code == 401
    assert _post(api_for(outsider), URL, body).status_code == 403
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------------------------------------- list


def test_it_lists_only_tickets_the_user_may_see(agent_a, agent_b, api_for, team_a, team_b, customer_x, supervisor):
    mine = make_ticket(team=team_a, requester=customer_x, subject="Ours")
    theirs = make_ticket(team=team_b, requester=customer_x, subject="Theirs")
    assert [t["id"] for t in api_for(agent_a).get(URL).json()["items"]] == [mine.pk]
    assert {t["id"] for t in api_for(supervisor).get(URL).json()["items"]} == {mine.pk, theirs.pk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=new", {"new_one"}),
        ("status=open", {"open_one"}),
        ("status=active", {"new_one", "open_one"}),
        ("assignee=me", {"open_one"}),
        ("assignee=none", {"new_one", "done_one"}),
        ("list=mine", {"open_one"}),
        ("list=unassigned", {"new_one"}),
        ("list=closed", {"done_one"}),
        ("priority=4", {"open_one"}),
        ("channel=email", {"new_one"}),
        ("tag=vip", {"done_one"}),
        ("search=router", {"open_one"}),
        ("category=none", {"new_one", "done_one"}),
    ],
)
def test_it_filters_the_list(agent_a, api_for, team_a, customer_x, customer_y, query, expected):
    tickets = {
        "new_one": make_ticket(team=team_a, requester=customer_x, subject="Invoice wrong", channel="email"),
        "open_one": make_ticket(
            team=team_a,
            requester=customer_y,
            subject="Router broken",
            priority=4,
            category=CategoryFactory.create(),
        ),
        "done_one": make_ticket(team=team_a, requester=customer_y, subject="Old thing", tags=["vip"]),
    }
    services.ticket_assign(ticket=tickets["open_one"], by=agent_a, assignee=agent_a)
    Ticket.objects.filter(pk=tickets["done_one"].pk).update(
        status=status_for(StatusCategory.CLOSED), status_category=StatusCategory.CLOSED
    )
    response = api_for(agent_a).get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    names = {name for name, t in tickets.items() if t.pk in {i["id"] for i in response.json()["items"]}}
    assert names == expected


def test_it_filters_by_team_requester_project_and_type(agent_a, api_for, team_a, customer_x, customer_y, supervisor):
    ticket_type = TicketTypeFactory.create()
    project = Project.objects.create(name="P", code="P1")
    wanted = make_ticket(team=team_a, requester=customer_x, type=ticket_type, project=project)
    make_ticket(team=team_a, requester=customer_y)
    api = api_for(supervisor)
    for query in (
        f"team={team_a.pk}&requester={customer_x.pk}",
        f"project={project.pk}",
        f"type={ticket_type.pk}",
    ):
        items = api.get(f"{URL}?{query}").json()["items"]
        assert [i["id"] for i in items] == [wanted.pk], query
    assert api.get(f"{URL}?team=none").json()["items"] == []


def test_it_pages_with_a_cursor_and_counts_on_request(agent_a, api_for, team_a, customer_x):
    created = [make_ticket(team=team_a, requester=customer_x, subject=f"Ticket {n}") for n in range(5)]
    api = api_for(agent_a)
    first = api.get(f"{URL}?limit=2&sort=created_at&count=true").json()
    assert [i["id"] for i in first["items"]] == [created[0].pk, created[1].pk]
    assert first["count"] == 5
    second = api.get(f"{URL}?limit=2&sort=created_at&cursor={first['next_cursor']}").json()
    assert [i["id"] for i in second["items"]] == [created[2].pk, created[3].pk]
    assert second["count"] is None
    third = api.get(f"{URL}?limit=2&sort=created_at&cursor={second['next_cursor']}").json()
    assert [i["id"] for i in third["items"]] == [created[4].pk]
    assert third["next_cursor"] is None


@pytest.mark.parametrize(
    "query",
    [
        "cursor=not-a-cursor",
        "limit=0",
        "limit=201",
        "sort=subject",
        "list=everything",
        "assignee=someone",
        "status=nonsense",
        "team=" + "9" * 30,
        "priority=7",
    ],
)
def test_it_refuses_bad_list_parameters(agent_a, api_for, query):
    response = api_for(agent_a).get(f"{URL}?{query}")
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"detail", "errors"}


def test_it_needs_the_view_right_to_list(outsider, api_for):
    assert Client().get(URL).status_code == 401
    assert api_for(outsider).get(URL).status_code == 403


def test_it_lists_in_a_fixed_number_of_queries(agent_a, api_for, team_a, django_assert_max_num_queries):
    category = CategoryFactory.create()
    ticket_type = TicketTypeFactory.create()
    for n in range(30):
        TicketFactory.create(
            team=team_a, assignee=agent_a if n % 2 else None, category=category, type=ticket_type, subject=f"T{n}"
        )
    api = api_for(agent_a)
    api.get(URL)  # warm up the token and permission caches of the session
    with django_assert_max_num_queries(8):
        response = api.get(f"{URL}?limit=25&count=true")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 25


# ---------------------------------------------------------------------------------------------- detail


def test_it_shows_a_ticket_with_its_thread_tasks_time_and_links(
    agent_a, api_for, team_a, customer_x, supervisor, dispatcher
):
    ticket = make_ticket(team=team_a, requester=customer_x, assignee=agent_a, tags=["vip"], watchers=[supervisor])
    other = make_ticket(team=team_a, requester=customer_x, subject="Related")
    services.message_add(ticket=ticket, by=agent_a, body="Public answer")
    services.message_add(ticket=ticket, by=agent_a, body="Internal thought", kind=Message.Kind.NOTE)
    services.message_add(ticket=ticket, by=agent_a, body="My draft", is_draft=True)
    services.message_add(ticket=ticket, by=supervisor, body="Supervisor's draft", is_draft=True)
    task = services.task_create(ticket=ticket, by=agent_a, title="Call back", assignee=agent_a)
    services.worklog_add(ticket=ticket, by=agent_a, minutes=30, billable=True, task=task)
    services.worklog_add(ticket=ticket, by=agent_a, minutes=15)
    services.ticket_refer(ticket=ticket, by=dispatcher, to_user=agent_a, note="Yours")
    services.ticket_link(source=ticket, target=other, by=agent_a)

    response = api_for(agent_a).get(f"{URL}/{ticket.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    ticket.refresh_from_db()
    assert body["reference"] == ticket.reference
    assert body["version"] == ticket.version
    assert [m["body_text"] for m in body["messages"]] == ["Public answer", "Internal thought", "My draft"]
    assert [m["kind"] for m in body["messages"]] == ["reply", "note", "reply"]
    assert body["messages"][2]["is_draft"] is True
    assert [t["title"] for t in body["tasks"]] == ["Call back"]
    assert [w["minutes"] for w in body["worklogs"]] == [30, 15]
    assert body["worklogs"][0]["task_id"] == task.pk
    assert body["minutes_total"] == 45
    assert body["referrals"][0]["to_user"]["id"] == agent_a.pk
    assert body["referrals"][0]["note"] == "Yours"
    assert body["tags"] == ["vip"]
    assert [w["id"] for w in body["watchers"]] == [supervisor.pk]
    assert body["links"] == [
        {"id": TicketLink.objects.get().pk, "kind": "related", "direction": "out", "ticket": body["links"][0]["ticket"]}
    ]
    assert body["links"][0]["ticket"]["id"] == other.pk
    assert body["may_close"] is False  # an agent only proposes
    assert api_for(supervisor).get(f"{URL}/{ticket.pk}").json()["may_close"] is True


def test_it_hides_tickets_from_outsiders(agent_b, outsider, api_for, team_a, customer_x):
    ticket = make_ticket(team=team_a, requester=customer_x)
    assert Client().get(f"{URL}/{ticket.pk}").status_code == 401
    assert api_for(agent_b).get(f"{URL}/{ticket.pk}").status_code == 404  # another team: no such ticket
    assert api_for(outsider).get(f"{URL}/{ticket.pk}").status_code == 403
    assert api_for(agent_b).get(f"{URL}/999999").status_code == 404
    assert api_for(agent_b).get(f"{URL}/0").status_code == 422
    assert api_for(agent_b).get(f"{URL}/{2**63}").status_code == 422


def test_it_shows_the_detail_in_a_fixed_number_of_queries(
    agent_a, api_for, team_a, customer_x, django_assert_max_num_queries
):
    ticket = make_ticket(team=team_a, requester=customer_x, assignee=agent_a)
    for n in range(10):
        services.message_add(ticket=ticket, by=agent_a, body=f"Message {n}")
        services.task_create(ticket=ticket, by=agent_a, title=f"Task {n}", assignee=agent_a)
        services.worklog_add(ticket=ticket, by=agent_a, minutes=5)
    api = api_for(agent_a)
    api.get(f"{URL}/{ticket.pk}")
    with django_assert_max_num_queries(20):
        response = api.get(f"{URL}/{ticket.pk}")
    assert response.status_code == 200
    assert len(response.json()["messages"]) == 10


# ---------------------------------------------------------------------------------------------- edit


def test_it_changes_a_ticket(agent_a, api_for, team_a, customer_x, supervisor):
    ticket = make_ticket(team=team_a, requester=customer_x)
    category = CategoryFactory.create()
    response = _patch(
        api_for(agent_a),
        f"{URL}/{ticket.pk}",
        {
            "version": ticket.version,
            "subject": "New subject",
            "priority": 4,
            "category": category.pk,
            "tags": ["a", "b"],
            "watchers": [supervisor.pk],
            "status": status_for(StatusCategory.PENDING_CUSTOMER).pk,
            "due_at": None,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority, ticket.category) == ("New subject", 4, category)
    assert ticket.status_category == StatusCategory.PENDING_CUSTOMER
    assert body["version"] == ticket.version
    assert body["subject"] == "New subject"
    assert sorted(body["tags"]) == ["a", "b"]
    assert [w["id"] for w in body["watchers"]] == [supervisor.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "version"),
        ({"version": 0}, "version"),
        ({"subject": None}, "subject"),
        ({"priority": None}, "priority"),
        ({"category": 999_999}, "category"),
        ({"status": 999_999}, "status"),
        ({"watchers": [999_999]}, "watchers.0"),
    ],
)
def test_it_refuses_bad_changes(agent_a, api_for, team_a, customer_x, body, field):
    ticket = make_ticket(team=team_a, requester=customer_x)
    payload = {"version": ticket.version, **body} if "version" not in body and body != {} else body
    response = _patch(api_for(agent_a), f"{URL}/{ticket.pk}", payload)
    assert response.status_code == 422, response.content
    assert field in _fields(response)


def test_it_refuses_a_done_status_through_patch(agent_a, api_for, team_a, customer_x):
    ticket = make_ticket(team=team_a, requester=customer_x)
    response = _patch(
        api_for(agent_a),
        f"{URL}/{ticket.pk}",
        {"version": ticket.version, "status": status_for(StatusCategory.CLOSED).pk},
    )
    assert response.status_code == 422
    assert _fields(response) == {"status"}


def test_it_keeps_the_first_of_two_updates_with_the_same_version(agent_a, api_for, team_a, customer_x, dispatcher):
    ticket = make_ticket(team=team_a, requester=customer_x)
    version = ticket.version
    first = _patch(api_for(agent_a), f"{URL}/{ticket.pk}", {"version": version, "subject": "First"})
    second = _patch(api_for(dispatcher), f"{URL}/{ticket.pk}", {"version": version, "subject": "Second"})
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["version"] == version + 1
    assert _fields(second) == {"version"}
    ticket.refresh_from_db()
    assert ticket.subject == "First"
    assert ticket.version == version + 1


def test_it_hides_the_edit_from_outsiders(agent_b, outsider, api_for, team_a, customer_x):
    ticket = make_ticket(team=team_a, requester=customer_x)
    body = {"version": ticket.version, "subject": "Hacked"}
    assert _patch(Client(), f"{URL}/{ticket.pk}", body).status_code == 401
    assert _patch(api_for(agent_b), f"{URL}/{ticket.pk}", body).status_code == 404
    assert _patch(api_for(outsider), f"{URL}/{ticket.pk}", body).status_code == 403
    ticket.refresh_from_db()
    assert ticket.subject == "Printer on fire"


# ---------------------------------------------------------------------------------------------- two agents at once


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_concurrent_updates_win_and_loses_neither(team_a):
    """Two agents save the same version of a ticket at the same moment, each in its own thread and connection:
    exactly one succeeds, the other gets a conflict, and the ticket holds the winner's change. (PostgreSQL locks
    the row; SQLite, in IMMEDIATE transaction mode, makes the second writer wait for the first to commit.)"""
    ticket = TicketFactory.create(team=team_a, subject="Original")
    agents = [User.objects.create_user(email=f"racer{n}@example.com", password="pw-Secret-123") for n in range(2)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(agent: User, subject: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.ticket_update(
                ticket=Ticket.objects.get(pk=ticket.pk), by=agent, version=ticket.version, subject=subject
            )
            outcomes[subject] = "saved"
        except Conflict:
            outcomes[subject] = "conflict"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(a, s)) for a, s in zip(agents, ["Alpha", "Beta"], strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "saved"], outcomes
    winner = next(s for s, o in outcomes.items() if o == "saved")
    ticket.refresh_from_db()
    assert ticket.subject == winner
    assert ticket.version == 2
    assert Event.objects.filter(verb="ticket.updated", target_id=str(ticket.pk)).count() == 1


def test_it_checks_the_version_on_each_save_in_turn(agent_a, dispatcher, team_a, customer_x):
    """The sequential form of the race above: a stale version is refused."""
    ticket = make_ticket(team=team_a, requester=customer_x)
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_update(ticket=ticket, by=agent_a, version=ticket.version, subject="Alpha")
    with pytest.raises(Conflict):
        services.ticket_update(ticket=stale, by=dispatcher, version=stale.version, subject="Beta")
    ticket.refresh_from_db()
    assert ticket.subject == "Alpha"
