"""Writing a whole region tree at once into an empty database.

Ids are given here rather than read back, so that a child can name its parent in the same
bulk write (COPY on PostgreSQL returns no ids); the id sequences are moved past them after.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from shequ.core.bulk import insert_rows
from shequ.regions.levels import Level, default_class_for_kind, kind_from_code
from shequ.regions.models import Region, RegionVersion
from shequ.scale.national import Unit

REGION_FIELDS = ["id", "code", "name", "level", "parent", "path", "kind", "urban_rural_class"]
REGION_FIELDS += ["urban_rural_code", "valid_from"]
VERSION_FIELDS = ["region", "valid_from", "name", "parent", "path", "kind", "urban_rural_class"]
BATCH = 50_000


def tree_insert(units: Iterable[Unit]) -> int:
    """Create every unit (parents first) with its first version; returns how many."""
    known: dict[str, tuple[int, str]] = {}  # code → (id, path)
    next_id = (Region.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    regions, versions, count = [], [], 0
    for unit in units:
        parent_id, parent_path = known[unit.parent_code] if unit.parent_code else (None, "/")
        path = f"{parent_path}{unit.code}/"
        known[unit.code] = (next_id, path)
        kind = kind_from_code(unit.code, unit.level)
        klass = default_class_for_kind(kind) if unit.level == Level.COMMUNITY else ""
        regions.append([next_id, unit.code, unit.name, unit.level, parent_id, path, kind, klass])
        regions[-1] += ["", 0]
        versions.append([next_id, 0, unit.name, parent_id, path, kind, klass])
        next_id += 1
        count += 1
        if len(regions) >= BATCH:
            _flush(regions, versions)
    _flush(regions, versions)
    _reset_sequences([Region, RegionVersion])
    return count


def _flush(regions: list, versions: list) -> None:
    insert_rows(Region, REGION_FIELDS, regions)
    insert_rows(RegionVersion, VERSION_FIELDS, versions)
    regions.clear()
    versions.clear()


def _reset_sequences(models: list) -> None:
    """After rows written with their own ids, the next id the database hands out must be
    past them (PostgreSQL; SQLite's AUTOINCREMENT keeps track by itself)."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
