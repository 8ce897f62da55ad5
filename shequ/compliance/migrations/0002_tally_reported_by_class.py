"""Tallies count the reported communities of each class, so that a period in progress can
show the urban and rural rates among the reported ones (issue 22).

The new columns of existing tallies are filled here from the approved rows, with the models
as they stand at this migration (the tallies are a cache, but a dashboard must not read a
0 that only means "not yet computed")."""

from collections import defaultdict

from django.db import migrations, models


def _urban_as_of(versions_, community_ids, ordinal) -> set[int]:
    versions = versions_.filter(region_id__in=community_ids, valid_from__lte=ordinal).values_list(
        "region_id", "valid_to", "urban_rural_class"
    )
    return {
        region_id
        for region_id, valid_to, klass in versions
        if (valid_to is None or valid_to > ordinal) and klass == "urban"
    }


def _street_counts(apps, period, alias: str) -> dict[int, list[int]]:
    LedgerRow = apps.get_model("ledger", "LedgerRow")
    Submission = apps.get_model("ledger", "Submission")
    RegionVersion = apps.get_model("regions", "RegionVersion")
    approved = (
        Submission.objects.using(alias).filter(period=period, state="approved").values("street_id")
    )
    rows = list(
        LedgerRow.objects.using(alias)
        .filter(period=period, street_id__in=approved, households__gt=0)
        .values_list("street_id", "community_id")
    )
    urban = _urban_as_of(RegionVersion.objects.using(alias), [c for _, c in rows], period.ordinal)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for street_id, community_id in rows:
        counts[street_id][0 if community_id in urban else 1] += 1
    return counts


def fill_reported_by_class(apps, schema_editor):
    # The database being migrated, not the router's: `shequ restore-drill` migrates its own.
    alias = schema_editor.connection.alias
    Tally = apps.get_model("compliance", "Tally")
    Period = apps.get_model("ledger", "Period")
    periods = Period.objects.using(alias).filter(
        pk__in=Tally.objects.using(alias).values("period_id")
    )
    for period in periods:
        counts = _street_counts(apps, period, alias)
        tallies = list(Tally.objects.using(alias).filter(period=period).select_related("region"))
        sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        # Deepest first: every child is summed before its parent.
        for tally in sorted(tallies, key=lambda t: -t.region.path.count("/")):
            if tally.level == "street":
                urban, rural = counts.get(tally.region_id, (0, 0))
            else:
                urban, rural = sums[tally.region_id]
            tally.urban_reported, tally.rural_reported = urban, rural
            if tally.parent_id is not None:
                sums[tally.parent_id][0] += urban
                sums[tally.parent_id][1] += rural
        Tally.objects.using(alias).bulk_update(
            tallies, ["urban_reported", "rural_reported"], batch_size=2000
        )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_initial"),
        ("ledger", "0002_ledgerrow_fillfactor"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="tally",
            name="rural_reported",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="tally",
            name="urban_reported",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(fill_reported_by_class, migrations.RunPython.noop),
    ]
