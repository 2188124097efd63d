"""Full-text search backends for models that keep a normalised `search_text` column.

SQLite: an FTS5 table `<db_table>_fts` (rowid = the row's id) that services keep in step through `index_rows` and
`unindex`. PostgreSQL: a GIN index on `to_tsvector('simple', search_text)` plus a trigram GIN index on the text
without its all-digit words (`TRIGRAM_TEXT`), so nothing needs to be written beside the row itself. Both are created
by the owning app's migration with `fts_create_sql`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection, models
from django.db.models import BooleanField, F, Func, QuerySet
from django.db.models.expressions import RawSQL

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)[:8]


def _without_implied(words: list[str]) -> list[str]:
    """Drop repeated words and words that start another word: as prefixes they match nothing more ("reza rez" is
    "reza"), and on PostgreSQL each prefix costs an index scan of its own."""
    words = list(dict.fromkeys(words))
    return [w for w in words if not any(other != w and other.startswith(w) for other in words)]


# The text the trigram index holds and `similar_filter` compares: search_text without its all-digit words. Those
# are phone numbers (E.164 and national forms), which the full-text index finds by prefix and the lookup by value;
# as trigrams they were about half of each contact's entries, which made the index the largest cost of inserting
# contacts, and a misspelt name never needs them (docs/benchmarks.md).
TRIGRAM_TEXT = r"regexp_replace({column}, '\m[0-9]+\M', '', 'g')"


def trigram_text(column: str) -> str:
    return TRIGRAM_TEXT.format(column=column)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def fts_create_sql(table: str, vendor: str, *, prefix: str = "") -> list[str]:
    """`prefix` (SQLite): the prefix lengths FTS5 indexes as well, e.g. "2 3 4". A prefix query ("mo"*) then reads
    one index entry instead of every term that starts with it: 100-250 ms became under 2 ms over 100,000 articles
    (docs/benchmarks.md)."""
    if vendor == "sqlite":
        prefixes = f", prefix = '{prefix}'" if prefix else ""
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_fts USING fts5("
            f"search_text, tokenize = 'unicode61 remove_diacritics 2'{prefixes})"
        ]
    if vendor == "postgresql":
        return [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f"CREATE INDEX IF NOT EXISTS {table}_fts_idx ON {table} USING gin (to_tsvector('simple', search_text))",
            f"CREATE INDEX IF NOT EXISTS {table}_trgm_idx ON {table} USING gin (({trigram_text('search_text')}) "
            "gin_trgm_ops)",
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
    """Rows whose search_text has every token of the query as a word prefix: at most `limit` of them, in no
    particular order, so that a common name does not fetch every matching row (callers order the few they get)."""
    words = _without_implied(tokens(normalized_text))
    if not words:
        return qs.none()
    table = qs.model._meta.db_table
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVectorField

        tsquery = " & ".join(f"{w}:*" for w in words)
        # The same expression as the GIN index (no COALESCE, unlike SearchVector), so the index serves it.
        vector = Func(
            F("search_text"), template="to_tsvector('simple', %(expressions)s)", output_field=SearchVectorField()
        )
        # Capped like FTS5's candidates below: fetching and sorting the ~75,000 rows that a common first name
        # matches among a million contacts took 250-700 ms; the first `limit` matches take a few (docs/benchmarks.md).
        candidates = (
            qs.alias(_fts=vector)
            .filter(_fts=SearchQuery(tsquery, search_type="raw", config="simple"))
            .order_by()
            .values("pk")[: int(limit)]
        )
        return qs.filter(pk__in=candidates)
    if connection.vendor == "sqlite":
        expr = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        ids = RawSQL(  # noqa: S611
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
    text = trigram_text(f"{table}.search_text")
    match = RawSQL(f"%s <%% {text}", [normalized_text], output_field=BooleanField())  # noqa: S608, S611
    return qs.alias(_sim=match).filter(_sim=True)  # type: ignore[return-value]
