"""Seven years of demo history for the 北碚区 demo: 2020H1 … 2026H2, all 192 communities.

Generated, deterministic and labelled as demo data. Compliance climbs around the notice's
targets (60 % in 2020, 70 % in 2021, 80 % in 2022) and keeps improving; a few submissions
are late and a few are returned once; everything is approved up to 2026H1, and 2026H2 is
open with some streets in draft, some submitted, some returned. It goes through the same
services as real use, so every figure is audited and every approval sealed.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shequ.accounts.scope import Scope, operator_scope, scope_for_username
from shequ.core.models import Notification
from shequ.core.periods import PeriodCode
from shequ.ledger import rules
from shequ.ledger.fields import CO_LOCATION_FLAGS
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.periods import period_close
from shequ.ledger.rows import rows_bulk_update
from shequ.regions.levels import Level, UrbanRural
from shequ.regions.models import Region
from shequ.workflow.periods import period_open
from shequ.workflow.submissions import submission_approve, submission_return, submission_submit

FIRST, LAST = PeriodCode(2020, 1), PeriodCode(2026, 2)
SEED = 20201109  # the notice's date
DEMO_REASON = "演示数据（自动生成）"

# Share of communities compliant in each period, 2020H1 … 2026H2 (the notice's targets
# are 60 % / 70 % / 80 % for 2020 / 2021 / 2022, judged on the second half).
COMPLIANCE_PATH = [
    0.52,
    0.61,
    0.66,
    0.71,
    0.76,
    0.81,
    0.83,
    0.85,
    0.87,
    0.89,
    0.90,
    0.92,
    0.93,
    0.94,
]

WARNING_COMMENTS = {
    "center_small": "村（社区）便民服务中心用房偏小，已列入“一社区一方案”",
    "households_changed": "新建小区交付，户数据公安户籍数据核实",
    "total_fell": "部分用房收回，已核实",
    "ratio_high": "户数少、设施面积已核实无误",
    "compliance_year": "按实际达标年份填报",
}


@dataclass
class Profile:
    """One community's made-up but plausible course over the fourteen periods."""

    households: list[int]
    totals: list[Decimal]
    compliant_from: int | None  # index of the first compliant period
    shares: dict[str, Decimal]
    co_located: dict[str, bool]
    grocery: bool


def _periods() -> list[PeriodCode]:
    return [PeriodCode.from_ordinal(o) for o in range(FIRST.ordinal, LAST.ordinal + 1)]


def _one_decimal(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"))


def build_profiles(communities: list[Region]) -> dict[int, Profile]:
    periods = _periods()
    ranking = random.Random(SEED)
    order = sorted(communities, key=lambda c: c.code)
    ranking.shuffle(order)
    profiles = {}
    for rank, community in enumerate(order):
        rng = random.Random(f"{SEED}-{community.code}")
        share = (rank + 1) / len(order)
        compliant_from = next(
            (i for i, target in enumerate(COMPLIANCE_PATH) if target >= share), None
        )
        households = _households(rng, community, len(periods))
        totals = _totals(rng, households, compliant_from)
        profiles[community.pk] = Profile(
            households=households,
            totals=totals,
            compliant_from=compliant_from,
            shares=_shares(rng, community),
            co_located={
                "police_room": rng.random() < 0.45,
                "health_station": rng.random() < 0.3,
                "culture_room": rng.random() < 0.3,
                "day_care": rng.random() < 0.15,
            },
            grocery=rng.random() < 0.3,
        )
    return profiles


def _households(rng: random.Random, community: Region, count: int) -> list[int]:
    """Registered households: recounted in about a third of the periods, as streets do."""
    urban = community.urban_rural_class == UrbanRural.URBAN
    value = rng.randint(1500, 7000) if urban else rng.randint(400, 2500)
    series = []
    for _ in range(count):
        series.append(value)
        if rng.random() < 0.35:
            growth = rng.uniform(0.005, 0.04) if urban else rng.uniform(-0.02, 0.012)
            value = max(300, round(value * (1 + growth)))
    return series


def _totals(rng: random.Random, households: list[int], compliant_from: int | None) -> list[Decimal]:
    """Total area per period: short of the standard, then above it; it never falls, and
    between building works it stays exactly as it was."""
    short_ratio = Decimal(str(rng.uniform(12, 27)))
    good_ratio = Decimal(str(rng.uniform(32, 52)))
    totals, previous = [], Decimal("0")
    for index, count in enumerate(households):
        compliant = compliant_from is not None and index >= compliant_from
        if index == 0 or (compliant and index == compliant_from):
            ratio = good_ratio if compliant else short_ratio
            total = max(previous, _ceil_tenth(ratio * count / 100))
        elif not compliant and rng.random() < 0.2:
            total = previous + _ceil_tenth(previous * Decimal(str(rng.uniform(0.02, 0.08))))
        else:
            total = previous
        if compliant:  # households may have grown: stay above the line
            total = max(total, _ceil_tenth(Decimal(31) * count / 100))
        totals.append(total)
        previous = total
    return totals


def _ceil_tenth(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_CEILING)


def _shares(rng: random.Random, community: Region) -> dict[str, Decimal]:
    urban = community.urban_rural_class == UrbanRural.URBAN
    return {
        "police_room": Decimal(str(rng.uniform(0.04, 0.08))),
        "day_care": Decimal(str(rng.uniform(0.12, 0.25) if urban else rng.uniform(0.05, 0.15))),
        "health_station": Decimal(str(rng.uniform(0.06, 0.12))),
        "culture_room": Decimal(str(rng.uniform(0.08, 0.16))),
        "grocery": Decimal(str(rng.uniform(0.04, 0.09))),
        "other": Decimal(str(rng.uniform(0.0, 0.06))),
    }


def values_for(profile: Profile, index: int) -> dict[str, Any]:
    """The row a street would enter for this community in period `index`."""
    total = profile.totals[index]
    values: dict[str, Any] = {"households": profile.households[index], "remarks": ""}
    allocated = Decimal("0")
    for facility, share in profile.shares.items():
        if facility == "grocery" and not profile.grocery:
            values[facility] = None
            continue
        flag = CO_LOCATION_FLAGS.get(facility)
        if flag:
            values[flag] = profile.co_located[facility]
            if profile.co_located[facility]:
                values[facility] = None
                continue
        area = _one_decimal(total * share)
        values[facility] = area
        allocated += area
    values["service_center"] = total - allocated  # the centre holds the rest, exactly
    if profile.compliant_from is not None and index >= profile.compliant_from:
        first_year = _periods()[profile.compliant_from].year
        values["compliance_year"] = first_year
    else:
        values["compliance_year"] = None
    return values


def _comments_for(
    values: dict[str, Any], previous: dict[str, Any] | None, year: int
) -> dict[str, str]:
    probe = LedgerRow(**{k: v for k, v in values.items()})
    before = LedgerRow(**previous) if previous else None
    findings = rules.validate(probe, previous=before, period_year=year, limits=rules.Thresholds())
    return {f.code: WARNING_COMMENTS[f.code] for f in findings if not f.is_error}


def _moment(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 30)))


@dataclass
class DemoHistory:
    periods: int = 0
    rows: int = 0
    approvals: int = 0
    late: int = 0
    returned: int = 0


def demo_history_build(after_period: Callable[[Period], None] | None = None) -> DemoHistory:
    """Build the history once; a database that already has periods is left alone.

    `after_period(period)` runs once each period's ledgers are decided: what later apps do
    with an approval (plans taken on, closed) happens in the order it would have."""
    report = DemoHistory()
    if Period.objects.exists():
        return report
    operator = operator_scope()
    root = operator.node
    if root is None:
        return report  # no regions loaded: nothing to build on
    communities = list(Region.objects.filter(level=Level.COMMUNITY, path__startswith=root.path))
    profiles = build_profiles(communities)
    district = _district_approver(operator)
    previous_values: dict[int, dict[str, Any]] = {}
    history_end = 0
    for index, code in enumerate(_periods()):
        if code == LAST:
            history_end = Notification.objects.aggregate(last=Max("id"))["last"] or 0
        with transaction.atomic():
            period = period_open(scope=operator, code=code).period
            report.periods += 1
            previous_values = _fill(period, index, profiles, previous_values, operator, report)
            _decide(period, district, report)
            if after_period is not None:
                after_period(period)
            if code != LAST:
                period_close(scope=operator, period=period)
    # The history is the past: its notifications are not news to anyone. The period still
    # open is the present: what it brought (submissions to review, a return) is unread.
    Notification.objects.filter(id__lte=history_end).update(read_at=timezone.now())
    return report


def _district_approver(operator: Scope) -> Scope:
    try:
        return scope_for_username("approver")
    except LookupError:
        return operator


def _fill(
    period: Period,
    index: int,
    profiles: dict[int, Profile],
    previous_values: dict[int, dict[str, Any]],
    operator: Scope,
    report: DemoHistory,
) -> dict[int, dict[str, Any]]:
    rows = list(period.rows.select_related("community", "period", "street"))
    updates, comments, current = [], {}, {}
    for row in rows:
        profile = profiles.get(row.community_id)
        if profile is None:
            continue
        values = values_for(profile, index)
        current[row.community_id] = values
        updates.append((row, values))
        found = _comments_for(values, previous_values.get(row.community_id), period.year)
        if found:
            comments[row.pk] = found
    report.rows += rows_bulk_update(
        scope=operator,
        updates=updates,
        reason=DEMO_REASON,
        action="ledger.demo",
        comments=comments,
    )
    return current


def _decide(period: Period, district: Scope, report: DemoHistory) -> None:
    rng = random.Random(f"{SEED}-decisions-{period.code}")
    last = period.code == LAST.code
    submissions = list(
        period.submissions.select_related("street", "period").order_by("street__code")
    )
    for position, submission in enumerate(submissions):
        street = _street_scope(submission.street)
        if last:
            _decide_open_period(submission, position, street, district, report)
            continue
        late = rng.random() < 0.08
        day = period.deadline + datetime.timedelta(
            days=rng.randint(1, 9) if late else -rng.randint(1, 20)
        )
        submitted = submission_submit(scope=street, submission=submission, now=_moment(day, 9))
        report.late += submitted.late
        if rng.random() < 0.06:
            submitted = submission_return(
                scope=district,
                submission=submitted,
                reason="个别社区户数与公安户籍数据不一致，请核实",
                now=_moment(day + datetime.timedelta(days=2), 15),
            )
            report.returned += 1
            day += datetime.timedelta(days=4)
            submitted = submission_submit(scope=street, submission=submitted, now=_moment(day, 10))
        submission_approve(
            scope=district, submission=submitted, now=_moment(day + datetime.timedelta(days=3), 16)
        )
        report.approvals += 1


def _decide_open_period(
    submission: Submission, position: int, street: Scope, district: Scope, report: DemoHistory
) -> None:
    """2026H2 as the demo finds it: some streets submitted, one returned, the rest in draft."""
    if position % 2 == 1:
        return  # still in draft
    day = submission.period.deadline - datetime.timedelta(days=3 - position % 5)
    submitted = submission_submit(scope=street, submission=submission, now=_moment(day, 11))
    report.late += submitted.late
    if position == 4:
        submission_return(
            scope=district,
            submission=submitted,
            reason="请补充新建养老服务站的面积依据",
            now=_moment(day + datetime.timedelta(days=1), 15),
        )
        report.returned += 1


def _street_scope(street: Region) -> Scope:
    try:
        return scope_for_username(f"{street.code}-approver")
    except LookupError:
        return operator_scope()
