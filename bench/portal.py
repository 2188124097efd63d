"""The portal's "my requests" page for a customer with 1,000 requests, rendered through the real view (Django's
test client: URL routing, middleware, session, portal sign-in, template), page by page. Prints one JSON object.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kb_bench_portal .venv/bin/python -m bench.portal
    DATABASE_URL=sqlite:///var/kb_bench_portal.sqlite3 .venv/bin/python -m bench.portal

It migrates the benchmark database, seeds contacts and --tickets background tickets of other customers
(bench.seed, bench.helpdesk_seed), then gives --mine of them to one customer ("own") and as many others to the
organisation of a second customer whose portal account sees the organisation's requests ("organisation"). Each
call is `GET /portal/?state=…&page=…` with that customer signed in: the first page most of the time, as customers
open the page, and the other pages and the open/done filters the rest of the time. Every response is checked (200
and a full page). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from typing import Any

from bench import setup_django

TARGETS = {"home_p95_ms": 30.0}
OWN_EMAIL = "bench.portal.own@example.com"
ORG_EMAIL = "bench.portal.org@example.com"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.portal", description=__doc__.split("\n")[0])
    p.add_argument("--tickets", type=int, default=100_000, help="background tickets of other customers")
    p.add_argument("--mine", type=int, default=1000, help="requests of the measured customers")
    p.add_argument("--skip-seed", action="store_true")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--seed", type=int, default=20261208)
    return p.parse_args(argv)


def _customer(email: str, name: str) -> Any:
    from payvand.contacts.models import Identity
    from payvand.contacts.services import contact_create

    identity = Identity.objects.filter(kind="email", value=email).select_related("contact").first()
    if identity is not None:
        return identity.contact
    return contact_create(by=None, name=name, emails=[email], allow_duplicates=True)


def seed_customers(mine: int) -> dict[str, Any]:
    """Give `mine` bench tickets to the "own" customer, and `mine` others to an organisation the "organisation"
    customer works for (with a portal account that sees the organisation's requests). Idempotent."""
    from bench.helpdesk_seed import BASE_NUMBER
    from payvand.contacts.models import Affiliation, Contact
    from payvand.contacts.services import contact_create
    from payvand.helpdesk.models import Ticket
    from payvand.portal.models import PortalAccount

    own = _customer(OWN_EMAIL, "Bench Portal Customer")
    person = _customer(ORG_EMAIL, "Bench Portal Colleague")
    org = Contact.objects.filter(kind=Contact.Kind.ORGANISATION, name="Bench Portal Ltd").first()
    if org is None:
        org = contact_create(by=None, name="Bench Portal Ltd", kind=Contact.Kind.ORGANISATION, allow_duplicates=True)
    Affiliation.objects.get_or_create(person=person, organisation=org)
    PortalAccount.objects.update_or_create(contact=own, defaults={"sees_organisation": False})
    PortalAccount.objects.update_or_create(contact=person, defaults={"sees_organisation": True})
    total = Ticket.objects.filter(number__gte=BASE_NUMBER).count()
    step = max(2, total // (2 * mine))
    numbers = [BASE_NUMBER + n * step for n in range(2 * mine)]
    if Ticket.objects.filter(requester=own).count() < mine:
        Ticket.objects.filter(number__in=numbers[0::2]).update(requester=own)
    if Ticket.objects.filter(organisation=org).count() < mine:
        Ticket.objects.filter(number__in=numbers[1::2]).update(organisation=org)
    return {
        "own": Ticket.objects.filter(requester=own).count(),
        "organisation": Ticket.objects.filter(organisation=org).count()
        + Ticket.objects.filter(requester=person).count(),
    }


def _client(contact: Any) -> Any:
    """A test client signed in to the portal as `contact` (the session key the portal's sign-in sets)."""
    from django.test import Client

    from payvand.portal.auth import SESSION_KEY

    client = Client()
    session = client.session
    session[SESSION_KEY] = contact.pk
    session.save()
    client.cookies["sessionid"] = str(session.session_key)
    return client


def requests_sample(n: int, rng: random.Random, pages: int) -> list[dict[str, str]]:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.6:
            out.append({})
        elif r < 0.75:
            out.append({"state": "open"})
        elif r < 0.85:
            out.append({"state": "done"})
        else:
            out.append({"page": str(rng.randint(2, pages))})
    return out


def measure_home(contact: Any, n: int, rng: random.Random, per_page: int, total: int) -> dict[str, Any]:
    from bench.measure import summarise, timed_calls

    client = _client(contact)
    pages = max(2, total // per_page)
    sample = requests_sample(n, rng, pages)
    bad = 0

    def call(params: dict[str, str]) -> int:
        nonlocal bad
        response = client.get("/portal/", params)
        body = response.content
        if response.status_code != 200 or (not params and body.count(b'class="list-group-item ') < per_page):
            bad += 1
        return len(body)

    latencies, sizes, cpu_ms = timed_calls(call, sample, warmup=sample[:20])
    out = summarise(latencies)
    out["cpu_ms_per_call"] = round(cpu_ms, 3)
    out["bad_responses"] = bad
    out["html_kb_mean"] = round(sum(sizes) / len(sizes) / 1024, 1)
    return out


def count_queries(contact: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(contact)
    client.get("/portal/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/portal/")
    return len(ctx.captured_queries)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    from django.db import connection

    from bench.contacts import _ensure_database, database_info, migrate
    from bench.helpdesk_seed import seed_helpdesk, ticket_count
    from bench.measure import best_of
    from bench.seed import seed_contacts

    began = time.perf_counter()
    rng = random.Random(args.seed)
    out: dict[str, Any] = {"benchmark": "portal"}
    _ensure_database(str(connection.settings_dict["NAME"]))
    migrate()
    out["database"] = database_info()
    out["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
    }
    if not args.skip_seed:
        out["seed"] = {
            "contacts": seed_contacts(target=max(1000, args.tickets // 20), workers=1, log=log),
            "tickets": seed_helpdesk(tickets=args.tickets, log=log),
        }
    out["tickets"] = ticket_count()
    out["customers"] = seed_customers(args.mine)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE helpdesk_ticket")
    from django.conf import settings

    from payvand.contacts.models import Identity

    per_page = settings.PORTAL_PAGE_SIZE
    out["page_size"] = per_page
    for key, email in (("own", OWN_EMAIL), ("organisation", ORG_EMAIL)):
        contact = Identity.objects.select_related("contact").get(kind="email", value=email).contact
        out[f"{key}_queries_per_page"] = count_queries(contact)
        rounds = []
        for r in range(args.rounds):
            log(f"{key} round {r + 1}/{args.rounds}")
            rounds.append(
                measure_home(contact, args.calls, random.Random(rng.random()), per_page, out["customers"][key])
            )
        out[key] = best_of(rounds, "p95_ms")
    out["targets_apply"] = min(out["customers"].values()) >= 1000
    out["targets"] = {
        f"{key}_p95_under_30ms": {
            "value": out[key]["p95_ms"],
            "limit": TARGETS["home_p95_ms"],
            "pass": out[key]["p95_ms"] < TARGETS["home_p95_ms"] and out[key]["bad_responses"] == 0,
        }
        for key in ("own", "organisation")
    }
    out["all_targets_met"] = all(t["pass"] for t in out["targets"].values())
    out["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    out["seconds"] = round(time.perf_counter() - began, 1)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0 if out["all_targets_met"] or not out["targets_apply"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
