"""Benchmarks: seeders at scale and timed workloads that print their figures as JSON.

They run against their own database, never the development database or the test database: `DATABASE_URL` picks it
(for example `postgres://postgres@127.0.0.1:5432/payvand_bench`), and without it they use `var/bench.sqlite3`.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DEFAULT_DATABASE_URL = f"sqlite:///{VAR / 'bench.sqlite3'}"


def setup_django() -> None:
    """Configure Django for a benchmark run, on the benchmark database, and refuse any other database."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payvand.settings")
    import django

    django.setup()
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if "bench" not in Path(name).name:
        raise SystemExit(
            f"bench: refusing to run on the database {name!r}; give DATABASE_URL a database whose name contains "
            "'bench' (e.g. postgres://postgres@127.0.0.1:5432/payvand_bench or sqlite:///var/bench.sqlite3)."
        )
