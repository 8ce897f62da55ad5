"""Ledger rows keep half of each table page free on PostgreSQL (fillfactor 50).

A street's rows are rewritten together (an import, drafts filled in), and PostgreSQL
writes each changed row as a new version. When the new version fits on the old one's page
and no indexed column changed (imports write values, never the period, community or
street), it is a HOT update: none of the table's six indexes is touched, and the old
version's space is reused on the page without waiting for VACUUM. With full pages (the
default, 100) every version of a city import went to another page with six new index
entries: its UPDATE took 250 ms instead of 35-50 ms, and the table grew by its whole size
at each import until autovacuum came round. Rows written before this migration keep their
full pages until the table is rewritten (VACUUM FULL); each new period's rows get the free
space as they are carried forward. SQLite has no such setting.
"""

from django.db import migrations

FILLFACTOR = 50


def _alter(apps, schema_editor, setting: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("ledger", "LedgerRow")._meta.db_table
    schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} {setting}")


def leave_pages_half_free(apps, schema_editor):
    _alter(apps, schema_editor, f"SET (fillfactor = {FILLFACTOR})")


def fill_pages(apps, schema_editor):
    _alter(apps, schema_editor, "RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(leave_pages_half_free, fill_pages),
    ]
