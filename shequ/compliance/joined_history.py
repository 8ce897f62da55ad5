"""A community's history joined across merges and splits (区划调整).

A merged community has no rows of its own before the merge, and a part of a split none
before the split; their predecessors' approved rows stand for those periods, summed by the
ledger's rules and labelled so that nobody reads them as the community's own figures. Also
here: where a predecessor went, where a successor came from, and the audit events that
name the change.

Each function costs a fixed number of queries whatever the number of periods; following
the successions costs one query per generation of changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import ClassVar

from django.db.models import Q

from shequ.accounts.scope import Scope
from shequ.compliance.dashboard import CommunityPeriod
from shequ.compliance.targets import TargetBook
from shequ.core.models import AuditEvent
from shequ.core.periods import period_label
from shequ.ledger import rules
from shequ.ledger.fields import AREA_FIELDS, LABELS
from shequ.ledger.models import LedgerRow, Period
from shequ.regions.models import Region, RegionSuccession, Succession

# ---------------------------------------------------------------- following successions


@dataclass(frozen=True)
class Ancestor:
    """A region the community succeeded, directly or through others, and the kinds of
    change on the way (a split on the way: the ancestor covered more than the community)."""

    region: Region
    kinds: frozenset[str]


def ancestry(community: Region) -> dict[int, Ancestor]:
    """Every predecessor of `community`, transitively (a predecessor that itself succeeded
    others brings them too), by region id; one query per generation of changes."""
    found: dict[int, Ancestor] = {}
    frontier: dict[int, frozenset[str]] = {community.pk: frozenset()}
    while frontier:
        links = RegionSuccession.objects.filter(successor_id__in=frontier).select_related(
            "predecessor"
        )
        reached: dict[int, Ancestor] = {}
        for link in links:
            if link.predecessor_id == community.pk or link.predecessor_id in found:
                continue  # codes are never reused, but a cycle must not loop forever
            kinds = frontier[link.successor_id] | {link.kind}
            if link.predecessor_id in reached:  # reached by two paths: both kinds hold
                kinds |= reached[link.predecessor_id].kinds
            reached[link.predecessor_id] = Ancestor(link.predecessor, kinds)
        found.update(reached)
        frontier = {pk: ancestor.kinds for pk, ancestor in reached.items()}
    return found


# ---------------------------------------------------------------- the predecessors' periods


@dataclass(frozen=True)
class InheritedPeriod:
    """One period before a change: the predecessors' approved rows of that period, summed.

    `missing` had a row in the period that is not approved: it is not counted, and the
    sum is then not judged (a part of the territory is not in it)."""

    inherited: ClassVar[bool] = True

    period: Period
    label: str
    counted: list[Region]
    missing: list[Region]
    standard: Decimal
    sums: rules.Sums | None

    @property
    def complete(self) -> bool:
        return self.sums is not None and not self.missing

    @property
    def households(self) -> int | None:
        return self.sums.households if self.sums else None

    @property
    def total_area(self) -> Decimal | None:
        return self.sums.total if self.sums else None

    @property
    def per_100_households(self) -> Decimal | None:
        return self.sums.per_100_households if self.sums else None

    @property
    def compliant(self) -> bool | None:
        """Judged by the year's standard on the sums; None when not all of it is counted."""
        if self.sums is None or not self.complete:
            return None
        return rules.is_compliant(self.sums.total, self.sums.households, self.standard)

    @property
    def shortfall(self) -> Decimal | None:
        if self.sums is None or not self.complete:
            return None
        return rules.shortfall(self.sums.total, self.sums.households, self.standard)

    @property
    def areas(self) -> list[tuple[str, Decimal | None, bool]]:
        """As `CommunityPeriod.areas` (label, area, set in the centre): a facility set in a
        centre counts zero in the sums, so none is shown as set in one."""
        return [
            (LABELS[name], self.sums.areas[name] if self.sums else None, False)
            for name in AREA_FIELDS
        ]

    @property
    def missing_names(self) -> str:
        return "、".join(region.name for region in self.missing)


def inherited_label(kinds: Iterable[str], names: list[str]) -> str:
    """What the figures are, in the clerks' words: 合并前：A、B合计; 拆分前：原A（整体）,
    the whole of what was split, not the part's own; 调整前：原A for any other change."""
    kinds = set(kinds)
    joined = "、".join(names)
    whole = f"{joined}合计" if len(names) > 1 else joined
    if Succession.SPLIT in kinds:
        return f"拆分前：原{whole}（整体）"
    if Succession.MERGE in kinds:
        return f"合并前：{whole}" if len(names) > 1 else f"合并前：原{whole}"
    if Succession.RENAME in kinds:
        return f"改码前：原{whole}"
    return f"调整前：原{whole}"


def inherited_history(
    ancestors: dict[int, Ancestor], book: TargetBook | None = None
) -> list[InheritedPeriod]:
    """The predecessors' periods, oldest first: in each, the approved rows of the
    predecessors that existed then, summed (`rules.sums`) and judged by the year's standard.
    Two queries, whatever the number of periods or predecessors."""
    if not ancestors:
        return []
    rows = list(
        LedgerRow.objects.filter(community_id__in=ancestors)
        .select_related("period")
        .order_by("period__ordinal", "community__code")
    )
    approved = set(
        LedgerRow.objects.approved().filter(community_id__in=ancestors).values_list("pk", flat=True)
    )
    book = book or TargetBook.load()
    by_period: dict[int, list[LedgerRow]] = defaultdict(list)
    for row in rows:
        by_period[row.period_id].append(row)
    return [
        _inherited_period(period_rows, approved, ancestors, book)
        for period_rows in by_period.values()
    ]


def _inherited_period(
    rows: list[LedgerRow], approved: set[int], ancestors: dict[int, Ancestor], book: TargetBook
) -> InheritedPeriod:
    """One period's rows of the predecessors: the approved ones counted, the others named."""
    period = rows[0].period
    present = [ancestors[row.community_id] for row in rows]
    counted = [row for row in rows if row.pk in approved]
    return InheritedPeriod(
        period=period,
        label=inherited_label(
            frozenset().union(*(a.kinds for a in present)), [a.region.name for a in present]
        ),
        counted=[ancestors[row.community_id].region for row in counted],
        missing=[ancestors[row.community_id].region for row in rows if row.pk not in approved],
        standard=book.standard(period.year),
        sums=rules.sums(counted) if counted else None,
    )


@dataclass(frozen=True)
class TrendPoint:
    """One period of the community's chart: its own ratio, or its predecessors'."""

    period: Period
    standard: Decimal
    own: Decimal | None
    inherited: Decimal | None


def joined_trend(
    own: Iterable[CommunityPeriod], inherited: list[InheritedPeriod]
) -> list[TrendPoint]:
    """Every period oldest first: the community's own ratio where it has a row, else its
    predecessors' summed ratio where all of them are counted (a partial sum is no ratio of
    the territory)."""
    points = {
        h.period.ordinal: TrendPoint(h.period, h.standard, h.derived.per_100_households, None)
        for h in own
    }
    for h in inherited:
        if h.period.ordinal not in points:
            ratio = h.per_100_households if h.complete else None
            points[h.period.ordinal] = TrendPoint(h.period, h.standard, None, ratio)
    return [points[ordinal] for ordinal in sorted(points)]


def joined_timeline(
    own: list[CommunityPeriod], inherited: list[InheritedPeriod]
) -> list[CommunityPeriod | InheritedPeriod]:
    """The history table's lines, newest first; in a period with both, its own line first."""
    lines: list[CommunityPeriod | InheritedPeriod] = [*own, *inherited]
    return sorted(lines, key=lambda line: (-line.period.ordinal, line.inherited))


def trend_series_name(inherited: list[InheritedPeriod]) -> str:
    """The chart's name for the predecessors' bars, as specific as their labels allow."""
    labels = {h.label.split("：", 1)[0] for h in inherited}
    if labels == {"合并前"}:
        return "合并前（各社区合计）"
    if labels == {"拆分前"}:
        return "拆分前（原社区整体）"
    return "区划调整前"


# ---------------------------------------------------------------- where it went, whence it came


@dataclass(frozen=True)
class Linked:
    """A region named on a page, linked only when the reader may open its page."""

    region: Region
    linkable: bool


def _linked(scope: Scope, regions: Iterable[Region]) -> list[Linked]:
    return [Linked(region, scope.contains(region)) for region in regions]


HANDOVER_VERBS = {
    Succession.MERGE: "并入",
    Succession.SPLIT: "拆分为",
    Succession.RENAME: "改码为",
}


@dataclass(frozen=True)
class Handover:
    """Where a predecessor went: 已于2027年上半年并入XX社区 / 拆分为A、B."""

    kind: str
    effective_label: str
    successors: list[Linked]

    @property
    def verb(self) -> str:
        return HANDOVER_VERBS.get(self.kind, "调整为")


@dataclass(frozen=True)
class Origin:
    """Where a successor came from: 由A、B合并而来 / 由原S拆分而来, from a period on."""

    kind: str
    effective_label: str
    predecessors: list[Linked]
    # The community existed before the others merged into it (并入本社区).
    absorbed: bool = False

    @property
    def kind_label(self) -> str:
        return Succession(self.kind).label if self.kind in Succession.values else "调整"


def handover(scope: Scope, community: Region) -> Handover | None:
    """Where `community` went, if a merge or a split ended it (one query)."""
    links = list(community.successions.select_related("successor").order_by("successor__code"))
    if not links:
        return None
    return Handover(
        links[0].kind,
        period_label(links[0].effective),
        _linked(scope, (link.successor for link in links)),
    )


def origin(scope: Scope, community: Region) -> Origin | None:
    """Whence `community` came, if it succeeded others (one query)."""
    links = list(
        community.predecessions.select_related("predecessor").order_by("predecessor__code")
    )
    if not links:
        return None
    return Origin(
        links[0].kind,
        period_label(links[0].effective),
        _linked(scope, (link.predecessor for link in links)),
        absorbed=community.valid_from < links[0].effective,
    )


# ---------------------------------------------------------------- the audit naming the change

REGION_EVENTS_MAX = 50


def region_change_events(codes: list[str]) -> list[AuditEvent]:
    """The region changes (区划调整) about these regions, newest first: those whose object
    is one of them, or whose recorded changes name one (a merge names its predecessors and
    its successor, a split its source and its parts). One query."""
    if not codes:
        return []
    # The JSON's text narrows the search in SQL; `_names_any` then reads it exactly.
    named = reduce(or_, (Q(changes__icontains=code) for code in codes))
    events = AuditEvent.objects.filter(action__startswith="regions.").filter(
        Q(target_id__in=codes) | named
    )
    wanted = set(codes)
    return [
        event
        for event in events.order_by("-at", "-id")[:REGION_EVENTS_MAX]
        if event.target_id in wanted or _names_any(event.changes, wanted)
    ]


def _names_any(changes: object, codes: set[str]) -> bool:
    """Does an event's `changes` name one of `codes`, as a value or in a list of values?"""
    if not isinstance(changes, dict):
        return False
    for value in changes.values():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and v in codes for v in values):
            return True
    return False
