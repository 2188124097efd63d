"""The batch path (many messages in one transaction) and large attachments: a batch routes, threads and
acknowledges like one-at-a-time processing; a large attachment is decoded to a temporary file while the message is
read, never held as several copies, and stored byte for byte."""

from __future__ import annotations

import base64
import os
import tracemalloc
from typing import Any

import pytest
from django.db import transaction

from payvand.accounts.models import Availability, Team, User
from payvand.helpdesk.models import Attachment, Message, Ticket
from payvand.mail import parsing, services
from payvand.mail.models import InboundEmail, Mailbox, OutboundEmail

from .conftest import eml


def big_eml(data: bytes, *, message_id: str = "<big@example.com>", extra_part_headers: str = "") -> bytes:
    head = (
        "From: Big Sender <big@example.com>\r\nTo: support@payvand.test\r\nSubject: Scan\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="outer"\r\n\r\npreamble\r\n'
        '--outer\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe scan is attached.\r\n"
        "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The scan is <b>attached</b>.</p>\r\n--alt--\r\n"
        '--outer\r\nContent-Type: application/pdf; name="scan.pdf"\r\n'
        'Content-Disposition: attachment; filename="scan.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
        f"{extra_part_headers}\r\n"
    ).encode()
    small = base64.encodebytes(b"small file").replace(b"\n", b"\r\n")
    return (
        head
        + base64.encodebytes(data).replace(b"\n", b"\r\n")
        + b'--outer\r\nContent-Type: text/plain; name="note.txt"\r\nContent-Disposition: attachment; '
        + b'filename="note.txt"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + small
        + b"--outer--\r\nepilogue\r\n"
    )


def test_a_large_attachment_is_read_into_a_temporary_file_and_equals_the_stdlib_reading() -> None:
    data = os.urandom(3 * 1024 * 1024)
    raw = big_eml(data)
    with parsing.parse(raw) as spooled:
        pdf = next(p for p in spooled.attachments if p.filename == "scan.pdf")
        assert pdf.file is not None
        assert pdf.data == b""
        assert pdf.size == len(data)
        assert pdf.head(5) == data[:5]
        pdf.file.seek(0)
        assert pdf.file.read() == data
        names = [(p.filename, p.content_type, p.size) for p in spooled.attachments]
        texts = (spooled.text, spooled.html, spooled.subject, spooled.from_address)
    plain = parsing.ParsedEmail()
    parsing._parse(raw, raw, plain, None)  # the stdlib alone, no scan
    assert [(p.filename, p.content_type, p.size) for p in plain.attachments] == names
    assert (plain.text, plain.html, plain.subject, plain.from_address) == texts
    assert pdf.file.closed  # closed (and so removed) with the parsed message


def test_a_sender_cannot_point_a_part_at_a_spooled_file() -> None:
    """A forged spool header in the mail itself is not ours: the part is read as it is."""
    data = os.urandom(2 * 1024 * 1024)
    raw = big_eml(data, extra_part_headers=f"{parsing.SPOOL_HEADER}: 0-0\r\n")
    with parsing.parse(raw) as parsed:
        pdf = next(p for p in parsed.attachments if p.filename == "scan.pdf")
        assert pdf.file is None
        assert pdf.data == data


def test_reading_a_large_message_takes_far_less_memory_than_the_message() -> None:
    raw = big_eml(os.urandom(8 * 1024 * 1024))
    tracemalloc.start()
    try:
        with parsing.parse(raw) as parsed:
            assert parsed.attachments[0].size == 8 * 1024 * 1024
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(raw) / 2  # the stdlib parser alone takes several times the message


def test_a_large_attachment_is_stored_byte_for_byte(
    deliver: Any, team_a: Team, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    mailbox = Mailbox.objects.create(name="Support", address="support@payvand.test", team=team_a)
    data = os.urandom(3 * 1024 * 1024 + 7)
    row, _ = deliver(mailbox, big_eml(data))
    assert row.status == InboundEmail.Status.PROCESSED, row.reason
    stored = {a.name: a for a in Attachment.objects.filter(message=row.ticket_message)}
    assert set(stored) == {"scan.pdf", "note.txt"}
    assert stored["scan.pdf"].size == len(data)
    with stored["scan.pdf"].file.open("rb") as fh:
        assert fh.read() == data
    assert stored["scan.pdf"].content_type == "application/octet-stream"  # sniffed from the bytes, not the header


def test_a_large_attachment_over_the_limit_stays_in_the_raw_message(deliver: Any, team_a: Team, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    mailbox = Mailbox.objects.create(name="Support", address="support@payvand.test", team=team_a)
    row, _ = deliver(mailbox, big_eml(os.urandom(2 * 1024 * 1024)))
    assert row.status == InboundEmail.Status.PROCESSED
    assert [a.name for a in Attachment.objects.filter(message=row.ticket_message)] == ["note.txt"]
    assert "scan.pdf" in row.ticket_message.body_text


class Stub:
    """Stands in for a task: records what would be queued."""

    def __init__(self, enqueue: Any) -> None:
        self.enqueue = enqueue


def _online(user: User) -> None:
    User.objects.filter(pk=user.pk).update(availability=Availability.ONLINE)


def test_a_batch_threads_a_reply_to_a_message_of_the_same_batch(mailbox: Mailbox) -> None:
    first = eml(message_id="<first@example.com>")
    reply = eml(
        subject="Re: Printer broken", message_id="<reply@example.com>", headers={"In-Reply-To": "<first@example.com>"}
    )
    rows = services.inbound_store_many(mailbox=mailbox, raws=[first, reply], source="file", enqueue=False)
    assert services.inbound_process_batch(inbound_ids=[r.pk for r, _c in rows]) == 2
    a, b = (InboundEmail.objects.get(pk=r.pk) for r, _c in rows)
    assert a.ticket_id is not None
    assert b.ticket_id == a.ticket_id
    assert Message.objects.filter(ticket_id=a.ticket_id, kind=Message.Kind.INBOUND).count() == 2


def test_a_batch_routes_within_capacity_counting_each_new_ticket(mailbox: Mailbox, team_a: Team, agent_a: User) -> None:
    """The team and its members are read once for the batch; the loads are counted for every ticket."""
    Team.objects.filter(pk=team_a.pk).update(capacity_per_member=2)
    _online(agent_a)
    raws = [eml(sender=f"c{i} <c{i}@example.com>", message_id=f"<cap{i}@example.com>") for i in range(3)]
    rows = services.inbound_store_many(mailbox=mailbox, raws=raws, source="file", enqueue=False)
    assert services.inbound_process_batch(inbound_ids=[r.pk for r, _c in rows]) == 3
    tickets = list(Ticket.objects.filter(team=team_a).order_by("pk"))
    assert [t.assignee_id for t in tickets] == [agent_a.pk, agent_a.pk, None]


def test_a_bad_message_in_a_batch_loses_nothing_else(mailbox: Mailbox, team_a: Team, agent_a: User) -> None:
    _online(agent_a)
    raws = [
        eml(sender="a <a@example.com>", message_id="<ok1@example.com>"),
        eml(sender="nobody", message_id="<bad@example.com>"),  # no sender address: unprocessable
        eml(sender="b <b@example.com>", message_id="<ok2@example.com>"),
    ]
    rows = services.inbound_store_many(mailbox=mailbox, raws=raws, source="file", enqueue=False)
    assert services.inbound_process_batch(inbound_ids=[r.pk for r, _c in rows]) == 2
    states = [InboundEmail.objects.get(pk=r.pk).status for r, _c in rows]
    assert states == ["processed", "unprocessable", "processed"]
    assert Ticket.objects.filter(team=team_a, assignee=agent_a).count() == 2
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.ACK).count() == 2


def test_messages_stored_together_are_queued_as_one_batch_task(
    mailbox: Mailbox, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from payvand.mail import tasks

    queued: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(tasks, "inbound_process_batch_task", Stub(lambda **kw: queued.append(("batch", kw))))
    monkeypatch.setattr(tasks, "inbound_process_task", Stub(lambda **kw: queued.append(("one", kw))))
    with django_capture_on_commit_callbacks(execute=True):
        rows = services.inbound_store_many(
            mailbox=mailbox, raws=[eml(), eml(message_id="<m2@example.com>")], source="file", enqueue=True
        )
    with django_capture_on_commit_callbacks(execute=True):
        one, _ = services.inbound_store(mailbox=mailbox, raw=eml(message_id="<m3@example.com>"), source="smtp")
    assert queued == [("batch", {"inbound_ids": [r.pk for r, _c in rows]}), ("one", {"inbound_id": one.pk})]


@pytest.mark.django_db(transaction=True)
def test_a_batch_pushes_live_and_queues_notification_emails_once_after_its_commit(
    team_a: Team, agent_a: User, monkeypatch: Any
) -> None:
    from payvand.notifications import live
    from payvand.notifications import tasks as notification_tasks

    mailbox = Mailbox.objects.create(name="Support", address="support@payvand.test", team=team_a)
    _online(agent_a)
    trips: list[int] = []
    emails: list[list[int]] = []
    monkeypatch.setattr(live, "async_to_sync", lambda fn: lambda layer, pushes: trips.append(len(pushes)))
    monkeypatch.setattr(notification_tasks, "notifications_email_send", Stub(lambda user_ids: emails.append(user_ids)))
    raws = [eml(sender=f"c{i} <c{i}@example.com>", message_id=f"<n{i}@example.com>") for i in range(3)]
    rows = services.inbound_store_many(mailbox=mailbox, raws=raws, source="file", enqueue=False)
    assert services.inbound_process_batch(inbound_ids=[r.pk for r, _c in rows]) == 3
    assert len(trips) == 1
    assert trips[0] >= 6  # every push of the three tickets (created, message …) in one trip
    assert emails == [[agent_a.pk]]  # one task sends all of the agent's due notifications


def test_a_rolled_back_batch_sends_nothing(mailbox: Mailbox, monkeypatch: Any) -> None:
    from payvand.core import batch

    sent: list[list[int]] = []

    def fail() -> None:
        with batch.batch_scope(), transaction.atomic():
            transaction.on_commit(lambda: batch.after_commit("x", 1, sent.append))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail()
    assert sent == []
    with batch.batch_scope():
        assert batch.memo("k", lambda: 1) == 1
        assert batch.memo("k", lambda: 2) == 1
        batch.forget("k")
        assert batch.memo("k", lambda: 3) == 3
        assert batch.after_commit("x", 1, sent.append)
        assert batch.after_commit("x", 2, sent.append)
        assert sent == []
    assert sent == [[1, 2]]
    assert batch.memo("k", lambda: 4) == 4  # outside a scope
    assert not batch.after_commit("x", 3, sent.append)


def test_large_messages_of_a_batch_are_read_one_at_a_time(mailbox: Mailbox, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    big = big_eml(os.urandom(2 * 1024 * 1024))
    rows = services.inbound_store_many(mailbox=mailbox, raws=[eml(), big], source="file", enqueue=False)
    assert all("raw" in r.get_deferred_fields() for r, _c in rows)  # the rows handed back don't keep the bytes
    assert services.inbound_process_batch(inbound_ids=[r.pk for r, _c in rows]) == 2
    row = InboundEmail.objects.get(pk=rows[1][0].pk)
    assert bytes(row.raw) == big
    assert Attachment.objects.get(message=row.ticket_message, name="scan.pdf").size == 2 * 1024 * 1024


def test_storing_a_large_message_keeps_about_one_copy_in_memory(mailbox: Mailbox) -> None:
    """On PostgreSQL the bytes go apart from the SQL text (client-side binding would escape them into it: six copies);
    the driver makes its one copy."""
    raw = big_eml(os.urandom(4 * 1024 * 1024))
    tracemalloc.start()
    try:
        row, created = services.inbound_store(mailbox=mailbox, raw=raw, source="smtp", enqueue=False)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert created
    assert peak < len(raw) * 1.5  # the caller's bytes are not counted: this is what the store adds
    assert bytes(InboundEmail.objects.get(pk=row.pk).raw) == raw
