from __future__ import annotations

from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext

from payvand.core.scheduler import jobs
from payvand.helpdesk.models import Ticket
from payvand.mail.models import AckTemplate, InboundEmail, Mailbox, OutboundEmail

pytestmark = pytest.mark.django_db


def test_it_rate_limits_a_sender_but_keeps_the_mail(deliver: Any, mailbox: Mailbox, make_eml: Any) -> None:
    mailbox.rate_limit_per_hour = 2
    mailbox.save()
    for n in range(4):
        deliver(mailbox, make_eml(message_id=f"<flood{n}@x>", subject=f"Flood {n}"))
    statuses = list(InboundEmail.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["processed", "processed", "unprocessable", "unprocessable"]
    assert "2" in InboundEmail.objects.filter(status="unprocessable").values_list("reason", flat=True)[0]
    assert Ticket.objects.count() == 2
    assert OutboundEmail.objects.count() == 2


def test_it_acknowledges_with_the_template_of_the_customers_language(
    deliver: Any, mailbox: Mailbox, make_eml: Any
) -> None:
    AckTemplate.objects.create(
        mailbox=mailbox, language="fa", subject="[{reference}] دریافت شد", body="{name} عزیز، {reference}"
    )
    AckTemplate.objects.create(mailbox=mailbox, language="hu", subject="[{reference}] Megkaptuk", body="Kedves {name}!")
    deliver(mailbox, make_eml(body="سلام، چاپگر کار نمی‌کند و برگه گیر می‌کند.\n", sender="Ali <ali@example.com>"))
    deliver(
        mailbox, make_eml(body="Jó napot, köszönöm a segítséget.\n", sender="Éva <eva@example.hu>", message_id="<h@x>")
    )
    deliver(mailbox, make_eml(body="Hello there.\n", sender="tom@example.com", message_id="<e@x>"))
    fa, hu, en = OutboundEmail.objects.order_by("pk")
    ticket = Ticket.objects.order_by("pk").first()
    assert ticket is not None
    assert fa.subject == f"[{ticket.reference}] دریافت شد"
    assert fa.body_text == f"Ali عزیز، {ticket.reference}"
    assert hu.subject.endswith("Megkaptuk")
    assert "we received your message" in en.body_text
    assert en.language == "en"


def test_it_never_acknowledges_noise(deliver: Any, mailbox: Mailbox, make_eml: Any) -> None:
    deliver(mailbox, make_eml(headers={"Auto-Submitted": "auto-replied"}))
    deliver(mailbox, make_eml(headers={"Precedence": "bulk"}, message_id="<b@x>", sender="news@shop.example"))
    deliver(mailbox, make_eml(sender="help@payvand.test", message_id="<own@x>"))  # our own alias
    assert Ticket.objects.count() == 3
    assert OutboundEmail.objects.count() == 0
    assert sorted(InboundEmail.objects.values_list("kind", flat=True)) == ["auto_reply", "bulk", "own"]


def test_it_registers_the_mail_jobs_with_the_scheduler() -> None:
    names = {j.name for j in jobs()}
    assert {"mail.imap_poll", "mail.inbound_retry", "mail.outbound_retry"} <= names


def test_the_inbound_list_takes_a_fixed_number_of_queries(
    deliver: Any, mailbox: Mailbox, make_eml: Any, supervisor: Any, client_for: Any, api_for: Any
) -> None:
    from django.db import connection

    for n in range(3):
        deliver(mailbox, make_eml(message_id=f"<q{n}@x>", sender=f"s{n}@example.com"))
    client = client_for(supervisor)
    api = api_for(supervisor)
    client.get("/mail/inbound/?status=")  # warm up: the session, the token's first use
    api.get("/api/v1/mail/inbound")
    with CaptureQueriesContext(connection) as few:
        client.get("/mail/inbound/?status=")
    with CaptureQueriesContext(connection) as few_api:
        api.get("/api/v1/mail/inbound")
    for n in range(3, 12):
        deliver(mailbox, make_eml(message_id=f"<q{n}@x>", sender=f"s{n}@example.com"))
    with CaptureQueriesContext(connection) as many:
        client.get("/mail/inbound/?status=")
    with CaptureQueriesContext(connection) as many_api:
        api.get("/api/v1/mail/inbound")
    assert len(many) == len(few)
    assert len(many_api) == len(few_api)


def test_the_same_mail_to_two_mailboxes_is_one_message(deliver: Any, mailbox: Mailbox, make_eml: Any) -> None:
    other = Mailbox.objects.create(name="Sales", address="sales@payvand.test")
    for raw in (make_eml(), make_eml(message_id=None)):
        first, _ = deliver(mailbox, raw)
        second, created = deliver(other, raw)
        assert created  # stored for each mailbox it was for
        assert second.status == InboundEmail.Status.PROCESSED
        assert second.ticket_message_id == first.ticket_message_id
    assert Ticket.objects.count() == 2


def test_an_admin_can_let_a_rate_limited_message_through(
    deliver: Any, mailbox: Mailbox, make_eml: Any, supervisor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from payvand.mail.services import inbound_reprocess

    mailbox.rate_limit_per_hour = 1
    mailbox.save()
    deliver(mailbox, make_eml())
    held, _ = deliver(mailbox, make_eml(message_id="<second@x>", subject="Second"))
    assert held.status == InboundEmail.Status.UNPROCESSABLE
    with django_capture_on_commit_callbacks(execute=True):
        inbound_reprocess(inbound=held, by=supervisor)
    held.refresh_from_db()
    assert held.status == InboundEmail.Status.PROCESSED
    assert Ticket.objects.count() == 2


def test_it_does_not_acknowledge_an_address_known_to_bounce(deliver: Any, mailbox: Mailbox, make_eml: Any) -> None:
    from payvand.contacts.models import Identity
    from payvand.contacts.services import contact_create

    gone = contact_create(by=None, name="Gone", emails=["ali@example.com"], allow_duplicates=True)
    Identity.objects.filter(contact=gone).update(is_bouncing=True)
    row, _ = deliver(mailbox, make_eml())
    assert row.status == InboundEmail.Status.PROCESSED
    assert Ticket.objects.get().requester_id == gone.pk
    assert OutboundEmail.objects.count() == 0
