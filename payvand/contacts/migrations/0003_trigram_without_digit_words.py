"""The trigram index covers search_text without its all-digit words (phone numbers): see core.search.TRIGRAM_TEXT.
PostgreSQL only; building it on a million contacts took 13 seconds on the 2-core test machine."""

from __future__ import annotations

from django.db import migrations

from payvand.core.search import trigram_text

TABLE = "contacts_contact"
INDEX = f"{TABLE}_trgm_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON {TABLE} USING gin (({trigram_text('search_text')}) gin_trgm_ops)"
    )
    # Statistics for the new expression: without them the planner guesses and scans the table for `<%`.
    schema_editor.execute(f"ANALYZE {TABLE}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"CREATE INDEX {INDEX} ON {TABLE} USING gin (search_text gin_trgm_ops)")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_search_index")]
    operations = [migrations.RunPython(forwards, backwards)]
