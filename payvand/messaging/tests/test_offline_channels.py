"""Phone calls, letters, faxes and walk-ins registered by an agent: the ticket has that channel, a scanned letter is
attached to its first message, and every message shows its channel on the ticket page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.helpdesk.models import Message, Ticket

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _post(client: Any, customer: Contact, team: Team, channel: str, **extra: Any) -> Any:
    data = {
        "requester": customer.pk,
        "subject": "Letter about the invoice",
        "description": "Scanned, see attached.",
        "channel": channel,
        "priority": "2",
        "team": team.pk,
        "create_anyway": "1",
        **extra,
    }
    return client.post(reverse("helpdesk:create"), data)


def test_it_attaches_a_scanned_letter_to_the_new_ticket(
    agent_a: User, team_a: Team, customer_x: Contact, client_for: Any
) -> None:
    client = client_for(agent_a)
    scan = SimpleUploadedFile("نامه.pdf", PDF, content_type="application/pdf")
    response = _post(client, customer_x, team_a, "letter", attachments=scan)
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = Ticket.objects.get()
    assert ticket.channel == "letter"
    [message] = ticket.messages.all()
    assert (message.kind, message.channel, message.author_contact) == (Message.Kind.INBOUND, "letter", customer_x)
    [attachment] = message.attachments.all()
    assert attachment.name == "نامه.pdf"
    page = client.get(reverse("helpdesk:detail", kwargs={"ticket_id": ticket.pk})).content.decode()
    assert 'data-channel="letter"' in page
    assert "نامه.pdf" in page


@pytest.mark.parametrize("channel", ["phone", "fax", "walk_in"])
def test_it_registers_phone_fax_and_walk_in_tickets(
    agent_a: User, team_a: Team, customer_x: Contact, client_for: Any, channel: str
) -> None:
    assert _post(client_for(agent_a), customer_x, team_a, channel).status_code == 302
    assert Ticket.objects.get().channel == channel


def test_it_refuses_a_too_large_scan_and_registers_nothing(
    agent_a: User, team_a: Team, customer_x: Contact, client_for: Any, settings: Any
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 10
    scan = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    response = _post(client_for(agent_a), customer_x, team_a, "letter", attachments=scan)
    assert response.status_code == 422
    assert "larger than" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_it_shows_the_channel_choice_on_the_reply_form_and_uses_it(
    agent_a: User,
    team_a: Team,
    customer_x: Contact,
    client_for: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(agent_a)
    assert _post(client, customer_x, team_a, "phone").status_code == 302
    ticket = Ticket.objects.get()
    page = client.get(reverse("helpdesk:detail", kwargs={"ticket_id": ticket.pk})).content.decode()
    assert 'name="channel"' in page
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            reverse("helpdesk:message_add", kwargs={"ticket_id": ticket.pk}),
            {"kind": "reply", "body": "We will call back.", "channel": "email"},
        )
    assert sent.status_code == 302
    assert ticket.messages.get(kind="reply").channel == "email"
    bad = client.post(
        reverse("helpdesk:message_add", kwargs={"ticket_id": ticket.pk}),
        {"kind": "reply", "body": "x", "channel": "pigeon"},
    )
    assert bad.status_code == 422
    assert ticket.messages.filter(kind="reply").count() == 1
