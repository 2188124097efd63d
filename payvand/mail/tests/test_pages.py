from __future__ import annotations

from typing import Any

import pytest

from payvand.helpdesk.models import Ticket
from payvand.mail.models import InboundEmail, Mailbox

pytestmark = pytest.mark.django_db


def test_it_lists_unprocessable_mail_with_a_reprocess_button(
    client_for: Any, supervisor: Any, mailbox: Mailbox, deliver: Any, make_eml: Any
) -> None:
    bad, _ = deliver(mailbox, make_eml(sender="broken", message_id="<bad@x>"))
    deliver(mailbox, make_eml())
    page = client_for(supervisor).get("/mail/inbound/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="inbound-{bad.pk}"' in html
    assert "reprocess" in html
    assert html.count('data-status="unprocessable"') == 1
    assert 'data-status="processed"' not in html
    everything = client_for(supervisor).get("/mail/inbound/?status=").content.decode()
    assert 'data-status="processed"' in everything


def test_it_reprocesses_from_the_page(
    client_for: Any,
    supervisor: Any,
    mailbox: Mailbox,
    deliver: Any,
    make_eml: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    bad, _ = deliver(mailbox, make_eml(sender="broken"))
    # The admin fixes the cause (here: the raw message is corrected) and reprocesses.
    InboundEmail.objects.filter(pk=bad.pk).update(raw=make_eml())
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(supervisor).post(f"/mail/inbound/{bad.pk}/reprocess/", {"status": "unprocessable"})
    assert response.status_code == 302
    bad.refresh_from_db()
    assert bad.status == InboundEmail.Status.PROCESSED
    assert Ticket.objects.count() == 1


def test_it_keeps_outsiders_out(
    client_for: Any, agent_a: Any, outsider: Any, mailbox: Mailbox, deliver: Any, make_eml: Any
) -> None:
    row, _ = deliver(mailbox, make_eml(sender="broken"))
    for user in (agent_a, outsider):
        c = client_for(user)
        assert c.get("/mail/inbound/").status_code == 403
        assert c.post(f"/mail/inbound/{row.pk}/reprocess/").status_code == 403
        assert c.get(f"/mail/inbound/{row.pk}/raw/").status_code == 403
    assert client_for(None).get("/mail/inbound/").status_code == 302
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.UNPROCESSABLE


def test_it_serves_the_raw_message_to_admins(
    client_for: Any, supervisor: Any, mailbox: Mailbox, deliver: Any, make_eml: Any
) -> None:
    row, _ = deliver(mailbox, make_eml())
    response = client_for(supervisor).get(f"/mail/inbound/{row.pk}/raw/")
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert b"Message-ID: <m1@example.com>" in response.content
    assert client_for(supervisor).get("/mail/inbound/99999/raw/").status_code == 404


def test_it_shows_an_email_message_with_its_channel_and_folded_quote(
    client_for: Any, supervisor: Any, mailbox: Mailbox, deliver: Any, make_eml: Any
) -> None:
    deliver(mailbox, make_eml(body="New text here.\n\nOn Mon, 7 Dec 2026, Support wrote:\n> old text\n"))
    ticket = Ticket.objects.get()
    html = client_for(supervisor).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "pv-channel" in html
    assert "<details><summary>" in html
    assert "old text" in html


def test_the_ticket_page_shows_its_emails_and_a_failed_send(
    client_for: Any, supervisor: Any, mailbox: Mailbox, deliver: Any, make_eml: Any
) -> None:
    from payvand.mail.models import OutboundEmail

    mailbox.smtp_host = "127.0.0.1"
    mailbox.smtp_port = 9  # discard port: nothing listens, the send fails
    mailbox.smtp_security = Mailbox.Security.NONE
    mailbox.save()
    deliver(mailbox, make_eml())
    ticket = Ticket.objects.get()
    ack = OutboundEmail.objects.get()
    assert ack.status == OutboundEmail.Status.QUEUED
    html = client_for(supervisor).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-emails"' in html
    assert 'data-status="queued"' in html
    assert ack.last_error[:20] in html


def test_admins_configure_mailboxes_in_the_django_admin(
    client_for: Any, admin_user: Any, mailbox: Mailbox, deliver: Any, make_eml: Any
) -> None:
    row, _ = deliver(mailbox, make_eml())
    c = client_for(admin_user)
    for url in (
        "/admin/mail/mailbox/",
        "/admin/mail/mailbox/add/",
        f"/admin/mail/mailbox/{mailbox.pk}/change/",
        "/admin/mail/inboundemail/",
        f"/admin/mail/inboundemail/{row.pk}/change/",
        "/admin/mail/outboundemail/",
    ):
        assert c.get(url).status_code == 200, url
