"""Contacts at scale: phone lookup, name search and CSV import, measured in-process. Prints one JSON object.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payvand_bench .venv/bin/python -m bench.contacts
    .venv/bin/python -m bench.contacts --contacts 100000          # SQLite, var/bench.sqlite3

It migrates the benchmark database, tops it up to --contacts contacts (bench.seed), and measures through the same
functions the API uses: `contact_lookup_summaries_unscoped(phone=...)` with existing numbers written in varied
formats, and `contact_search_ids(text=...)` with names, words and prefixes that exist. Lookup is also measured on
a sibling database of --baseline contacts (`<name>_10k`), alternating with the big one round by round, for the p99
ratio. The import is timed through the import service, the same code path as the background task. Progress goes
to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import setup_django

TARGETS = {
    "lookup_p99_ms": 5.0,  # under
    "search_p95_ms": 50.0,  # under
    "import_rows_per_s": 5000.0,  # at least
    "lookup_p99_ratio": 1.5,  # at most
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.contacts", description=__doc__.split("\n")[0])
    p.add_argument("--contacts", type=int, default=1_000_000, help="top the database up to this many contacts")
    p.add_argument("--baseline", type=int, default=10_000, help="contacts in the baseline database for the ratio")
    p.add_argument("--only", choices=["seed", "lookup", "search", "import"], help="only seed, or run one measurement")
    p.add_argument("--skip-seed", action="store_true", help="measure the big database as it is (no top-up)")
    p.add_argument("--rounds", type=int, default=3, help="repeat each measurement; the best round is reported")
    p.add_argument("--lookups", type=int, default=1000)
    p.add_argument("--cold", action="store_true", help="measure lookups without reading their tables into memory")
    p.add_argument("--searches", type=int, default=300)
    p.add_argument("--import-rows", type=int, default=20_000)
    p.add_argument("--profile-import", action="store_true", help="profile the import (cProfile, to stderr)")
    p.add_argument("--workers", type=int, default=2, help="processes generating seed rows")
    p.add_argument("--seed", type=int, default=20260101, help="random seed for the samples")
    return p.parse_args(argv)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- databases


def _baseline_name(name: str, size: int) -> str:
    suffix = f"_{size // 1000}k" if size % 1000 == 0 else f"_{size}"
    from django.db import connection

    if connection.vendor == "sqlite":
        path = Path(name)
        return str(path.with_name(path.stem + suffix + path.suffix))
    return name + suffix


def _ensure_database(name: str) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"creating database {name}")
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")


@contextmanager
def use_database(name: str) -> Iterator[None]:
    """Point the default connection at another database of the same server (as Django's test runner does)."""
    from django.db import connection

    old = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = old


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def database_info() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {"vendor": connection.vendor, "name": Path(str(connection.settings_dict["NAME"])).name, "version": version}


def counts() -> dict[str, int]:
    from bench.seed import contact_count, identity_count

    return {"contacts": contact_count(), "identities": identity_count()}


# ---------------------------------------------------------------------------------------------- lookup


def sample_phones(n: int, rng: random.Random) -> list[tuple[str, int]]:
    """n existing (phone written some common way, owning contact id) pairs."""
    from django.db.models import Max, Min

    from bench.data import phone_variants
    from payvand.contacts.models import Contact, Identity

    bounds = Contact.objects.aggregate(lo=Min("id"), hi=Max("id"))
    lo, hi = bounds["lo"], bounds["hi"]
    if lo is None:
        raise SystemExit("bench: no contacts to look up; seed first")
    picked: dict[int, str] = {}
    while len(picked) < n:
        ids = rng.sample(range(lo, hi + 1), min(2 * n, hi - lo + 1))
        for value, contact_id in Identity.objects.filter(kind="phone", contact_id__in=ids).values_list(
            "value", "contact_id"
        ):
            picked.setdefault(contact_id, value)
        if hi - lo + 1 <= 2 * n:
            break
    pairs = [(rng.choice(phone_variants(value)), contact_id) for contact_id, value in picked.items()]
    rng.shuffle(pairs)
    return pairs[:n]


def prewarm_lookup() -> dict[str, Any]:
    """Read the tables and indexes a lookup uses into the operating system's cache (PostgreSQL's pg_prewarm,
    'read' mode), as they are on a caller-ID server that has been answering calls for a while. A freshly seeded
    or restarted database has only part of them there, and each lookup then waits for a few random disk reads
    that say more about the disk than about the lookup (docs/benchmarks.md). `--cold` skips this."""
    from django.db import DatabaseError, connection, transaction

    from payvand.contacts.models import Contact, ContactFlag, FlagType, Identity

    if connection.vendor != "postgresql":
        return {"prewarmed": False, "reason": "not PostgreSQL"}
    tables = [model._meta.db_table for model in (Identity, Contact, ContactFlag, FlagType)]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            # The tables and their B-tree indexes (not the full-text ones, which a lookup does not use).
            cursor.execute(
                "SELECT c.relname, pg_prewarm(c.oid::regclass, 'read') FROM pg_class c"
                " LEFT JOIN pg_index x ON x.indexrelid = c.oid LEFT JOIN pg_am a ON a.oid = c.relam"
                " WHERE c.oid = ANY(%s::regclass[]) OR (x.indrelid = ANY(%s::regclass[]) AND a.amname = 'btree')",
                [tables, tables],
            )
            blocks = dict(cursor.fetchall())
    except DatabaseError as exc:  # no pg_prewarm, or not allowed to create it
        return {"prewarmed": False, "reason": str(exc).strip()[:200]}
    return {"prewarmed": True, "blocks": blocks}


def measure_lookup(n: int, rng: random.Random) -> dict[str, Any]:
    from bench.measure import summarise, timed_calls
    from payvand.contacts.selectors import contact_lookup_summaries_unscoped

    pairs = sample_phones(n + 200, rng)
    warmup, timed = pairs[:200], pairs[200:]
    latencies, results, cpu_ms = timed_calls(
        lambda phone: contact_lookup_summaries_unscoped(phone=phone),
        [p for p, _ in timed],
        warmup=[p for p, _ in warmup],
    )
    misses = sum(1 for (_p, cid), found in zip(timed, results, strict=True) if cid not in {c.id for c in found})
    return {
        **summarise(latencies),
        "cpu_ms_mean": round(cpu_ms, 3),
        "misses": misses,
        "sample": [p for p, _ in timed[:6]],
    }


# ---------------------------------------------------------------------------------------------- search


def measure_search(n: int, rng: random.Random) -> dict[str, Any]:
    from bench.data import search_queries
    from bench.measure import summarise, timed_calls
    from payvand.contacts.models import Contact

    lo = Contact.objects.order_by("id").values_list("id", flat=True).first() or 0
    hi = Contact.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = rng.sample(range(lo, hi + 1), min(3 * (n + 50), hi - lo + 1))
    names = list(Contact.objects.filter(pk__in=ids).values_list("name", flat=True))
    rng.shuffle(names)
    queries = search_queries(names[: n + 50], rng)
    warmup, timed = queries[:50], queries[50:]
    from payvand.contacts.selectors import contact_search_ids

    latencies, results, cpu_ms = timed_calls(lambda text: contact_search_ids(text=text), timed, warmup=warmup)
    empty = sum(1 for r in results if not r)
    slowest = sorted(zip(latencies, timed, strict=True), reverse=True)[:5]
    return {
        **summarise(latencies),
        "cpu_ms_mean": round(cpu_ms, 3),
        "empty_results": empty,
        "mean_results": round(sum(len(r) for r in results) / len(results), 1),
        "slowest": [{"ms": round(ms, 1), "query": q} for ms, q in slowest],
        "sample": timed[:8],
    }


# ---------------------------------------------------------------------------------------------- import


def measure_import(rows: int, *, profile: bool = False) -> dict[str, Any]:
    from bench.importing import run_import

    return run_import(rows=rows, log=log, profile=profile)


# ---------------------------------------------------------------------------------------------- main


def _target(value: float | None, limit: float, *, at_most: bool = True, strict: bool = True) -> dict[str, Any]:
    if value is None:
        return {"value": None, "limit": limit, "pass": None}
    ok = (value < limit if strict else value <= limit) if at_most else value >= limit
    return {"value": value, "limit": limit, "pass": ok}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    from django.db import connection

    from bench.measure import best_of
    from bench.seed import ensure_search_indexes, seed_contacts

    began = time.perf_counter()
    rng = random.Random(args.seed)
    main_name = str(connection.settings_dict["NAME"])
    only = args.only
    out: dict[str, Any] = {"benchmark": "contacts"}
    migrate()
    out["database"] = database_info()
    out["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
    }

    # Seed: the baseline database (small, for the lookup ratio), then the big one.
    use_baseline = args.baseline < args.contacts and only in (None, "lookup")
    baseline_name = _baseline_name(main_name, args.baseline)
    if use_baseline:
        _ensure_database(baseline_name)
        with use_database(baseline_name):
            migrate()
            out["baseline_seed"] = seed_contacts(target=args.baseline, workers=1, log=log)
            out["baseline_counts"] = counts()
    if args.skip_seed:
        ensure_search_indexes()
    else:
        out["seed"] = seed_contacts(target=args.contacts, workers=args.workers, log=log)
    out["counts"] = counts()

    if only in (None, "lookup"):
        if not args.cold:
            out["lookup_prewarm"] = prewarm_lookup()
            if use_baseline:
                with use_database(baseline_name):
                    out["lookup_baseline_prewarm"] = prewarm_lookup()
        rounds, base_rounds = [], []
        for r in range(args.rounds):
            log(f"lookup round {r + 1}/{args.rounds} at {out['counts']['contacts']} contacts")
            rounds.append(measure_lookup(args.lookups, random.Random(rng.random())))
            if use_baseline:
                with use_database(baseline_name):
                    log(f"lookup round {r + 1}/{args.rounds} at {out['baseline_counts']['contacts']} contacts")
                    base_rounds.append(measure_lookup(args.lookups, random.Random(rng.random())))
        out["lookup"] = best_of(rounds, "p99_ms")
        if base_rounds:
            out["lookup_baseline"] = best_of(base_rounds, "p99_ms")
            out["lookup_p99_ratio"] = round(out["lookup"]["p99_ms"] / out["lookup_baseline"]["p99_ms"], 2)

    if only in (None, "search"):
        rounds = []
        for r in range(args.rounds):
            log(f"search round {r + 1}/{args.rounds}")
            rounds.append(measure_search(args.searches, random.Random(rng.random())))
        out["search"] = best_of(rounds, "p95_ms")

    if only in (None, "import"):
        runs: list[dict[str, Any]] = []
        for r in range(max(1, min(args.rounds, 2))):
            log(f"import run {r + 1}")
            runs.append(measure_import(args.import_rows, profile=args.profile_import))
        fastest = max(runs, key=lambda run: run.get("rows_per_s") or 0)
        best = dict(fastest)
        best["rows_per_s_all_runs"] = [x.get("rows_per_s") for x in runs]
        out["import"] = best

    out["targets_apply"] = out["database"]["vendor"] == "postgresql" and out["counts"]["contacts"] >= 1_000_000
    targets: dict[str, Any] = {}
    if "lookup" in out:
        targets["lookup_p99_under_5ms"] = _target(out["lookup"]["p99_ms"], TARGETS["lookup_p99_ms"])
    if "lookup_p99_ratio" in out:
        targets["lookup_p99_ratio_at_most_1.5"] = _target(
            out["lookup_p99_ratio"], TARGETS["lookup_p99_ratio"], strict=False
        )
    if "search" in out:
        targets["search_p95_under_50ms"] = _target(out["search"]["p95_ms"], TARGETS["search_p95_ms"])
    if "import" in out:
        targets["import_at_least_5000_rows_per_s"] = _target(
            out["import"].get("rows_per_s"), TARGETS["import_rows_per_s"], at_most=False
        )
    out["targets"] = targets
    out["all_targets_met"] = all(t["pass"] for t in targets.values())
    out["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    out["seconds"] = round(time.perf_counter() - began, 1)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0 if out["all_targets_met"] or not out["targets_apply"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
