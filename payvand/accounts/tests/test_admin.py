"""The admin site for accounts: users with lower-cased emails, teams, tokens that can't be made there."""

from __future__ import annotations

import pytest
from django.test import Client

from payvand.accounts.models import ApiToken, User
from payvand.accounts.services import api_token_create

pytestmark = pytest.mark.django_db

PASSWORD = "Very-long-pw-123"


def _add_user(client: Client, email: str):
    return client.post(
        "/admin/accounts/user/add/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )


def test_it_adds_a_user_with_a_lower_cased_email_who_can_log_in(admin_user, client_for):
    response = _add_user(client_for(admin_user), "  New.Person@Example.COM ")
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password(PASSWORD)
    response = Client().post("/accounts/login/", {"username": "new.person@example.com", "password": PASSWORD})
    assert response.status_code == 302


def test_it_refuses_the_same_email_in_another_case(admin_user, agent_a, client_for):
    response = _add_user(client_for(admin_user), "AGENT.A@example.com")
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="agent.a@example.com").count() == 1


def test_it_lower_cases_an_edited_email(admin_user, agent_a, client_for):
    client = client_for(admin_user)
    page = client.get(f"/admin/accounts/user/{agent_a.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        email="Agent.Renamed@Example.com", groups=[g.pk for g in agent_a.groups.all()], skills=[], user_permissions=[]
    )
    response = client.post(f"/admin/accounts/user/{agent_a.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent_a.refresh_from_db()
    assert agent_a.email == "agent.renamed@example.com"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/accounts/team/",
        "/admin/accounts/apitoken/",
        "/admin/accounts/skill/",
        "/admin/core/event/",
    ],
)
def test_it_shows_the_admin_lists(admin_user, agent_a, team_a, client_for, url):
    api_token_create(user=agent_a, name="tests")
    assert client_for(admin_user).get(url).status_code == 200


def test_it_makes_tokens_only_where_the_secret_is_shown(admin_user, client_for):
    client = client_for(admin_user)
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    assert client.post("/admin/accounts/apitoken/add/", {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("who", ["agent_a", "outsider", None])
def test_it_keeps_everyone_else_out(request, who):
    user = request.getfixturevalue(who) if who else None
    client = Client()
    if user:
        client.force_login(user)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_team_membership_edits_in_the_admin_leave_events(admin_user, team_a, agent_a, agent_b, client_for):
    from payvand.core.models import Event

    membership = team_a.memberships.get(user=agent_a)
    data = {
        "name": team_a.name,
        "description": "",
        "lead": "",
        "capacity_per_member": "5",
        "capacity": "20",
        "memberships-TOTAL_FORMS": "2",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(membership.pk),
        "memberships-0-team": str(team_a.pk),
        "memberships-0-user": str(agent_a.pk),
        "memberships-0-capacity": "",
        "memberships-0-DELETE": "on",
        "memberships-1-team": str(team_a.pk),
        "memberships-1-user": str(agent_b.pk),
        "memberships-1-capacity": "3",
    }
    response = client_for(admin_user).post(f"/admin/accounts/team/{team_a.pk}/change/", data)
    assert response.status_code == 302, [f.errors for f in response.context["inline_admin_formsets"][0].formset] + [
        response.context["adminform"].form.errors
    ]
    assert list(team_a.memberships.values_list("user__email", "capacity")) == [(agent_b.email, 3)]
    events = Event.objects.filter(target_id=str(team_a.pk), actor=admin_user).values_list("verb", "data")
    assert sorted((verb, data["user"]) for verb, data in events) == [
        ("team.member_added", agent_b.email),
        ("team.member_removed", agent_a.email),
    ]
