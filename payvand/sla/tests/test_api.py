"""The SLA API: calendars and policies (admins and supervisors), a ticket's clocks (whoever sees the ticket)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.helpdesk.tests.services_support import ticket_new
from payvand.sla.models import BusinessCalendar, Escalation, Holiday, SlaPolicy
from payvand.sla.tests.support import always_calendar, policy_new

pytestmark = pytest.mark.django_db
ApiFor = Callable[[User], Client]

CALENDAR = {
    "name": "Tabriz office",
    "time_zone": "Asia/Tehran",
    "country": "IR",
    "hours": [{"weekday": d, "start": "08:00", "end": "16:00"} for d in (5, 6, 0, 1, 2)]
    + [{"weekday": 3, "start": "08:00", "end": "12:00"}],
}


def _errors(response: Any) -> list[str | None]:
    body = response.json()
    assert set(body) == {"detail", "errors"}
    return [e["field"] for e in body["errors"]]


def test_it_creates_changes_and_deletes_a_calendar(api_for: ApiFor, supervisor: User) -> None:
    api = api_for(supervisor)
    response = api.post("/api/v1/sla/calendars", CALENDAR, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Tabriz office"
    assert len(body["hours"]) == 6
    calendar = BusinessCalendar.objects.get(pk=body["id"])
    assert calendar.hours.filter(weekday=3).get().end == dt.time(12)

    response = api.post(
        f"/api/v1/sla/calendars/{calendar.pk}/holidays/load", {"year": 2025}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["loaded"] > 5
    response = api.post(
        f"/api/v1/sla/calendars/{calendar.pk}/holidays",
        {"date": "2025-06-01", "name": "Office move"},
        content_type="application/json",
    )
    assert response.status_code == 201
    holiday = Holiday.objects.get(calendar=calendar, date=dt.date(2025, 6, 1))
    assert holiday.source == Holiday.Source.ADMIN

    response = api.patch(f"/api/v1/sla/calendars/{calendar.pk}", {"name": "Tabriz"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["name"] == "Tabriz"
    assert len(response.json()["hours"]) == 6  # untouched

    assert api.delete(f"/api/v1/sla/calendars/{calendar.pk}/holidays/{holiday.pk}").status_code == 204
    assert api.delete(f"/api/v1/sla/calendars/{calendar.pk}").status_code == 204
    assert not BusinessCalendar.objects.filter(pk=calendar.pk).exists()


def test_it_refuses_bad_calendars_with_the_error_shape(api_for: ApiFor, supervisor: User) -> None:
    api = api_for(supervisor)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"time_zone": "Nowhere/Town"}, "time_zone"),
        ({"country": "ZZ"}, "country"),
        ({"hours": [{"weekday": 1, "start": "10:00", "end": "09:00"}]}, "hours.0.end"),
        ({"hours": [{"weekday": 9, "start": "10:00", "end": "11:00"}]}, "hours.0.weekday"),
        ({"hours": []}, "hours"),
        ({"hours": [{"weekday": 1, "start": "8am", "end": "09:00"}]}, "hours.0.start"),
        ({"hours": [{"weekday": 1, "start": "08:00:00+01:00", "end": "09:00"}]}, "hours.0.start"),
        ({"name": ""}, "name"),
    ]
    for change, field in cases:
        response = api.post("/api/v1/sla/calendars", {**CALENDAR, **change}, content_type="application/json")
        assert response.status_code == 422, (change, response.content)
        assert field in _errors(response), (change, response.json())
    assert not BusinessCalendar.objects.filter(name="Tabriz office").exists()
    response = api.post(
        f"/api/v1/sla/calendars/{always_calendar().pk}/holidays/load", {"year": 2025}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "country" in _errors(response)


def test_a_calendar_in_use_cannot_be_deleted(api_for: ApiFor, supervisor: User) -> None:
    policy = policy_new()
    response = api_for(supervisor).delete(f"/api/v1/sla/calendars/{policy.calendar_id}")
    assert response.status_code == 409
    assert BusinessCalendar.objects.filter(pk=policy.calendar_id).exists()


def test_it_creates_and_replaces_a_policy(api_for: ApiFor, supervisor: User, team_b: Team, agent_a: User) -> None:
    api = api_for(supervisor)
    calendar = always_calendar()
    payload = {
        "name": "Gold",
        "calendar": calendar.pk,
        "priorities": [3, 4],
        "channels": ["phone"],
        "first_response_minutes": 30,
        "resolution_minutes": 480,
        "warning_percent": 75,
        "escalations": [
            {"on": "warning", "action": "notify_assignee"},
            {"on": "breach", "action": "refer", "kind": "resolution", "team": team_b.pk},
        ],
    }
    response = api.post("/api/v1/sla/policies", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["priorities"] == [3, 4]
    assert len(body["escalations"]) == 2
    policy = SlaPolicy.objects.get(pk=body["id"])
    assert policy.escalations.filter(action=Escalation.Action.REFER, team=team_b).exists()

    payload.update(escalations=[], resolution_minutes=None, name="Gold+")
    response = api.put(f"/api/v1/sla/policies/{policy.pk}", payload, content_type="application/json")
    assert response.status_code == 200
    policy.refresh_from_db()
    assert policy.name == "Gold+"
    assert policy.resolution_minutes is None
    assert not policy.escalations.exists()
    assert [p["name"] for p in api.get("/api/v1/sla/policies").json()] == ["Gold+"]
    assert api.delete(f"/api/v1/sla/policies/{policy.pk}").status_code == 204
    assert api.get(f"/api/v1/sla/policies/{policy.pk}").status_code == 404


def test_it_refuses_bad_policies_with_the_error_shape(api_for: ApiFor, supervisor: User, customer_x: Contact) -> None:
    api = api_for(supervisor)
    calendar = always_calendar()
    base = {"name": "P", "calendar": calendar.pk, "first_response_minutes": 10}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"calendar": 999999}, "calendar"),
        ({"types": [999999]}, "types"),
        ({"organisations": [customer_x.pk]}, "organisations"),  # a person
        ({"first_response_minutes": None}, "first_response_minutes"),
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"priorities": [7]}, "priorities"),
        ({"escalations": [{"on": "breach", "action": "reassign"}]}, "escalations.0.user"),
        ({"escalations": [{"on": "breach", "action": "explode"}]}, "escalations.0.action"),
        ({"escalations": [{"on": "breach", "action": "reassign", "user": 999999}]}, "escalations.0.user"),
    ]
    for change, field in cases:
        response = api.post("/api/v1/sla/policies", {**base, **change}, content_type="application/json")
        assert response.status_code == 422, (change, response.content)
        assert field in _errors(response), (change, response.json())
    assert not SlaPolicy.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/sla/calendars"),
        ("post", "/api/v1/sla/calendars"),
        ("get", "/api/v1/sla/policies"),
        ("post", "/api/v1/sla/policies"),
    ],
)
def test_only_admins_and_supervisors_configure(
    api_for: ApiFor, agent_a: User, outsider: User, method: str, path: str
) -> None:
    assert getattr(Client(), method)(path).status_code == 401
    for user in (agent_a, outsider):
        response = getattr(api_for(user), method)(path, {}, content_type="application/json")
        assert response.status_code in (403, 422) if method == "post" else response.status_code == 403
        if method == "get":
            assert response.status_code == 403


def test_an_agent_cannot_change_a_policy(api_for: ApiFor, agent_a: User) -> None:
    policy = policy_new()
    assert api_for(agent_a).get(f"/api/v1/sla/policies/{policy.pk}").status_code == 403
    assert api_for(agent_a).delete(f"/api/v1/sla/policies/{policy.pk}").status_code == 403
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()


def test_missing_ids_are_404(api_for: ApiFor, admin_user: User) -> None:
    api = api_for(admin_user)
    assert api.get("/api/v1/sla/calendars/999999").status_code == 404
    assert api.get("/api/v1/sla/policies/999999").status_code == 404
    assert api.get("/api/v1/tickets/999999/sla").status_code == 404
    calendar = always_calendar()
    assert api.delete(f"/api/v1/sla/calendars/{calendar.pk}/holidays/999999").status_code == 404


def test_a_ticket_shows_its_clocks_to_those_who_see_it(
    api_for: ApiFor, agent_a: User, agent_b: User, customer_x: Contact, team_a: Team
) -> None:
    policy_new()
    ticket = ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a)
    response = api_for(agent_a).get(f"/api/v1/tickets/{ticket.pk}/sla")
    assert response.status_code == 200, response.content
    clocks = {c["kind"]: c for c in response.json()["clocks"]}
    assert set(clocks) == {"first_response", "resolution"}
    assert clocks["first_response"]["state"] == "running"
    assert 59 <= clocks["first_response"]["remaining_minutes"] <= 60
    assert clocks["first_response"]["due_at"] is not None
    assert api_for(agent_b).get(f"/api/v1/tickets/{ticket.pk}/sla").status_code == 404
    assert Client().get(f"/api/v1/tickets/{ticket.pk}/sla").status_code == 401
