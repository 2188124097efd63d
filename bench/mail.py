"""Email ingestion: .eml files to routed tickets, and the memory a 25 MB attachment takes. Prints one JSON object.

    .venv/bin/python -m bench.mail                                   # SQLite, var/bench.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payvand_bench .venv/bin/python -m bench.mail

Throughput, through the production path: writes --messages realistic .eml files (a mix of new customers and known
ones, plain and HTML, some with a small attachment, some replies to earlier messages by In-Reply-To) to a temporary
folder, reads them as `manage.py ingest_email --queue` does and stores them raw in batches of 200 (one commit per
batch, which queues one `mail.tasks.inbound_process_batch_task` per batch on the database task queue), then runs
those tasks the way `manage.py db_worker` does (claim the task in its own transaction, run it, record the result):
each batch in one transaction, each message in its own savepoint (parse, find or create the contact, thread or
create the ticket through helpdesk `ticket_create` with routing to the mailbox's team and an agent, the inbound
message, the acknowledgement queued). The clock runs from reading the first file to the last task's result. Every
message is checked to have become a ticket message on a routed ticket. Targets: 100 messages/s on SQLite, 200 on
PostgreSQL. Then --single messages one at a time, as the SMTP listener, IMAP and the HTTP endpoint deliver: store
(commit), then the worker runs that message's `inbound_process_task`.

Memory: one message with a 25 MB attachment (base64, as mailers send it) is stored and processed (through the
worker's task) in a child process, twice: once under tracemalloc (the peak of Python allocations), once without
(the growth of the process's peak resident memory, ru_maxrss, over what it had before storing). Both are reported
with their ratio to the attachment's size.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
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
    p.add_argument("--single", type=int, default=100, help="messages delivered one at a time")
    p.add_argument("--seed", type=int, default=20261207)
    p.add_argument("--memory-child", choices=["tracemalloc", "rss"], help=argparse.SUPPRESS)
    p.add_argument("--memory-file", help=argparse.SUPPRESS)
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


def _setup(run: str) -> tuple[Any, Any]:
    """The bench team (5 online agents, no capacity limit) and its mailbox, without a rate limit."""
    from payvand.accounts.models import Availability, Team, TeamMembership, User
    from payvand.mail.models import Mailbox

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
    return team, mailbox


INBOUND_TASKS = ("payvand.mail.tasks.inbound_process_task", "payvand.mail.tasks.inbound_process_batch_task")


def run_inbound_tasks() -> int:
    """Run the queued inbound-mail tasks as `manage.py db_worker` does: claim one in its own (exclusive)
    transaction, run it through the worker's `run_task` (which records the result), until none is left. Other
    tasks (acknowledgements to send, notification emails) stay queued: sending is not ingestion."""
    from django.conf import settings
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
    logging.getLogger("django_tasks").setLevel(logging.WARNING)
    logging.getLogger("django.tasks").setLevel(logging.WARNING)
    backend = "default"
    assert settings.TASKS[backend]["BACKEND"] == "django_tasks_db.DatabaseBackend", settings.TASKS
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name=backend,
        startup_delay=False,
        max_tasks=None,
        worker_id="bench-mail",
        excluded_queue_names=[],
    )
    ran = 0
    while True:
        tasks = DBTaskResult.objects.ready().filter(backend_name=backend, task_path__in=INBOUND_TASKS)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(worker.worker_id)
        if task_result is None:
            return ran
        worker.run_task(task_result)
        task_result.refresh_from_db(fields=["status"])
        assert task_result.status == "SUCCESSFUL", (task_result.pk, task_result.status, task_result.traceback)
        ran += 1


def memory_child(mode: str, path: str) -> dict[str, Any]:
    """Store and process (through the worker's task) the message in `path`, measuring memory by `mode`."""
    import resource

    from django.conf import settings

    from payvand.mail.models import InboundEmail
    from payvand.mail.services import inbound_store

    _team, mailbox = _setup("memory")
    raw = Path(path).read_bytes()
    attachment_mb = float(os.environ["BENCH_ATTACHMENT_MB"])
    settings.ATTACHMENT_MAX_BYTES = int((attachment_mb + 5) * 1024 * 1024)  # stored, not skipped as too large
    run_inbound_tasks()  # nothing left over from an earlier run
    import gc

    gc.collect()
    rss_before = _rss_kb()
    if mode == "tracemalloc":
        tracemalloc.start()
    t0 = time.perf_counter()
    row, _ = inbound_store(mailbox=mailbox, raw=raw, source="smtp")  # queues inbound_process_task after commit
    del raw
    run_inbound_tasks()
    elapsed = time.perf_counter() - t0
    out: dict[str, Any] = {"seconds": round(elapsed, 2)}
    if mode == "tracemalloc":
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["peak_python_bytes"] = peak
    else:
        out["rss_before_kb"] = rss_before
        out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.PROCESSED, row.reason
    from payvand.helpdesk.models import Attachment

    att = Attachment.objects.filter(message_id=row.ticket_message_id).get()
    out["attachment_stored_bytes"] = att.size
    return out


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(args: argparse.Namespace, run: str) -> dict[str, Any]:
    import subprocess

    log(f"memory: a message with a {args.attachment_mb} MB attachment, in child processes")
    big = big_message(args.attachment_mb, run)
    attachment = int(args.attachment_mb * 1024 * 1024)
    with tempfile.TemporaryDirectory(prefix="payvand-bench-mail-") as folder:
        path = Path(folder) / "big.eml"
        path.write_bytes(big)
        results: dict[str, dict[str, Any]] = {}
        for mode in ("tracemalloc", "rss"):
            if mode == "rss":  # another message (Message-ID), so it is not a duplicate of the first
                path.write_bytes(big.replace(f"<big-{run}@".encode(), f"<big-{run}-rss@".encode(), 1))
            env = {**os.environ, "BENCH_ATTACHMENT_MB": str(args.attachment_mb)}
            child = subprocess.run(
                [sys.executable, "-m", "bench.mail", "--memory-child", mode, "--memory-file", str(path)],
                env=env,
                capture_output=True,
                check=False,
                text=True,
            )
            if child.returncode != 0:
                raise SystemExit(f"memory child ({mode}) failed:\n{child.stderr[-4000:]}")
            results[mode] = json.loads(child.stdout.strip().splitlines()[-1])
    peak = results["tracemalloc"]["peak_python_bytes"]
    rss_growth = (results["rss"]["maxrss_kb"] - results["rss"]["rss_before_kb"]) * 1024
    assert results["rss"]["attachment_stored_bytes"] == attachment, results
    return {
        "big_message_mb": round(len(big) / 1024 / 1024, 1),
        "big_attachment_mb": args.attachment_mb,
        "big_message_seconds": results["rss"]["seconds"],
        "big_message_peak_python_mb": round(peak / 1024 / 1024, 1),
        "big_message_peak_python_per_attachment": round(peak / attachment, 2),
        "big_message_rss_growth_mb": round(rss_growth / 1024 / 1024, 1),
        "big_message_rss_growth_per_attachment": round(rss_growth / attachment, 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.memory_file)))
        return 0
    log("migrating")
    call_command("migrate", verbosity=0)
    from payvand.helpdesk.models import Message, Ticket
    from payvand.mail.management.commands.ingest_email import BATCH, raw_messages
    from payvand.mail.models import InboundEmail
    from payvand.mail.services import inbound_store, inbound_store_many

    rng = random.Random(args.seed)
    run = f"{int(time.time())}"
    team, mailbox = _setup(run)
    run_inbound_tasks()  # nothing left over from an earlier run

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
            rows = inbound_store_many(mailbox=mailbox, raws=batch, source="file", enqueue=True)
            ids.extend(row.pk for row, created in rows if created)
            batch.clear()

        for _where, raw in raw_messages([Path(folder)]):
            batch.append(raw)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        stored = time.perf_counter() - started
        tasks = run_inbound_tasks()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu0
    processed = InboundEmail.objects.filter(pk__in=ids, status=InboundEmail.Status.PROCESSED).count()
    routed = (
        Message.objects.filter(pk__in=InboundEmail.objects.filter(pk__in=ids).values("ticket_message_id"))
        .filter(ticket__team=team, ticket__assignee__isnull=False)
        .count()
    )
    new_tickets = Ticket.objects.count() - tickets_before
    assert processed == len(raws), (processed, len(raws))
    assert routed == len(raws), (routed, len(raws))

    # One at a time, the way the SMTP listener, IMAP and the HTTP endpoint deliver: store (commit, which queues the
    # message's task), then the worker runs it.
    single = make_messages(args.single, max(1, args.single // 2), run + "s", rng)
    t0 = time.perf_counter()
    for raw in single:
        inbound_store(mailbox=mailbox, raw=raw, source="smtp")
        run_inbound_tasks()
    single_elapsed = time.perf_counter() - t0

    vendor = connection.vendor
    throughput = len(raws) / elapsed
    result: dict[str, Any] = {
        "benchmark": "mail",
        "database": vendor,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "messages": len(raws),
        "new_tickets": new_tickets,
        "replies_threaded": len(raws) - new_tickets,
        "tasks_run": tasks,
        "seconds": round(elapsed, 3),
        "seconds_storing": round(stored, 3),
        "cpu_seconds": round(cpu, 3),
        "cpu_ms_per_message": round(cpu * 1000 / len(raws), 2),
        "messages_per_second": round(throughput, 1),
        "target_messages_per_second": TARGET.get(vendor),
        "meets_target": throughput >= TARGET.get(vendor, 0),
        "one_at_a_time_messages_per_second": round(len(single) / single_elapsed, 1),
    }
    result.update(memory(args, run))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
