"""The language switcher: POST only, remembered on the user and in a cookie, safe `next`."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

URL = reverse("accounts:set_language")

pytestmark = pytest.mark.django_db


def test_it_stores_the_language_on_the_user(agent_a, client_for):
    client = client_for(agent_a)
    response = client.post(URL, {"language": "fa", "next": "/accounts/teams/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/teams/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fa"
    agent_a.refresh_from_db()
    assert agent_a.language == "fa"
    html = client.get("/accounts/teams/").content.decode()
    assert '<html lang="fa" dir="rtl"' in html


def test_it_remembers_the_language_of_an_anonymous_visitor_in_a_cookie(db):
    client = Client()
    response = client.post(URL, {"language": "hu", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hu"
    assert '<html lang="hu"' in client.get("/accounts/login/").content.decode()


def test_it_rejects_an_unknown_language(agent_a, client_for):
    client = client_for(agent_a)
    response = client.post(URL, {"language": "de", "next": "/accounts/teams/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/teams/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    agent_a.refresh_from_db()
    assert agent_a.language == "en"
    assert "Unknown language." in client.get("/accounts/teams/").content.decode()


@pytest.mark.parametrize("language", ["", "fa-IR-x", "<script>"])
def test_it_rejects_other_unknown_values(agent_a, client_for, language):
    response = client_for(agent_a).post(URL, {"language": language})
    assert response.status_code == 302
    agent_a.refresh_from_db()
    assert agent_a.language == "en"


@pytest.mark.parametrize(
    "nxt", ["https://evil.example.com/", "//evil.example.com/", "http://testserver.evil.com/", "javascript:alert(1)"]
)
def test_it_does_not_redirect_off_site(agent_a, client_for, nxt):
    response = client_for(agent_a).post(URL, {"language": "hu", "next": nxt})
    assert response.status_code == 302
    assert response["Location"] == "/"
    agent_a.refresh_from_db()
    assert agent_a.language == "hu"


def test_it_goes_home_without_next(agent_a, client_for):
    response = client_for(agent_a).post(URL, {"language": "hu"})
    assert response["Location"] == "/"


def test_it_switches_only_by_post(agent_a, client_for):
    response = client_for(agent_a).get(URL, {"language": "fa"})
    assert response.status_code == 405
    agent_a.refresh_from_db()
    assert agent_a.language == "en"


def test_it_needs_the_csrf_token(agent_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_a)
    assert client.post(URL, {"language": "fa"}).status_code == 403
    agent_a.refresh_from_db()
    assert agent_a.language == "en"


def test_it_offers_the_switcher_on_every_page(agent_a, client_for):
    html = client_for(agent_a).get("/").content.decode()
    assert f'action="{URL}"' in html
    assert 'value="fa"' in html
    assert 'value="hu"' in html
    assert 'value="en"' in html
    assert "فارسی" in html
    assert "Magyar" in html
