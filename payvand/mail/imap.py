"""IMAP polling: fetch the unseen mail of a mailbox's folder, store each message raw, and only after that commit mark
it seen (or move it to another folder). A crash between the commit and the flag means the message is fetched again
next time, and the raw store keys it as the same message: nothing lost, nothing twice."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from payvand.mail.models import InboundEmail, Mailbox
from payvand.mail.services import inbound_store

log = logging.getLogger(__name__)

BATCH = 50


def tls_context(mailbox: Mailbox) -> ssl.SSLContext:
    """The TLS settings for a mailbox's IMAP server: the certificate and the host name are always checked, against
    the mailbox's CA file, else MAIL_IMAP_CA_FILE, else the system's trusted authorities."""
    cafile = mailbox.imap_ca_file.strip() or settings.MAIL_IMAP_CA_FILE.strip() or None
    try:
        return ssl.create_default_context(cafile=cafile)
    except OSError as exc:  # missing, unreadable, or not PEM certificates (ssl.SSLError is an OSError)
        message = _("The IMAP CA certificate file %(path)s can't be used: %(error)s") % {
            "path": cafile,
            "error": exc.strerror or exc,
        }
        raise OSError(message) from exc


def _connect(mailbox: Mailbox, timeout: float = 30) -> imaplib.IMAP4:
    if mailbox.imap_tls:
        context = tls_context(mailbox)
        return imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port, ssl_context=context, timeout=timeout)
    conn = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=timeout)
    if "STARTTLS" in conn.capabilities:
        try:
            conn.starttls(ssl_context=tls_context(mailbox))
        except BaseException:
            with contextlib.suppress(OSError):
                conn.shutdown()
            raise
    return conn


def _describe(mailbox: Mailbox, exc: BaseException) -> str:
    """The error as the admin sees it on the mailbox."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _(
            "The TLS certificate of the IMAP server %(server)s is not trusted (%(reason)s). If it is signed by your "
            "own certificate authority, set the mailbox's IMAP CA certificate file (or MAIL_IMAP_CA_FILE)."
        ) % {"server": f"{mailbox.imap_host}:{mailbox.imap_port}", "reason": exc.verify_message or exc.reason}
    return str(exc)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_poll(*, mailbox: Mailbox, connect: object = None) -> int:
    """Fetch and store a mailbox's unseen messages (at most BATCH per poll). Returns how many were stored new."""
    conn: imaplib.IMAP4 | None = None
    stored = 0
    try:
        conn = connect(mailbox) if callable(connect) else _connect(mailbox)
        conn.login(mailbox.imap_user, mailbox.imap_password)
        typ, _resp = conn.select(_quote(mailbox.imap_folder))
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
                typ, _resp = conn.uid("COPY", uid, _quote(mailbox.imap_move_to))
                if typ != "OK":
                    conn.create(_quote(mailbox.imap_move_to))
                    typ, _resp = conn.uid("COPY", uid, _quote(mailbox.imap_move_to))
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
        error = _describe(mailbox, exc)
        Mailbox.objects.filter(pk=mailbox.pk).update(imap_polled_at=timezone.now(), imap_error=error[:2000])
        raise
    finally:
        if conn is not None:
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
