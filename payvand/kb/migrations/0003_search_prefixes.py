"""Faster article search (bench/kb.py, docs/benchmarks.md).

SQLite: the FTS5 table again, with prefix indexes for 2, 3 and 4 characters, filled from the articles' search_text:
a prefix query such as "mo"* no longer walks every term that starts with it. PostgreSQL: the 'simple' GIN index
over every language, which the search without a language (the staff list, the API's default, the fallback when
the reader's language finds nothing) needs; only the per-language indexes existed, so that search read every row.
"""

from __future__ import annotations

from django.db import migrations

from payvand.core.search import fts_create_sql

TABLE = "kb_article"
PREFIX = "2 3 4"


def _fts(schema_editor, prefix: str) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}_fts")
    for sql in fts_create_sql(TABLE, "sqlite", prefix=prefix):
        schema_editor.execute(sql)
    schema_editor.execute(f"INSERT INTO {TABLE}_fts(rowid, search_text) SELECT id, search_text FROM {TABLE}")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _fts(schema_editor, PREFIX)
    elif vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_fts_idx ON {TABLE} USING gin (to_tsvector('simple', search_text))"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _fts(schema_editor, "")
    elif vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TABLE}_fts_idx")


class Migration(migrations.Migration):
    dependencies = [("kb", "0002_search_index")]
    operations = [migrations.RunPython(forwards, backwards)]
