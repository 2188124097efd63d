"""Where the import's time goes: the bench CSV read and validated, then written, each part timed on its own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payvand_bench .venv/bin/python -m bench.import_parts

Unlike `bench.contacts --only import` nothing overlaps: all rows are parsed first (Python CPU), then the batches
are written inside one transaction that is rolled back, so nothing needs cleaning up. Each write step reports its
wall time and, on PostgreSQL on the same machine, the CPU time of the server process serving the connection (read
from /proc/<pid>/stat), so that Python, PostgreSQL and waiting for the CPU can be told apart. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import VAR, setup_django


class _Rollback(Exception):
    pass


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def main() -> int:
    setup_django()
    from django.db import connection, transaction

    from bench.importing import HEADERS, SOURCE, write_csv
    from payvand.contacts import exchange, services
    from payvand.contacts.models import Contact, CustomField

    rows_wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    path = VAR / f"bench-import-{rows_wanted}.csv"
    if not path.exists():
        write_csv(path, rows_wanted)
    backend = Path("/nonexistent")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def server_cpu() -> float:
        try:
            fields = backend.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / ticks

    parts: dict[str, dict[str, float]] = {}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), server_cpu()
            try:
                return fn(*args, **kwargs)
            finally:
                part = parts.setdefault(name, {"wall_s": 0.0, "server_cpu_s": 0.0})
                part["wall_s"] += time.perf_counter() - wall
                part["server_cpu_s"] += server_cpu() - cpu

        return wrapper

    insert = services._RowWriter.insert

    def insert_by_model(self: Any, model: Any, names: Any, rows: Any) -> None:
        timed(f"insert {model._meta.db_table}", insert)(self, model, names, rows)

    services._import_drop_duplicates = timed("duplicate check", services._import_drop_duplicates)
    services._RowWriter.insert = insert_by_model  # type: ignore[method-assign]
    services._RowWriter.contacts = timed("contacts with their ids", services._RowWriter.contacts)  # type: ignore[method-assign]

    mapping = exchange.guess_mapping(HEADERS, list(CustomField.objects.values_list("key", "label")))
    plan = services._ImportPlan(
        mapped=[(index, target) for index, target in enumerate(mapping) if target],
        custom_targets=[(f.key, f"{exchange.CUSTOM_PREFIX}{f.key}", f) for f in CustomField.objects.all()],
        kinds=services._choice_words(Contact.Kind.choices, services._KIND_WORDS),
        statuses=services._choice_words(Contact.Status.choices, services._STATUS_WORDS),
        skip_duplicates=True,
        source=SOURCE,
    )
    out: dict[str, Any] = {"rows": rows_wanted, "load_avg_1m_at_start": round(os.getloadavg()[0], 2)}
    with path.open("rb") as fh, exchange.open_table(fh, "csv") as table:
        cpu, wall = time.process_time(), time.perf_counter()
        batches = list(services._import_batches(plan, table.rows, services.IMPORT_BATCH_SIZE))
        out["parse"] = {"wall_s": time.perf_counter() - wall, "python_cpu_s": time.process_time() - cpu}
    tally = services.ImportTally()
    try:
        with transaction.atomic():
            cpu, wall, server = time.process_time(), time.perf_counter(), server_cpu()
            for batch in batches:
                with transaction.atomic():
                    services._import_write(plan, batch.drafts, tally)
            if connection.vendor == "postgresql":  # the foreign-key checks a commit would make

                def check_constraints() -> None:
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

                timed("foreign-key checks", check_constraints)()
            out["write"] = {
                "wall_s": time.perf_counter() - wall,
                "python_cpu_s": time.process_time() - cpu,
                "server_cpu_s": server_cpu() - server,
            }
            raise _Rollback
    except _Rollback:
        pass
    out["write_parts"] = parts
    out["created"] = tally.created
    out["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(_rounded(out), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
