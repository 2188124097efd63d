"""/api/v1/me/tokens: list, create (shown once) and revoke my API tokens."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from payvand.accounts.models import ApiToken
from payvand.accounts.services import api_token_create
from payvand.core.models import Event

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/tokens"


def test_it_lists_only_my_tokens_without_their_secret(agent_a, agent_b, api_for):
    client = api_for(agent_a)  # creates the token "tests"
    api_token_create(user=agent_a, name="PBX")
    api_token_create(user=agent_b, name="not mine")
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert sorted(t["name"] for t in body) == ["PBX", "tests"]
    assert set(body[0]) == {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}
    assert all(t["prefix"].startswith("pvt_") for t in body)


def test_it_creates_a_token_shown_once(agent_a, api_for):
    client = api_for(agent_a)
    response = client.post(URL, {"name": "PBX connector"}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    raw = body["token"]
    token = ApiToken.objects.get(pk=body["id"])
    assert (token.user, token.name, token.revoked_at) == (agent_a, "PBX connector", None)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert body["prefix"] == raw[:12] == token.prefix
    # The new token works, and is never shown again.
    fresh = Client(headers={"Authorization": f"Bearer {raw}"})
    assert fresh.get("/api/v1/me").json()["email"] == agent_a.email
    assert raw not in client.get(URL).content.decode()


@pytest.mark.parametrize(
    "payload", [{"name": ""}, {"name": "   "}, {"name": "x" * 101}, {}, {"name": None}, {"name": 12}, {"name": ["a"]}]
)
def test_it_refuses_a_bad_token_name(agent_a, api_for, payload):
    client = api_for(agent_a)
    response = client.post(URL, payload, content_type="application/json")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"]
    assert [e["field"] for e in body["errors"]] == ["name"]
    assert ApiToken.objects.filter(user=agent_a).count() == 1  # only the client's own


def test_it_revokes_my_token(agent_a, api_for):
    client = api_for(agent_a)
    token, raw = api_token_create(user=agent_a, name="old script")
    response = client.delete(f"{URL}/{token.pk}")
    assert response.status_code == 204
    assert response.content == b""
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Event.objects.filter(verb="token.revoked", target_id=str(token.pk), actor=agent_a).count() == 1
    listed = {t["id"]: t for t in client.get(URL).json()}
    assert listed[token.pk]["revoked_at"] is not None
    revoked = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    response = revoked.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["errors"] == []
    assert revoked.delete(f"{URL}/{token.pk}").status_code == 401


def test_it_revokes_the_token_in_use(agent_a):
    token, raw = api_token_create(user=agent_a, name="self")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.delete(f"{URL}/{token.pk}").status_code == 204
    assert client.get(URL).status_code == 401


def test_it_does_not_revoke_another_users_token(agent_a, agent_b, api_for):
    theirs, raw = api_token_create(user=agent_b, name="theirs")
    response = api_for(agent_a).delete(f"{URL}/{theirs.pk}")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("token_id", ["99999999999999999999", "0", "-1", "abc", "1.5"])
def test_it_refuses_a_bad_token_id(agent_a, api_for, token_id):
    response = api_for(agent_a).delete(f"{URL}/{token_id}")
    assert response.status_code in (404, 422), response.content
    if response.status_code == 422:
        assert [e["field"] for e in response.json()["errors"]] == ["token_id"]
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0


def test_it_answers_404_for_a_missing_token(agent_a, api_for):
    response = api_for(agent_a).delete(f"{URL}/424242")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_it_wants_authentication(agent_a):
    token, _raw = api_token_create(user=agent_a, name="x")
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.get(URL).status_code == 401
    assert anonymous.post(URL, {"name": "x"}, content_type="application/json").status_code == 401
    assert anonymous.delete(f"{URL}/{token.pk}").status_code == 401
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_refuses_a_session_post_without_csrf(agent_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_a)
    assert client.get(URL).status_code == 200  # reads need no CSRF token
    response = client.post(URL, {"name": "sneaky"}, content_type="application/json")
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    assert not ApiToken.objects.exists()

    client.get("/accounts/profile/")
    csrf = client.cookies["csrftoken"].value
    response = client.post(URL, {"name": "mine"}, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert response.status_code == 201
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["mine"]
