"""The SLA scheduler tick over many open tickets' clocks: one tick that finds every due warning and breach, marks
them and writes their timeline events. Prints one JSON object.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payvand_bench_sla .venv/bin/python -m bench.sla
    .venv/bin/python -m bench.sla --tickets 20000          # SQLite, var/bench.sqlite3

It migrates the benchmark database and tops it up to --tickets open tickets, each with a running first-response
and resolution clock (bulk inserts, not the services: the seed is not what is measured). --due-per-mille of the
clocks are due at the tick's moment (half of those breach, half only warn). Each round runs the tick, then puts
the clocks back (outside the timing) for the next round. Also measured: the idle tick (nothing due), which is
what almost every minute looks like. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import sys
import time
from typing import Any

from bench import setup_django

TARGET_TICK_S = 1.0
T0 = dt.datetime(2030, 1, 7, 10, 0, tzinfo=dt.UTC)
PREFIX = "bench-sla"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.sla", description=__doc__.split("\n")[0])
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--due-per-mille", type=int, default=10, help="clocks due at the tick, per thousand")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seed", type=int, default=20261207)
    return p.parse_args(argv)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def seed(n: int, due_per_mille: int, rng: random.Random) -> None:
    from django.db import transaction

    from payvand.contacts.models import Contact
    from payvand.helpdesk.models import Status, StatusCategory, Ticket
    from payvand.sla.models import BusinessCalendar, SlaPolicy, Timer, TimerKind, WorkingHours

    calendar, created = BusinessCalendar.objects.get_or_create(name=f"{PREFIX} always", time_zone="UTC")
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=calendar, weekday=d, start=dt.time(0), end=dt.time(0)) for d in range(7)
        )
    policy, _ = SlaPolicy.objects.get_or_create(
        name=f"{PREFIX} policy",
        defaults={"calendar": calendar, "first_response_minutes": 60, "resolution_minutes": 480, "order": 999_999},
    )
    have = Ticket.objects.filter(subject__startswith=PREFIX).count()
    if have >= n:
        log(f"seed: {have} tickets there already")
        return
    requester, _ = Contact.objects.get_or_create(name=f"{PREFIX} customer")
    status = Status.objects.filter(category=StatusCategory.OPEN).order_by("order", "id").first()
    assert status is not None
    start_number = 2_000_000_000 + have
    batch = 5000
    for offset in range(have, n, batch):
        size = min(batch, n - offset)
        with transaction.atomic():
            tickets = Ticket.objects.bulk_create(
                Ticket(
                    number=start_number + (i - have),
                    subject=f"{PREFIX} {i}",
                    requester=requester,
                    status=status,
                    status_category=StatusCategory.OPEN,
                    created_at=T0 - dt.timedelta(minutes=30),
                )
                for i in range(offset, offset + size)
            )
            timers = []
            for ticket in tickets:
                for kind in (TimerKind.FIRST_RESPONSE, TimerKind.RESOLUTION):
                    due = rng.randrange(1000) < due_per_mille
                    if due:  # due at T0: half breach, half only warn
                        breach = rng.random() < 0.5
                        warn_at = T0 - dt.timedelta(seconds=rng.randrange(1, 50))
                        breach_at = T0 - dt.timedelta(seconds=1) if breach else T0 + dt.timedelta(minutes=10)
                    else:
                        warn_at = T0 + dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 30))
                        breach_at = warn_at + dt.timedelta(minutes=12)
                    timers.append(
                        Timer(
                            ticket=ticket,
                            policy=policy,
                            kind=kind,
                            target_minutes=60,
                            started_at=T0 - dt.timedelta(minutes=30),
                            running_since=T0 - dt.timedelta(minutes=30),
                            warn_at=warn_at,
                            breach_at=breach_at,
                        )
                    )
            Timer.objects.bulk_create(timers, batch_size=5000)
        log(f"seed: {offset + size}/{n} tickets")


def _reset(timer_ids: list[int]) -> None:
    from payvand.core.models import Event
    from payvand.sla.models import Timer

    for start in range(0, len(timer_ids), 5000):
        Timer.objects.filter(pk__in=timer_ids[start : start + 5000]).update(warned_at=None, breached_at=None)
    Event.objects.filter(verb__startswith="sla.", created_at=T0).delete()


def _vacuum() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE sla_timer")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext

    from payvand.sla.models import Timer
    from payvand.sla.services import sla_tick

    due_q = Q(state=Timer.State.RUNNING) & (
        Q(warned_at__isnull=True, warn_at__lte=T0) | Q(breached_at__isnull=True, breach_at__lte=T0)
    )
    due_ids = list(Timer.objects.filter(due_q).values_list("pk", flat=True))
    _reset(due_ids)
    _vacuum()
    ticks: list[dict[str, Any]] = []
    for n in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            result = sla_tick(now=T0)
            elapsed = time.perf_counter() - began
        ticks.append(
            {
                "s": round(elapsed, 4),
                "warnings": result.warnings,
                "breaches": result.breaches,
                "queries": len(queries.captured_queries),
            }
        )
        log(f"round {n + 1}: {ticks[-1]}")
        # The idle tick: the same moment again, everything already fired.
        with CaptureQueriesContext(connection) as idle_queries:
            began = time.perf_counter()
            idle = sla_tick(now=T0)
            idle_s = time.perf_counter() - began
        ticks[-1]["idle_s"] = round(idle_s, 4)
        ticks[-1]["idle_queries"] = len(idle_queries.captured_queries)
        assert idle.warnings == idle.breaches == 0
        _reset(due_ids)
    best = min(ticks, key=lambda t: t["s"])
    worst = max(ticks, key=lambda t: t["s"])
    return {
        "due_clocks": len(due_ids),
        "tick_s_best": best["s"],
        "tick_s_worst": worst["s"],
        "tick_queries": best["queries"],
        "idle_tick_s_worst": max(t["idle_s"] for t in ticks),
        "idle_tick_queries": ticks[0]["idle_queries"],
        "rounds": ticks,
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from payvand.sla.models import Timer

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    began = time.perf_counter()
    seed(args.tickets, args.due_per_mille, rng)
    seed_s = time.perf_counter() - began
    result = measure(args.rounds)
    out = {
        "bench": "sla",
        "database": connection.vendor,
        "python": platform.python_version(),
        "tickets": args.tickets,
        "running_clocks": Timer.objects.filter(state=Timer.State.RUNNING).count(),
        "seed_s": round(seed_s, 1),
        **result,
        "target_tick_s": TARGET_TICK_S,
        "meets_target": result["tick_s_worst"] < TARGET_TICK_S,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
