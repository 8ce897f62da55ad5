"""Communities that succeed others (区划调整): which predecessors stand behind a
community's figures in a period, and how their figures combine.

A succession (`regions.models.RegionSuccession`) stands behind its successor from the
period it takes effect until the successor has an approved ledger row of its own from then
on: until that row exists, the successor's last approved figures are its predecessors'
(ADR 0030). A merge and a code change carry them into the new period's row; a split only
shows them, since the old community's whole is not the new part's.

A predecessor that never had an approved row (its street's ledger never approved, or a
community set up since) has no figures to carry: the others' are carried and the note names
it, never a sum that silently leaves a part out.
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
    # Has the predecessor approved figures before the period (its own, or those carried
    # from its own predecessors)? Only then do they stand behind the successor's.
    approved: bool = True

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
    # Where absorbed: has the successor approved figures of its own before the period?
    own_approved: bool = True

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
    def predecessor_ids(self) -> list[int]:
        return [link.predecessor_id for link in self.links]

    def figure_ids(self, *, carrying: bool) -> list[int]:
        """The predecessors whose approved figures stand behind the row: those a new row
        takes over with `carrying` (not a split's whole), all of them to compare with."""
        return [
            link.predecessor_id
            for link in self.links
            if link.approved and (link.carries or not carrying)
        ]

    @property
    def left_out(self) -> tuple[str, ...]:
        """Who stands behind the row but has no approved figures in it: 本社区 (where others
        merged into a community never approved) and the predecessors never approved."""
        own = ("本社区",) if self.absorbed and not self.own_approved else ()
        return own + tuple(link.name for link in self.links if not link.approved)

    @property
    def has_figures(self) -> bool:
        """Does any approved figure stand behind the row (its 上期数 are not all blank)?"""
        own = self.absorbed and self.own_approved
        return own or any(link.approved for link in self.links)

    @property
    def short(self) -> str:
        """A few words under the community's name in the grid."""
        if self.kind == Succession.SPLIT:
            return f"由{self.names}拆分"
        if self.kind == Succession.RENAME:
            return f"原{self.names}改码"
        merged = f"{self.names}并入" if self.absorbed else f"由{self.names}合并"
        if not self.left_out:
            return merged
        return f"{merged}（{'部分' if self.has_figures else '均'}无审核数）"

    @property
    def note(self) -> str:
        """What stands behind the row's 上期 figures, beside its cells and in its history:
        whose approved figures, and who had none (not counted, not a zero)."""
        since = f"（{self.effective_label}起）"
        if self.kind == Succession.SPLIT:
            if not self.has_figures:
                return (
                    f"由{self.names}拆分设立{since}，拆分前{self.names}尚无审核数，无上期数可供参考"
                )
            whole = f"上期数为拆分前{self.names}整体的审核数，仅供参考"
            return f"由{self.names}拆分设立{since}，{whole}"
        if self.kind == Succession.RENAME:
            if not self.has_figures:
                return f"原{self.names}改码{since}，改码前尚无审核数，上期数空缺"
            return f"原{self.names}改码{since}，上期数为改码前的审核数"
        return self._merge_note(since)

    def _merge_note(self, since: str) -> str:
        if self.absorbed:
            head, everyone = f"{self.names}并入本社区{since}", "本社区与并入社区"
            summed = "上期数为本社区与其最近审核数之和"
        else:
            head, everyone = f"由{self.names}合并{since}", "合并前各社区"
            summed = "上期数为合并前各社区最近审核数之和"
        if not self.has_figures:
            return f"{head}，{everyone}均无审核数，上期数空缺"
        if self.left_out:
            missing = "、".join(self.left_out)
            return f"{head}，{summed}；其中{missing}尚无审核数，未计入"
        return f"{head}，{summed}"


def origins(ordinal: int, communities) -> dict[int, Origin]:
    """The origin of each of `communities` (ids, or a `values("…id")` queryset) that still
    stands on its predecessors' figures in the period `ordinal`, each link saying whether
    its predecessor has approved figures. Two queries, the second only when any community
    has a predecessor; one or two more for each step back where a predecessor never
    approved a row of its own (its figures may still be its own predecessors')."""
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
    predecessors = {link[1] for link in links}
    own_latest = _latest_own_approved(ordinal, {link[0] for link in links} | predecessors)
    approved = _with_figures(ordinal, predecessors, own_latest)
    grouped: dict[int, list[Link]] = defaultdict(list)
    started: dict[int, int] = {}
    for successor, predecessor, code, name, kind, effective, valid_from in links:
        if own_latest.get(successor, -1) < effective:
            link = Link(predecessor, code, name, kind, effective, predecessor in approved)
            grouped[successor].append(link)
            started[successor] = valid_from
    return {
        successor: Origin(
            tuple(sorted(found, key=lambda link: link.code)),
            absorbed=started[successor] < min(link.effective for link in found),
            own_approved=successor in own_latest,
        )
        for successor, found in grouped.items()
    }


def _with_figures(ordinal: int, predecessors: set[int], own_latest: dict[int, int]) -> set[int]:
    """Those of `predecessors` with approved figures before the period: an approved row of
    their own, or, never approved themselves, figures carried from their own predecessors
    (a chain of merges; a split part's old whole is not its figures)."""
    found = predecessors & set(own_latest)
    unapproved = predecessors - found
    if unapproved:
        behind = origins(ordinal, list(unapproved))
        found |= {pid for pid, origin in behind.items() if origin.figure_ids(carrying=True)}
    return found


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
    street's to state again; the counting date and source are kept where all agree.
    No parts (no predecessor ever approved): every value blank."""
    if not parts:
        return tuple(_blank(field) for field in CARRIED_FIELDS)
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
