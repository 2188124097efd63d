"""Replies go back the way the customer wrote (SMS through the configured backend, Telegram, WhatsApp) unless the
agent picks another channel; failures are retried with backoff and show on the ticket's timeline."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.models import Event
from payvand.helpdesk import services as helpdesk_services
from payvand.helpdesk.models import Message, Ticket
from payvand.messaging import services
from payvand.messaging.models import OutboundMessage
from payvand.messaging.tests.conftest import FakeApi

pytestmark = pytest.mark.django_db


def _sms_in(client: Client, sender: str = "09121234567", text: str = "help", mid: str = "in-1") -> None:
    raw = json.dumps({"id": mid, "from": sender, "text": text}).encode()
    sig = hmac.new(b"generic-secret", raw, hashlib.sha256).hexdigest()
    response = client.post(
        "/hooks/sms/generic/", raw, content_type="application/json", headers={"X-Payvand-Signature": sig}
    )
    assert response.status_code == 200


def _telegram_in(client: Client) -> None:
    update = {
        "update_id": 1,
        "message": {"message_id": 5, "from": {"id": 42, "first_name": "Sara"}, "chat": {"id": 42}, "text": "hello"},
    }
    response = client.post(
        "/hooks/telegram/",
        json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": "tg-secret"},
    )
    assert response.status_code == 200


def _reply(ticket: Ticket, agent: User, capture: Any, **extra: Any) -> Message:
    with capture(execute=True):
        return helpdesk_services.message_add(ticket=ticket, by=agent, body="پاسخ ما: درست شد", **extra)


@pytest.fixture
def agent(agent_a: User, team_a: Team) -> User:
    return agent_a


def test_it_sends_the_reply_to_an_sms_back_by_sms(
    channels_on: FakeApi,
    settings: Any,
    agent: User,
    customer_x: Contact,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    settings.SMS_BACKEND = "generic"
    channels_on.on("/generic/send", body={"id": "out-77"})
    with django_capture_on_commit_callbacks(execute=True):
        _sms_in(Client())
    ticket = Ticket.objects.get()
    reply = _reply(ticket, agent, django_capture_on_commit_callbacks)
    assert reply.channel == "sms"
    [sent] = [s for s in channels_on.seen if s.path == "/generic/send"]
    assert sent.json() == {"to": "+989121234567", "text": "پاسخ ما: درست شد"}
    assert sent.headers["X-Payvand-Signature"] == hmac.new(b"generic-secret", sent.body, hashlib.sha256).hexdigest()
    outbound = OutboundMessage.objects.get()
    assert (outbound.state, outbound.provider, outbound.provider_message_id) == ("sent", "generic", "out-77")
    assert Event.objects.filter(verb="message.delivered", target_id=str(ticket.pk)).exists()
    assert not [m for m in mailoutbox if "x@example.com" in m.to]  # not by email as well


def test_it_sends_sms_replies_through_kavenegar_and_twilio(
    channels_on: FakeApi, settings: Any, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    channels_on.on(
        "/kavenegar/v1/KAVEKEY/sms/send.json", body={"return": {"status": 200}, "entries": [{"messageid": 9}]}
    )
    channels_on.on("/twilio/2010-04-01/Accounts/AC123/Messages.json", status=201, body={"sid": "SMout"})
    with django_capture_on_commit_callbacks(execute=True):
        _sms_in(Client())
    ticket = Ticket.objects.get()
    settings.SMS_BACKEND = "kavenegar"
    _reply(ticket, agent, django_capture_on_commit_callbacks)
    settings.SMS_BACKEND = "twilio"
    _reply(ticket, agent, django_capture_on_commit_callbacks)
    kave = next(s for s in channels_on.seen if s.path.startswith("/kavenegar"))
    assert "receptor=%2B989121234567" in kave.body.decode()
    twilio = next(s for s in channels_on.seen if s.path.startswith("/twilio"))
    assert "From=%2B15550001111" in twilio.body.decode()
    assert twilio.headers["Authorization"].startswith("Basic ")
    assert sorted(OutboundMessage.objects.values_list("provider_message_id", flat=True)) == ["9", "SMout"]


def test_it_replies_to_telegram_with_send_message(
    channels_on: FakeApi, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    channels_on.on("/tg/bot123:ABC/sendMessage", body={"ok": True, "result": {"message_id": 99}})
    with django_capture_on_commit_callbacks(execute=True):
        _telegram_in(Client())
    reply = _reply(Ticket.objects.get(), agent, django_capture_on_commit_callbacks)
    [sent] = [s for s in channels_on.seen if s.path.endswith("/sendMessage")]
    assert sent.json() == {"chat_id": "42", "text": "پاسخ ما: درست شد"}
    assert OutboundMessage.objects.get(message=reply).state == "sent"
    client = Client()
    client.force_login(agent)
    html = client.get(f"/tickets/{reply.ticket_id}/").content.decode()
    assert '<i class="bi bi-broadcast"></i> Telegram</span>' in html  # the messenger, not just "Social"
    assert 'data-delivery="sent"' in html


def test_it_replies_on_whatsapp(channels_on: FakeApi, agent: User, django_capture_on_commit_callbacks: Any) -> None:
    channels_on.on("/graph/PNID/messages", body={"messages": [{"id": "wamid.out"}]})
    body = json.dumps(
        {
            "entry": [
                {
                    "changes": [
                        {
                            "value": {
                                "messages": [
                                    {"from": "36301234567", "id": "wamid.in", "type": "text", "text": {"body": "Helló"}}
                                ]
                            }
                        }
                    ]
                }
            ]
        }
    ).encode()
    sig = "sha256=" + hmac.new(b"wa-app-secret", body, hashlib.sha256).hexdigest()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/hooks/whatsapp/", body, content_type="application/json", headers={"X-Hub-Signature-256": sig}
        )
    assert response.status_code == 200
    _reply(Ticket.objects.get(), agent, django_capture_on_commit_callbacks)
    [sent] = [s for s in channels_on.seen if s.path == "/graph/PNID/messages"]
    assert sent.json()["to"] == "36301234567"
    assert sent.headers["Authorization"] == "Bearer wa-token"


def test_it_sends_by_email_when_the_agent_picks_email(
    channels_on: FakeApi,
    agent: User,
    customer_x: Contact,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _sms_in(Client())
    reply = _reply(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, channel="email")
    assert reply.channel == "email"
    assert [m.to for m in mailoutbox if "x@example.com" in m.to] == [["x@example.com"]]
    assert OutboundMessage.objects.count() == 0


def test_it_retries_a_failed_delivery_with_backoff_then_shows_the_failure(
    channels_on: FakeApi, settings: Any, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_BACKEND = "generic"
    settings.CHANNEL_SEND_ATTEMPTS = 3
    channels_on.on("/generic/send", status=503, body={"error": "down"})
    with django_capture_on_commit_callbacks(execute=True):
        _sms_in(Client())
    ticket = Ticket.objects.get()
    _reply(ticket, agent, django_capture_on_commit_callbacks)
    outbound = OutboundMessage.objects.get()
    assert (outbound.state, outbound.attempts) == ("pending", 1)
    assert "503" in outbound.last_error
    assert outbound.next_attempt_at is not None
    first_wait = outbound.next_attempt_at - timezone.now()
    assert services.outbound_retry_due() == 0  # not due yet
    assert services.outbound_retry_due(now=timezone.now() + dt.timedelta(hours=1)) == 1
    outbound.refresh_from_db()
    assert outbound.attempts == 2
    assert outbound.next_attempt_at - timezone.now() > first_wait  # the wait doubles
    services.outbound_retry_due(now=timezone.now() + dt.timedelta(hours=2))
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts) == ("failed", 3)
    verbs = list(
        Event.objects.filter(target_id=str(ticket.pk), verb__startswith="message.delivery")
        .values_list("verb", flat=True)
        .order_by("id")
    )
    assert verbs == ["message.delivery_retry", "message.delivery_retry", "message.delivery_failed"]
    assert len([s for s in channels_on.seen if s.path == "/generic/send"]) == 3
    # The failure is on the ticket page's history.
    agent_client = Client()
    agent_client.force_login(agent)
    page = agent_client.get(f"/tickets/{ticket.pk}/")
    assert page.status_code == 200
    assert "Reply could not be delivered" in page.content.decode()
    assert 'data-delivery="failed"' in page.content.decode()  # on the reply itself


def test_it_fails_at_once_when_the_customer_has_no_address_on_the_channel(
    channels_on: FakeApi, agent: User, customer_y: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = helpdesk_services.ticket_create(by=agent, subject="By phone", requester=customer_y, channel="phone")
    reply = _reply(ticket, agent, django_capture_on_commit_callbacks, channel="social")
    outbound = OutboundMessage.objects.get(message=reply)
    assert outbound.state == "failed"
    assert Event.objects.filter(verb="message.delivery_failed", target_id=str(ticket.pk)).exists()


def test_it_splits_a_long_telegram_reply(
    channels_on: FakeApi, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    channels_on.on("/tg/bot123:ABC/sendMessage", body={"ok": True, "result": {"message_id": 1}})
    with django_capture_on_commit_callbacks(execute=True):
        _telegram_in(Client())
    long_text = ("کلمه " * 1500).strip()  # 7499 characters
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk_services.message_add(ticket=Ticket.objects.get(), by=agent, body=long_text)
    parts = [s.json()["text"] for s in channels_on.seen if s.path.endswith("/sendMessage")]
    assert len(parts) == 2
    assert all(len(p) <= 4096 for p in parts)
    assert " ".join(parts) == long_text
