"""Communities that succeed others (区划调整): which predecessors stand behind a
community's figures in a period, and how their figures combine.

A succession (`regions.models.RegionSuccession`) stands behind its successor from the
period it takes effect until the successor has an approved ledger row of its own from then
on: until that row exists, the successor's last approved figures are its predecessors'
(ADR 0030). A merge and a code change carry them into the new period's row; a split only
shows them, since the old community's whole is not the new part's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Max

from shequ.core.lookups import among
from shequ.core.periods import period_label
from shequ.ledger.fields import AREA_FIELDS, CARRIED_FIELDS, CO_LOCATION_FLAGS
from shequ.ledger.models import LedgerRow
from shequ.regions.models import RegionSuccession, Succession

_SUMMED_COUNTS = ("households", "resident_households")
_AREAS = frozenset(AREA_FIELDS)
_FLAGS = frozenset(CO_LOCATION_FLAGS.values())


@dataclass(frozen=True)
class Link:
    """One predecessor behind a successor's figures."""

    predecessor_id: int
    code: str
    name: str
    kind: str
    effective: int

    @property
    def carries(self) -> bool:
        """A merge or a code change brings the predecessor's figures into the row; a
        split's whole is only shown beside the part's cells."""
        return self.kind != Succession.SPLIT


@dataclass(frozen=True)
class Origin:
    """The predecessors standing behind a community's figures in a period."""

    links: tuple[Link, ...]
    # The successor existed before the change (others merged into it): its own last
    # approved figures count with theirs.
    absorbed: bool

    @property
    def kind(self) -> str:
        kinds = {link.kind for link in self.links}
        for kind in (Succession.MERGE, Succession.RENAME, Succession.SPLIT):
            if kind in kinds:
                return kind
        raise AssertionError(kinds)

    @property
    def names(self) -> str:
        return "、".join(link.name for link in self.links)

    @property
    def effective_label(self) -> str:
        return period_label(max(link.effective for link in self.links))

    @property
    def carried_ids(self) -> list[int]:
        return [link.predecessor_id for link in self.links if link.carries]

    @property
    def predecessor_ids(self) -> list[int]:
        return [link.predecessor_id for link in self.links]

    @property
    def short(self) -> str:
        """A few words under the community's name in the grid."""
        if self.kind == Succession.SPLIT:
            return f"由{self.names}拆分"
        if self.kind == Succession.RENAME:
            return f"原{self.names}改码"
        return f"{self.names}并入" if self.absorbed else f"由{self.names}合并"

    @property
    def note(self) -> str:
        """What stands behind the row's 上期 figures, beside its cells and in its history."""
        since = f"（{self.effective_label}起）"
        if self.kind == Succession.SPLIT:
            whole = f"上期数为拆分前{self.names}整体的审核数，仅供参考"
            return f"由{self.names}拆分设立{since}，{whole}"
        if self.kind == Succession.RENAME:
            return f"原{self.names}改码{since}，上期数为改码前的审核数"
        if self.absorbed:
            return f"{self.names}并入本社区{since}，上期数为本社区与其最近审核数之和"
        return f"由{self.names}合并{since}，上期数为合并前各社区最近审核数之和"


def origins(ordinal: int, communities) -> dict[int, Origin]:
    """The origin of each of `communities` (ids, or a `values("…id")` queryset) that still
    stands on its predecessors' figures in the period `ordinal`. Two queries, the second
    only when any community has a predecessor."""
    links = list(
        RegionSuccession.objects.filter(
            among("successor_id", communities), effective__lte=ordinal
        ).values_list(
            "successor_id",
            "predecessor_id",
            "predecessor__code",
            "predecessor__name",
            "kind",
            "effective",
            "successor__valid_from",
        )
    )
    if not links:
        return {}
    own_latest = _latest_own_approved(ordinal, {link[0] for link in links})
    grouped: dict[int, list[Link]] = defaultdict(list)
    started: dict[int, int] = {}
    for successor, predecessor, code, name, kind, effective, valid_from in links:
        if own_latest.get(successor, -1) < effective:
            grouped[successor].append(Link(predecessor, code, name, kind, effective))
            started[successor] = valid_from
    return {
        successor: Origin(
            tuple(sorted(found, key=lambda link: link.code)),
            absorbed=started[successor] < min(link.effective for link in found),
        )
        for successor, found in grouped.items()
    }


def _latest_own_approved(ordinal: int, community_ids: set[int]) -> dict[int, int]:
    rows = LedgerRow.objects.approved().filter(
        among("community_id", community_ids), period__ordinal__lt=ordinal
    )
    latest = rows.values("community_id").annotate(latest=Max("period__ordinal")).order_by()
    return {item["community_id"]: item["latest"] for item in latest}


def combine(parts: list[tuple]) -> tuple:
    """Several communities' carried values (`CARRIED_FIELDS` order) as one community's.

    Counts add up where every part states them (a missing count is not a zero); areas add
    up; a facility counts as set in the centre only where it is in every part's centre
    (where it is in one part's centre, that part's area for it is zero and the others'
    count: the total is the sum of the parts' totals either way); 达标年度 and 备注 are the
    street's to state again; the counting date and source are kept where all agree."""
    if len(parts) == 1:
        return parts[0]
    columns = zip(*parts, strict=True)
    return tuple(
        _combined(field, list(column))
        for field, column in zip(CARRIED_FIELDS, columns, strict=True)
    )


def _combined(field: str, values: list[Any]) -> Any:
    if field in _SUMMED_COUNTS:
        return None if any(value is None for value in values) else sum(values)
    if field in _AREAS:
        stated = [value for value in values if value is not None]
        return sum(stated) if stated else None
    if field in _FLAGS:
        return all(values)
    if field == "compliance_year":
        return None
    if field == "remarks":
        return ""
    first = values[0]
    return first if all(value == first for value in values) else _blank(field)


def _blank(field: str) -> Any:
    return LedgerRow._meta.get_field(field).get_default()
