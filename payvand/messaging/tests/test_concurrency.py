"""The same webhook delivered twice at the same moment, and the same stored message processed by two workers at
once: one raw row, one ticket message (on PostgreSQL the row locks decide; SQLite serialises writers)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from payvand.helpdesk.models import Message, Ticket
from payvand.messaging import services
from payvand.messaging.models import InboundMessage
from payvand.messaging.providers import InboundItem
from payvand.messaging.tests.conftest import FakeApi

pytestmark = pytest.mark.django_db(transaction=True)


def _together(target: Any, n: int = 2) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(target())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_it_stores_a_webhook_delivered_twice_at_once_as_one_message(channels_on: FakeApi) -> None:
    raw = json.dumps({"id": "race-1", "from": "09121234567", "text": "at once"}).encode()
    sig = hmac.new(b"generic-secret", raw, hashlib.sha256).hexdigest()

    def post() -> int:
        response = Client().post(
            "/hooks/sms/generic/", raw, content_type="application/json", headers={"X-Payvand-Signature": sig}
        )
        return response.status_code

    assert sorted(_together(post)) == [200, 200]
    assert InboundMessage.objects.count() == 1
    assert Message.objects.filter(kind=Message.Kind.INBOUND).count() == 1
    assert Ticket.objects.count() == 1


def test_it_processes_one_stored_message_once_when_two_workers_run_it(channels_on: FakeApi) -> None:
    item = InboundItem(provider_message_id="w-1", sender="+36301234567", text="two workers")
    inbound = InboundMessage.objects.create(
        provider="generic", kind="sms", provider_message_id="w-1", sender=item.sender, raw="{}", data=item.as_data()
    )
    _together(lambda: services.inbound_process(inbound_id=inbound.pk))
    assert Message.objects.filter(kind=Message.Kind.INBOUND).count() == 1
    assert InboundMessage.objects.get().state == InboundMessage.State.PROCESSED
