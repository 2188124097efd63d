"""CSV import throughput through the import service: the same code path as the background task.

A CSV file of realistic rows (names in three languages, phones written the ways people write them, emails,
organisations, statuses, tags, cities) is written to var/, stored as an import job (`import_job_create`, what the
upload view does) and run with `import_job_run` (the body of `import_job_task`). The contacts it created are
deleted afterwards, so runs can repeat on the same database.
"""

from __future__ import annotations

import cProfile
import csv
import io
import pstats
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import VAR
from bench.data import ORG_EN, ORG_FA, ORG_HU, fake_contact, phone_variants

SOURCE = "bench-import"
# Contact numbers for the CSV rows: far above any seeded contact, so their phones and emails are new.
FIRST_INDEX = 5_000_000
HEADERS = ["Name", "Email", "Mobile", "Phone 2", "Company", "Job title", "Status", "Tags", "City", "Country"]
STATUS_WORDS = {
    "fa": ["مشتری", "prospect", "مشتری سابق"],
    "hu": ["ügyfél", "érdeklődő", "volt ügyfél"],
    "en": ["Customer", "Lead", "Former customer"],
}
CITIES = {
    "fa": [("تهران", "IR"), ("اصفهان", "Iran"), ("شیراز", "ایران"), ("مشهد", "IR"), ("تبریز", "IR")],
    "hu": [("Budapest", "HU"), ("Debrecen", "Magyarország"), ("Szeged", "HU"), ("Győr", "Hungary")],
    "en": [("London", "GB"), ("Manchester", "United Kingdom"), ("Budapest", "HU"), ("Tehran", "IR")],
}
ROLES = {
    "fa": ["مدیر فروش", "کارشناس", "مدیرعامل"],
    "hu": ["ügyintéző", "ügyvezető", "beszerző"],
    "en": ["Sales manager", "Buyer", "CEO"],
}
TAGS = ["newsletter", "b2b", "b2c", "trial", "event-lead", "renewal-2026"]


def _organisations(rng: random.Random) -> dict[str, list[str]]:
    out = {}
    for culture, parts in (("fa", ORG_FA), ("hu", ORG_HU), ("en", ORG_EN)):
        out[culture] = sorted({" ".join(rng.choice(p) for p in parts) for _ in range(120)})
    return out


def write_csv(path: Path, rows: int, *, seed: int = 7) -> Path:
    """A contacts CSV with `rows` data rows, the same file for the same arguments."""
    rng = random.Random(seed)
    orgs = _organisations(rng)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for j in range(rows):
        c = fake_contact(FIRST_INDEX + j)
        phones = [v for k, v in c.identities if k == "phone"]
        emails = [v for k, v in c.identities if k == "email"]
        mobile = rng.choice(phone_variants(phones[0]))
        second = rng.choice(phone_variants(phones[1])) if len(phones) > 1 else ""
        company = role = ""
        if c.kind == "person" and rng.random() < 0.3:
            company, role = rng.choice(orgs[c.culture]), rng.choice(ROLES[c.culture])
        city, country = rng.choice(CITIES[c.culture])
        tags = ", ".join(rng.sample(TAGS, rng.randint(0, 2)))
        writer.writerow(
            [
                c.name,
                emails[0] if emails else "",
                mobile,
                second,
                company,
                role,
                rng.choice(STATUS_WORDS[c.culture]),
                tags,
                city,
                country,
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def cleanup() -> int:
    """Delete what earlier import runs created (contacts, jobs, their files and events)."""
    from payvand.contacts.models import Contact, ImportJob
    from payvand.core import search
    from payvand.core.models import Event

    ids = list(Contact.objects.filter(source=SOURCE).values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        Contact.objects.filter(pk__in=chunk).delete()
        search.unindex(Contact, chunk)
    for job in ImportJob.objects.filter(original_name__startswith="bench-import"):
        Event.objects.filter(verb="import.finished", target_id=job.pk).delete()
        job.file.delete(save=False)
        job.delete()
    if ids:
        vacuum()
    return len(ids)


def vacuum() -> None:
    """Clear the rows an import run deleted from the tables and their indexes. Without it the next measurements
    on PostgreSQL are off: the planner, estimating a join, walks the contact and identity indexes from their ends
    over the dead entries of the deleted contacts (the newest ids), and a lookup's planning went from 0.5 ms to
    6-12 ms after a few import runs, until autovacuum came by."""
    from django.db import connection

    from payvand.contacts.models import Address, Affiliation, Contact, Identity

    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (Contact, Identity, Address, Affiliation)] + [
        Contact.tags.through._meta.db_table
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def run_import(*, rows: int, log: Callable[[str], None], profile: bool = False) -> dict[str, Any]:
    from django.core.files import File

    from payvand.contacts.services import import_job_create, import_job_run

    removed = cleanup()
    if removed:
        log(f"  removed {removed} contacts left by an earlier import run")
    path = VAR / f"bench-import-{rows}.csv"
    if not path.exists():
        write_csv(path, rows)
    t0 = time.perf_counter()
    with path.open("rb") as fh:
        job = import_job_create(
            by=None, upload=File(fh, name=path.name), original_name=f"bench-import-{rows}.csv", source=SOURCE
        )
    t1 = time.perf_counter()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    finished = import_job_run(job_id=job.pk)
    if profiler:
        profiler.disable()
    t2 = time.perf_counter()
    assert finished is not None
    result = {
        "rows": rows,
        "file": str(path.relative_to(VAR.parent)),
        "mapping": finished.mapping.get("columns"),
        "status": finished.status,
        "created": finished.created_count,
        "skipped": finished.skipped_count,
        "rejected": finished.error_count,
        "errors_sample": finished.errors[:3],
        "create_job_s": round(t1 - t0, 3),
        "run_s": round(t2 - t1, 2),
        "rows_per_s": round(rows / (t2 - t1)),
    }
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        log(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        log(out.getvalue())
    cleanup()
    return result
