"""The annual evaluation (年度评估, 销号制): for a year, every street and the district —
communities, compliant, rate against the target, the change on last year, plans closed
(销号) that year, the street's implementation plan against the outcome, on-time
submissions, and the service-centre checklist.

Figures come from the one summary (`compliance.summary`) on the year's judging period,
so the evaluation, the dashboards and the API always agree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from shequ.accounts.scope import Scope
from shequ.compliance.dashboard import approved_period_ids, judging_period
from shequ.compliance.summary import Unit, points_between, summary
from shequ.compliance.targets import standard_for_year
from shequ.core.errors import DomainError, NotAllowed
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.plans.models import Measure, Plan
from shequ.plans.queries import plans_under
from shequ.plans.street_plans import street_year
from shequ.regions.levels import Level, is_above_street
from shequ.regions.models import Region


@dataclass
class Row:
    """One street (or the district's total) in the evaluation table."""

    code: str
    name: str
    unit: Unit
    previous_rate: float | None
    closed_plans: int
    open_plans: int
    slipped_plans: int
    planned: int | None  # communities the implementation plan targets this year
    achieved: int | None  # of those, compliant on the judging period
    plan_filed: bool | None
    submissions: int
    late: int

    @property
    def communities(self) -> int:
        return self.unit.figures.communities

    @property
    def compliant(self) -> int:
        return self.unit.figures.compliant

    @property
    def rate(self) -> float | None:
        return self.unit.rate

    @property
    def target(self) -> Decimal | None:
        return self.unit.target

    @property
    def known(self) -> bool:
        """Every street's ledger of the judging period is approved: until then the rate
        counts the unknown as failures, and whether the target is met cannot be said."""
        return self.unit.complete

    @property
    def pending(self) -> bool:
        """A street whose ledger of the judging period is not approved yet: its figures
        read 待审核, not 0 %. A street without communities waits for nothing (—)."""
        return not self.known and self.unit.level == Level.STREET and self.communities > 0

    @property
    def met(self) -> bool | None:
        """None without a target, or while not `known`."""
        return self.unit.meets_target if self.known else None

    @property
    def needed(self) -> int | None:
        return self.unit.needed_for_target

    @property
    def change(self) -> float | None:
        """Change of the rate on last year, in points of a fraction (0.05 = 5 points); None
        while this year's rate is not `known`."""
        if self.rate is None or self.previous_rate is None or not self.known:
            return None
        return self.rate - self.previous_rate

    @property
    def change_points(self) -> Decimal | None:
        """The change as the two years' rates read (`points_between`), for documents."""
        if self.change is None or self.rate is None or self.previous_rate is None:
            return None
        return points_between(self.rate, self.previous_rate)

    @property
    def on_time(self) -> int:
        return self.submissions - self.late

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "communities": self.communities,
            "compliant": self.compliant,
            "rate": self.rate,
            "target": None if self.target is None else float(self.target),
            "met": self.met,
            "needed_for_target": self.needed,
            "previous_rate": self.previous_rate,
            "change": self.change,
            "plans": {
                "closed_in_year": self.closed_plans,
                "open": self.open_plans,
                "slipped": self.slipped_plans,
            },
            "implementation_plan": {
                "filed": self.plan_filed,
                "planned": self.planned,
                "achieved": self.achieved,
            },
            "submissions": {"total": self.submissions, "on_time": self.on_time, "late": self.late},
        }


@dataclass
class Evaluation:
    year: int
    region: Region
    period: Period
    previous_period: Period | None
    standard: Decimal
    target: Decimal | None
    rows: list[Row]
    total: Row
    made_on: datetime.date
    as_of: datetime.date  # plan and measure counts are as of this day
    extras: dict = field(default_factory=dict)

    @property
    def missed(self) -> list[Row]:
        return [row for row in self.rows if row.met is False]

    def as_json(self) -> dict:
        return {
            "year": self.year,
            "region": {"code": self.region.code, "name": self.region.name},
            "period": self.period.code,
            "previous_period": self.previous_period.code if self.previous_period else None,
            "standard": float(self.standard),
            "target": None if self.target is None else float(self.target),
            "total": self.total.as_json(),
            "streets": [row.as_json() for row in self.rows],
            **{key: value for key, value in self.extras.items() if key != "rows"},
        }


def evaluation_period(year: int, region: Region) -> Period:
    periods = list(Period.objects.all())
    period = judging_period(year, periods, approved_period_ids(region))
    if period is None:
        raise DomainError(f"{year}年没有报告期，无法评估", field="year")
    return period


def may_evaluate(scope: Scope) -> bool:
    """The evaluation is the district's: users whose node lies above the street (the page
    and the API ask this; `evaluate` itself refuses a street or a community as the region)."""
    return scope.node is not None and is_above_street(scope.node.level)


def require_evaluator(scope: Scope) -> None:
    if not may_evaluate(scope):
        raise NotAllowed("年度评估由区级用户查看")


def evaluate(*, scope: Scope, year: int, region: Region | None = None, today=None) -> Evaluation:
    """The evaluation of `year` for `region` (the caller's node by default; a district or
    any region above the street)."""
    region = region or scope.node
    if region is None or not scope.contains(region):
        raise DomainError("该区划不在管辖范围内", field="region")
    if region.level in (Level.STREET, Level.COMMUNITY):
        raise DomainError("年度评估针对区县（或以上）的各街镇", field="region")
    period = evaluation_period(year, region)
    current = summary(scope=scope, period=period, region=region)
    previous_period = _previous_period(year, region)
    previous = (
        summary(scope=scope, period=previous_period, region=region) if previous_period else None
    )
    # Last year's rate only where it was the year's: a rate of the approved part of a year
    # never fully approved is no rate to say 较上年 against.
    before = {u.code: _year_rate(u) for u in previous.children} if previous else {}
    codes = [u.code for u in current.children]
    streets = {r.code: r for r in Region.objects.filter(code__in=codes)}
    today = today or timezone.localdate()  # the bureau's day, not the server's
    as_of = year_end(year, today)
    plans = _plan_counts(region, year, period, as_of)
    submissions = _submission_counts(region, year)
    rows = [
        _row(unit, before.get(unit.code), plans, submissions, streets.get(unit.code), year)
        for unit in current.children
    ]
    total = _total_row(current.total, _year_rate(previous.total) if previous else None, rows)
    evaluation = Evaluation(
        year,
        region,
        period,
        previous_period,
        current.standard,
        current.target,
        rows,
        total,
        today,
        as_of,
    )
    evaluation.extras["overdue_measures"] = _overdue_measures(region, as_of)
    return evaluation


def _year_rate(unit: Unit) -> float | None:
    return unit.rate if unit.complete else None


def _overdue_measures(region: Region, as_of: datetime.date) -> int:
    """Measures past their date at `as_of` and not done by then, of plans open then."""
    done_by_then = Q(status=Measure.Status.DONE, actual_date__lte=as_of)
    return (
        Measure.objects.filter(
            plan__in=plans_under(region).filter(_open_at(as_of)),
            planned_date__lt=as_of,
        )
        .exclude(done_by_then)
        .count()
    )


def _previous_period(year: int, region: Region) -> Period | None:
    try:
        return evaluation_period(year - 1, region)
    except DomainError:
        return None


def _open_at(as_of: datetime.date) -> Q:
    """Plans drafted from a period of `as_of`'s year or before, and not closed by then."""
    drafted = Q(drafted_period__ordinal__lte=as_of.year * 2 + 1)
    return drafted & (Q(closed_on__isnull=True) | Q(closed_on__gt=as_of))


def _plan_counts(region: Region, year: int, period: Period, as_of: datetime.date):
    """Per street: plans closed in `year`; plans open at `as_of`, and of those the ones
    whose target year has come while the judging period still shows them short."""
    plans = plans_under(region)
    short = _short_on(period, plans)
    counts = plans.values("street_id").annotate(
        closed=Count("pk", filter=Q(state=Plan.State.CLOSED, closed_on__year=year)),
        open=Count("pk", filter=_open_at(as_of)),
        slipped=Count(
            "pk",
            filter=_open_at(as_of) & Q(target_year__lte=year, community_id__in=short),
        ),
    )
    return {c["street_id"]: c for c in counts}


def _short_on(period: Period, plans) -> list[int]:
    """Communities of these plans that the period's approved ledger shows short."""
    standard = standard_for_year(period.year)
    rows = LedgerRow.objects.filter(
        period=period, community_id__in=plans.values("community_id")
    ).approved()
    return [
        row.community_id
        for row in rows.only("community_id", "households", "total_area")
        if not rules.is_compliant(row.total_area, row.households, standard)
    ]


def year_end(year: int, today: datetime.date) -> datetime.date:
    """The day a year's evaluation looks at: its last day, or today while it runs."""
    return min(datetime.date(year, 12, 31), today)


def _submission_counts(region: Region, year: int) -> dict[int, dict]:
    """Per street: the year's ledgers submitted (or approved) and how many of them late."""
    submitted = Submission.objects.filter(
        street__path__startswith=region.path,
        period__ordinal__in=(year * 2, year * 2 + 1),
        submitted_at__isnull=False,
    )
    counts = submitted.values("street_id").annotate(
        total=Count("pk"), late=Count("pk", filter=Q(late=True))
    )
    return {c["street_id"]: c for c in counts}


def _row(unit, previous_rate, plans, submissions, street, year) -> Row:
    own_plans = plans.get(street.pk, {}) if street else {}
    own_submissions = submissions.get(street.pk, {}) if street else {}
    planned = achieved = filed = None
    if street is not None and street.is_street:
        data = street_year(street, year)
        planned, achieved, filed = len(data.communities), data.achieved, data.document is not None
    return Row(
        unit.code,
        unit.name,
        unit,
        previous_rate,
        own_plans.get("closed", 0),
        own_plans.get("open", 0),
        own_plans.get("slipped", 0),
        planned,
        achieved,
        filed,
        own_submissions.get("total", 0),
        own_submissions.get("late", 0),
    )


def _sum(values) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _total_row(unit: Unit, previous_rate: float | None, rows: list[Row]) -> Row:
    return Row(
        unit.code,
        unit.name,
        unit,
        previous_rate,
        sum(r.closed_plans for r in rows),
        sum(r.open_plans for r in rows),
        sum(r.slipped_plans for r in rows),
        _sum(r.planned for r in rows),
        _sum(r.achieved for r in rows),
        None,
        sum(r.submissions for r in rows),
        sum(r.late for r in rows),
    )
