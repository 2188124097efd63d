"""/api/v1/teams and /api/v1/teams/{id}: scoped to the viewer, with the outsider cases and a query-count test."""

from __future__ import annotations

import pytest
from django.test import Client

from payvand.accounts.models import Team, TeamMembership, User
from payvand.accounts.services import team_add_member, user_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/teams"


def test_it_lists_every_team_with_members_for_a_supervisor(supervisor, agent_a, agent_b, team_a, team_b, api_for):
    TeamMembership.objects.filter(team=team_a, user=agent_a).update(capacity=2)
    team_a.lead = supervisor
    team_a.save(update_fields=["lead"])
    response = api_for(supervisor).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body] == ["Team A", "Team B"]
    assert body[0] == {
        "id": team_a.pk,
        "name": "Team A",
        "description": "",
        "lead_id": supervisor.pk,
        "capacity": 20,
        "capacity_per_member": 5,
        "members": [{"user_id": agent_a.pk, "email": agent_a.email, "full_name": "Agent.A", "capacity": 2}],
    }
    assert body[1]["members"][0]["capacity"] == 5  # the team's capacity per member


def test_it_shows_an_agent_only_their_own_teams(agent_a, agent_b, team_a, team_b, api_for):
    response = api_for(agent_a).get(URL)
    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [team_a.pk]


def test_it_shows_an_outsider_no_team(outsider, team_a, team_b, agent_a, api_for):
    response = api_for(outsider).get(URL)
    assert response.status_code == 200
    assert response.json() == []


def test_it_shows_one_team(agent_a, team_a, api_for):
    response = api_for(agent_a).get(f"{URL}/{team_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Team A"
    assert [m["email"] for m in body["members"]] == [agent_a.email]


def test_it_shows_any_team_to_a_dispatcher(dispatcher, team_b, agent_b, api_for):
    response = api_for(dispatcher).get(f"{URL}/{team_b.pk}")
    assert response.status_code == 200
    assert response.json()["members"][0]["user_id"] == agent_b.pk


def test_it_forbids_another_teams_id_to_an_outsider(agent_a, agent_b, team_b, outsider, api_for):
    for user in (agent_a, outsider):
        response = api_for(user).get(f"{URL}/{team_b.pk}")
        assert response.status_code == 403
        body = response.json()
        assert set(body) == {"detail", "errors"}
        assert agent_b.email not in response.content.decode()


def test_it_answers_404_for_a_missing_team(agent_a, supervisor, api_for):
    for user in (agent_a, supervisor):
        response = api_for(user).get(f"{URL}/987654")
        assert response.status_code == 404
        assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("team_id", ["99999999999999999999", "9223372036854775808", "0", "-3", "abc"])
def test_it_refuses_a_bad_team_id(agent_a, api_for, team_id):
    response = api_for(agent_a).get(f"{URL}/{team_id}")
    assert response.status_code in (404, 422), response.content
    if response.status_code == 422:
        body = response.json()
        assert body["detail"]
        assert [e["field"] for e in body["errors"]] == ["team_id"]


def test_it_wants_authentication(team_a):
    for url in (URL, f"{URL}/{team_a.pk}"):
        response = Client().get(url)
        assert response.status_code == 401
        assert set(response.json()) == {"detail", "errors"}


def test_it_does_not_grow_queries_with_teams(supervisor, role_groups, api_for, django_assert_max_num_queries):
    client = api_for(supervisor)

    def make_teams(count: int) -> None:
        start = Team.objects.count()
        for i in range(start, start + count):
            team = Team.objects.create(name=f"Team {i:03}", lead=supervisor)
            member = user_create(email=f"member{i}@example.com", password=None, full_name=f"Member {i}")
            team_add_member(team=team, user=member, by=None)
            team_add_member(team=team, user=supervisor, by=None)

    make_teams(3)
    client.get(URL)  # the first use of a token also notes its last use
    with django_assert_max_num_queries(8) as few:
        assert len(client.get(URL).json()) == 3
    make_teams(27)
    with django_assert_max_num_queries(8) as many:
        body = client.get(URL).json()
    assert len(body) == 30
    assert all(len(t["members"]) == 2 for t in body)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert User.objects.count() > 30
