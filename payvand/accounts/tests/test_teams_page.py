"""The teams page: every team for a supervisor, one's own teams for everyone else."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from payvand.accounts.models import Team, User
from payvand.accounts.services import team_add_member, user_create

URL = reverse("accounts:teams")

pytestmark = pytest.mark.django_db


def test_it_shows_a_supervisor_every_team_with_members(supervisor, agent_a, agent_b, team_a, team_b, client_for):
    team_a.lead = supervisor
    team_a.save(update_fields=["lead"])
    response = client_for(supervisor).get(URL)
    assert response.status_code == 200
    assert [t.name for t in response.context["teams"]] == ["Team A", "Team B"]
    html = response.content.decode()
    assert "Agent.A" in html
    assert "Agent.B" in html
    assert "Supervisor" in html  # team A's lead


def test_it_shows_an_agent_only_their_team(agent_a, agent_b, team_a, team_b, client_for):
    response = client_for(agent_a).get(URL)
    assert response.status_code == 200
    assert [t.name for t in response.context["teams"]] == ["Team A"]
    html = response.content.decode()
    assert "Team B" not in html
    assert "Agent.B" not in html


def test_it_tells_an_outsider_they_are_in_no_team(outsider, team_a, agent_a, client_for):
    response = client_for(outsider).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are not in any team yet." in html
    assert "Team A" not in html


def test_it_shows_capacities_with_persian_digits_in_persian(agent_a, team_a, client_for):
    User.objects.filter(pk=agent_a.pk).update(language="fa")
    html = client_for(agent_a).get(URL).content.decode()
    assert "۲۰" in html  # team capacity 20
    assert "(۵)" in html  # the member's capacity 5


def test_it_sends_anonymous_visitors_to_the_login_page(db):
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_does_not_grow_queries_with_teams(supervisor, client_for, django_assert_max_num_queries):
    client = client_for(supervisor)

    def make_teams(count: int) -> None:
        start = Team.objects.count()
        for i in range(start, start + count):
            team = Team.objects.create(name=f"Team {i:03}", lead=supervisor)
            member = user_create(email=f"m{i}@example.com", password=None, full_name=f"Member {i}")
            team_add_member(team=team, user=member, by=None)

    make_teams(3)
    client.get(URL)
    with django_assert_max_num_queries(10) as few:
        assert len(client.get(URL).context["teams"]) == 3
    make_teams(27)
    with django_assert_max_num_queries(10) as many:
        assert len(client.get(URL).context["teams"]) == 30
    assert len(many.captured_queries) == len(few.captured_queries)
