"""The login page in every language, logging in with email and password, the lockout, and logging out."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
PASSWORD = "pw-Secret-123"


def _in(language: str, text: str) -> str:
    with translation.override(language):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} is not translated to {language}"
    return translated


def _logged_in_as(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def test_it_renders_the_login_page_in_english(db):
    response = Client().get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en" dir="ltr"' in html
    assert "bootstrap/css/bootstrap.min.css" in html
    assert "bootstrap.rtl" not in html
    assert "Vazirmatn" not in html
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize("how", ["cookie", "header"])
def test_it_renders_the_login_page_right_to_left_in_persian(db, how):
    client = Client(headers={"Accept-Language": "fa"}) if how == "header" else Client()
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl"' in html
    assert "bootstrap/css/bootstrap.rtl.min.css" in html
    assert "bootstrap/css/bootstrap.min.css" not in html
    assert "Vazirmatn" in html
    assert 'class="lang-fa"' in html
    assert f"<title>{_in('fa', 'Log in')} ·" in html


def test_it_renders_the_login_page_in_hungarian(db):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hu"
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="hu" dir="ltr"' in html
    assert "bootstrap/css/bootstrap.min.css" in html
    assert f"<title>{_in('hu', 'Log in')} ·" in html
    response = client.post(LOGIN, {"username": "", "password": ""})
    assert _in("hu", "This field is required.") in response.content.decode()


def test_it_logs_in_with_email_and_password(agent_a):
    client = Client()
    response = client.post(LOGIN, {"username": "agent.a@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert _logged_in_as(client) == str(agent_a.pk)
    assert client.get(reverse("core:home")).status_code == 200


def test_it_logs_in_whatever_the_case_of_the_email(agent_a):
    client = Client()
    response = client.post(LOGIN, {"username": "  Agent.A@EXAMPLE.com ", "password": PASSWORD})
    assert response.status_code == 302
    assert _logged_in_as(client) == str(agent_a.pk)


def test_it_follows_a_local_next_but_not_an_off_site_one(agent_a):
    client = Client()
    response = client.post(LOGIN, {"username": agent_a.email, "password": PASSWORD, "next": "/accounts/teams/"})
    assert response["Location"] == "/accounts/teams/"
    client = Client()
    response = client.post(
        LOGIN, {"username": agent_a.email, "password": PASSWORD, "next": "https://evil.example.com/"}
    )
    assert response["Location"] == reverse("core:home")


@pytest.mark.parametrize(
    "data",
    [
        {"username": "agent.a@example.com", "password": "wrong"},
        {"username": "nobody@example.com", "password": PASSWORD},
        {"username": "not-an-email", "password": PASSWORD},
        {"username": "", "password": ""},
    ],
)
def test_it_refuses_bad_credentials(agent_a, data):
    client = Client()
    response = client.post(LOGIN, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert _logged_in_as(client) is None


def test_it_refuses_an_inactive_user(agent_a):
    agent_a.is_active = False
    agent_a.save(update_fields=["is_active"])
    client = Client()
    assert client.post(LOGIN, {"username": agent_a.email, "password": PASSWORD}).status_code == 200
    assert _logged_in_as(client) is None


def test_it_sends_a_signed_in_user_home(agent_a, client_for):
    response = client_for(agent_a).get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_it_locks_out_after_too_many_failures(agent_a, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _attempt in range(2):
        response = client.post(LOGIN, {"username": agent_a.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(LOGIN, {"username": agent_a.email, "password": "wrong"})
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username=agent_a.email).failures_since_start == 3

    # Now even the right password is refused, with the locked-out page, and in another case too.
    for username in (agent_a.email, "AGENT.A@example.com"):
        response = client.post(LOGIN, {"username": username, "password": PASSWORD})
        assert response.status_code == 429
        html = response.content.decode()
        assert "Too many failed log-in attempts" in html
        assert '<html lang="en"' in html  # the page has the site layout
        assert _logged_in_as(client) is None

    # The lockout is per person and address: someone else, or the same person elsewhere, still gets in.
    assert (
        Client(REMOTE_ADDR="10.0.0.7").post(LOGIN, {"username": agent_a.email, "password": PASSWORD}).status_code == 302
    )


def test_it_counts_failures_in_any_case_of_the_email(agent_a, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for username in ("agent.a@example.com", "Agent.A@example.com", "AGENT.A@EXAMPLE.COM"):
        client.post(LOGIN, {"username": username, "password": "wrong"})
    response = client.post(LOGIN, {"username": "agent.a@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert _logged_in_as(client) is None


def test_it_forgets_failures_after_a_successful_login(agent_a, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _attempt in range(2):
        client.post(LOGIN, {"username": agent_a.email, "password": "wrong"})
    assert client.post(LOGIN, {"username": agent_a.email, "password": PASSWORD}).status_code == 302
    client.post(reverse("accounts:logout"))
    for _attempt in range(2):
        client.post(LOGIN, {"username": agent_a.email, "password": "wrong"})
    assert client.post(LOGIN, {"username": agent_a.email, "password": PASSWORD}).status_code == 302


def test_it_logs_out_only_by_post(agent_a, client_for):
    client = client_for(agent_a)
    logout = reverse("accounts:logout")
    assert client.get(logout).status_code == 405
    assert _logged_in_as(client) == str(agent_a.pk)
    response = client.post(logout)
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert _logged_in_as(client) is None
    assert client.get(reverse("core:home")).status_code == 302


def test_it_refuses_a_logout_without_the_csrf_token(agent_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_a)
    assert client.post(reverse("accounts:logout")).status_code == 403
    assert _logged_in_as(client) == str(agent_a.pk)
