from __future__ import annotations

from typing import Any

import pytest

from payvand.contacts.models import Contact
from payvand.core.errors import ValidationFailed
from payvand.helpdesk.models import Channel, Message, StatusCategory, Ticket
from payvand.mail.models import InboundEmail, Mailbox, OutboundEmail
from payvand.mail.services import inbound_store

pytestmark = pytest.mark.django_db


def test_it_turns_a_new_mail_into_a_routed_email_ticket(deliver: Any, mailbox: Mailbox, make_eml: Any) -> None:
    row, created = deliver(mailbox, make_eml())
    assert created
    assert row.status == InboundEmail.Status.PROCESSED, row.reason
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.EMAIL
    assert ticket.team_id == mailbox.team_id
    assert ticket.subject == "Printer broken"
    assert ticket.requester.identities.get().value == "ali@example.com"
    message = ticket.messages.get()
    assert message.kind == Message.Kind.INBOUND
    assert message.channel == Channel.EMAIL
    assert "printer is broken" in message.body_text
    assert row.ticket_id == ticket.pk
    assert row.ticket_message_id == message.pk
    ack = OutboundEmail.objects.get(kind=OutboundEmail.Kind.ACK)
    assert ack.status == OutboundEmail.Status.SENT
    assert ticket.reference in ack.subject
    assert ack.in_reply_to == "<m1@example.com>"


def test_it_stores_the_same_message_once(deliver: Any, mailbox: Mailbox, make_eml: Any) -> None:
    first, created1 = deliver(mailbox, make_eml())
    again, created2 = deliver(mailbox, make_eml(), "imap")
    assert (created1, created2) == (True, False)
    assert first.pk == again.pk
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1


def test_it_keys_mail_without_message_id_by_content(deliver: Any, mailbox: Mailbox, make_eml: Any) -> None:
    raw = make_eml(message_id=None)
    row, _ = deliver(mailbox, raw, "http")
    assert row.key.startswith("sha256:")
    assert deliver(mailbox, raw, "http")[1] is False
    assert deliver(mailbox, raw + b"x", "http")[1] is True


def test_it_refuses_an_empty_message(mailbox: Mailbox) -> None:
    with pytest.raises(ValidationFailed):
        inbound_store(mailbox=mailbox, raw=b"  \r\n", source="http")
    assert InboundEmail.objects.count() == 0


def test_it_threads_a_reply_by_our_message_id_and_by_the_subject(deliver: Any, mailbox: Mailbox, make_eml: Any) -> None:
    deliver(mailbox, make_eml())
    ticket = Ticket.objects.get()
    ack = OutboundEmail.objects.get()
    deliver(
        mailbox, make_eml(subject="Re: else", message_id="<m2@example.com>", headers={"In-Reply-To": ack.message_id})
    )
    deliver(mailbox, make_eml(subject=f"About [{ticket.reference}]", message_id="<m3@x>", sender="other@example.org"))
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 3
    assert OutboundEmail.objects.count() == 1  # replies on a ticket are not acknowledged again


def test_it_reopens_or_follows_up_a_closed_ticket_by_the_mailbox_setting(
    deliver: Any, mailbox: Mailbox, make_eml: Any, admin_user: Any
) -> None:
    from payvand.helpdesk.services import ticket_close

    deliver(mailbox, make_eml())
    ticket = Ticket.objects.get()
    ticket_close(ticket=ticket, by=admin_user)
    mailbox.reply_to_closed = Mailbox.ReplyToClosed.REOPEN
    mailbox.save()
    deliver(mailbox, make_eml(subject=f"Re: [{ticket.reference}]", message_id="<r1@x>"))
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    assert Ticket.objects.count() == 1
    ticket_close(ticket=ticket, by=admin_user)
    mailbox.reply_to_closed = Mailbox.ReplyToClosed.FOLLOW_UP
    mailbox.save()
    deliver(mailbox, make_eml(subject=f"Re: [{ticket.reference}]", message_id="<r2@x>"))
    assert Ticket.objects.count() == 2
    follow = Ticket.objects.exclude(pk=ticket.pk).get()
    assert follow.links_out.get().target_id == ticket.pk


def test_it_finds_the_sender_as_an_existing_contact(
    deliver: Any, mailbox: Mailbox, make_eml: Any, customer_x: Contact
) -> None:
    deliver(mailbox, make_eml(sender="Xerxes <X@Example.com>"))
    assert Ticket.objects.get().requester_id == customer_x.pk
    assert Contact.objects.count() == 1
