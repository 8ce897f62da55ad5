"""Per-period, per-region compliance figures, kept in step with the ledger's approvals.

A street's figures come from its rows, judged by `ledger.rules` (exact Decimal: the same
rule as the grid); every region above a street sums its children's. Only approved ledgers
count in the stored tallies; `figures_live` computes the same figures on any row for the
"include unapproved" view.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from shequ.compliance.models import Tally
from shequ.compliance.targets import TargetBook
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.regions.history import versions_as_of
from shequ.regions.levels import Level, UrbanRural
from shequ.regions.models import Region, RegionVersion

State = Submission.State

# Upper bounds (exclusive) of the m² per 100 households buckets; the first bucket holds
# communities without a valid ratio, the last everything from the final bound up.
RATIO_BOUNDS = (Decimal(10), Decimal(20), Decimal(30), Decimal(40), Decimal(60))
RATIO_BUCKET_LABELS = ("未填报", "<10", "10–20", "20–30", "30–40", "40–60", "≥60")


def ratio_bucket(ratio: Decimal | None) -> int:
    if ratio is None:
        return 0
    for index, bound in enumerate(RATIO_BOUNDS, start=1):
        if ratio < bound:
            return index
    return len(RATIO_BOUNDS) + 1


@dataclass
class Figures:
    """The countable figures of one region in one period (the columns of `Tally`)."""

    communities: int = 0
    reported: int = 0
    compliant: int = 0
    urban_communities: int = 0
    urban_reported: int = 0
    urban_compliant: int = 0
    rural_communities: int = 0
    rural_reported: int = 0
    rural_compliant: int = 0
    shortfall_m2: Decimal = Decimal("0.0")
    ratio_buckets: list[int] = field(default_factory=lambda: [0] * len(RATIO_BUCKET_LABELS))
    streets: int = 0
    streets_submitted: int = 0
    streets_approved: int = 0
    streets_late: int = 0
    status: str = ""
    submitted_at: object = None

    SUMMED = (
        "communities",
        "reported",
        "compliant",
        "urban_communities",
        "urban_reported",
        "urban_compliant",
        "rural_communities",
        "rural_reported",
        "rural_compliant",
        "shortfall_m2",
        "streets",
        "streets_submitted",
        "streets_approved",
        "streets_late",
    )

    def add(self, other: Figures) -> None:
        for name in self.SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        pairs = zip(self.ratio_buckets, other.ratio_buckets, strict=True)
        self.ratio_buckets = [a + b for a, b in pairs]

    def count_row(self, households, total, urban: bool, standard: Decimal, counted: bool):
        """One community: in the denominator always; judged only when its row counts."""
        self.communities += 1
        compliant = counted and rules.is_compliant(total, households, standard)
        if urban:
            self.urban_communities += 1
            self.urban_compliant += compliant
        else:
            self.rural_communities += 1
            self.rural_compliant += compliant
        self.compliant += compliant
        ratio = rules.per_100_households(total, households) if counted else None
        self.ratio_buckets[ratio_bucket(ratio)] += 1
        if counted and rules.has_valid_households(households):
            self.reported += 1
            if urban:
                self.urban_reported += 1
            else:
                self.rural_reported += 1
            if not compliant:
                self.shortfall_m2 += rules.shortfall(total, households, standard)

    def set_street_submission(self, submission: Submission | None) -> None:
        self.streets = 1
        if submission is None:
            self.status = State.DRAFT
            return
        self.status = submission.state
        self.submitted_at = submission.submitted_at if self.is_submitted else None
        self.streets_submitted = int(self.is_submitted)
        self.streets_approved = int(submission.state == State.APPROVED)
        self.streets_late = int(submission.late and self.is_submitted)

    @property
    def is_submitted(self) -> bool:
        return self.status in (State.SUBMITTED, State.APPROVED)

    def settle_aggregate_status(self, children: list[Figures]) -> None:
        """A region above the street: approved when all its streets are, submitted when all
        have at least submitted (with the last of their times), else draft."""
        if not self.streets:
            self.status = ""
        elif self.streets_approved == self.streets:
            self.status = State.APPROVED
        elif self.streets_submitted == self.streets:
            self.status = State.SUBMITTED
        else:
            self.status = State.DRAFT
        times = [c.submitted_at for c in children if c.submitted_at]
        complete = self.streets and self.streets_submitted == self.streets
        self.submitted_at = max(times) if complete and times else None

    @classmethod
    def from_tally(cls, tally: Tally) -> Figures:
        return cls(**{f.name: getattr(tally, f.name) for f in fields(cls)})


# ---------------------------------------------------------------- streets from rows


@dataclass(frozen=True)
class Node:
    """A region as the tree stood in one period."""

    region_id: int
    parent_id: int | None
    name: str
    level: str
    path: str


def _nodes_as_of(period: Period, versions) -> list[Node]:
    return [
        Node(v.region_id, v.parent_id, v.name, v.region.level, v.path)
        for v in versions.select_related("region")
    ]


def urban_by_community(period: Period, community_ids) -> dict[int, bool]:
    """Urban or rural as the community was classed in the period (村改居 moves it)."""
    ordinal = period.ordinal
    versions = RegionVersion.objects.filter(
        region_id__in=community_ids, valid_from__lte=ordinal
    ).order_by("region_id", "valid_from")
    classes = {}
    for region_id, valid_to, klass in versions.values_list(
        "region_id", "valid_to", "urban_rural_class"
    ):
        if valid_to is None or valid_to > ordinal:
            classes[region_id] = klass == UrbanRural.URBAN
    return classes


def street_figures(
    period: Period,
    street_ids: list[int],
    *,
    approved_only: bool,
    standard: Decimal,
    every_street: bool = False,
) -> dict[int, Figures]:
    """Figures of each street from its rows; a row counts if its ledger is approved (or,
    with approved_only=False, whenever it has been filled in). `every_street` says that
    `street_ids` are all the period's streets: a country's 40,000 ids are then not sent
    to the database as parameters (PostgreSQL takes at most 65,535)."""
    of_period = Q(period=period) if every_street else Q(period=period, street_id__in=street_ids)
    submissions = {s.street_id: s for s in Submission.objects.filter(of_period)}
    of_streets = LedgerRow.objects.filter(of_period)
    rows = list(of_streets.values_list("street_id", "community_id", "households", "total_area"))
    urban = urban_by_community(period, of_streets.values("community_id"))
    result = {street_id: Figures() for street_id in street_ids}
    for street_id, community_id, households, total in rows:
        if street_id not in result:  # a row of a street that has since been removed
            continue
        submission = submissions.get(street_id)
        approved = submission is not None and submission.state == State.APPROVED
        counted = approved or not approved_only
        result[street_id].count_row(
            households, total, urban.get(community_id, False), standard, counted
        )
    for street_id, figures in result.items():
        figures.set_street_submission(submissions.get(street_id))
    return result


def sum_children(kids: list[Figures]) -> Figures:
    total = Figures()
    for kid in kids:
        total.add(kid)
    total.settle_aggregate_status(kids)
    return total


def roll_up(nodes: list[Node], street_results: dict[int, Figures]) -> dict[int, Figures]:
    """Figures for every node: streets as given, each node above the sum of its children."""
    result = dict(street_results)
    children: dict[int, list[int]] = defaultdict(list)
    for node in nodes:
        if node.parent_id is not None:
            children[node.parent_id].append(node.region_id)
    above = [n for n in nodes if n.level not in (Level.STREET, Level.COMMUNITY)]
    # Deepest first, so that every child is summed before its parent.
    for node in sorted(above, key=lambda n: -n.path.count("/")):
        result[node.region_id] = sum_children(
            [result[c] for c in children[node.region_id] if c in result]
        )
    return result


# ---------------------------------------------------------------- stored tallies


def _tally(period: Period, node: Node, figures: Figures, standard: Decimal) -> Tally:
    return Tally(
        period=period,
        region_id=node.region_id,
        parent_id=node.parent_id,
        name=node.name,
        level=node.level,
        standard=standard,
        **{f.name: getattr(figures, f.name) for f in fields(Figures)},
    )


@transaction.atomic
def tallies_rebuild(period: Period) -> int:
    """Recompute every tally of a period from its rows (after loading data, or to repair)."""
    standard = TargetBook.load(period.year).standard(period.year)
    # Communities are filtered out in SQL: a country has 600,000 of them and 40,000 above.
    above_communities = versions_as_of(period.period_code).exclude(region__level=Level.COMMUNITY)
    nodes = _nodes_as_of(period, above_communities)
    street_ids = [n.region_id for n in nodes if n.level == Level.STREET]
    figures = roll_up(
        nodes,
        street_figures(
            period, street_ids, approved_only=True, standard=standard, every_street=True
        ),
    )
    Tally.objects.filter(period=period).delete()
    tallies = [_tally(period, n, figures[n.region_id], standard) for n in nodes]
    Tally.objects.bulk_create(tallies, batch_size=2000)
    return len(figures)


def tally_refresh_street(period: Period, street: Region) -> None:
    """After a street's ledger changed state: its tally, then each region above it, each
    from its children's stored tallies (a handful of rows per level, never the ledger)."""
    standard = TargetBook.load(period.year).standard(period.year)
    chain = _chain_as_of(period, street)
    if not chain:
        return
    street_node = chain[-1]
    figures = street_figures(period, [street.pk], approved_only=True, standard=standard)
    _store(period, street_node, figures[street.pk], standard)
    for node in reversed(chain[:-1]):
        kids = Tally.objects.filter(period=period, parent_id=node.region_id)
        _store(period, node, sum_children([Figures.from_tally(t) for t in kids]), standard)


def _chain_as_of(period: Period, street: Region) -> list[Node]:
    """The street and the regions above it, root first, as the tree stood in the period."""
    own = versions_as_of(period.period_code).filter(region=street).first()
    if own is None:
        return []
    codes = [code for code in own.path.strip("/").split("/") if code]
    versions = versions_as_of(period.period_code).filter(region__code__in=codes)
    return sorted(_nodes_as_of(period, versions), key=lambda n: n.path.count("/"))


def _store(period: Period, node: Node, figures: Figures, standard: Decimal) -> None:
    tally = _tally(period, node, figures, standard)
    keys = {"id", "period_id", "region_id"}
    values = {
        f.attname: getattr(tally, f.attname)
        for f in Tally._meta.concrete_fields
        if f.attname not in keys
    }
    Tally.objects.update_or_create(period=period, region_id=node.region_id, defaults=values)
