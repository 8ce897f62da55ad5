"""Checklist records through a region change: a merged-away or recoded community's
records go on as its successor's, item by item, where the successor has none for the item
(its own records come first; the rest stay with the ceased community as its history)."""

from __future__ import annotations

from shequ.checklist.models import ChecklistEntry
from shequ.regions.models import Region


def checklist_follow(sources: list[Region], successor: Region) -> int:
    """Hand the sources' records on to `successor`; returns how many moved."""
    taken = set(ChecklistEntry.objects.filter(community=successor).values_list("item", flat=True))
    moved = []
    for entry in ChecklistEntry.objects.filter(community__in=sources).order_by("community__code"):
        if entry.item not in taken:
            taken.add(entry.item)
            moved.append(entry.pk)
    return ChecklistEntry.objects.filter(pk__in=moved).update(community=successor)
