"""Outgoing webhooks against a real HTTP server on 127.0.0.1: signed deliveries of subscribed events, retries with
backoff, a final failure, the delivery log; admins only; bad input."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.automation import webhooks
from payvand.automation.models import WebhookDelivery, WebhookSubscription
from payvand.contacts.models import Contact
from payvand.core.errors import PermissionDenied, ValidationFailed
from payvand.helpdesk.tests.services_support import ticket_new

pytestmark = pytest.mark.django_db


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []

    def answer(self) -> int:
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.answer())
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_it_delivers_subscribed_events_signed(
    admin_user: User, team_a: Team, customer_x: Contact, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    sub = webhooks.webhook_create(
        by=admin_user, data=webhooks.WebhookIn(name="CRM", url=url, events=["ticket.created"])
    )
    ticket = ticket_new(by=admin_user, requester=customer_x, team=team_a)
    assert webhooks.webhooks_collect() == 1  # ticket.created only, not the other verbs
    assert webhooks.webhooks_send() == {"delivered": 1, "retry": 0, "failed": 0}
    headers, body = state.requests[0]
    expected = hmac.new(sub.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-payvand-signature"] == f"sha256={expected}"
    assert headers["x-payvand-event"] == "ticket.created"
    payload = json.loads(body)
    assert payload["target"] == {"type": "helpdesk.ticket", "id": str(ticket.pk)}
    assert payload["data"]["reference"] == ticket.reference
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert delivery.last_status == 200
    assert webhooks.webhooks_collect() == 0  # nothing twice
    assert webhooks.webhooks_send() == {"delivered": 0, "retry": 0, "failed": 0}


def test_it_retries_with_backoff_then_fails(
    admin_user: User, team_a: Team, customer_x: Contact, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    webhooks.webhook_create(by=admin_user, data=webhooks.WebhookIn(name="CRM", url=url, events=["ticket.created"]))
    ticket_new(by=admin_user, requester=customer_x, team=team_a)
    webhooks.webhooks_collect()
    state.statuses = [500, 503]
    now = timezone.now()
    assert webhooks.webhooks_send(now=now)["retry"] == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.next_attempt_at == now + dt.timedelta(minutes=1)
    assert webhooks.webhooks_send(now=now + dt.timedelta(seconds=30))["retry"] == 0  # not due yet
    assert webhooks.webhooks_send(now=now + dt.timedelta(minutes=1))["retry"] == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == now + dt.timedelta(minutes=1) + dt.timedelta(minutes=2)
    assert webhooks.webhooks_send(now=delivery.next_attempt_at)["delivered"] == 1  # the third try answers 200
    assert len(state.requests) == 3


def test_an_address_that_never_answers_fails_after_the_last_attempt(
    admin_user: User, team_a: Team, customer_x: Contact
) -> None:
    webhooks.webhook_create(
        by=admin_user, data=webhooks.WebhookIn(name="Dead", url="http://127.0.0.1:9/hook", events=["ticket."])
    )
    ticket_new(by=admin_user, requester=customer_x, team=team_a)
    assert webhooks.webhooks_collect() >= 1
    moment = timezone.now()
    for _n in range(webhooks.MAX_ATTEMPTS):
        webhooks.webhooks_send(now=moment)
        moment += dt.timedelta(hours=1)
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.FAILED}
    assert "ConnectionError" in WebhookDelivery.objects.first().last_error  # type: ignore[union-attr]


def test_only_admins_manage_webhooks_and_bad_input_is_refused(
    admin_user: User, supervisor: User, api_for: Any, client_for: Any
) -> None:
    with pytest.raises(PermissionDenied):
        webhooks.webhook_create(by=supervisor, data=webhooks.WebhookIn(name="x", url="http://127.0.0.1/", events=["t"]))
    with pytest.raises(ValidationFailed) as exc:
        webhooks.webhook_create(by=admin_user, data=webhooks.WebhookIn(name="", url="ftp://x", events=[]))
    assert {e.field for e in exc.value.errors} == {"name", "url", "events"}
    assert api_for(supervisor).get("/api/v1/automation/webhooks").status_code == 403
    assert client_for(supervisor).get(reverse("automation:webhooks")).status_code == 403
    assert Client().get("/api/v1/automation/webhooks").status_code == 401
    response = api_for(admin_user).post(
        "/api/v1/automation/webhooks",
        {"name": "x", "url": "nope", "events": ["ticket."]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    assert not WebhookSubscription.objects.exists()


def test_the_api_and_the_pages_show_the_delivery_log(
    admin_user: User, team_a: Team, customer_x: Contact, receiver: tuple[Receiver, str], api_for: Any, client_for: Any
) -> None:
    _state, url = receiver
    api = api_for(admin_user)
    created = api.post(
        "/api/v1/automation/webhooks",
        {"name": "CRM", "url": url, "events": ["ticket."]},
        content_type="application/json",
    )
    assert created.status_code == 201
    sub_id = created.json()["id"]
    ticket_new(by=admin_user, requester=customer_x, team=team_a)
    webhooks.webhooks_collect()
    webhooks.webhooks_send()
    log = api.get(f"/api/v1/automation/webhooks/{sub_id}/deliveries").json()
    assert {d["state"] for d in log} == {"delivered"}
    assert "ticket.created" in {d["verb"] for d in log}
    page = client_for(admin_user).get(reverse("automation:webhook", args=[sub_id])).content.decode()
    assert "ticket.created" in page
    assert api.get("/api/v1/automation/webhooks/999999/deliveries").status_code == 404
    form = client_for(admin_user).post(reverse("automation:webhooks"), {"name": "B", "url": "x", "events": "ticket."})
    assert form.status_code == 422
    assert api.delete(f"/api/v1/automation/webhooks/{sub_id}").status_code == 204
    assert not WebhookSubscription.objects.exists()
