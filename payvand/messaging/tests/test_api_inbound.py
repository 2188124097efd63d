"""GET /api/v1/channels/inbound and POST /api/v1/channels/inbound/{id}/reprocess."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from payvand.accounts.models import User
from payvand.helpdesk.models import Message
from payvand.messaging.models import InboundMessage

pytestmark = pytest.mark.django_db


def _row(n: int, state: str = "failed", sender: str = "+989121234567") -> InboundMessage:
    return InboundMessage.objects.create(
        provider="generic",
        kind="sms",
        provider_message_id=f"m-{n}",
        sender=sender,
        raw="{}",
        data={"sender": sender, "text": f"text {n}", "name": "", "files": []},
        state=state,
        error="boom" if state == "failed" else "",
    )


def test_it_lists_the_store_newest_first_with_a_next_page(supervisor: User, api_for: Any) -> None:
    rows = [_row(n) for n in range(3)]
    _row(9, state="processed")
    client = api_for(supervisor)
    first = client.get("/api/v1/channels/inbound", {"state": "failed", "limit": 2})
    assert first.status_code == 200
    body = first.json()
    assert [i["id"] for i in body["items"]] == [rows[2].pk, rows[1].pk]
    assert body["items"][0]["error"] == "boom"
    second = client.get(
        "/api/v1/channels/inbound", {"state": "failed", "limit": 2, "before_id": body["next_before_id"]}
    )
    assert [i["id"] for i in second.json()["items"]] == [rows[0].pk]
    assert second.json()["next_before_id"] is None


def test_it_refuses_anonymous_agents_and_outsiders(agent_a: User, outsider: User, api_for: Any) -> None:
    _row(1)
    assert Client().get("/api/v1/channels/inbound").status_code == 401
    assert api_for(agent_a).get("/api/v1/channels/inbound").status_code == 403
    response = api_for(outsider).post(f"/api/v1/channels/inbound/{InboundMessage.objects.get().pk}/reprocess")
    assert response.status_code == 403
    assert set(response.json()) >= {"detail", "errors"}


def test_it_rejects_bad_filters(supervisor: User, api_for: Any) -> None:
    client = api_for(supervisor)
    assert client.get("/api/v1/channels/inbound", {"state": "lost"}).status_code == 422
    assert client.get("/api/v1/channels/inbound", {"limit": 0}).status_code == 422
    assert client.get("/api/v1/channels/inbound", {"before_id": -1}).status_code == 422


def test_it_reprocesses_a_failed_message(
    supervisor: User, api_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    row = _row(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(supervisor).post(f"/api/v1/channels/inbound/{row.pk}/reprocess")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "processed"
    message = Message.objects.get(pk=body["message_id"])
    assert message.ticket_id == body["ticket_id"]
    assert message.body_text == "text 1"


def test_it_refuses_to_reprocess_a_processed_or_missing_message(supervisor: User, api_for: Any) -> None:
    done = _row(2, state="processed")
    client = api_for(supervisor)
    assert client.post(f"/api/v1/channels/inbound/{done.pk}/reprocess").status_code == 409
    assert client.post("/api/v1/channels/inbound/999999/reprocess").status_code == 404
    assert client.post("/api/v1/channels/inbound/0/reprocess").status_code == 422
