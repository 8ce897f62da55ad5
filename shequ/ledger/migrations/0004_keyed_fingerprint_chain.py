"""The keyed, anchored fingerprint chain (issue 25, ADR 0039).

Every version sealed before is kept exactly as it was and marked scheme 1 (plain SHA-256):
it still verifies the old way. Nothing is re-sealed: a migration that recomputed history
would turn whatever the database holds, tampered or not, into valid seals."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_text_lengths")]

    operations = [
        migrations.AddField(
            model_name="sealedversion",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "SHA-256（issue 25 之前）"), (2, "HMAC-SHA256，带密钥")],
                default=1,
                verbose_name="封存方式",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="sealedversion",
            name="key_id",
            field=models.CharField(blank=True, max_length=16, verbose_name="密钥标识"),
        ),
        migrations.AddField(
            model_name="sealedversion",
            name="district_sequence",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="区级链序"),
        ),
        migrations.AddField(
            model_name="sealedversion",
            name="district_previous",
            field=models.CharField(blank=True, max_length=64, verbose_name="区级上一指纹"),
        ),
        migrations.AddConstraint(
            model_name="sealedversion",
            constraint=models.UniqueConstraint(
                fields=("district_sequence",), name="sealed_unique_district_sequence"
            ),
        ),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sequence", models.PositiveIntegerField(default=0, verbose_name="区级链序")),
                ("fingerprint", models.CharField(blank=True, max_length=64, verbose_name="链头")),
            ],
            options={"verbose_name": "台帐指纹链头", "verbose_name_plural": "台帐指纹链头"},
        ),
    ]
