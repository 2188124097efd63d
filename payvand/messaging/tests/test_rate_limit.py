"""The per-sender inbound rate limit of SMS, Telegram and WhatsApp: over the limit nothing becomes a ticket or a
reply, yet the webhook answers 2xx, the message is kept raw for an admin to process, and the hour slides on."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from payvand.accounts.models import User
from payvand.helpdesk.models import Message, Ticket
from payvand.messaging import services
from payvand.messaging.models import InboundMessage, OutboundMessage
from payvand.messaging.tests.conftest import FakeApi
from payvand.messaging.tests.test_webhooks import _generic, _telegram, _update, _whatsapp, _whatsapp_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings: Any) -> dict[str, int]:
    settings.CHANNEL_RATE_LIMITS = {"sms": 3, "telegram": 1, "whatsapp": 2}
    return settings.CHANNEL_RATE_LIMITS


def _sms(n: int, sender: str = "09121234567", capture: Any = None) -> Any:
    with capture(execute=True):
        response = _generic(Client(), {"id": f"flood-{n}", "from": sender, "text": f"message {n}"})
    assert response.status_code == 200, response.content
    assert response.json() == {"stored": 1, "received": 1}
    return response


def _inbound_bodies() -> list[str]:
    return list(Message.objects.filter(kind=Message.Kind.INBOUND).order_by("id").values_list("body_text", flat=True))


def test_it_keeps_sms_over_the_limit_raw_without_a_ticket_message_or_a_reply(
    channels_on: FakeApi, limits: dict[str, int], django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(5):
        _sms(n, capture=django_capture_on_commit_callbacks)
    assert _inbound_bodies() == ["message 0", "message 1", "message 2"]
    assert Ticket.objects.count() == 1
    rows = list(InboundMessage.objects.order_by("id"))
    assert [r.state for r in rows] == ["processed"] * 3 + ["rate_limited"] * 2
    for row in rows[3:]:  # nothing lost: the raw body and what was read from it are kept, with the reason
        assert json.loads(row.raw)["text"] == row.data["text"]
        assert row.ticket_message is None
        assert "3" in row.error
        assert row.next_attempt_at is None
    assert OutboundMessage.objects.count() == 0
    assert channels_on.seen == []  # no auto-reply, no provider call at all
    # Another sender is not held back by the first one's flood.
    _sms(99, sender="09350001122", capture=django_capture_on_commit_callbacks)
    assert _inbound_bodies()[-1] == "message 99"


def test_it_lets_the_sender_in_again_once_the_hour_has_passed(
    channels_on: FakeApi, limits: dict[str, int], django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(4):
        _sms(n, capture=django_capture_on_commit_callbacks)
    assert InboundMessage.objects.filter(state="rate_limited").count() == 1
    InboundMessage.objects.update(received_at=timezone.now() - dt.timedelta(minutes=61))
    _sms(4, capture=django_capture_on_commit_callbacks)
    assert InboundMessage.objects.get(provider_message_id="flood-4").state == InboundMessage.State.PROCESSED
    assert _inbound_bodies()[-1] == "message 4"
    # Within the new hour the limit holds again.
    for n in range(5, 8):
        _sms(n, capture=django_capture_on_commit_callbacks)
    assert InboundMessage.objects.get(provider_message_id="flood-7").state == InboundMessage.State.RATE_LIMITED


def test_it_does_not_retry_a_rate_limited_message_by_itself(
    channels_on: FakeApi, limits: dict[str, int], django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(4):
        _sms(n, capture=django_capture_on_commit_callbacks)
    assert services.inbound_retry_due(now=timezone.now() + dt.timedelta(days=1)) == 0
    # Processing it again (a repeated task) gives the same answer: the count is taken from the store.
    row = InboundMessage.objects.get(state="rate_limited")
    again = services.inbound_process(inbound_id=row.pk)
    assert again is not None
    assert again.state == InboundMessage.State.RATE_LIMITED
    assert len(_inbound_bodies()) == 3


def test_an_admin_processes_a_rate_limited_message_by_hand(
    channels_on: FakeApi,
    limits: dict[str, int],
    supervisor: User,
    api_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    for n in range(4):
        _sms(n, capture=django_capture_on_commit_callbacks)
    row = InboundMessage.objects.get(state="rate_limited")
    client = api_for(supervisor)
    listed = client.get("/api/v1/channels/inbound", {"state": "rate_limited"})
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == [row.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/channels/inbound/{row.pk}/reprocess")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "processed"
    assert _inbound_bodies()[-1] == "message 3"
    assert Message.objects.get(pk=response.json()["message_id"]).ticket == Ticket.objects.get()
    assert client.post(f"/api/v1/channels/inbound/{row.pk}/reprocess").status_code == 409


def test_the_admin_action_processes_rate_limited_messages(
    channels_on: FakeApi, limits: dict[str, int], admin_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(5):
        _sms(n, capture=django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(admin_user)
    ids = list(InboundMessage.objects.filter(state="rate_limited").values_list("pk", flat=True))
    listing = client.get("/admin/messaging/inboundmessage/", {"state__exact": "rate_limited"})
    assert listing.status_code == 200
    assert "flood-4" in listing.content.decode()
    response = client.post(
        "/admin/messaging/inboundmessage/", {"action": "reprocess", "_selected_action": [str(i) for i in ids]}
    )
    assert response.status_code == 302
    assert InboundMessage.objects.filter(state="processed").count() == 5
    assert len(_inbound_bodies()) == 5


def test_each_messenger_has_its_own_limit_and_zero_means_none(
    channels_on: FakeApi, limits: dict[str, int], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Telegram, limit 1: the second update from the chat is kept, and its photo is not even fetched.
    with django_capture_on_commit_callbacks(execute=True):
        assert _telegram(Client(), _update(1, text="first")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        photo = _update(2, caption="photo", photo=[{"file_id": "ph-1", "width": 90, "height": 90}])
        assert _telegram(Client(), photo).status_code == 200
    assert InboundMessage.objects.get(provider_message_id="2").state == InboundMessage.State.RATE_LIMITED
    assert not [s for s in channels_on.seen if "getFile" in s.path]
    # WhatsApp, limit 2: the third is kept.
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert _whatsapp(Client(), _whatsapp_body(f"wamid.{n}", f"wa {n}")).status_code == 200
    assert InboundMessage.objects.get(provider_message_id="wamid.2").state == InboundMessage.State.RATE_LIMITED
    assert _inbound_bodies() == ["first", "wa 0", "wa 1"]
    # 0: no limit on that channel.
    settings.CHANNEL_RATE_LIMITS = {**limits, "whatsapp": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert _whatsapp(Client(), _whatsapp_body("wamid.9", "wa 9")).status_code == 200
    assert InboundMessage.objects.get(provider_message_id="wamid.9").state == InboundMessage.State.PROCESSED


def test_the_default_limit_is_thirty_an_hour_for_every_channel(settings: Any) -> None:
    assert settings.CHANNEL_RATE_LIMIT_PER_HOUR == 30
    assert {services.rate_limit_for(kind) for kind in ("sms", "telegram", "whatsapp")} == {30}
    settings.CHANNEL_RATE_LIMITS = {}
    settings.CHANNEL_RATE_LIMIT_PER_HOUR = 7
    assert services.rate_limit_for("sms") == 7
