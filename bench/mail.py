"""Email ingestion: .eml files to routed tickets, and the memory a 25 MB attachment takes. Prints one JSON object.

    .venv/bin/python -m bench.mail                                   # SQLite, var/bench.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payvand_bench .venv/bin/python -m bench.mail

Throughput: writes --messages realistic .eml files (a mix of new customers and known ones, plain and HTML, some
with a small attachment, some replies to earlier messages by In-Reply-To) to a temporary folder, then runs what
`manage.py ingest_email` runs: read the files, store them raw in batches (one commit per batch), process each
(parse, find or create the contact, thread or create the ticket through helpdesk `ticket_create` with routing to
the mailbox's team and an agent, the inbound message, the acknowledgement queued) — batches of messages in one
transaction, each in its own savepoint. Every message is checked to have become a ticket message on a routed ticket.
Targets: 100 messages/s on SQLite, 200 on PostgreSQL.

Memory: one message with a 25 MB attachment (base64, as mailers send it) goes through store and processing under
tracemalloc; the peak of Python allocations is reported, with its ratio to the message size (bounded: a small
constant number of copies of the message, whatever its size).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench import setup_django

TARGET = {"sqlite": 100.0, "postgresql": 200.0}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.mail", description=__doc__.split("\n")[0])
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument("--senders", type=int, default=400, help="distinct customers writing")
    p.add_argument("--attachment-mb", type=float, default=25.0)
    p.add_argument("--seed", type=int, default=20261207)
    return p.parse_args(argv)


PDF = b"%PDF-1.4\n" + b"0" * 20_000 + b"\n%%EOF\n"


def make_messages(n: int, senders: int, run: str, rng: random.Random) -> list[bytes]:
    out: list[bytes] = []
    sent: list[str] = []
    for i in range(n):
        s = rng.randrange(senders)
        sender = f"customer{s}.{run}@example.com"
        mid = f"<bench-{run}-{i}@mail.example.com>"
        headers = [
            f"Received: from mx.example.com by mx.payvand.test; Mon, 7 Dec 2026 10:00:{i % 60:02d} +0000",
            f"From: Customer {s} <{sender}>",
            "To: support@bench.payvand.test",
            f"Subject: Request {i}: the printer in room {s} does not work",
            f"Date: Mon, 7 Dec 2026 10:{i % 60:02d}:00 +0000",
            f"Message-ID: {mid}",
            "MIME-Version: 1.0",
        ]
        if sent and rng.random() < 0.2:
            headers.append(f"In-Reply-To: {rng.choice(sent)}")
        text = f"Hello,\n\nthe printer in room {s} does not work since this morning (case {i}).\n\nThanks\n"
        kind = rng.random()
        if kind < 0.5:
            headers.append('Content-Type: text/plain; charset="utf-8"')
            body = text.encode()
        elif kind < 0.85:
            headers.append('Content-Type: multipart/alternative; boundary="b"')
            html = f"<div dir='ltr'><p>Hello,</p><p>the printer in room {s} does not work (case {i}).</p></div>"
            body = (
                f"--b\nContent-Type: text/plain; charset=utf-8\n\n{text}\n--b\nContent-Type: text/html; "
                f"charset=utf-8\n\n{html}\n--b--\n"
            ).encode()
        else:
            headers.append('Content-Type: multipart/mixed; boundary="m"')
            body = (
                (
                    f"--m\nContent-Type: text/plain; charset=utf-8\n\n{text}\n--m\nContent-Type: application/pdf; "
                    'name="scan.pdf"\nContent-Disposition: attachment; filename="scan.pdf"\n'
                    "Content-Transfer-Encoding: base64\n\n"
                ).encode()
                + base64.encodebytes(PDF)
                + b"\n--m--\n"
            )
        sent.append(mid)
        out.append(("\r\n".join(headers) + "\r\n\r\n").encode() + body.replace(b"\n", b"\r\n"))
    return out


def big_message(mb: float, run: str) -> bytes:
    data = os.urandom(int(mb * 1024 * 1024))
    head = (
        f"From: Big Sender <big.{run}@example.com>\r\nTo: support@bench.payvand.test\r\n"
        "Subject: Scan of the contract\r\n"
        f"Message-ID: <big-{run}@example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nThe scan.\r\n'
        '--m\r\nContent-Type: application/octet-stream; name="scan.bin"\r\nContent-Disposition: attachment; '
        'filename="scan.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    ).encode()
    return head + base64.encodebytes(data).replace(b"\n", b"\r\n") + b"\r\n--m--\r\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    log("migrating")
    call_command("migrate", verbosity=0)
    from payvand.accounts.models import Availability, Team, TeamMembership, User
    from payvand.helpdesk.models import Message, Ticket
    from payvand.mail.management.commands.ingest_email import BATCH, raw_messages
    from payvand.mail.models import InboundEmail, Mailbox
    from payvand.mail.services import inbound_process, inbound_process_batch, inbound_store, inbound_store_many

    rng = random.Random(args.seed)
    run = f"{int(time.time())}"
    team, _ = Team.objects.get_or_create(name="Bench mail team", defaults={"capacity": 1_000_000})
    Team.objects.filter(pk=team.pk).update(capacity=1_000_000, capacity_per_member=1_000_000)
    for i in range(5):
        user, _ = User.objects.get_or_create(email=f"bench.mail.{i}@example.com", defaults={"full_name": f"Agent {i}"})
        User.objects.filter(pk=user.pk).update(availability=Availability.ONLINE, is_active=True)
        TeamMembership.objects.get_or_create(team=team, user=user)
    mailbox, _ = Mailbox.objects.get_or_create(
        address="support@bench.payvand.test", defaults={"name": "Bench", "team": team}
    )
    Mailbox.objects.filter(pk=mailbox.pk).update(rate_limit_per_hour=0, team=team)
    mailbox.refresh_from_db()

    raws = make_messages(args.messages, args.senders, run, rng)
    with tempfile.TemporaryDirectory(prefix="payvand-bench-mail-") as folder:
        for i, raw in enumerate(raws):
            (Path(folder) / f"{i:06d}.eml").write_bytes(raw)
        log(f"ingesting {len(raws)} messages")
        tickets_before = Ticket.objects.count()
        started = time.perf_counter()
        cpu0 = time.process_time()
        batch: list[bytes] = []
        ids: list[int] = []

        def flush() -> None:
            rows = inbound_store_many(mailbox=mailbox, raws=batch, source="file", enqueue=False)
            new = [row.pk for row, created in rows if created]
            inbound_process_batch(inbound_ids=new)
            ids.extend(new)
            batch.clear()

        for _where, raw in raw_messages([Path(folder)]):
            batch.append(raw)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu0
    processed = InboundEmail.objects.filter(pk__in=ids, status=InboundEmail.Status.PROCESSED).count()
    routed = (
        Message.objects.filter(pk__in=InboundEmail.objects.filter(pk__in=ids).values("ticket_message_id"))
        .filter(ticket__team=team)
        .count()
    )
    new_tickets = Ticket.objects.count() - tickets_before
    assert processed == len(raws), (processed, len(raws))
    assert routed == len(raws), (routed, len(raws))

    # One at a time, the way the SMTP listener, IMAP and the HTTP endpoint deliver: store (commit), then the task.
    single = make_messages(100, 50, run + "s", rng)
    t0 = time.perf_counter()
    for raw in single:
        row, _ = inbound_store(mailbox=mailbox, raw=raw, source="smtp", enqueue=False)
        inbound_process(inbound_id=row.pk)
    single_elapsed = time.perf_counter() - t0

    log(f"memory: a message with a {args.attachment_mb} MB attachment")
    settings.ATTACHMENT_MAX_BYTES = int((args.attachment_mb + 5) * 1024 * 1024)  # stored, not skipped as too large
    big = big_message(args.attachment_mb, run)
    tracemalloc.start()
    t0 = time.perf_counter()
    row, _ = inbound_store(mailbox=mailbox, raw=big, source="smtp", enqueue=False)
    inbound_process(inbound_id=row.pk)
    big_elapsed = time.perf_counter() - t0
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.PROCESSED, row.reason
    vendor = connection.vendor
    throughput = len(raws) / elapsed
    result: dict[str, Any] = {
        "benchmark": "mail",
        "database": vendor,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "messages": len(raws),
        "new_tickets": new_tickets,
        "replies_threaded": len(raws) - new_tickets,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu, 3),
        "messages_per_second": round(throughput, 1),
        "target_messages_per_second": TARGET.get(vendor),
        "meets_target": throughput >= TARGET.get(vendor, 0),
        "one_at_a_time_messages_per_second": round(len(single) / single_elapsed, 1),
        "big_message_mb": round(len(big) / 1024 / 1024, 1),
        "big_attachment_mb": args.attachment_mb,
        "big_message_seconds": round(big_elapsed, 2),
        "big_message_peak_python_mb": round(peak / 1024 / 1024, 1),
        "big_message_peak_ratio": round(peak / len(big), 2),
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
