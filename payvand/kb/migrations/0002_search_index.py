"""Full-text search over articles. SQLite: FTS5 (payvand/core/search.py). PostgreSQL: one GIN index per language
with that language's text-search configuration where PostgreSQL has one (hungarian, english) and 'simple' for
Persian, which PostgreSQL has none for."""

from __future__ import annotations

from django.db import migrations

from payvand.core.search import fts_create_sql, fts_drop_sql

TABLE = "kb_article"
CONFIGS = {"fa": "simple", "hu": "hungarian", "en": "english"}


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in fts_create_sql(TABLE, vendor):
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        for lang, config in CONFIGS.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS kb_article_fts_{lang} ON {TABLE} "
                f"USING gin (to_tsvector('{config}', search_text)) WHERE language = '{lang}'"
            )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in fts_drop_sql(TABLE, vendor):
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        for lang in CONFIGS:
            schema_editor.execute(f"DROP INDEX IF EXISTS kb_article_fts_{lang}")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
