"""Reads of the checklist: completeness per community and per street, the items most
often missing, and one community's lines. The annual evaluation calls the first three;
each runs a fixed number of queries, whatever the number of communities.

Completeness counts the 19 items of `items.COUNTED` on the active communities below a
region; an item with no row counts as missing, so a street that never filled the
checklist reads as 0, not as unknown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet

from shequ.checklist.items import BY_CODE, COUNTED, COUNTED_CODES, ITEMS, TOTAL, Item
from shequ.checklist.models import ChecklistEntry
from shequ.regions.levels import Level
from shequ.regions.models import Region


@dataclass(frozen=True)
class StreetCompleteness:
    street_id: int
    communities: int
    complete: int  # communities with all 19 counted items present
    share: Decimal | None  # present counted items ÷ (19 × communities); None: no communities


@dataclass(frozen=True)
class CommunityCompleteness:
    community: Region
    present: int
    missing: list[str]  # labels, in the notice's order

    @property
    def complete(self) -> bool:
        return self.present == TOTAL


def _active_communities(region: Region) -> QuerySet[Region]:
    return Region.objects.active().communities().within(region)


def _present_counted(region: Region) -> QuerySet[ChecklistEntry]:
    return ChecklistEntry.objects.filter(
        present=True,
        item__in=COUNTED_CODES,
        community__level=Level.COMMUNITY,
        community__path__startswith=region.path,
        community__valid_to__isnull=True,
    )


def share_of(present: int, communities: int) -> Decimal | None:
    if communities == 0:
        return None
    return Decimal(present) / Decimal(TOTAL * communities)


def completeness_by_street(region: Region) -> dict[int, StreetCompleteness]:
    """Every active street below `region` (the district, or a street itself): three queries."""
    street_ids = Region.objects.active().streets().within(region).values_list("pk", flat=True)
    communities = dict(
        _active_communities(region).values_list("parent_id").annotate(n=Count("pk")).order_by()
    )
    present: dict[int, int] = defaultdict(int)
    complete: dict[int, int] = defaultdict(int)
    per_community = (
        _present_counted(region)
        .values_list("community_id", "community__parent_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for _community_id, street_id, n in per_community:
        present[street_id] += n
        complete[street_id] += n == TOTAL
    return {
        street_id: StreetCompleteness(
            street_id=street_id,
            communities=communities.get(street_id, 0),
            complete=complete[street_id],
            share=share_of(present[street_id], communities.get(street_id, 0)),
        )
        for street_id in street_ids
    }


def missing_items(region: Region, limit: int = 5) -> list[tuple[str, int]]:
    """The counted items most often missing below `region`: (label, communities missing
    it), most missing first, ties in the notice's order; items missing nowhere are left
    out. Two queries."""
    communities = _active_communities(region).count()
    present = dict(_present_counted(region).values_list("item").annotate(n=Count("pk")).order_by())
    missing = [(item.label, communities - present.get(item.code, 0)) for item in COUNTED]
    ranked = sorted(
        (pair for pair in missing if pair[1] > 0), key=lambda pair: -pair[1]
    )  # sorted() is stable: equal counts keep the notice's order
    return ranked[:limit]


def community_completeness(community: Region) -> tuple[int, int, list[str]]:
    """(present counted items, 19, labels of the missing ones): one query."""
    present = set(
        ChecklistEntry.objects.filter(
            community=community, present=True, item__in=COUNTED_CODES
        ).values_list("item", flat=True)
    )
    return len(present), TOTAL, [item.label for item in COUNTED if item.code not in present]


def communities_completeness(region: Region) -> list[CommunityCompleteness]:
    """Each active community below `region` with its count and missing items (a street's
    overview): two queries."""
    communities = list(_active_communities(region).order_by("code"))
    present: dict[int, set[str]] = defaultdict(set)
    for community_id, code in _present_counted(region).values_list("community_id", "item"):
        present[community_id].add(code)
    return [
        CommunityCompleteness(
            community=c,
            present=len(present[c.pk]),
            missing=[item.label for item in COUNTED if item.code not in present[c.pk]],
        )
        for c in communities
    ]


# ---------------------------------------------------------------- one community


@dataclass
class Line:
    """One item of a community's checklist as the page shows it."""

    item: Item
    entry: ChecklistEntry | None
    shared_with: list[str] = field(default_factory=list)  # other functions of the same room

    @property
    def present(self) -> bool:
        return self.entry is not None and self.entry.present

    @property
    def has_photo(self) -> bool:
        return self.entry is not None and bool(self.entry.photo)


def checklist_lines(community: Region) -> list[Line]:
    """All 21 items in the notice's order, with 一室多用 spelled out: one query."""
    entries = {e.item: e for e in ChecklistEntry.objects.filter(community=community)}
    lines = [Line(item, entries.get(item.code)) for item in ITEMS]
    for room in shared_rooms(entries.values()).values():
        for line in lines:
            if line.item.label in room:
                line.shared_with = [label for label in room if label != line.item.label]
    return lines


def shared_rooms(entries) -> dict[str, list[str]]:
    """Room name → the functions it serves, for rooms serving more than one (一室多用)."""
    rooms: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        if entry.present and entry.room_name and entry.item in BY_CODE:
            rooms[entry.room_name].append(BY_CODE[entry.item])
    return {
        name: [item.label for item in sorted(items, key=ITEMS.index)]
        for name, items in rooms.items()
        if len(items) > 1
    }
