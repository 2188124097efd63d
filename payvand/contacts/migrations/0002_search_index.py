from __future__ import annotations

from django.db import migrations

from payvand.core.search import fts_create_sql, fts_drop_sql

TABLE = "contacts_contact"


def create(apps, schema_editor):
    for sql in fts_create_sql(TABLE, schema_editor.connection.vendor):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in fts_drop_sql(TABLE, schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
