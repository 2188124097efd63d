"""Evaluating 200 active automation rules on one ticket event. Prints one JSON object.

    .venv/bin/python -m bench.automation                    # SQLite, var/bench.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payvand_bench_auto .venv/bin/python -m bench.automation

It migrates the benchmark database, makes --tickets tickets (through the helpdesk service) and --rules active rules
on "ticket updated" with a mix of conditions (priority, channel, team, tags, text contains, a form value, hours
since created; all and any). Two workloads, each --events calls of the engine's `dispatch()` on a ticket, the way
the helpdesk calls it after an edit:

- `no_match`: no rule's conditions hold (what almost every event looks like);
- `one_fires`: one rule (the last in order, so all 200 are evaluated) holds and runs (adds a tag it already has
  after the first time, records `automation.fired` and counts the firing).

The first call compiles the rule set (cached per process; each event checks it is current with one aggregate
query): it is measured apart as `compile_ms`. Each call runs inside a transaction, as it does inside the change that
triggered it; the commit that follows is timed apart (`commit_after_one_fires`: the triggering change commits
anyway, and the rule's writes ride on that commit). Target: `dispatch()` p95 under 10 ms. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from typing import Any

from bench import setup_django
from bench.measure import summarise

TARGET_P95_MS = 10.0
PREFIX = "bench-auto"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.automation", description=__doc__.split("\n")[0])
    p.add_argument("--rules", type=int, default=200)
    p.add_argument("--tickets", type=int, default=300)
    p.add_argument("--events", type=int, default=1000)
    p.add_argument("--seed", type=int, default=20261207)
    return p.parse_args(argv)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _conditions(i: int, rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    """Conditions that never hold on the bench tickets (they are urgent-free, web, untagged, about printers)."""
    pool = [
        {"field": "priority", "op": "eq", "value": "urgent"},
        {"field": "channel", "op": "eq", "value": "phone"},
        {"field": "tags", "op": "contains", "value": f"vip-{i}"},
        {"field": "text", "op": "contains", "value": f"outage {i}"},
        {"field": "form:amount", "op": "gt", "value": "1000000"},
        {"field": "hours_since_created", "op": "gt", "value": "10000"},
        {"field": "subject", "op": "eq", "value": f"nothing {i}"},
    ]
    return rng.choice(["all", "any"]), rng.sample(pool, k=rng.randint(1, 4))


def seed(args: argparse.Namespace, rng: random.Random) -> list[int]:
    from payvand.automation import services
    from payvand.automation.models import Rule
    from payvand.contacts.models import Contact
    from payvand.helpdesk.models import Ticket
    from payvand.helpdesk.services import ticket_create

    Rule.objects.filter(name__startswith=PREFIX).delete()
    requester = Contact.objects.filter(name=f"{PREFIX} customer").first() or Contact.objects.create(
        name=f"{PREFIX} customer"
    )
    ids = list(Ticket.objects.filter(requester=requester).values_list("pk", flat=True)[: args.tickets])
    while len(ids) < args.tickets:
        ids.append(ticket_create(by=None, requester=requester, subject="Printer is broken", route=False).pk)
    log(f"{len(ids)} tickets")
    for i in range(args.rules - 1):
        match, conditions = _conditions(i, rng)
        services.rule_create(
            by=None,
            data=services.RuleIn(
                name=f"{PREFIX} {i}",
                trigger="ticket.updated",
                match=match,
                conditions=conditions,
                actions=[{"type": "add_tag", "value": f"t{i}"}, {"type": "set_priority", "value": "urgent"}],
            ),
        )
    services.rule_create(
        by=None,
        data=services.RuleIn(
            name=f"{PREFIX} fires",
            trigger="ticket.updated",
            conditions=[{"field": "text", "op": "contains", "value": "paper jam"}],
            actions=[{"type": "add_tag", "value": "paper"}],
            max_fires=100,
        ),
    )
    log(f"{args.rules} rules")
    return ids


def _run(ticket_ids: list[int], events: int, rng: random.Random) -> tuple[list[float], list[float]]:
    """Latencies of `dispatch()` and of the commit after it. Rules run inside the transaction of the change that
    triggered them, as in the helpdesk's services: their writes go out with that change's commit (which the change
    pays anyway), so the commit is timed apart."""
    from django.db import transaction

    from payvand.automation.engine import dispatch
    from payvand.helpdesk.models import Ticket

    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=ticket_ids).select_related("requester")}
    latencies, commits = [], []
    for _n in range(events):
        ticket = tickets[rng.choice(ticket_ids)]
        with transaction.atomic():
            began = time.perf_counter()
            dispatch(trigger="ticket.updated", ticket=ticket)
            latencies.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
        commits.append((time.perf_counter() - began) * 1000)
    return latencies, commits


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from payvand.automation import engine
    from payvand.automation.models import Rule
    from payvand.helpdesk.models import Ticket

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    ids = seed(args, rng)
    engine.cache_clear()
    began = time.perf_counter()
    engine.active_rules("ticket.updated")
    compile_ms = (time.perf_counter() - began) * 1000
    active = len(engine.active_rules("ticket.updated"))
    no_match_runs, _commits = _run(ids, args.events, rng)
    no_match = summarise(no_match_runs)
    with CaptureQueriesContext(connection) as q:
        engine.dispatch(trigger="ticket.updated", ticket=Ticket.objects.get(pk=ids[0]))
    no_match_queries = len(q.captured_queries)
    log(f"no_match: {no_match}")
    Ticket.objects.filter(pk__in=ids).update(subject="Paper jam")
    one_fires_runs, one_fires_commits = _run(ids, args.events, rng)
    one_fires, commit = summarise(one_fires_runs), summarise(one_fires_commits)
    with CaptureQueriesContext(connection) as q, transaction.atomic():
        engine.dispatch(trigger="ticket.updated", ticket=Ticket.objects.select_related("requester").get(pk=ids[0]))
    one_fires_queries = sum(1 for x in q.captured_queries if not x["sql"].startswith(("BEGIN", "COMMIT")))
    log(f"one_fires: {one_fires}; commit after it: {commit}")
    out = {
        "bench": "automation",
        "database": connection.vendor,
        "python": platform.python_version(),
        "active_rules": active,
        "tickets": len(ids),
        "compile_ms": round(compile_ms, 3),
        "no_match": no_match,
        "no_match_queries": no_match_queries,
        "one_fires": one_fires,
        "one_fires_queries": one_fires_queries,
        "commit_after_one_fires": commit,
        "target_p95_ms": TARGET_P95_MS,
        "ok": no_match["p95_ms"] < TARGET_P95_MS and one_fires["p95_ms"] < TARGET_P95_MS,
    }
    Rule.objects.filter(name__startswith=PREFIX).delete()
    Ticket.objects.filter(pk__in=ids).update(subject="Printer is broken")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
