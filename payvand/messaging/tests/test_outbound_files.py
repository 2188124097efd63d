"""Files of a reply go to Telegram (sendPhoto / sendDocument) and WhatsApp (media upload, then an image or document
message) after the text, against the fake provider API on 127.0.0.1; a retry after a half-sent reply sends only
what did not go."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.helpdesk import services as helpdesk_services
from payvand.helpdesk.models import Message, Ticket
from payvand.messaging import services
from payvand.messaging.models import OutboundMessage
from payvand.messaging.tests.conftest import FakeApi, Seen
from payvand.messaging.tests.test_outbound import _sms_in, _telegram_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture
def agent(agent_a: User, team_a: Team) -> User:
    return agent_a


def _files() -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile("صورت‌حساب.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("screen.png", PNG, content_type="image/png"),
    ]


def _reply(ticket: Ticket, agent: User, capture: Any, body: str = "فایل‌ها پیوست است", **extra: Any) -> Message:
    with capture(execute=True):
        return helpdesk_services.message_add(ticket=ticket, by=agent, body=body, **extra)


def _calls(api: FakeApi, marker: str) -> list[Seen]:
    return [s for s in api.seen if marker in s.path]


def _whatsapp_in(client: Client) -> None:
    body = json.dumps(
        {
            "entry": [
                {
                    "changes": [
                        {
                            "value": {
                                "messages": [
                                    {"from": "36301234567", "id": "wamid.in", "type": "text", "text": {"body": "Szia"}}
                                ]
                            }
                        }
                    ]
                }
            ]
        }
    ).encode()
    sig = "sha256=" + hmac.new(b"wa-app-secret", body, hashlib.sha256).hexdigest()
    response = client.post(
        "/hooks/whatsapp/", body, content_type="application/json", headers={"X-Hub-Signature-256": sig}
    )
    assert response.status_code == 200


def test_it_sends_the_files_of_a_telegram_reply_after_the_text(
    channels_on: FakeApi, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    for method, message_id in (("sendMessage", 1), ("sendDocument", 2), ("sendPhoto", 3)):
        channels_on.on(f"/tg/bot123:ABC/{method}", body={"ok": True, "result": {"message_id": message_id}})
    with django_capture_on_commit_callbacks(execute=True):
        _telegram_in(Client())
    reply = _reply(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, attachments=_files())
    calls = [s.path.rsplit("/", 1)[-1] for s in channels_on.seen if "/tg/" in s.path]
    assert calls == ["sendMessage", "sendDocument", "sendPhoto"]
    [document] = _calls(channels_on, "sendDocument")
    assert document.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="chat_id"\r\n\r\n42' in document.body
    assert f'name="document"; filename="{"صورت‌حساب.pdf"}"'.encode() in document.body  # UTF-8, as Telegram reads it
    assert PDF in document.body
    [photo] = _calls(channels_on, "sendPhoto")
    assert b'name="photo"; filename="screen.png"' in photo.body
    assert PNG in photo.body
    outbound = OutboundMessage.objects.get(message=reply)
    assert (outbound.state, outbound.parts_sent, outbound.provider_message_id) == ("sent", 3, "3")


def test_a_telegram_reply_of_only_a_file_sends_no_empty_text(
    channels_on: FakeApi, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    channels_on.on("/tg/bot123:ABC/", body={"ok": True, "result": {"message_id": 5}})
    with django_capture_on_commit_callbacks(execute=True):
        _telegram_in(Client())
    pdf = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    _reply(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, body="", attachments=[pdf])
    assert [s.path.rsplit("/", 1)[-1] for s in channels_on.seen if "/tg/" in s.path] == ["sendDocument"]


def test_it_uploads_whatsapp_media_then_sends_a_document_and_an_image(
    channels_on: FakeApi, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    uploads = iter(["media-1", "media-2"])
    channels_on.routes["/graph/PNID/media"] = lambda seen: (200, json.dumps({"id": next(uploads)}).encode(), "json")
    channels_on.on("/graph/PNID/messages", body={"messages": [{"id": "wamid.out"}]})
    with django_capture_on_commit_callbacks(execute=True):
        _whatsapp_in(Client())
    reply = _reply(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, attachments=_files())
    paths = [s.path for s in channels_on.seen if s.path.startswith("/graph/PNID")]
    assert paths == ["/graph/PNID/messages", "/graph/PNID/media", "/graph/PNID/messages", "/graph/PNID/media"] + [
        "/graph/PNID/messages"
    ]
    first_upload, second_upload = _calls(channels_on, "/media")
    assert first_upload.headers["Authorization"] == "Bearer wa-token"
    assert b'name="messaging_product"\r\n\r\nwhatsapp' in first_upload.body
    assert b'name="type"\r\n\r\napplication/pdf' in first_upload.body
    assert PDF in first_upload.body
    assert PNG in second_upload.body
    text, document, image = [s.json() for s in _calls(channels_on, "/messages")]
    assert text["type"] == "text"
    assert document == {
        "messaging_product": "whatsapp",
        "to": "36301234567",
        "type": "document",
        "document": {"id": "media-1", "filename": "صورت‌حساب.pdf"},
    }
    assert image == {"messaging_product": "whatsapp", "to": "36301234567", "type": "image", "image": {"id": "media-2"}}
    assert OutboundMessage.objects.get(message=reply).state == "sent"


def test_a_retry_after_a_half_sent_reply_sends_only_the_rest(
    channels_on: FakeApi, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    channels_on.on("/tg/bot123:ABC/sendMessage", body={"ok": True, "result": {"message_id": 1}})
    channels_on.on("/tg/bot123:ABC/sendPhoto", body={"ok": True, "result": {"message_id": 3}})
    channels_on.on("/tg/bot123:ABC/sendDocument", status=502, body={"ok": False})
    with django_capture_on_commit_callbacks(execute=True):
        _telegram_in(Client())
    reply = _reply(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, attachments=_files())
    outbound = OutboundMessage.objects.get(message=reply)
    assert (outbound.state, outbound.parts_sent) == ("pending", 1)
    assert "502" in outbound.last_error
    channels_on.on("/tg/bot123:ABC/sendDocument", body={"ok": True, "result": {"message_id": 2}})
    assert services.outbound_retry_due(now=timezone.now() + dt.timedelta(hours=1)) == 1
    outbound.refresh_from_db()
    assert (outbound.state, outbound.parts_sent) == ("sent", 3)
    assert len(_calls(channels_on, "sendMessage")) == 1  # the text went once
    assert len(_calls(channels_on, "sendDocument")) == 2
    assert len(_calls(channels_on, "sendPhoto")) == 1


def test_a_whatsapp_upload_without_an_id_is_a_failed_attempt(
    channels_on: FakeApi, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    channels_on.on("/graph/PNID/media", body={"error": "nope"})
    channels_on.on("/graph/PNID/messages", body={"messages": [{"id": "wamid.out"}]})
    with django_capture_on_commit_callbacks(execute=True):
        _whatsapp_in(Client())
    pdf = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    reply = _reply(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, attachments=[pdf])
    outbound = OutboundMessage.objects.get(message=reply)
    assert (outbound.state, outbound.parts_sent) == ("pending", 1)
    assert "no id" in outbound.last_error
    assert len(_calls(channels_on, "/messages")) == 1  # only the text; no document message without media


def test_an_sms_reply_sends_its_text_only(
    channels_on: FakeApi, settings: Any, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_BACKEND = "generic"
    channels_on.on("/generic/send", body={"id": "out-1"})
    with django_capture_on_commit_callbacks(execute=True):
        _sms_in(Client())
    pdf = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    reply = _reply(Ticket.objects.get(), agent, django_capture_on_commit_callbacks, attachments=[pdf])
    [sent] = _calls(channels_on, "/generic/send")
    assert sent.json()["text"] == "فایل‌ها پیوست است"
    assert OutboundMessage.objects.get(message=reply).state == "sent"
