"""Every provider's webhook: a good delivery becomes one ticket message, a repeat is one message, a bad signature or
token is refused with a 4xx and nothing is stored, a malformed body gets a 400."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from payvand.contacts.models import Contact, Identity
from payvand.helpdesk.models import Message, Ticket
from payvand.messaging import providers
from payvand.messaging.models import ChannelIdentity, InboundMessage
from payvand.messaging.tests.conftest import FakeApi

pytestmark = pytest.mark.django_db


def _generic(client: Client, body: dict[str, Any], secret: str = "generic-secret") -> Any:
    raw = json.dumps(body).encode()
    sig = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        "/hooks/sms/generic/", raw, content_type="application/json", headers={"X-Payvand-Signature": sig}
    )


def _twilio(client: Client, params: dict[str, str], signature: str | None = None) -> Any:
    url = "http://testserver/hooks/sms/twilio/"
    sig = signature if signature is not None else providers.TwilioSms.signature(url, params)
    return client.post(
        "/hooks/sms/twilio/",
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sig},
    )


def _telegram(client: Client, update: dict[str, Any], secret: str = "tg-secret") -> Any:
    return client.post(
        "/hooks/telegram/",
        json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )


def _whatsapp_body(message_id: str = "wamid.1", text: str = "سلام، سفارشم نرسیده") -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "contacts": [{"profile": {"name": "Darya"}, "wa_id": "989121234567"}],
                                "messages": [
                                    {"from": "989121234567", "id": message_id, "type": "text", "text": {"body": text}}
                                ],
                            },
                        }
                    ],
                }
            ],
        },
        ensure_ascii=False,
    ).encode()


def _whatsapp(client: Client, body: bytes, secret: str = "wa-app-secret") -> Any:
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/hooks/whatsapp/", body, content_type="application/json", headers={"X-Hub-Signature-256": sig})


def _inbound_messages() -> list[Message]:
    return list(Message.objects.filter(kind=Message.Kind.INBOUND).select_related("ticket"))


# ---------------------------------------------------------------------------------------------- generic SMS


def test_it_turns_a_generic_sms_into_a_ticket_for_a_known_contact(
    channels_on: FakeApi, customer_x: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _generic(Client(), {"id": "g-1", "from": "09121234567", "text": "My router is dead\nsince Monday"})
    assert response.status_code == 200, response.content
    assert response.json() == {"stored": 1, "received": 1}
    [message] = _inbound_messages()
    assert message.author_contact == customer_x
    assert message.channel == "sms"
    assert message.ticket.channel == "sms"
    assert message.ticket.requester == customer_x
    assert message.ticket.subject == "My router is dead"
    assert "since Monday" in message.body_text
    inbound = InboundMessage.objects.get()
    assert inbound.state == InboundMessage.State.PROCESSED
    assert inbound.ticket_message == message
    assert json.loads(inbound.raw)["id"] == "g-1"
    assert ChannelIdentity.objects.get().address == "+989121234567"


def test_it_stores_a_generic_sms_delivered_twice_once(
    channels_on: FakeApi, customer_x: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    body = {"id": "g-dup", "from": "+98 912 123 4567", "text": "twice"}
    with django_capture_on_commit_callbacks(execute=True):
        first = _generic(Client(), body)
    with django_capture_on_commit_callbacks(execute=True):
        second = _generic(Client(), body)
    assert first.status_code == second.status_code == 200
    assert second.json()["stored"] == 0
    assert InboundMessage.objects.count() == 1
    assert len(_inbound_messages()) == 1
    assert Ticket.objects.count() == 1


def test_it_threads_a_second_sms_onto_the_open_ticket(
    channels_on: FakeApi, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _generic(Client(), {"id": "a", "from": "09351112233", "text": "first"})
    with django_capture_on_commit_callbacks(execute=True):
        _generic(Client(), {"id": "b", "from": "+989351112233", "text": "second"})
    assert Ticket.objects.count() == 1
    assert [m.body_text for m in _inbound_messages()] == ["first", "second"]
    contact = Ticket.objects.get().requester
    assert Identity.objects.filter(contact=contact, kind="phone", value="+989351112233").exists()


def test_it_refuses_a_generic_sms_with_a_bad_signature_and_stores_nothing(channels_on: FakeApi) -> None:
    response = _generic(Client(), {"id": "x", "from": "09121234567", "text": "hi"}, secret="wrong")
    assert response.status_code == 403
    assert set(response.json()) >= {"detail", "errors"}
    unsigned = Client().post("/hooks/sms/generic/", b"{}", content_type="application/json")
    assert unsigned.status_code == 403
    assert InboundMessage.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_it_answers_400_to_a_signed_generic_body_without_a_sender(channels_on: FakeApi) -> None:
    assert _generic(Client(), {"id": "x", "text": "no sender"}).status_code == 400
    raw = b"not json"
    sig = hmac.new(b"generic-secret", raw, hashlib.sha256).hexdigest()
    response = Client().post(
        "/hooks/sms/generic/", raw, content_type="application/json", headers={"X-Payvand-Signature": sig}
    )
    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_it_answers_404_when_the_channel_is_not_configured(settings: Any) -> None:
    settings.SMS_GENERIC_SECRET = ""
    assert Client().post("/hooks/sms/generic/", b"{}", content_type="application/json").status_code == 404


def test_it_keeps_a_message_that_cannot_be_processed_for_reprocessing(
    channels_on: FakeApi, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _generic(Client(), {"id": "bad", "from": "not a phone", "text": "hello"})
    assert response.status_code == 200  # stored raw: acknowledged
    inbound = InboundMessage.objects.get()
    assert inbound.state == InboundMessage.State.FAILED
    assert inbound.error
    assert Ticket.objects.count() == 0
    from payvand.messaging.services import inbound_reprocess

    InboundMessage.objects.filter(pk=inbound.pk).update(sender="09121112222", data={**inbound.data, "sender": ""})
    result = inbound_reprocess(inbound=inbound)
    assert result is not None
    assert result.state == InboundMessage.State.PROCESSED
    assert Ticket.objects.count() == 1


# ---------------------------------------------------------------------------------------------- Twilio


def test_it_takes_a_signed_twilio_sms(channels_on: FakeApi, django_capture_on_commit_callbacks: Any) -> None:
    params = {"MessageSid": "SM1", "From": "+36301234567", "To": "+15550001111", "Body": "Szia, segítség kell"}
    with django_capture_on_commit_callbacks(execute=True):
        response = _twilio(Client(), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    [message] = _inbound_messages()
    assert message.body_text == "Szia, segítség kell"
    assert message.author_contact is not None
    assert message.author_contact.identities.filter(value="+36301234567").exists()


def test_it_refuses_twilio_with_a_bad_signature_and_stores_nothing(channels_on: FakeApi) -> None:
    params = {"MessageSid": "SM2", "From": "+36301234567", "Body": "x"}
    assert _twilio(Client(), params, signature="bm9wZQ==").status_code == 403
    assert _twilio(Client(), params, signature="").status_code == 403
    # Signed for other parameters: the body was changed on the way.
    good = providers.TwilioSms.signature("http://testserver/hooks/sms/twilio/", params)
    assert _twilio(Client(), {**params, "Body": "changed"}, signature=good).status_code == 403
    assert InboundMessage.objects.count() == 0


def test_it_takes_a_twilio_retry_once(channels_on: FakeApi, django_capture_on_commit_callbacks: Any) -> None:
    params = {"MessageSid": "SM3", "From": "+36301234567", "Body": "again"}
    for _n in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert _twilio(Client(), params).status_code == 200
    assert len(_inbound_messages()) == 1


def test_it_takes_nul_characters_without_a_server_error(
    channels_on: FakeApi, django_capture_on_commit_callbacks: Any
) -> None:
    params = {"MessageSid": "SM\x00nul", "From": "+36301234567", "Body": "a\x00b"}
    with django_capture_on_commit_callbacks(execute=True):
        assert _twilio(Client(), params).status_code == 200
    [message] = _inbound_messages()
    assert "\x00" not in message.body_text
    assert message.body_text.startswith("a")


def test_it_leaves_nothing_half_written_when_processing_fails_and_retries_to_one_message(
    channels_on: FakeApi, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from payvand.helpdesk import services as helpdesk_services
    from payvand.messaging.services import inbound_retry_due

    real = helpdesk_services.message_add

    def broken(**kwargs: Any) -> Any:
        raise OperationalError("the database went away")

    monkeypatch.setattr(helpdesk_services, "message_add", broken)
    with django_capture_on_commit_callbacks(execute=True):
        assert _generic(Client(), {"id": "db-1", "from": "09121234567", "text": "still here"}).status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.state == InboundMessage.State.FAILED
    assert "went away" in inbound.error
    assert Ticket.objects.count() == 0  # the ticket made before the failure was rolled back with it
    monkeypatch.setattr(helpdesk_services, "message_add", real)
    assert inbound.next_attempt_at is not None
    assert inbound_retry_due(now=inbound.next_attempt_at) == 1
    assert inbound_retry_due(now=inbound.next_attempt_at) == 0  # processed: not retried again
    assert len(_inbound_messages()) == 1
    assert Ticket.objects.count() == 1


# ---------------------------------------------------------------------------------------------- Kavenegar


def test_it_takes_a_kavenegar_sms_with_the_url_token(
    channels_on: FakeApi, customer_x: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    data = {"messageid": "8800", "from": "09121234567", "to": "10004346", "message": "سلام"}
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/hooks/sms/kavenegar/kave-token-123/", data)
    assert response.status_code == 200
    [message] = _inbound_messages()
    assert message.author_contact == customer_x
    with django_capture_on_commit_callbacks(execute=True):
        again = Client().get("/hooks/sms/kavenegar/kave-token-123/", data)  # Kavenegar may also call with GET
    assert again.status_code == 200
    assert len(_inbound_messages()) == 1


def test_it_refuses_kavenegar_with_a_wrong_token_and_stores_nothing(channels_on: FakeApi) -> None:
    data = {"messageid": "8801", "from": "09121234567", "message": "x"}
    assert Client().post("/hooks/sms/kavenegar/wrong/", data).status_code == 403
    assert Client().post("/hooks/sms/kavenegar/kave-token-123/", {"message": "no id"}).status_code == 400
    assert InboundMessage.objects.count() == 0


# ---------------------------------------------------------------------------------------------- Telegram


def _update(update_id: int, **message: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "from": {"id": 555001, "first_name": "Kian", "last_name": "Rad", "username": "kianr"},
            "chat": {"id": 555001, "type": "private"},
            "date": 1700000000,
            **message,
        },
    }


def test_it_takes_telegram_text_photo_and_document(
    channels_on: FakeApi, django_capture_on_commit_callbacks: Any
) -> None:
    channels_on.on("/tg/bot123:ABC/getFile", body={"ok": True, "result": {"file_path": "photos/p1.jpg"}})
    channels_on.on("/tg/file/bot123:ABC/photos/p1.jpg", body=b"\xff\xd8\xff\xe0JPEGDATA", content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        assert _telegram(Client(), _update(1, text="پرینتر کار نمی‌کند")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        photo = _update(2, caption="عکس خطا", photo=[{"file_id": "small"}, {"file_id": "big"}])
        assert _telegram(Client(), photo).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        document = _update(3, document={"file_id": "doc1", "file_name": "فاکتور.pdf", "mime_type": "application/pdf"})
        assert _telegram(Client(), document).status_code == 200
    messages = _inbound_messages()
    assert len(messages) == 3
    assert len({m.ticket_id for m in messages}) == 1
    ticket = messages[0].ticket
    assert ticket.channel == "social"
    assert ticket.requester.name == "Kian Rad"
    assert messages[1].body_text == "عکس خطا"
    assert [a.name for a in messages[1].attachments.all()] == ["photo.jpg"]
    assert [a.name for a in messages[2].attachments.all()] == ["فاکتور.pdf"]
    asked = [json.loads(s.body)["file_id"] for s in channels_on.seen if s.path.endswith("/getFile")]
    assert asked == ["big", "doc1"]  # the largest photo size
    assert Identity.objects.filter(contact=ticket.requester, kind="telegram", value="555001").exists()


def test_it_refuses_telegram_without_the_secret_token_and_stores_nothing(channels_on: FakeApi) -> None:
    assert _telegram(Client(), _update(9, text="x"), secret="nope").status_code == 403
    response = Client().post("/hooks/telegram/", json.dumps(_update(9, text="x")), content_type="application/json")
    assert response.status_code == 403
    assert InboundMessage.objects.count() == 0


def test_it_takes_a_repeated_telegram_update_once(
    channels_on: FakeApi, django_capture_on_commit_callbacks: Any
) -> None:
    for _n in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert _telegram(Client(), _update(7, text="once")).status_code == 200
    assert len(_inbound_messages()) == 1


def test_it_answers_400_to_a_telegram_body_without_update_id(channels_on: FakeApi) -> None:
    assert _telegram(Client(), {"message": {"text": "x"}}).status_code == 400
    assert InboundMessage.objects.count() == 0


def test_it_keeps_a_telegram_file_that_cannot_be_fetched_as_failed(
    channels_on: FakeApi, django_capture_on_commit_callbacks: Any
) -> None:
    channels_on.on("/tg/bot123:ABC/getFile", status=500, body={"ok": False})
    with django_capture_on_commit_callbacks(execute=True):
        assert _telegram(Client(), _update(11, photo=[{"file_id": "f"}])).status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.state == InboundMessage.State.FAILED
    assert "500" in inbound.error
    assert Message.objects.count() == 0
    # The file server comes back: the scheduler's retry (after the backoff) takes it.
    assert inbound.next_attempt_at is not None
    from payvand.messaging.services import inbound_retry_due

    assert inbound_retry_due() == 0  # not due yet
    channels_on.on("/tg/bot123:ABC/getFile", body={"ok": True, "result": {"file_path": "p/f.jpg"}})
    channels_on.on("/tg/file/bot123:ABC/p/f.jpg", body=b"\xff\xd8\xffJPEG", content_type="image/jpeg")
    assert inbound_retry_due(now=inbound.next_attempt_at + dt.timedelta(seconds=1)) == 1
    inbound.refresh_from_db()
    assert (inbound.state, inbound.attempts, inbound.next_attempt_at) == ("processed", 2, None)
    assert [a.name for a in Message.objects.get().attachments.all()] == ["photo.jpg"]


# ---------------------------------------------------------------------------------------------- WhatsApp


def test_it_answers_the_whatsapp_verification_challenge(channels_on: FakeApi) -> None:
    ok = Client().get(
        "/hooks/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": "wa-verify", "hub.challenge": "42"}
    )
    assert ok.status_code == 200
    assert ok.content == b"42"
    bad = Client().get("/hooks/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "42"})
    assert bad.status_code == 403


def test_it_takes_a_signed_whatsapp_message_once(
    channels_on: FakeApi, customer_x: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    body = _whatsapp_body()
    for _n in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert _whatsapp(Client(), body).status_code == 200
    [message] = _inbound_messages()
    assert message.author_contact == customer_x  # +989121234567 is Xerxes's phone
    assert message.body_text == "سلام، سفارشم نرسیده"
    assert customer_x.identities.filter(kind="whatsapp", value="+989121234567").exists()
    assert message.ticket.channel == "social"


def test_it_refuses_whatsapp_with_a_bad_signature_and_stores_nothing(channels_on: FakeApi) -> None:
    body = _whatsapp_body("wamid.bad")
    assert _whatsapp(Client(), body, secret="wrong").status_code == 403
    unsigned = Client().post("/hooks/whatsapp/", body, content_type="application/json")
    assert unsigned.status_code == 403
    assert InboundMessage.objects.count() == 0


def test_it_acknowledges_whatsapp_status_updates_without_storing(channels_on: FakeApi) -> None:
    body = json.dumps({"object": "x", "entry": [{"changes": [{"value": {"statuses": [{"id": "s"}]}}]}]}).encode()
    response = _whatsapp(Client(), body)
    assert response.status_code == 200
    assert response.json()["received"] == 0
    assert InboundMessage.objects.count() == 0
