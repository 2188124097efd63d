"""The profile page: preferences, and API tokens created (shown once) and revoked."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from payvand.accounts.models import ApiToken, User
from payvand.accounts.services import api_token_create

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")


def _prefs(**overrides: str) -> dict[str, str]:
    return {
        "action": "preferences",
        "full_name": "Agent A",
        "language": "en",
        "time_zone": "Asia/Tehran",
        "calendar": "",
        **overrides,
    }


def test_it_shows_my_preferences_and_tokens(agent_a, client_for):
    api_token_create(user=agent_a, name="PBX connector")
    response = client_for(agent_a).get(PROFILE)
    assert response.status_code == 200
    html = response.content.decode()
    assert agent_a.email in html
    assert "PBX connector" in html
    assert response.context["pref_form"].initial["time_zone"] == "Asia/Tehran"
    assert 'id="new-token"' not in html


def test_it_shows_today_in_the_jalali_calendar_for_a_persian_user(agent_a, client_for):
    User.objects.filter(pk=agent_a.pk).update(language="fa")
    response = client_for(agent_a).get(PROFILE)
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl"' in html
    match = re.search(r'<span id="today">([^<]*)</span>', html)
    assert match
    today = match.group(1)
    assert re.fullmatch(r"[۰-۹]{1,2} \S+ [۰-۹]{4}", today), today


def test_it_saves_preferences(agent_a, client_for):
    client = client_for(agent_a)
    response = client.post(
        PROFILE, _prefs(language="hu", time_zone="Europe/Budapest", calendar="jalali", full_name="Anna Agent")
    )
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hu"
    agent_a.refresh_from_db()
    assert (agent_a.language, agent_a.time_zone, agent_a.calendar, agent_a.full_name) == (
        "hu",
        "Europe/Budapest",
        "jalali",
        "Anna Agent",
    )
    assert '<html lang="hu"' in client.get(PROFILE).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"language": "de"}, "language"),
        ({"calendar": "lunar"}, "calendar"),
        ({"full_name": "x" * 201}, "full_name"),
    ],
)
def test_it_shows_a_form_error_for_a_bad_preference(agent_a, client_for, overrides, field):
    response = client_for(agent_a).post(PROFILE, {**_prefs(language="hu"), **overrides})
    assert response.status_code == 200
    assert field in response.context["pref_form"].errors
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    stored = User.objects.get(pk=agent_a.pk)
    assert (stored.language, stored.time_zone, stored.full_name) == ("en", "Asia/Tehran", "Agent.A")


def test_it_creates_a_token_and_shows_it_once(agent_a, client_for):
    client = client_for(agent_a)
    response = client.post(PROFILE, {"action": "token", "name": "PBX connector"})
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(r'id="new-token">.*?<code[^>]*>(pvt_[^<]+)</code>', html, re.S)
    assert match
    raw = match.group(1)
    token = ApiToken.objects.get(user=agent_a)
    assert token.name == "PBX connector"
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me").status_code == 200
    again = client.get(PROFILE).content.decode()
    assert raw not in again
    assert "PBX connector" in again
    assert token.prefix in again


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_it_shows_a_form_error_for_a_bad_token_name(agent_a, client_for, name):
    response = client_for(agent_a).post(PROFILE, {"action": "token", "name": name})
    assert response.status_code == 200
    assert "name" in response.context["token_form"].errors
    assert not ApiToken.objects.exists()


def test_it_revokes_my_token(agent_a, client_for):
    token, raw = api_token_create(user=agent_a, name="old")
    client = client_for(agent_a)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me").status_code == 401
    html = client.get(PROFILE).content.decode()
    assert "Token revoked." in html
    assert "revoked</span>" in html


def test_it_does_not_revoke_another_users_token(agent_a, agent_b, client_for):
    token, _raw = api_token_create(user=agent_b, name="theirs")
    client = client_for(agent_a)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)
    assert response.status_code == 200
    assert "No such token." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_revokes_only_by_post(agent_a, client_for):
    token, _raw = api_token_create(user=agent_a, name="old")
    assert client_for(agent_a).get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_sends_anonymous_visitors_to_the_login_page(agent_a):
    token, _raw = api_token_create(user=agent_a, name="old")
    for response in (Client().get(PROFILE), Client().post(reverse("accounts:token_revoke", args=[token.pk]))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_shows_times_in_my_time_zone(agent_a, client_for):
    token, _raw = api_token_create(user=agent_a, name="clock")
    ApiToken.objects.filter(pk=token.pk).update(created_at=dt.datetime(2024, 3, 19, 22, 30, tzinfo=dt.UTC))
    User.objects.filter(pk=agent_a.pk).update(time_zone="Asia/Tehran", calendar="gregorian")
    html = client_for(agent_a).get(PROFILE).content.decode()
    assert "2024-03-20 02:00" in html  # 22:30 UTC is 02:00 the next day in Tehran (+03:30)
