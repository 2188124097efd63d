from __future__ import annotations

import pytest

from payvand.core.models import Event
from payvand.helpdesk.models import WorkLog
from payvand.helpdesk.tests.factories import TicketFactory
from payvand.projects.models import Project
from payvand.projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects"


def _post(api, path, body):
    return api.post(path, body, content_type="application/json")


def _patch(api, path, body):
    return api.patch(path, body, content_type="application/json")


def _fields(response) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


def test_it_creates_a_project(api_for, supervisor, agent_a, team_a, customer_x):
    response = _post(
        api_for(supervisor),
        URL,
        {
            "name": "Fibre roll-out",
            "code": "FIB-1",
            "customer_id": customer_x.pk,
            "team_id": team_a.pk,
            "member_ids": [agent_a.pk],
            "starts_on": "2025-01-01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer_name"] == "Xerxes Customer"
    assert body["team_name"] == "Team A"
    assert body["members"] == [{"id": agent_a.pk, "name": agent_a.full_name, "email": agent_a.email}]
    assert body["status"] == "active"
    assert body["starts_on"] == "2025-01-01"
    assert Project.objects.get(pk=body["id"]).code == "FIB-1"
    assert Event.objects.filter(verb="project.created").count() == 1


def test_create_refuses_bad_input(api_for, supervisor):
    api = api_for(supervisor)
    response = _post(api, URL, {"name": "", "code": "x", "status": "asleep", "starts_on": "yesterday"})
    assert response.status_code == 422
    assert {"name", "status", "starts_on"} <= _fields(response)
    response = _post(api, URL, {"name": "P", "code": "P1", "starts_on": "2025-02-01", "ends_on": "2025-01-01"})
    assert response.status_code == 422
    assert _fields(response) == {"ends_on"}
    response = _post(api, URL, {"name": "P", "code": "P1", "customer_id": 999999, "member_ids": [999999]})
    assert response.status_code == 422
    assert _fields(response) == {"customer_id"}
    response = _post(api, URL, {"name": "P", "code": "P1", "member_ids": [999999]})
    assert response.status_code == 422
    assert _fields(response) == {"member_ids.0"}
    assert _post(api, URL, [1, 2]).status_code == 422
    assert not Project.objects.exists()


def test_create_needs_the_permission(api_for, agent_a, outsider, client):
    for user in (agent_a, outsider):
        assert _post(api_for(user), URL, {"name": "P", "code": "P1"}).status_code == 403
    assert client.post(URL, {"name": "P", "code": "P1"}, content_type="application/json").status_code == 401
    assert not Project.objects.exists()


def test_it_lists_projects_with_counts_in_few_queries(api_for, agent_a, django_assert_max_num_queries):
    projects = [ProjectFactory.create(name=f"P{n:02d}") for n in range(12)]
    TicketFactory.create(project=projects[0])
    api = api_for(agent_a)
    api.get(URL)
    with django_assert_max_num_queries(8):
        response = api.get(URL, {"limit": 10})
    body = response.json()
    assert response.status_code == 200
    assert body["total"] == 12
    assert body["next_offset"] == 10
    assert len(body["items"]) == 10
    assert body["items"][0] | {"id": 0} == {
        "id": 0,
        "name": "P00",
        "code": projects[0].code,
        "customer_id": None,
        "team_id": None,
        "status": "active",
        "starts_on": None,
        "ends_on": None,
        "ticket_count": 1,
        "open_count": 1,
    }
    assert api.get(URL, {"status": "nonsense"}).status_code == 422
    assert api.get(URL, {"limit": 0}).status_code == 422


def test_an_outsider_sees_only_their_own_projects(api_for, outsider):
    ProjectFactory.create(name="Hidden")
    own = ProjectFactory.create(name="Mine", members=[outsider])
    hidden = Project.objects.get(name="Hidden")
    api = api_for(outsider)
    assert [p["name"] for p in api.get(URL).json()["items"]] == ["Mine"]
    assert api.get(f"{URL}/{own.pk}").status_code == 200
    assert api.get(f"{URL}/{hidden.pk}").status_code == 404
    assert api.get(f"{URL}/{hidden.pk}/stats").status_code == 404
    assert _patch(api, f"{URL}/{hidden.pk}", {"name": "x"}).status_code == 404
    assert _patch(api, f"{URL}/{own.pk}", {"name": "x"}).status_code == 403


def test_it_updates_a_project(api_for, supervisor, agent_b, team_b):
    project = ProjectFactory.create(name="Old")
    api = api_for(supervisor)
    response = _patch(
        api, f"{URL}/{project.pk}", {"name": "New", "team_id": team_b.pk, "member_ids": [agent_b.pk], "status": "done"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["team_id"], body["status"]) == ("New", team_b.pk, "done")
    assert [m["id"] for m in body["members"]] == [agent_b.pk]
    response = _patch(api, f"{URL}/{project.pk}", {"team_id": None, "customer_id": None})
    assert response.json()["team_id"] is None
    assert _patch(api, f"{URL}/{project.pk}", {"name": None}).status_code == 422
    assert _patch(api, f"{URL}/{project.pk}", {"team_id": 99999}).status_code == 422
    assert _patch(api, f"{URL}/{project.pk}", {"ends_on": "2025-13-01"}).status_code == 422
    assert _patch(api, f"{URL}/99999999", {"name": "x"}).status_code == 404
    assert api.get(f"{URL}/0").status_code == 422


def test_members_are_added_and_removed(api_for, supervisor, agent_a, agent_b):
    project = ProjectFactory.create()
    api = api_for(supervisor)
    response = _post(api, f"{URL}/{project.pk}/members", {"user_id": agent_a.pk})
    assert response.status_code == 201
    assert [m["id"] for m in response.json()["members"]] == [agent_a.pk]
    assert _post(api, f"{URL}/{project.pk}/members", {"user_id": 999999}).status_code == 422
    assert api.delete(f"{URL}/{project.pk}/members/{agent_b.pk}").status_code == 422  # not a member
    assert api.delete(f"{URL}/{project.pk}/members/{agent_a.pk}").status_code == 204
    assert not project.members.exists()
    assert _post(api_for(agent_a), f"{URL}/{project.pk}/members", {"user_id": agent_a.pk}).status_code == 403


def test_delete_needs_the_permission_and_no_tickets(api_for, admin_user, supervisor):
    empty, used = ProjectFactory.create(), ProjectFactory.create()
    TicketFactory.create(project=used)
    assert api_for(supervisor).delete(f"{URL}/{empty.pk}").status_code == 403
    api = api_for(admin_user)
    assert api.delete(f"{URL}/{used.pk}").status_code == 409
    assert api.delete(f"{URL}/{empty.pk}").status_code == 204
    assert list(Project.objects.all()) == [used]


def test_the_stats_endpoint(api_for, agent_a, team_a):
    project = ProjectFactory.create()
    ticket = TicketFactory.create(project=project, team=team_a)
    WorkLog.objects.create(ticket=ticket, user=agent_a, minutes=25, billable=True)
    response = api_for(agent_a).get(f"{URL}/{project.pk}/stats")
    assert response.status_code == 200
    body = response.json()
    assert (body["open"], body["closed"], body["cancelled"], body["minutes_total"]) == (1, 0, 0, 25)
    assert body["time"] == [{"user_id": agent_a.pk, "name": agent_a.full_name, "minutes": 25, "billable_minutes": 25}]
    assert body["categories"] == [{"category_id": None, "name": None, "tickets": 1}]
    assert sum(w["tickets"] for w in body["volume"]) == 1
