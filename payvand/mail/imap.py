"""IMAP polling: fetch the unseen mail of a mailbox's folder, store each message raw, and only after that commit mark
it seen (or move it to another folder). A crash between the commit and the flag means the message is fetched again
next time, and the raw store keys it as the same message: nothing lost, nothing twice."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl

from django.utils import timezone

from payvand.mail.models import InboundEmail, Mailbox
from payvand.mail.services import inbound_store

log = logging.getLogger(__name__)

BATCH = 50


def _connect(mailbox: Mailbox, timeout: float = 30) -> imaplib.IMAP4:
    if mailbox.imap_tls:
        context = ssl.create_default_context()
        return imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port, ssl_context=context, timeout=timeout)
    conn = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=timeout)
    if "STARTTLS" in conn.capabilities:
        conn.starttls(ssl_context=ssl.create_default_context())
    return conn


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_poll(*, mailbox: Mailbox, connect: object = None) -> int:
    """Fetch and store a mailbox's unseen messages (at most BATCH per poll). Returns how many were stored new."""
    conn: imaplib.IMAP4 = connect(mailbox) if callable(connect) else _connect(mailbox)
    stored = 0
    try:
        conn.login(mailbox.imap_user, mailbox.imap_password)
        typ, _data = conn.select(_quote(mailbox.imap_folder))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {mailbox.imap_folder}")
        typ, data = conn.uid("SEARCH", "UNSEEN")
        found = data[0] if typ == "OK" and data and isinstance(data[0], bytes) else b""
        uids = [u.decode("ascii") for u in found.split()[:BATCH]]
        moved = False
        for uid in uids:
            typ, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts or [] if isinstance(p, tuple) and len(p) > 1), None)
            if typ != "OK" or not isinstance(raw, bytes):
                continue
            _row, created = inbound_store(mailbox=mailbox, raw=raw, source=InboundEmail.Source.IMAP)
            stored += int(created)
            # Committed: now acknowledge.
            if mailbox.imap_after == Mailbox.AfterImport.MOVE and mailbox.imap_move_to:
                typ, _ = conn.uid("COPY", uid, _quote(mailbox.imap_move_to))
                if typ != "OK":
                    conn.create(_quote(mailbox.imap_move_to))
                    typ, _ = conn.uid("COPY", uid, _quote(mailbox.imap_move_to))
                if typ == "OK":
                    conn.uid("STORE", uid, "+FLAGS", "(\\Deleted \\Seen)")
                    moved = True
            else:
                conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        if moved:
            conn.expunge()
        Mailbox.objects.filter(pk=mailbox.pk).update(imap_polled_at=timezone.now(), imap_error="")
    except (imaplib.IMAP4.error, OSError) as exc:
        log.warning("IMAP poll of %s failed: %s", mailbox.address, exc)
        Mailbox.objects.filter(pk=mailbox.pk).update(imap_polled_at=timezone.now(), imap_error=str(exc)[:2000])
        raise
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
    return stored


def imap_poll_all() -> int:
    total = 0
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host=""):
        try:
            total += imap_poll(mailbox=mailbox)
        except (imaplib.IMAP4.error, OSError):
            continue
    return total
