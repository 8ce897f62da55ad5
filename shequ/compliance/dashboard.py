"""What the dashboards show besides the summary: the trend over all periods, the cheapest
way to the target, the 催报 list, and a community's own figures over time.

Each function costs a fixed number of queries whatever the number of streets or
communities below the region (the dashboards' speed rule).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.db.models import DecimalField, ExpressionWrapper, F
from django.utils import timezone

from shequ.accounts.scope import Scope
from shequ.compliance.models import ReminderSent, Tally
from shequ.compliance.reminders import WAITING
from shequ.compliance.summary import Summary, Unit, state_word, summary
from shequ.compliance.tallies import Figures
from shequ.compliance.targets import TargetBook
from shequ.ledger import rules
from shequ.ledger.fields import AREA_FIELDS, LABELS
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.queries import filled_compliance_years
from shequ.regions.history import versions_as_of
from shequ.regions.levels import Level
from shequ.regions.models import Region

# The cheapest-way list shows the communities that close the gap and this many more, at
# most CHEAPEST_MAX rows (a leader reads the top of it, not all of a city).
CHEAPEST_EXTRA = 10
CHEAPEST_MAX = 100
CHASE_MAX = 60


def period_units(region: Region, periods: list[Period]) -> dict[int, Unit]:
    """The region's approved figures in every period as summary units, by period id (one
    query): what the period picker, the default period and the trend know of each."""
    tallies = {t.period_id: t for t in Tally.objects.filter(region=region)}
    units = {}
    for period in periods:
        tally = tallies.get(period.pk)
        figures = Figures.from_tally(tally) if tally else Figures()
        units[period.pk] = Unit(region.code, region.name, region.level, region.path, figures, None)
    return units


def default_period(periods: list[Period], units: dict[int, Unit]) -> Period:
    """The latest period every street under the region has had approved; before any is,
    the latest period (which the page then labels 进行中)."""
    latest_first = sorted(periods, key=lambda p: -p.ordinal)
    return next((p for p in latest_first if units[p.pk].complete), latest_first[0])


def with_unapproved(
    scope: Scope, region: Region, periods: list[Period], units: dict[int, Unit], known: Summary
) -> dict[int, Unit]:
    """`units` counting unapproved ledgers too (含未审核台账): a period complete on approved
    ledgers reads the same either way; the others are computed from their rows, the period
    already summarised (`known`) taken as it is."""
    result = {}
    for period in periods:
        if period.pk == known.period.pk:
            result[period.pk] = known.total
        elif units[period.pk].complete:
            result[period.pk] = units[period.pk]
        else:
            result[period.pk] = summary(
                scope=scope, period=period, region=region, include_unapproved=True
            ).total
    return result


@dataclass
class TrendPoint:
    period: Period
    unit: Unit
    target: float | None

    @property
    def rate(self) -> float | None:
        """On the line: a complete period's rate."""
        return self.unit.rate if self.unit.complete else None

    @property
    def rate_in_progress(self) -> float | None:
        """A hollow point off the line: the rate among the reported communities."""
        return None if self.unit.complete else self.unit.rate_reported


def trend(periods: list[Period], units: dict[int, Unit], book: TargetBook) -> list[TrendPoint]:
    """The region's compliance in every period, oldest first, with the year's target."""
    points = []
    for period in sorted(periods, key=lambda p: p.ordinal):
        unit = units[period.pk]
        share = book.share(unit.path, period.year)
        points.append(TrendPoint(period, unit, None if share is None else float(share)))
    return points


def ranked(units: list[Unit]) -> list[Unit]:
    """Children for a ranking: the complete ones by rate, best first; then those partly
    reported by their reported rate; then those with nothing reported yet, by code (an
    unknown rate is not a low one)."""

    order = {"complete": 0, "partial": 1, "unknown": 2}

    def key(unit: Unit):
        rate = unit.rate if unit.complete else unit.rate_reported
        return (order[unit.standing], -(rate or 0), unit.code)

    return sorted(units, key=key)


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
    period: Period,
    region: Region,
    standard: Decimal,
    needed: int | None,
    *,
    approved_only: bool = True,
) -> list[CheapStep]:
    """Non-compliant communities whose figures count (on approved ledgers, or with
    approved_only=False on any), fewest m² still needed first, with the running total: the
    first `needed` of them reach the target for the least area."""
    gap = ExpressionWrapper(
        F("households") * standard - F("total_area") * 100,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    limit = min((needed or 0) + CHEAPEST_EXTRA, CHEAPEST_MAX)
    rows = LedgerRow.objects.filter(period=period, households__gt=0).filter(
        street_id__in=_streets_within(period, region)
    )
    if approved_only:
        approved = Submission.objects.approved().filter(period=period)
        rows = rows.filter(street_id__in=approved.values("street_id"))
    rows = (
        rows.annotate(gap=gap)
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
        return state_word(self.status)

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

    @property
    def state(self) -> str:
        """达标 or 未达标 where there is a ratio to judge; else what keeps it from one: a
        row with areas but no households is not 未填报 (its areas are shown)."""
        if self.derived.compliant:
            return "达标"
        if rules.has_valid_households(self.derived.households):
            return "未达标"
        if rules.is_unfilled(self.row):
            return "未填报"
        return "户数为0" if self.row.households == 0 else "缺户数"


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
    inherited: ClassVar[bool] = False  # a period of its own, not its predecessors'

    period: Period
    row: LedgerRow
    approved: bool
    standard: Decimal
    derived: rules.Derived
    areas: list[tuple[str, Decimal | None, bool]]  # label, area, set in the centre
    compliance_year: rules.ComplianceYear  # as the exported workbook shows it


def community_history(
    community: Region, plan_target_years: dict[int, int]
) -> list[CommunityPeriod]:
    """Every period's row of one community, oldest first, judged by its year's standard;
    `plan_target_years` (plans.queries.open_plan_target_years) fills a blank 达标年度 as the
    export does."""
    rows = list(
        LedgerRow.objects.filter(community=community)
        .select_related("period", "street")
        .order_by("period__ordinal")
    )
    approved = set(
        Submission.objects.approved()
        .filter(
            street_id__in={row.street_id for row in rows},
            period_id__in={row.period_id for row in rows},
        )
        .values_list("period_id", "street_id")
    )
    book = TargetBook.load()
    years = _compliance_years(rows, book, plan_target_years)
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
                years[row.pk],
            )
        )
    return result


def _compliance_years(
    rows: list[LedgerRow], book: TargetBook, plan_years: dict[int, int]
) -> dict[int, rules.ComplianceYear]:
    """Each row's 达标年度 as the export of its own period fills it: judged by that year's
    standard, and achieved no later than that period (never a later year shown as if it
    had been reached then)."""
    years: dict[int, rules.ComplianceYear] = {}
    for row in rows:
        standard = book.standard(row.period.year)
        years.update(filled_compliance_years([row], standard, plan_years))
    return years
