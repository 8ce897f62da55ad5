"""What the dashboards show besides the summary: the trend over all periods, the cheapest
way to the target, the 催报 list, and a community's own figures over time.

Each function costs a fixed number of queries whatever the number of streets or
communities below the region (the dashboards' speed rule).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F
from django.utils import timezone

from shequ.compliance.models import ReminderSent, Tally
from shequ.compliance.reminders import WAITING
from shequ.compliance.summary import rate
from shequ.compliance.targets import TargetBook
from shequ.ledger import rules
from shequ.ledger.fields import AREA_FIELDS, LABELS
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.regions.history import versions_as_of
from shequ.regions.levels import Level
from shequ.regions.models import Region

# The cheapest-way list shows the communities that close the gap and this many more, at
# most CHEAPEST_MAX rows (a leader reads the top of it, not all of a city).
CHEAPEST_EXTRA = 10
CHEAPEST_MAX = 100
CHASE_MAX = 60


@dataclass
class TrendPoint:
    period: str
    label: str
    communities: int
    compliant: int
    rate: float | None
    target: float | None


def trend(region: Region, periods: list[Period], book: TargetBook) -> list[TrendPoint]:
    """The region's approved compliance in every period, oldest first (one query)."""
    tallies = {
        t.period_id: t
        for t in Tally.objects.filter(region=region).only("period_id", "communities", "compliant")
    }
    points = []
    for period in sorted(periods, key=lambda p: p.ordinal):
        tally = tallies.get(period.pk)
        # A period with nothing approved yet has no rate to draw, rather than 0 %.
        judged = tally is not None and tally.streets_approved > 0
        communities = tally.communities if tally else 0
        compliant = tally.compliant if tally else 0
        share = book.share(region.path, period.year)
        points.append(
            TrendPoint(
                period.code,
                period.label,
                communities,
                compliant,
                rate(compliant, communities) if judged else None,
                None if share is None else float(share),
            )
        )
    return points


def approved_period_ids(region: Region) -> set[int]:
    """The periods in which at least one street below `region` has an approved ledger."""
    return set(
        Tally.objects.filter(region=region, streets_approved__gt=0).values_list(
            "period_id", flat=True
        )
    )


def judging_period(year: int, periods: list[Period], approved: set[int]) -> Period | None:
    """The period a year is judged on: its second half, or else its latest approved one."""
    of_year = sorted((p for p in periods if p.year == year), key=lambda p: -p.ordinal)
    second_half = next((p for p in of_year if p.period_code.half == 2), None)
    if second_half is not None:
        return second_half
    return next((p for p in of_year if p.pk in approved), of_year[0] if of_year else None)


@dataclass
class CheapStep:
    community: Region
    street_name: str
    households: int
    total_area: Decimal
    ratio: Decimal | None
    shortfall: Decimal
    cumulative: Decimal
    closes_gap: bool  # among the first `needed` communities


def _streets_within(period: Period, region: Region):
    return versions_as_of(period.period_code, within=region, level=Level.STREET).values("region_id")


def cheapest_way(
    period: Period, region: Region, standard: Decimal, needed: int | None
) -> list[CheapStep]:
    """Non-compliant communities on approved ledgers, fewest m² still needed first, with
    the running total: the first `needed` of them reach the target for the least area."""
    approved = Submission.objects.filter(period=period, state=Submission.State.APPROVED)
    gap = ExpressionWrapper(
        F("households") * standard - F("total_area") * 100,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    limit = min((needed or 0) + CHEAPEST_EXTRA, CHEAPEST_MAX)
    rows = (
        LedgerRow.objects.filter(period=period, households__gt=0)
        .filter(street_id__in=_streets_within(period, region))
        .filter(street_id__in=approved.values("street_id"))
        .annotate(gap=gap)
        # True gaps are multiples of 0.1 m² × 100 (one-decimal areas and standard), so
        # this bound only keeps floating-point noise of SQLite out; the rules judge below.
        .filter(gap__gt=Decimal("0.05"))
        .select_related("community", "street")
        .order_by("gap", "community__code")[: limit + CHEAPEST_EXTRA]
    )
    steps, running = [], Decimal("0.0")
    for row in rows:
        if rules.is_compliant(row.total_area, row.households, standard):
            continue
        short = rules.shortfall(row.total_area, row.households, standard)
        running += short
        steps.append(
            CheapStep(
                row.community,
                row.street.name,
                row.households,
                row.total_area,
                rules.per_100_households(row.total_area, row.households),
                short,
                running,
                needed is not None and len(steps) < needed,
            )
        )
    return steps[:limit]


@dataclass
class ChaseItem:
    street: Region
    status: str
    deadline: datetime.date
    days_left: int
    reminded_today: bool

    @property
    def status_label(self) -> str:
        return Submission.State(self.status).label

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def chase_list(
    period: Period, region: Region, today: datetime.date | None = None
) -> list[ChaseItem]:
    """Streets below `region` that have not submitted, nearest deadline first (催报)."""
    today = today or timezone.localdate()
    waiting = (
        Tally.objects.filter(
            period=period,
            level=Level.STREET,
            status__in=WAITING,
            region__path__startswith=region.path,
        )
        .select_related("region")
        .order_by("region__code")[:CHASE_MAX]
    )
    extended = dict(period.extensions.values_list("street_id", "deadline"))
    reminded = set(
        ReminderSent.objects.filter(period=period, day=today).values_list("street_id", flat=True)
    )
    items = []
    for tally in waiting:
        deadline = extended.get(tally.region_id, period.deadline)
        items.append(
            ChaseItem(
                tally.region,
                tally.status,
                deadline,
                (deadline - today).days,
                tally.region_id in reminded,
            )
        )
    return sorted(items, key=lambda item: (item.days_left, item.street.code))


@dataclass
class StreetLine:
    row: LedgerRow
    derived: rules.Derived


def street_lines(period: Period, street: Region, standard: Decimal) -> list[StreetLine]:
    """A street's communities in the period with their judged figures (one query)."""
    rows = (
        LedgerRow.objects.filter(period=period, street=street)
        .select_related("community")
        .order_by("community__code")
    )
    return [StreetLine(row, rules.derive(row, standard)) for row in rows]


# ---------------------------------------------------------------- one community


@dataclass
class CommunityPeriod:
    period: Period
    row: LedgerRow
    approved: bool
    standard: Decimal
    derived: rules.Derived
    areas: list[tuple[str, Decimal | None, bool]]  # label, area, set in the centre


def community_history(community: Region) -> list[CommunityPeriod]:
    """Every period's row of one community, oldest first, judged by its year's standard."""
    rows = list(
        LedgerRow.objects.filter(community=community)
        .select_related("period", "street")
        .order_by("period__ordinal")
    )
    approved = set(
        Submission.objects.filter(
            state=Submission.State.APPROVED,
            street_id__in={row.street_id for row in rows},
            period_id__in={row.period_id for row in rows},
        ).values_list("period_id", "street_id")
    )
    book = TargetBook.load()
    result = []
    for row in rows:
        standard = book.standard(row.period.year)
        result.append(
            CommunityPeriod(
                row.period,
                row,
                (row.period_id, row.street_id) in approved,
                standard,
                rules.derive(row, standard),
                [
                    (LABELS[name], getattr(row, name), rules.is_co_located(row, name))
                    for name in AREA_FIELDS
                ],
            )
        )
    return result
