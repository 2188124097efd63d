from __future__ import annotations

from typing import Any

import pytest

from payvand.accounts.models import Team
from payvand.mail.models import Mailbox


@pytest.fixture
def mailbox(db: None, team_a: Team) -> Mailbox:
    return Mailbox.objects.create(
        name="Support", address="support@payvand.test", aliases="help@payvand.test", team=team_a, language="en"
    )


def eml(
    *,
    subject: str = "Printer broken",
    sender: str = "Ali Rezaei <ali@example.com>",
    to: str = "support@payvand.test",
    body: str = "Hello,\nthe printer is broken.\n",
    message_id: str | None = "<m1@example.com>",
    headers: dict[str, str] | None = None,
) -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Mon, 07 Dec 2026 10:00:00 +0000"
    if message_id:
        msg["Message-ID"] = message_id
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def make_eml() -> Any:
    return eml


@pytest.fixture
def deliver(django_capture_on_commit_callbacks: Any) -> Any:
    """Store raw mail the way a way in does, running what is queued on commit (processing, acknowledgement)."""
    from payvand.mail.services import inbound_store

    def run(mailbox: Mailbox, raw: bytes, source: str = "smtp") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            row, created = inbound_store(mailbox=mailbox, raw=raw, source=source)
        row.refresh_from_db()
        return row, created

    return run


@pytest.fixture
def mail_server_user(role_groups: Any) -> Any:
    """The account a mail server's token belongs to: it may deliver raw mail and nothing else."""
    from django.contrib.auth.models import Permission

    from payvand.accounts.services import user_create

    user = user_create(email="mta@payvand.test", password="pw-Secret-123", full_name="MTA", role_names=[])
    user.user_permissions.add(Permission.objects.get(codename="deliver_inboundemail"))
    return user
