"""Seeding contacts at scale: PostgreSQL COPY (or bulk_create + FTS5 rows on SQLite), resumable and idempotent.

`seed_contacts(target=N)` tops the database up to N contacts. Contact number i always gets the same data
(`bench.data.fake_contact`), and each batch commits on its own, so an interrupted seed resumes where it stopped.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, connections, transaction
from django.utils import timezone

from bench.data import fake_contact
from payvand.contacts.models import Contact, Identity
from payvand.contacts.services import build_search_text
from payvand.core import search

SOURCE = "bench"
CONTACT_TABLE = Contact._meta.db_table
IDENTITY_TABLE = Identity._meta.db_table
# Below this many new rows the GIN indexes are kept and updated row by row; above it they are dropped and rebuilt,
# which is several times faster.
REBUILD_INDEXES_ABOVE = 100_000

ContactRow = tuple[int, str, str, str, int, str, list[tuple[str, str, bool]]]


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _make_batch(bounds: tuple[int, int]) -> list[ContactRow]:
    """Generate contacts start..stop-1: (index, kind, name, status, rating, search_text, identities)."""
    start, stop = bounds
    rows = []
    for i in range(start, stop):
        c = fake_contact(i)
        seen: set[str] = set()
        identities = []
        for kind, value in c.identities:
            identities.append((kind, value, kind not in seen))
            seen.add(kind)
        rows.append((i, c.kind, c.name, c.status, c.rating, build_search_text(c.name, c.identities), identities))
    return rows


def _batches(start: int, stop: int, size: int, workers: int) -> Iterator[list[ContactRow]]:
    bounds = [(lo, min(lo + size, stop)) for lo in range(start, stop, size)]
    if workers <= 1 or len(bounds) <= 1:
        for b in bounds:
            yield _make_batch(b)
        return
    # Workers only compute rows (no database); fork after closing connections so none is shared.
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_make_batch, bounds)


def contact_count() -> int:
    return Contact.objects.count()


def identity_count() -> int:
    return Identity.objects.count()


def _next_index() -> int:
    return Contact.objects.filter(source=SOURCE).count()


def _created_at(i: int, now: dt.datetime) -> dt.datetime:
    # Spread over the last three years, older contacts first.
    return now - dt.timedelta(seconds=(5_000_000 - i % 5_000_000) * 19)


def _copy_batch_postgres(rows: list[ContactRow], now: dt.datetime) -> int:
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg cursor
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [CONTACT_TABLE, len(rows)],
        )
        ids = [r[0] for r in cursor.fetchall()]
        n_ids = 0
        with cursor.copy(
            f"COPY {CONTACT_TABLE} (id, created_at, updated_at, kind, name, status, rating, source, custom, notes, "
            "version, search_text) FROM STDIN"
        ) as copy:
            for pk, (i, kind, name, status, rating, text, _ids) in zip(ids, rows, strict=True):
                created = _created_at(i, now)
                copy.write_row((pk, created, created, kind, name, status, rating, SOURCE, "{}", "", 1, text))
        with cursor.copy(
            f"COPY {IDENTITY_TABLE} (contact_id, kind, value, label, is_primary, is_bouncing, created_at) FROM STDIN"
        ) as copy:
            for pk, row in zip(ids, rows, strict=True):
                created = _created_at(row[0], now)
                for kind, value, primary in row[6]:
                    copy.write_row((pk, kind, value, "", primary, False, created))
                    n_ids += 1
    return n_ids


def _insert_batch_sqlite(rows: list[ContactRow], now: dt.datetime) -> int:
    with transaction.atomic():
        contacts = Contact.objects.bulk_create(
            [
                Contact(
                    kind=kind,
                    name=name,
                    status=status,
                    rating=rating,
                    source=SOURCE,
                    search_text=text,
                    created_at=_created_at(i, now),
                )
                for i, kind, name, status, rating, text, _ids in rows
            ],
            batch_size=2000,
        )
        identities = [
            Identity(contact_id=c.pk, kind=kind, value=value, is_primary=primary, created_at=c.created_at)
            for c, row in zip(contacts, rows, strict=True)
            for kind, value, primary in row[6]
        ]
        Identity.objects.bulk_create(identities, batch_size=2000)
        search.index_rows(Contact, [(c.pk, c.search_text) for c in contacts])
    return len(identities)


def ensure_search_indexes() -> None:
    """The search indexes exist (an interrupted bulk load may have left them dropped)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '512MB'")
        for sql in search.fts_create_sql(CONTACT_TABLE, connection.vendor):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("RESET maintenance_work_mem")


def analyze() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM (ANALYZE) {CONTACT_TABLE}")
            cursor.execute(f"VACUUM (ANALYZE) {IDENTITY_TABLE}")
        else:
            cursor.execute("ANALYZE")


def seed_contacts(
    *, target: int, batch_size: int = 20_000, workers: int = 2, log: Callable[[str], None] = _log
) -> dict[str, Any]:
    """Top the contacts table up to `target` rows. Returns what was added and how fast."""
    ensure_search_indexes()
    existing = contact_count()
    missing = target - existing
    if missing <= 0:
        return {"added_contacts": 0, "added_identities": 0, "seconds": 0.0}
    start = _next_index()
    postgres = connection.vendor == "postgresql"
    rebuild = postgres and missing > REBUILD_INDEXES_ABOVE
    log(f"seeding {missing} contacts ({existing} present) into {connection.settings_dict['NAME']}")
    began = time.perf_counter()
    if rebuild:
        with connection.cursor() as cursor:
            for sql in search.fts_drop_sql(CONTACT_TABLE, "postgresql"):
                cursor.execute(sql)
    added = added_ids = 0
    now = timezone.now()
    try:
        for rows in _batches(start, start + missing, batch_size, workers):
            insert = _copy_batch_postgres if postgres else _insert_batch_sqlite
            added_ids += insert(rows, now)
            added += len(rows)
            rate = added / (time.perf_counter() - began)
            log(f"  {existing + added:>9} contacts ({rate:,.0f}/s)")
    finally:
        if rebuild:
            log("  rebuilding the search indexes")
            ensure_search_indexes()
    log("  analyze")
    analyze()
    seconds = time.perf_counter() - began
    return {
        "added_contacts": added,
        "added_identities": added_ids,
        "seconds": round(seconds, 1),
        "contacts_per_s": round(added / seconds) if seconds else None,
    }
