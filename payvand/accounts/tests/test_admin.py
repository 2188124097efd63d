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
