"""GET and PATCH /api/v1/me: token and session auth, CSRF on session writes, bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from payvand.accounts import roles
from payvand.accounts.models import User
from payvand.accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

URL = "/api/v1/me"


def _csrf_session(user: User) -> tuple[Client, str]:
    """A browser-like client that enforces CSRF, signed in, with the CSRF token a page gave it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/accounts/profile/").status_code == 200
    return client, client.cookies["csrftoken"].value


def _assert_error_shape(body: dict) -> None:
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], list)


def test_it_shows_me_with_a_token(agent_a, team_a, api_for):
    response = api_for(agent_a).get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "id": agent_a.pk,
        "email": "agent.a@example.com",
        "full_name": "Agent.A",
        "language": "en",
        "time_zone": "Asia/Tehran",
        "calendar": "gregorian",
        "roles": [roles.AGENT],
        "teams": [team_a.pk],
    }


def test_it_shows_me_with_a_session(supervisor, client_for):
    response = client_for(supervisor).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["roles"], body["teams"]) == ("supervisor@example.com", [roles.SUPERVISOR], [])


def test_it_shows_the_jalali_calendar_for_a_persian_user(outsider, api_for):
    User.objects.filter(pk=outsider.pk).update(language="fa")
    assert api_for(outsider).get(URL).json()["calendar"] == "jalali"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer pvt_not-a-token"}, {"Authorization": "Token abc"}, {"Authorization": "Bearer"}],
)
def test_it_wants_authentication(db, headers):
    for method in ("get", "patch"):
        response = getattr(Client(enforce_csrf_checks=True, headers=headers), method)(
            URL, {"language": "fa"}, content_type="application/json"
        )
        assert response.status_code == 401, (method, response.content)
        _assert_error_shape(response.json())


def test_it_refuses_a_revoked_token(agent_a):
    token, raw = api_token_create(user=agent_a, name="old")
    api_token_revoke(user=agent_a, token_id=token.pk)
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    assert client.get(URL).status_code == 401
    response = client.patch(URL, {"language": "fa"}, content_type="application/json")
    assert response.status_code == 401  # not a CSRF 403: without a session the token is what counts
    _assert_error_shape(response.json())
    agent_a.refresh_from_db()
    assert agent_a.language == "en"


def test_it_refuses_an_inactive_users_token(agent_a, api_for):
    client = api_for(agent_a)
    User.objects.filter(pk=agent_a.pk).update(is_active=False)
    assert client.get(URL).status_code == 401


def test_it_updates_my_preferences_with_a_token(agent_a, api_for):
    client = api_for(agent_a)
    response = client.patch(
        URL, {"language": "fa", "time_zone": "Asia/Tehran", "full_name": "آرش"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["language"], body["calendar"], body["full_name"]) == ("fa", "jalali", "آرش")
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.full_name, agent_a.calendar) == ("fa", "آرش", "")

    response = client.patch(URL, {"calendar": "gregorian"}, content_type="application/json")
    assert response.json()["calendar"] == "gregorian"
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.calendar) == ("fa", "gregorian")


def test_it_takes_a_token_write_without_csrf(agent_a):
    _token, raw = api_token_create(user=agent_a, name="script")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    response = client.patch(URL, {"language": "hu"}, content_type="application/json")
    assert response.status_code == 200
    agent_a.refresh_from_db()
    assert agent_a.language == "hu"


def test_it_refuses_a_session_write_without_the_csrf_token(agent_a):
    client, _csrf = _csrf_session(agent_a)
    response = client.patch(URL, {"language": "fa"}, content_type="application/json")
    assert response.status_code == 403
    _assert_error_shape(response.json())
    agent_a.refresh_from_db()
    assert agent_a.language == "en"


def test_it_takes_a_session_write_with_the_csrf_token(agent_a):
    client, csrf = _csrf_session(agent_a)
    response = client.patch(URL, {"language": "fa"}, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert response.status_code == 200, response.content
    agent_a.refresh_from_db()
    assert agent_a.language == "fa"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"language": "de"}, "language"),
        ({"language": 5}, "language"),
        ({"language": ["fa"]}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"calendar": "lunar"}, "calendar"),
        ({"full_name": "x" * 201}, "full_name"),
        ({"full_name": {"first": "a"}}, "full_name"),
    ],
)
def test_it_refuses_bad_preferences_with_422(agent_a, api_for, payload, field):
    response = api_for(agent_a).patch(URL, {"calendar": "jalali", **payload}, content_type="application/json")
    assert response.status_code == 422, response.content
    body = response.json()
    _assert_error_shape(body)
    assert field in [e["field"] for e in body["errors"]]
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.time_zone, agent_a.calendar, agent_a.full_name) == (
        "en",
        "Asia/Tehran",
        "",
        "Agent.A",
    )


def test_it_refuses_a_body_that_is_not_json(agent_a, api_for):
    response = api_for(agent_a).patch(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    _assert_error_shape(response.json())


@pytest.mark.parametrize("body", ["[]", '"fa"', "null", "{}"])
def test_it_changes_nothing_for_a_body_without_fields(agent_a, api_for, body):
    response = api_for(agent_a).patch(URL, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["language"] == "en"
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.calendar) == ("en", "")
