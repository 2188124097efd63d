"""Full-text search backends for models that keep a normalised `search_text` column.

SQLite: an FTS5 table `<db_table>_fts` (rowid = the row's id) that services keep in step through `index_rows` and
`unindex`. PostgreSQL: a GIN index on `to_tsvector('simple', search_text)` plus a trigram GIN index, so nothing needs
to be written beside the row itself. Both are created by the owning app's migration with `fts_migration_sql`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection, models
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)[:8]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def fts_create_sql(table: str, vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_fts USING fts5("
            "search_text, tokenize = 'unicode61 remove_diacritics 2')"
        ]
    if vendor == "postgresql":
        return [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f"CREATE INDEX IF NOT EXISTS {table}_fts_idx ON {table} USING gin (to_tsvector('simple', search_text))",
            f"CREATE INDEX IF NOT EXISTS {table}_trgm_idx ON {table} USING gin (search_text gin_trgm_ops)",
        ]
    return []


def fts_drop_sql(table: str, vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TABLE IF EXISTS {table}_fts"]
    if vendor == "postgresql":
        return [f"DROP INDEX IF EXISTS {table}_fts_idx", f"DROP INDEX IF EXISTS {table}_trgm_idx"]
    return []


def index_rows(model: type[models.Model], rows: Iterable[tuple[int, str]]) -> None:
    """Replace the index entries of these (id, search_text) rows. A no-op on PostgreSQL (expression index)."""
    if connection.vendor != "sqlite":
        return
    rows = list(rows)
    if not rows:
        return
    table = f"{model._meta.db_table}_fts"
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {table} WHERE rowid = %s", [(pk,) for pk, _text in rows])  # noqa: S608
        cursor.executemany(f"INSERT INTO {table}(rowid, search_text) VALUES (%s, %s)", rows)  # noqa: S608


def unindex(model: type[models.Model], ids: Iterable[int]) -> None:
    if connection.vendor != "sqlite":
        return
    table = f"{model._meta.db_table}_fts"
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {table} WHERE rowid = %s", [(pk,) for pk in ids])  # noqa: S608


def search_filter[M: models.Model](qs: QuerySet[M], normalized_text: str, *, limit: int = 500) -> QuerySet[M]:
    """Rows whose search_text has every token of the query as a word prefix."""
    words = tokens(normalized_text)
    if not words:
        return qs.none()
    table = qs.model._meta.db_table
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        match = RawSQL(
            f"to_tsvector('simple', {table}.search_text) @@ to_tsquery('simple', %s)",  # noqa: S608
            [tsquery], output_field=BooleanField(),
        )
        return qs.alias(_fts=match).filter(_fts=True)  # type: ignore[return-value]
    if connection.vendor == "sqlite":
        expr = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        ids = RawSQL(
            f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s LIMIT {int(limit)}",  # noqa: S608
            [expr],
        )
        return qs.filter(pk__in=ids)
    query = qs
    for w in words:
        query = query.filter(search_text__icontains=w)
    return query


def similar_filter[M: models.Model](qs: QuerySet[M], normalized_text: str) -> QuerySet[M]:
    """Trigram word-similarity match (PostgreSQL only); other databases get no extra rows."""
    if connection.vendor != "postgresql" or not normalized_text:
        return qs.none()
    table = qs.model._meta.db_table
    match = RawSQL(f"%s <%% {table}.search_text", [normalized_text], output_field=BooleanField())  # noqa: S608
    return qs.alias(_sim=match).filter(_sim=True)  # type: ignore[return-value]
