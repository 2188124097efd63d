"""Portal sign-in rate limit: magic-link requests and password attempts, per email address and per IP address, on
the sign-in page (a translated form error, 429) and over the API (429 in the one error shape)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone, translation

from payvand.contacts.models import Contact
from payvand.portal import services
from payvand.portal.models import MagicLink, PortalAccount, SignInAttempt

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-enough-secret-9"
TOO_MANY = "Too many sign-in attempts"


@pytest.fixture
def limits(settings: Any) -> Any:
    settings.PORTAL_SIGNIN_RATE_LIMIT_PER_EMAIL = 3
    settings.PORTAL_SIGNIN_RATE_LIMIT_PER_IP = 5
    settings.PORTAL_SIGNIN_RATE_WINDOW_SECONDS = 900
    return settings


def _link(client: Client, email: str) -> Any:
    return client.post("/portal/login/", {"action": "link", "link-email": email})


def _password(client: Client, email: str, password: str) -> Any:
    return client.post("/portal/login/", {"action": "password", "pw-email": email, "pw-password": password})


def test_magic_links_are_limited_per_email_address(limits: Any, customer_x: Contact, mailoutbox: list[Any]):
    for _ in range(3):
        assert _link(Client(REMOTE_ADDR="10.0.0.1"), "x@example.com").status_code == 200
    assert len(mailoutbox) == 3
    # A fourth, from another address and written in another case: refused, nothing sent.
    blocked = _link(Client(REMOTE_ADDR="10.0.0.2"), "X@Example.COM")
    assert blocked.status_code == 429
    assert TOO_MANY in blocked.content.decode()
    assert 'id="link-sent"' not in blocked.content.decode()
    assert len(mailoutbox) == 3
    assert MagicLink.objects.count() == 3
    # An unknown address is limited the same way (the answer must not tell known from unknown addresses).
    for _ in range(3):
        assert _link(Client(REMOTE_ADDR="10.0.0.3"), "nobody@example.com").status_code == 200
    assert _link(Client(REMOTE_ADDR="10.0.0.4"), "nobody@example.com").status_code == 429


def test_magic_links_are_limited_per_ip_address(limits: Any, db: None, mailoutbox: list[Any]):
    same = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(5):
        assert _link(same, f"someone{n}@example.com").status_code == 200
    assert _link(same, "someone-else@example.com").status_code == 429
    assert _link(Client(REMOTE_ADDR="10.0.0.10"), "someone-else@example.com").status_code == 200


def test_password_attempts_are_limited_and_then_even_the_right_password_waits(
    limits: Any, customer_x: Contact, mailoutbox: list[Any]
):
    PortalAccount.objects.create(contact=customer_x, password=make_password(PASSWORD))
    for n in range(3):
        wrong = _password(Client(REMOTE_ADDR=f"10.0.1.{n}"), "x@example.com", "wrong")
        assert wrong.status_code == 422
    browser = Client(REMOTE_ADDR="10.0.1.9")
    blocked = _password(browser, "x@example.com", PASSWORD)
    assert blocked.status_code == 429
    assert TOO_MANY in blocked.content.decode()
    assert browser.get("/portal/").status_code == 302  # not signed in
    # Magic links are counted apart: the customer can still get one.
    assert _link(Client(REMOTE_ADDR="10.0.1.10"), "x@example.com").status_code == 200
    assert len(mailoutbox) == 1
    # Once the window has passed, the right password works again.
    SignInAttempt.objects.update(created_at=timezone.now() - dt.timedelta(seconds=901))
    assert _password(browser, "x@example.com", PASSWORD).status_code == 302


def test_api_sign_in_answers_429_in_the_error_shape(limits: Any, customer_x: Contact, mailoutbox: list[Any]):
    PortalAccount.objects.create(contact=customer_x, password=make_password(PASSWORD))
    api = Client(REMOTE_ADDR="10.0.2.1")
    for _ in range(3):
        assert api.post("/api/v1/portal/login/link", {"email": "x@example.com"}, "application/json").status_code == 202
    response = api.post("/api/v1/portal/login/link", {"email": "x@example.com"}, "application/json")
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert TOO_MANY in body["detail"]
    assert len(mailoutbox) == 3
    for _ in range(3):
        wrong = api.post(
            "/api/v1/portal/login/password", {"email": "x@example.com", "password": "no"}, "application/json"
        )
        assert wrong.status_code == 401
    right = api.post(
        "/api/v1/portal/login/password", {"email": "x@example.com", "password": PASSWORD}, "application/json"
    )
    assert right.status_code == 429
    assert set(right.json()) == {"detail", "errors"}
    # Bad input is still a 422 (and is not counted: only valid addresses are).
    bad = Client(REMOTE_ADDR="10.0.2.2").post("/api/v1/portal/login/link", {"email": "nope"}, "application/json")
    assert bad.status_code == 422


def test_the_form_error_is_translated(limits: Any, db: None):
    for lang, text in (("fa", "تلاش"), ("hu", "bejelentkezési")):
        SignInAttempt.objects.all().delete()
        client = Client(REMOTE_ADDR="10.0.3.1", headers={"Accept-Language": lang})
        client.cookies["django_language"] = lang
        for _ in range(3):
            _link(client, "x@example.com")
        blocked = _link(client, "x@example.com")
        assert blocked.status_code == 429
        html = blocked.content.decode()
        assert TOO_MANY not in html
        with translation.override(lang):
            assert translation.gettext(services.TOO_MANY_ATTEMPTS) in html
        assert text in html


def test_old_attempts_are_forgotten(limits: Any, db: None):
    old = timezone.now() - dt.timedelta(days=2)
    SignInAttempt.objects.create(key="link:ip:10.0.0.1", created_at=old)
    assert services.signin_rate_limited(kind="link", email="a@example.com", ip="10.0.0.1") is False
    assert not SignInAttempt.objects.filter(created_at=old).exists()
    assert SignInAttempt.objects.count() == 2  # this attempt, under its address and its IP
