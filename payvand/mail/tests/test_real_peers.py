"""Real peers on 127.0.0.1: a real SMTP client (smtplib) against our listener, our sender against a real SMTP sink
(aiosmtpd), and the IMAP poller against a real Dovecot that the test starts (skipped when Debian's dovecot-imapd
is not installed: `apt-get install dovecot-imapd`)."""

from __future__ import annotations

import email
import email.policy
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError

from payvand.core.models import Event
from payvand.helpdesk.models import Message, Ticket
from payvand.helpdesk.services import message_add
from payvand.mail.imap import imap_poll
from payvand.mail.models import InboundEmail, Mailbox, OutboundEmail
from payvand.mail.outbound import outbound_retry_due
from payvand.mail.smtpd import controller

from .conftest import eml


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------- SMTP listener


@pytest.fixture
def listener(transactional_db: None) -> Iterator[int]:
    port = free_port()
    server = controller(host="127.0.0.1", port=port)
    server.start()
    yield port
    server.stop()


def test_it_takes_mail_for_our_addresses_over_smtp_and_answers_550_for_others(
    listener: int, team_a: Any, role_groups: Any
) -> None:
    Mailbox.objects.create(name="Support", address="support@payvand.test", aliases="help@payvand.test", team=team_a)
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("ali@example.com", ["stranger@payvand.test"], eml())
        assert refused.value.recipients["stranger@payvand.test"][0] == 550
        refused_all = client.sendmail("ali@example.com", ["help@payvand.test", "nobody@else.test"], eml())
        assert refused_all["nobody@else.test"][0] == 550
    row = InboundEmail.objects.get()
    assert row.source == InboundEmail.Source.SMTP
    assert row.status == InboundEmail.Status.PROCESSED
    assert Ticket.objects.get().messages.count() == 1
    # The same message delivered again over SMTP stays one message.
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        client.sendmail("ali@example.com", ["support@payvand.test"], eml())
    assert InboundEmail.objects.count() == 1
    assert Message.objects.count() == 1


def test_it_answers_451_when_it_cannot_store(listener: int, team_a: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    Mailbox.objects.create(name="Support", address="support@payvand.test", team=team_a)

    def broken(**kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr("payvand.mail.smtpd.inbound_store", broken)
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client, pytest.raises(smtplib.SMTPDataError) as failed:
        client.sendmail("ali@example.com", ["support@payvand.test"], eml())
    assert failed.value.smtp_code == 451
    assert InboundEmail.objects.count() == 0


# ---------------------------------------------------------------------------------------------- outbound


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port, decode_data=False)
    server.start()
    yield handler, port
    server.stop()


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_it_sends_replies_through_the_mailbox_smtp_with_threading_headers(
    sink: tuple[Sink, int], team_a: Any, supervisor: Any, deliver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    handler, port = sink
    mailbox = Mailbox.objects.create(
        name="پشتیبانی",
        address="support@payvand.test",
        team=team_a,
        language="fa",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=Mailbox.Security.NONE,
    )
    row, _ = deliver(mailbox, eml(subject="چاپگر خراب است", body="سلام، چاپگر کار نمی‌کند.\n"))
    ticket = Ticket.objects.get()
    ack = _parse(handler.messages[0][2])
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ticket.reference in ack["Subject"]
    assert ack["In-Reply-To"] == "<m1@example.com>"
    with django_capture_on_commit_callbacks(execute=True):
        message_add(
            ticket=ticket,
            by=supervisor,
            body="<p>لطفاً دستگاه را خاموش و روشن کنید.</p>",
            is_html=True,
            attachments=[SimpleUploadedFile("راهنما.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")],
        )
    assert len(handler.messages) == 2
    mail_from, rcpts, raw = handler.messages[1]
    sent = _parse(raw)
    out = OutboundEmail.objects.get(kind=OutboundEmail.Kind.REPLY)
    assert rcpts == ["ali@example.com"]
    assert mail_from == "support@payvand.test"
    assert sent["Message-ID"] == out.message_id
    assert sent["In-Reply-To"] == "<m1@example.com>"
    assert sent["References"].split() == [OutboundEmail.objects.get(kind="ack").message_id, "<m1@example.com>"]
    assert sent["Reply-To"] == "support@payvand.test"
    assert f"[{ticket.reference}]" in sent["Subject"]
    html = sent.get_body(preferencelist=("html",))
    text = sent.get_body(preferencelist=("plain",))
    assert html is not None
    assert text is not None
    assert 'dir="rtl"' in html.get_content()
    assert "لطفاً دستگاه" in text.get_content()
    assert [a.get_filename() for a in sent.iter_attachments()] == ["راهنما.pdf"]
    assert out.status == OutboundEmail.Status.SENT
    assert bytes(out.raw).startswith(b"Content-Type") or b"Message-ID" in bytes(out.raw)
    assert Event.objects.filter(verb="mail.sent", target_id=str(ticket.pk)).exists()
    # The customer answers our reply: it threads back by our Message-ID.
    deliver(
        mailbox, eml(subject="Re: something", message_id="<m9@example.com>", headers={"In-Reply-To": out.message_id})
    )
    assert Ticket.objects.count() == 1
    assert ticket.messages.filter(kind=Message.Kind.INBOUND).count() == 2


def test_it_retries_a_failed_send_with_backoff_and_shows_it_on_the_ticket(
    sink: tuple[Sink, int], team_a: Any, deliver: Any
) -> None:
    handler, port = sink
    mailbox = Mailbox.objects.create(
        name="Support",
        address="support@payvand.test",
        team=team_a,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),  # nothing listens there
        smtp_security=Mailbox.Security.NONE,
    )
    deliver(mailbox, eml())
    ack = OutboundEmail.objects.get()
    assert ack.status == OutboundEmail.Status.QUEUED
    assert ack.attempts == 1
    assert ack.next_attempt_at is not None
    assert "Connection refused" in ack.last_error or ack.last_error
    failure = Event.objects.get(verb="mail.send_failed")
    assert failure.target_id == str(ack.ticket_id)
    assert failure.data["final"] is False
    assert outbound_retry_due() == 0  # not due yet
    Mailbox.objects.filter(pk=mailbox.pk).update(smtp_port=port)
    assert outbound_retry_due(now=ack.next_attempt_at) == 1
    ack.refresh_from_db()
    assert ack.status == OutboundEmail.Status.SENT
    assert ack.attempts == 2
    assert len(handler.messages) == 1


# ---------------------------------------------------------------------------------------------- IMAP (Dovecot)

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


OPENSSL = shutil.which("openssl")


def _start_dovecot(root: Path, tls: dict[str, Path] | None = None) -> dict[str, Any]:
    """Start a Dovecot on 127.0.0.1 with one user (support@payvand.test / secret) in `root`. With `tls` (a
    certificate and its key) it serves IMAPS on one port and IMAP with STARTTLS required on the other."""
    root.chmod(0o755)
    if os.getuid() == 0:
        user = pwd.getpwnam("dovecot") if _has_user("dovecot") else pwd.getpwnam("nobody")
        uid, gid = user.pw_uid, user.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    (root / "mail").mkdir()
    os.chown(root / "mail", uid, gid)
    (root / "users").write_text("support@payvand.test:{PLAIN}secret\n")
    port = free_port()
    imaps_port = free_port() if tls else 0
    if tls:
        dh = Path("/usr/share/dovecot/dh.pem")
        ssl_conf = (
            f"ssl = required\nssl_cert = <{tls['cert']}\nssl_key = <{tls['key']}\n"
            + (f"ssl_dh = <{dh}\n" if dh.exists() else "")
            + "disable_plaintext_auth = yes\n"
        )
    else:
        ssl_conf = "ssl = no\ndisable_plaintext_auth = no\n"
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = payvand-test-{port}
log_path = {root}/dovecot.log
{ssl_conf}auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    assert DOVECOT is not None
    subprocess.run([DOVECOT, "-c", str(conf)], check=True, timeout=20)  # noqa: S603
    deadline = time.monotonic() + 10
    for p in [port, imaps_port] if tls else [port]:
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", p), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
    return {"port": port, "imaps_port": imaps_port, "root": root}


def _stop_dovecot(root: Path) -> None:
    pid_file = root / "run" / "master.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        time.sleep(0.3)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot() -> Iterator[dict[str, Any]]:
    if DOVECOT is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd); the IMAP test needs a real server")
    root = Path(tempfile.mkdtemp(prefix="payvand-dovecot-", dir="/tmp"))
    try:
        yield _start_dovecot(root)
    finally:
        _stop_dovecot(root)


def _openssl(*args: str) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *args], check=True, capture_output=True, timeout=60)  # noqa: S603


@pytest.fixture(scope="module")
def certificates() -> Iterator[dict[str, Path]]:
    """A test certificate authority, a server certificate for 127.0.0.1 it signed, and another CA that signed
    nothing (the wrong one), made with the openssl command line."""
    if DOVECOT is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd); the IMAP test needs a real server")
    if OPENSSL is None:
        pytest.skip("the openssl command is not installed; the IMAP TLS test makes its certificates with it")
    folder = Path(tempfile.mkdtemp(prefix="payvand-certs-", dir="/tmp"))
    folder.chmod(0o755)
    days = ("-days", "2")
    for name, subject in (("ca", "/CN=Payvand test CA"), ("other-ca", "/CN=Someone else's CA")):
        _openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(folder / f"{name}.key"),
            "-out",
            str(folder / f"{name}.pem"),
            "-subj",
            subject,
            *days,
        )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(folder / "server.key"),
        "-out",
        str(folder / "server.csr"),
        "-subj",
        "/CN=127.0.0.1",
    )
    (folder / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        str(folder / "server.csr"),
        "-CA",
        str(folder / "ca.pem"),
        "-CAkey",
        str(folder / "ca.key"),
        "-CAcreateserial",
        "-out",
        str(folder / "server.pem"),
        "-extfile",
        str(folder / "ext.cnf"),
        *days,
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    yield {
        "ca": folder / "ca.pem",
        "other_ca": folder / "other-ca.pem",
        "cert": folder / "server.pem",
        "key": folder / "server.key",
    }
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def dovecot_tls(certificates: dict[str, Path]) -> Iterator[dict[str, Any]]:
    root = Path(tempfile.mkdtemp(prefix="payvand-dovecot-", dir="/tmp"))
    try:
        yield {**_start_dovecot(root, tls=certificates), "ca": certificates["ca"], "other_ca": certificates["other_ca"]}
    finally:
        _stop_dovecot(root)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _imap(port: int) -> Any:
    import imaplib

    conn = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    conn.login("support@payvand.test", "secret")
    return conn


def test_it_polls_a_real_imap_server_and_marks_or_moves_after_the_commit(
    dovecot: dict[str, Any], team_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    port = dovecot["port"]
    conn = _imap(port)
    for raw in (eml(), eml(), eml(message_id="<m2@example.com>", subject="Second")):  # the first one twice
        conn.append("INBOX", None, None, raw)
    conn.logout()
    mailbox = Mailbox.objects.create(
        name="Support",
        address="support@payvand.test",
        team=team_a,
        imap_host="127.0.0.1",
        imap_port=port,
        imap_tls=False,
        imap_user="support@payvand.test",
        imap_password="secret",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert imap_poll(mailbox=mailbox) == 2
    assert Ticket.objects.count() == 2
    assert set(InboundEmail.objects.values_list("source", flat=True)) == {"imap"}
    conn = _imap(port)
    conn.select("INBOX")
    assert conn.uid("SEARCH", "UNSEEN")[1] == [b""]
    assert len(conn.uid("SEARCH", "SEEN")[1][0].split()) == 3
    conn.append("INBOX", None, None, eml(message_id="<m3@example.com>", subject="Third"))
    conn.logout()
    mailbox.imap_after = Mailbox.AfterImport.MOVE
    mailbox.imap_move_to = "Payvand"
    mailbox.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert imap_poll(mailbox=mailbox) == 1
    conn = _imap(port)
    conn.select("INBOX")
    assert len(conn.uid("SEARCH", "ALL")[1][0].split()) == 3
    conn.select('"Payvand"')
    assert len(conn.uid("SEARCH", "ALL")[1][0].split()) == 1
    conn.logout()
    mailbox.refresh_from_db()
    assert mailbox.imap_error == ""
    assert mailbox.imap_polled_at is not None


def test_it_keeps_the_imap_message_unseen_when_storing_fails(
    dovecot: dict[str, Any], team_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = dovecot["port"]
    conn = _imap(port)
    conn.append("INBOX", None, None, eml())
    conn.logout()
    mailbox = Mailbox.objects.create(
        name="Support",
        address="support@payvand.test",
        imap_host="127.0.0.1",
        imap_port=port,
        imap_tls=False,
        imap_user="support@payvand.test",
        imap_password="secret",
    )

    def broken(**kwargs: Any) -> Any:
        raise OperationalError("disk I/O error")

    monkeypatch.setattr("payvand.mail.imap.inbound_store", broken)
    with pytest.raises(OperationalError):
        imap_poll(mailbox=mailbox)
    conn = _imap(port)
    conn.select("INBOX")
    assert len(conn.uid("SEARCH", "UNSEEN")[1][0].split()) == 1  # not acknowledged: fetched again next time
    conn.logout()
    assert InboundEmail.objects.count() == 0


def test_it_records_a_bad_imap_login(dovecot: dict[str, Any], db: None) -> None:
    import imaplib

    mailbox = Mailbox.objects.create(
        name="S",
        address="support@payvand.test",
        imap_host="127.0.0.1",
        imap_port=dovecot["port"],
        imap_tls=False,
        imap_user="support@payvand.test",
        imap_password="wrong",
    )
    with pytest.raises(imaplib.IMAP4.error):
        imap_poll(mailbox=mailbox)
    mailbox.refresh_from_db()
    assert mailbox.imap_error


# ---------------------------------------------------------------------------------------------- IMAP over TLS


def _imaps(server: dict[str, Any]) -> Any:
    """The test's own client: IMAPS, trusting the test CA."""
    import imaplib
    import ssl

    context = ssl.create_default_context(cafile=str(server["ca"]))
    conn = imaplib.IMAP4_SSL("127.0.0.1", server["imaps_port"], ssl_context=context, timeout=10)
    conn.login("support@payvand.test", "secret")
    return conn


def _tls_mailbox(server: dict[str, Any], **fields: Any) -> Mailbox:
    return Mailbox.objects.create(
        **{
            "name": "Support",
            "address": "support@payvand.test",
            "imap_host": "127.0.0.1",
            "imap_port": server["imaps_port"],
            "imap_tls": True,
            "imap_ca_file": str(server["ca"]),
            "imap_user": "support@payvand.test",
            "imap_password": "secret",
            **fields,
        }
    )


def test_it_polls_over_imaps_and_starttls_trusting_the_mailbox_ca_then_marks_or_moves(
    dovecot_tls: dict[str, Any], team_a: Any, django_capture_on_commit_callbacks: Any
) -> None:

    log = dovecot_tls["root"] / "dovecot.log"
    # Dovecot counts 127.0.0.1 as secure and would take a plain login: its log says which logins were over TLS.
    conn = _imaps(dovecot_tls)
    for raw in (eml(), eml(message_id="<m2@example.com>", subject="Second")):
        conn.append("INBOX", None, None, raw)
    conn.logout()
    mailbox = _tls_mailbox(dovecot_tls, team=team_a)
    # Implicit TLS (IMAPS), mark as seen.
    with django_capture_on_commit_callbacks(execute=True):
        assert imap_poll(mailbox=mailbox) == 2
    assert Ticket.objects.count() == 2
    conn = _imaps(dovecot_tls)
    conn.select("INBOX")
    assert conn.uid("SEARCH", "UNSEEN")[1] == [b""]
    assert len(conn.uid("SEARCH", "SEEN")[1][0].split()) == 2
    conn.append("INBOX", None, None, eml(message_id="<m3@example.com>", subject="Third"))
    conn.logout()
    # STARTTLS on the plain port, move to a folder.
    mailbox.imap_tls = False
    mailbox.imap_port = dovecot_tls["port"]
    mailbox.imap_after = Mailbox.AfterImport.MOVE
    mailbox.imap_move_to = "Payvand"
    mailbox.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert imap_poll(mailbox=mailbox) == 1
    assert Ticket.objects.count() == 3
    conn = _imaps(dovecot_tls)
    conn.select("INBOX")
    assert len(conn.uid("SEARCH", "ALL")[1][0].split()) == 2
    conn.select('"Payvand"')
    assert len(conn.uid("SEARCH", "ALL")[1][0].split()) == 1
    conn.logout()
    mailbox.refresh_from_db()
    assert mailbox.imap_error == ""
    # Every login the server saw (the test's and the poller's over IMAPS and STARTTLS) was over TLS.
    logins = [line for line in log.read_text().splitlines() if "imap-login: Info: Login:" in line]
    assert len(logins) == 5
    assert all(", TLS," in line for line in logins), logins


@pytest.mark.parametrize("starttls", [False, True], ids=["imaps", "starttls"])
def test_it_refuses_an_untrusted_imap_certificate_records_why_and_loses_nothing(
    dovecot_tls: dict[str, Any], db: None, settings: Any, starttls: bool
) -> None:
    import ssl

    conn = _imaps(dovecot_tls)
    conn.append("INBOX", None, None, eml())
    conn.logout()
    port = dovecot_tls["port"] if starttls else dovecot_tls["imaps_port"]
    # No CA file: the system's authorities, which never signed the test certificate. Verification stays on.
    settings.MAIL_IMAP_CA_FILE = ""
    mailbox = _tls_mailbox(dovecot_tls, imap_ca_file="", imap_port=port, imap_tls=not starttls)
    with pytest.raises(ssl.SSLCertVerificationError):
        imap_poll(mailbox=mailbox)
    mailbox.refresh_from_db()
    assert "is not trusted" in mailbox.imap_error
    assert f"127.0.0.1:{port}" in mailbox.imap_error
    assert "CA certificate file" in mailbox.imap_error
    # Another authority's certificate (here through the installation-wide setting) is as wrong.
    settings.MAIL_IMAP_CA_FILE = str(dovecot_tls["other_ca"])
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_error="")
    with pytest.raises(ssl.SSLCertVerificationError):
        imap_poll(mailbox=mailbox)
    mailbox.refresh_from_db()
    assert "is not trusted" in mailbox.imap_error
    # A CA file that isn't there: said so, not taken as "trust anything".
    mailbox.imap_ca_file = "/nonexistent/payvand-ca.pem"
    mailbox.save()
    with pytest.raises(OSError, match="can't be used"):
        imap_poll(mailbox=mailbox)
    mailbox.refresh_from_db()
    assert "/nonexistent/payvand-ca.pem" in mailbox.imap_error
    # Nothing was fetched, nothing acknowledged: the message waits unseen for the next poll.
    assert InboundEmail.objects.count() == 0
    conn = _imaps(dovecot_tls)
    conn.select("INBOX")
    assert len(conn.uid("SEARCH", "UNSEEN")[1][0].split()) == 1
    conn.logout()
    # With the right CA it comes in.
    mailbox.imap_ca_file = str(dovecot_tls["ca"])
    mailbox.save()
    assert imap_poll(mailbox=mailbox) == 1
    mailbox.refresh_from_db()
    assert mailbox.imap_error == ""
