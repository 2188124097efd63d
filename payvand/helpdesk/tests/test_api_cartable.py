"""The cartable API (counts and first items of every list, saved views, availability) and the reference data
(statuses, types, categories)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from payvand.accounts.models import Availability, Team
from payvand.contacts.models import Contact
from payvand.helpdesk import services
from payvand.helpdesk.models import Message, SavedView, Status, StatusCategory, Ticket
from payvand.helpdesk.tests.factories import CategoryFactory, TicketFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/cartable"


def _post(api: Client, path: str, body: Any) -> Any:
    return api.post(path, body, content_type="application/json")


def _fields(response: Any) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


def make_ticket(*, team: Team | None, requester: Contact, subject: str = "Printer on fire", **kw: Any) -> Ticket:
    return services.ticket_create(by=None, subject=subject, requester=requester, team=team, route=False, **kw)


# ---------------------------------------------------------------------------------------------- cartable


def test_it_counts_every_list_and_shows_the_first_items(
    agent_a, agent_b, team_a, team_b, customer_x, dispatcher, api_for
):
    mine = make_ticket(team=team_a, requester=customer_x, subject="Mine")
    services.ticket_assign(ticket=mine, by=agent_a, assignee=agent_a)
    make_ticket(team=team_a, requester=customer_x, subject="Queue")
    make_ticket(team=team_a, requester=customer_x, subject="Late", due_at=timezone.now() - dt.timedelta(hours=1))
    make_ticket(team=team_b, requester=customer_x, subject="Not ours")
    task = services.task_create(ticket=mine, by=dispatcher, title="Call the customer", assignee=agent_a)
    services.message_add(ticket=mine, by=dispatcher, body=f"Look @{agent_a.email} please", kind=Message.Kind.NOTE)
    referral = services.ticket_refer(ticket=mine, by=dispatcher, to_user=agent_a, note="Yours again")

    response = api_for(agent_a).get(URL)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {
        "mine": 1,
        "team": 3,
        "unassigned": 2,
        "overdue": 1,
        "tasks": 1,
        "review": 0,
        "mentions": 1,
        "referrals": 1,
        "approvals": 0,
    }
    assert [t["id"] for t in body["tasks"]] == [task.pk]
    assert body["tasks"][0]["ticket"]["reference"] == mine.reference
    assert [m["ticket"]["id"] for m in body["mentions"]] == [mine.pk]
    assert [r["id"] for r in body["referrals"]] == [referral.pk]
    assert body["review"] == []


def test_the_cartable_needs_a_helpdesk_user(outsider, api_for):
    assert Client().get(URL).status_code == 401
    assert api_for(outsider).get(URL).status_code == 403


def test_the_cartable_takes_a_fixed_number_of_queries(agent_a, team_a, api_for, django_assert_max_num_queries):
    for n in range(20):
        ticket = TicketFactory.create(team=team_a, assignee=agent_a if n % 2 else None)
        services.task_create(ticket=ticket, by=agent_a, title=f"Task {n}", assignee=agent_a)
    api = api_for(agent_a)
    api.get(URL)
    with django_assert_max_num_queries(16):
        response = api.get(URL)
    assert response.status_code == 200
    assert response.json()["counts"]["tasks"] == 20
    assert len(response.json()["tasks"]) == 10


# ---------------------------------------------------------------------------------------------- saved views


def test_it_saves_lists_and_deletes_my_views(agent_a, agent_b, team_a, api_for):
    api = api_for(agent_a)
    response = _post(
        api, f"{URL}/views", {"name": "Urgent", "filters": {"priority": 4, "team": team_a.pk}, "sort": "-priority"}
    )
    assert response.status_code == 201, response.content
    view = SavedView.objects.get(pk=response.json()["id"])
    assert (view.user, view.filters, view.sort) == (agent_a, {"priority": "4", "team": str(team_a.pk)}, "-priority")
    again = _post(api, f"{URL}/views", {"name": "Urgent", "filters": {"list": "mine"}})
    assert again.status_code == 201
    assert again.json()["id"] == view.pk
    assert [v["name"] for v in api.get(f"{URL}/views").json()] == ["Urgent"]
    assert api_for(agent_b).get(f"{URL}/views").json() == []
    assert api_for(agent_b).delete(f"{URL}/views/{view.pk}").status_code == 404  # not theirs
    assert api.delete(f"{URL}/views/{view.pk}").status_code == 204
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "V", "filters": {"colour": "red"}}, "filters"),
        ({"name": "V", "sort": "subject"}, "sort"),
        ({"name": "V", "filters": {"team": [1]}}, "filters.team.str"),
    ],
)
def test_it_refuses_bad_views(agent_a, api_for, body, field):
    response = _post(api_for(agent_a), f"{URL}/views", body)
    assert response.status_code == 422, response.content
    assert any(f is not None and f.startswith(field) for f in _fields(response)), response.json()
    assert not SavedView.objects.exists()


def test_views_need_a_helpdesk_user(outsider, api_for):
    assert Client().get(f"{URL}/views").status_code == 401
    assert api_for(outsider).get(f"{URL}/views").status_code == 403
    assert _post(api_for(outsider), f"{URL}/views", {"name": "V"}).status_code == 403


# ---------------------------------------------------------------------------------------------- availability


def test_it_sets_my_availability(agent_a, api_for):
    api = api_for(agent_a)
    response = api.put(f"{URL}/availability", {"availability": "away"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"availability": "away"}
    agent_a.refresh_from_db()
    assert agent_a.availability == Availability.AWAY
    response = api.put(f"{URL}/availability", {"availability": "asleep"}, content_type="application/json")
    assert response.status_code == 422
    assert _fields(response) == {"availability"}
    agent_a.refresh_from_db()
    assert agent_a.availability == Availability.AWAY


def test_availability_needs_a_helpdesk_user(outsider, api_for):
    body = {"availability": "off"}
    assert Client().put(f"{URL}/availability", body, content_type="application/json").status_code == 401
    assert api_for(outsider).put(f"{URL}/availability", body, content_type="application/json").status_code == 403


# ---------------------------------------------------------------------------------------------- reference data


def test_it_lists_statuses_types_and_categories(agent_a, api_for):
    Status.objects.create(name="Waiting for parts", category=StatusCategory.PENDING_THIRD_PARTY, order=35)
    TicketTypeFactory.create(name="Repair")
    TicketTypeFactory.create(name="Retired", is_active=False)
    parent = CategoryFactory.create(name="Hardware")
    CategoryFactory.create(name="Printers", parent=parent)
    api = api_for(agent_a)
    statuses = api.get("/api/v1/tickets/statuses").json()
    assert [s["id"] for s in statuses] == list(Status.objects.order_by("order", "name").values_list("pk", flat=True))
    custom = next(s for s in statuses if s["name"] == "Waiting for parts")
    assert (custom["category"], custom["is_builtin"]) == ("pending_third_party", False)
    assert [t["name"] for t in api.get("/api/v1/tickets/types").json()] == ["Repair"]
    categories = api.get("/api/v1/tickets/categories").json()
    assert [(c["name"], c["parent_id"]) for c in categories] == [("Hardware", None), ("Printers", parent.pk)]


@pytest.mark.parametrize("path", ["statuses", "types", "categories"])
def test_reference_data_needs_a_helpdesk_user(outsider, api_for, path):
    assert Client().get(f"/api/v1/tickets/{path}").status_code == 401
    assert api_for(outsider).get(f"/api/v1/tickets/{path}").status_code == 403
