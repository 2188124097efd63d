"""The SMTP listener (aiosmtpd): mail servers deliver straight to Payvand.

RCPT TO an address of no active mailbox gets 550; the message is stored raw once per mailbox it is for, and only
after that commit does the client get 250. If storing fails (the database is away) the client gets 451 and tries
again later, as SMTP servers do.
"""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import close_old_connections

from payvand.mail.models import InboundEmail, Mailbox
from payvand.mail.services import MAX_RAW_BYTES, inbound_store, mailbox_addresses

log = logging.getLogger(__name__)


def _mailbox_id(address: str) -> int | None:
    close_old_connections()
    return mailbox_addresses().get(address.strip().strip("<>").lower())


def _store(mailbox_ids: list[int], raw: bytes) -> None:
    close_old_connections()
    for mailbox in Mailbox.objects.filter(pk__in=mailbox_ids):
        inbound_store(mailbox=mailbox, raw=raw, source=InboundEmail.Source.SMTP)


class Handler:
    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            mailbox_id = await sync_to_async(_mailbox_id, thread_sensitive=True)(address)
        except Exception:
            log.exception("SMTP: could not look up %s", address)
            return "451 4.3.0 Temporary failure, try again later"
        if mailbox_id is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        mailboxes: list[int] = getattr(envelope, "payvand_mailboxes", [])
        if mailbox_id not in mailboxes:
            mailboxes.append(mailbox_id)
        envelope.payvand_mailboxes = mailboxes  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or (envelope.content if isinstance(envelope.content, bytes) else b"")
        mailboxes: list[int] = getattr(envelope, "payvand_mailboxes", [])
        if not mailboxes:
            return "554 5.5.1 No valid recipients"
        try:
            await sync_to_async(_store, thread_sensitive=True)(mailboxes, raw)
        except Exception:
            log.exception("SMTP: could not store a message")
            return "451 4.3.0 Could not store the message, try again later"
        return "250 OK: stored"


def controller(*, host: str, port: int) -> Controller:
    return Controller(
        Handler(),
        hostname=host,
        port=port,
        data_size_limit=MAX_RAW_BYTES,
        decode_data=False,
        server_hostname="payvand",
        ready_timeout=10,
    )


__all__ = ["Handler", "controller"]
