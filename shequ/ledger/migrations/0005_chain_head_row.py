"""The chain head's one row, made once here rather than by the first approval: two first
approvals at once would otherwise both try to insert it inside their sealing transactions
(ADR 0039). Made only where missing, so running it again changes nothing."""

from django.db import migrations

HEAD_ROW = 1  # shequ.ledger.fingerprint.HEAD_ROW (a migration does not import app code)


def create_head_row(apps, schema_editor):
    ChainHead = apps.get_model("ledger", "ChainHead")
    ChainHead.objects.using(schema_editor.connection.alias).get_or_create(pk=HEAD_ROW)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_keyed_fingerprint_chain")]

    operations = [migrations.RunPython(create_head_row, migrations.RunPython.noop)]
