"""Screen-pop latency: from a ringing call event to the pop message handed to the agent's channel, in-process.
Prints one JSON object.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payvand_bench .venv/bin/python -m bench.telephony
    .venv/bin/python -m bench.telephony --contacts 30000 --seconds 5          # SQLite, var/bench.sqlite3

It migrates the benchmark database (the contacts benchmark's, so the 1,000,000 contacts are already there; it tops
them up with bench.seed otherwise), creates --agents agents with extensions, and sends ringing events for existing
customers' numbers (written the ways they arrive: Persian digits, national, +98…) at --rate events per second for
--seconds seconds through `services.call_event_record`, the function behind POST /api/v1/telephony/events and the
AMI connector. Each event does the whole path: the call and event rows, the caller lookup, the timeline Event, the
commit, and the pop's `group_send` on the Channels in-memory layer to the group of the agent whose extension rings,
where a channel listens. `latency` is from the event's start to the pop sent; `latency_from_arrival` is from the
moment the event was due (so time queued behind a slow earlier event counts too). Every pop is checked to have
arrived, with the right contact. The calls it made are deleted at the end. Progress goes to stderr.
`--workers N` hands each event, at its due time, to one of N threads (each with its own database connection), the way
several web workers take a PBX's webhooks at once; the default 1 takes them one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench import setup_django

TARGET_P99_MS = 20.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.telephony", description=__doc__.split("\n")[0])
    p.add_argument("--contacts", type=int, default=1_000_000, help="top the database up to this many contacts")
    p.add_argument("--rate", type=float, default=200.0, help="events per second")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--agents", type=int, default=50)
    p.add_argument("--skip-seed", action="store_true")
    p.add_argument("--seed", type=int, default=20261207)
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="events taken by this many threads at once (like web workers); 1: one after the other",
    )
    return p.parse_args(argv)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _cleanup() -> int:
    from django.contrib.contenttypes.models import ContentType

    from payvand.core.models import Event
    from payvand.telephony.models import Call

    calls = Call.objects.filter(call_id__startswith="bench-")
    pks = [str(pk) for pk in calls.values_list("pk", flat=True)]  # Event.target_id is text
    Event.objects.filter(target_type=ContentType.objects.get_for_model(Call), target_id__in=pks).delete()
    return calls.delete()[0]


def _agents(n: int) -> list[Any]:
    from payvand.accounts.models import User

    agents = []
    for i in range(n):
        user, _ = User.objects.get_or_create(
            email=f"bench.tel.{i}@example.com", defaults={"full_name": f"Bench agent {i}", "extension": str(9000 + i)}
        )
        agents.append(user)
    return agents


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    from asgiref.sync import async_to_sync
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.contacts import counts, database_info, prewarm_lookup, sample_phones
    from bench.measure import summarise
    from bench.seed import seed_contacts
    from payvand.notifications.live import user_group

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1_000_000}}
    }
    from channels.layers import get_channel_layer

    from payvand.telephony import services

    began = time.perf_counter()
    rng = random.Random(args.seed)
    out: dict[str, Any] = {"benchmark": "telephony"}
    call_command("migrate", verbosity=0)
    out["database"] = database_info()
    out["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
    }
    if not args.skip_seed:
        out["seed"] = seed_contacts(target=args.contacts, workers=2, log=log)
    out["counts"] = counts()
    out["lookup_prewarm"] = {k: v for k, v in prewarm_lookup().items() if k != "blocks"}
    out["cleaned_before"] = _cleanup()

    agents = _agents(args.agents)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    for agent in agents:
        async_to_sync(layer.group_add)(user_group(agent.pk), channel)

    total = int(args.rate * args.seconds)
    warmup = 200
    pairs = sample_phones(total + warmup, rng)
    log(f"{len(pairs)} numbers sampled; warming up with {warmup} events")
    for n, (phone, _cid) in enumerate(pairs[:warmup]):
        services.call_event_record(kind="ringing", call_id=f"bench-w-{n}", caller=phone, extension="9000")
    async_to_sync(layer.flush)()
    async_to_sync(layer.group_add)(user_group(agents[0].pk), channel)
    for agent in agents:
        async_to_sync(layer.group_add)(user_group(agent.pk), channel)

    log(f"sending {total} ringing events at {args.rate}/s for {args.seconds} s")
    latencies: list[float] = []
    from_arrival: list[float] = []
    expected: list[tuple[str, int]] = []
    cpu0 = time.process_time()
    start = time.perf_counter()

    def one(n: int, phone: str, due: float) -> None:
        agent = agents[n % len(agents)]
        t0 = time.perf_counter()
        services.call_event_record(kind="ringing", call_id=f"bench-{n}", caller=phone, extension=agent.extension)
        t1 = time.perf_counter()
        latencies.append((t1 - t0) * 1000)  # list.append is atomic: safe from the workers
        from_arrival.append((t1 - max(due, start)) * 1000)

    pool = ThreadPoolExecutor(max_workers=args.workers) if args.workers > 1 else None
    futures = []
    for n, (phone, contact_id) in enumerate(pairs[warmup:]):
        due = start + n / args.rate
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        expected.append((f"bench-{n}", contact_id))
        if pool is None:
            one(n, phone, due)
        else:
            futures.append(pool.submit(one, n, phone, due))
    if pool is not None:
        for future in futures:
            future.result()
        pool.shutdown()
    wall = time.perf_counter() - start
    cpu_ms = (time.process_time() - cpu0) * 1000 / max(1, total)

    # Every pop arrived, in order, with the caller's contact.
    got: list[dict[str, Any]] = []

    async def drain() -> None:
        import asyncio

        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), 0.2)
            except TimeoutError:
                return
            got.append(message["payload"])

    async_to_sync(drain)()
    from payvand.telephony.models import Call

    call_pks = dict(
        Call.objects.filter(call_id__startswith="bench-")
        .exclude(call_id__startswith="bench-w-")
        .values_list("call_id", "pk")
    )
    by_call = {p["call"]: p for p in got}
    missing = sum(1 for call_id, _cid in expected if call_pks.get(call_id) not in by_call)
    wrong = sum(
        1
        for call_id, cid in expected
        if (p := by_call.get(call_pks.get(call_id))) is not None and cid not in [m["id"] for m in p["matches"]]
    )
    out["events"] = {
        "workers": args.workers,
        "sent": total,
        "achieved_rate_per_s": round(total / wall, 1),
        "pops_missing": missing,
        "pops_wrong_contact": wrong,
        "sample": [p for p, _ in pairs[warmup : warmup + 6]],
    }
    out["latency"] = {**summarise(latencies), "cpu_ms_mean": round(cpu_ms, 3)}
    out["latency_from_arrival"] = summarise(from_arrival)
    out["cleaned_after"] = _cleanup()
    out["targets_apply"] = connection.vendor == "postgresql" and out["counts"]["contacts"] >= 1_000_000
    p99 = out["latency_from_arrival"]["p99_ms"]
    out["targets"] = {
        "pop_p99_under_20ms": {"value": p99, "limit": TARGET_P99_MS, "met": p99 < TARGET_P99_MS and missing == 0}
    }
    out["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    out["seconds"] = round(time.perf_counter() - began, 1)
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
