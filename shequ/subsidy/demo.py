"""The demo's district subsidy: 500 万元 a year for 2024–2026, partly allocated and paid,
to centres in named streets and (where the demo has them) to measures funded 区级补助.
Built through the services, so the figures obey the same rules as real ones."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from shequ.accounts.scope import operator_scope
from shequ.plans.models import Measure
from shequ.regions.models import Region
from shequ.subsidy import services
from shequ.subsidy.models import SubsidyAllocation, SubsidyBudget

Purpose = SubsidyAllocation.Purpose
DEMO_BUDGET = Decimal("500.00")
DEMO_YEARS = (2024, 2025, 2026)
MEASURE_YEAR = 2026
MEASURE_COUNT = 4
MEASURE_CAP = Decimal("25.00")


def _on(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


# (year, street code, purpose, 万元, paid on (None: not yet), notes)
DEMO_ALLOCATIONS = (
    (2024, "500109001", Purpose.SERVICE_CENTER, "120.00", "2024-06-18", "天生街道便民服务中心改造"),
    (2024, "500109102", Purpose.MUTUAL_AID, "36.00", "2024-09-10", "澄江镇村级养老互助点 4 个"),
    (2024, "500109007", Purpose.ELDERLY_CENTER, "150.00", "2024-11-05", "歇马街道养老服务中心建设"),
    (2024, "500109116", Purpose.MUTUAL_AID, "45.00", "2024-12-02", "金刀峡镇村级养老互助点 5 个"),
    (2024, "500109008", Purpose.SERVICE_CENTER, "80.00", "2025-03-12", "水土街道便民服务中心扩建"),
    (
        2025,
        "500109006",
        Purpose.ELDERLY_CENTER,
        "180.00",
        "2025-08-20",
        "蔡家岗街道养老服务中心建设",
    ),
    (2025, "500109110", Purpose.MUTUAL_AID, "54.00", "2025-10-15", "静观镇村级养老互助点 6 个"),
    (
        2025,
        "500109003",
        Purpose.SERVICE_CENTER,
        "95.50",
        "2026-01-20",
        "北温泉街道便民服务中心改造",
    ),
    (2025, "500109113", Purpose.MUTUAL_AID, "27.00", None, "三圣镇村级养老互助点 3 个"),
    (2025, "500109105", Purpose.SERVICE_CENTER, "104.00", None, "天府镇便民服务中心新建"),
    (2026, "500109002", Purpose.SERVICE_CENTER, "110.00", "2026-05-18", "朝阳街道便民服务中心改造"),
    (2026, "500109111", Purpose.MUTUAL_AID, "31.50", "2026-07-02", "柳荫镇村级养老互助点 3 个"),
    (2026, "500109104", Purpose.ELDERLY_CENTER, "160.00", None, "童家溪镇养老服务中心建设"),
    (2026, "500109009", Purpose.SERVICE_CENTER, "75.00", None, "复兴街道便民服务中心改造"),
)


@dataclass(frozen=True)
class DemoSubsidy:
    budgets: int = 0
    allocations: int = 0
    paid: int = 0


@transaction.atomic
def demo_subsidy_create() -> DemoSubsidy:
    """Create the demo subsidy unless any budget exists (running the demo again changes
    nothing). Payments dated after today stay unpaid, so the demo works on any date."""
    if SubsidyBudget.objects.exists():
        return DemoSubsidy()
    scope = operator_scope()
    for year in DEMO_YEARS:
        services.budget_set(scope=scope, year=year, amount=DEMO_BUDGET, notes="演示数据")
    streets = {s.code: s for s in Region.objects.filter(code__in={a[1] for a in DEMO_ALLOCATIONS})}
    allocations, paid = 0, 0
    for year, code, purpose, amount, paid_on, notes in DEMO_ALLOCATIONS:
        if code not in streets:
            continue
        allocation = services.allocation_create(
            scope=scope,
            year=year,
            street=streets[code],
            purpose=purpose,
            amount=Decimal(amount),
            notes=notes,
        ).allocation
        allocations += 1
        paid += _pay(scope, allocation, paid_on)
    allocations += _fund_measures(scope)
    return DemoSubsidy(len(DEMO_YEARS), allocations, paid)


def _pay(scope, allocation: SubsidyAllocation, paid_on: str | None) -> int:
    if paid_on is None or _on(paid_on) > timezone.localdate():
        return 0
    services.allocation_mark_paid(scope=scope, allocation=allocation, paid_on=_on(paid_on))
    return 1


def _fund_measures(scope) -> int:
    """The first few measures funded 区级补助 (in street and community order), if any."""
    measures = (
        Measure.objects.filter(funding=Measure.Funding.DISTRICT, plan__street__valid_to=None)
        .select_related("plan__street", "plan__community")
        .order_by("plan__street__code", "plan__community__code", "pk")[:MEASURE_COUNT]
    )
    for measure in measures:
        amount = min(measure.budget, MEASURE_CAP) if measure.budget else Decimal("20.00")
        services.allocation_create(
            scope=scope,
            year=MEASURE_YEAR,
            street=measure.plan.street,
            purpose=Purpose.MEASURE,
            measure=measure,
            amount=amount,
            notes="一社区一方案措施补助",
        )
    return len(measures)
