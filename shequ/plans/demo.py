"""Demo plans: each approved period drafted a plan for every short community; after each
period the streets take the new plans on (consultations, measures, a target year) and the
district closes (销号) most plans the period shows met — so the demo has plans in every
state, measures done and late, and, for 2026, the streets' implementation plans.

Deterministic for a given day, built through the services, run as part of the history.
"""

from __future__ import annotations

import datetime
import io
import random
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from docx import Document

from shequ.accounts.scope import Scope, operator_scope, scope_for_username
from shequ.ledger.models import Period
from shequ.plans import services
from shequ.plans.evidence import document_from_upload
from shequ.plans.models import Consultation, Measure, Plan
from shequ.plans.street_plans import street_plan_save, street_year
from shequ.regions.models import Region

SEED = "shequ-demo-plans"
DEMO_YEAR = 2026
CLOSE_SHARE = 0.5  # per period: most met plans close within a year

MEASURE_IDEAS = [
    (Measure.Method.RENOVATE, "改造社区办公楼二层闲置用房为日间照料中心", "老旧小区改造"),
    (Measure.Method.NEW, "新建社区综合服务用房", "城市品质提升"),
    (Measure.Method.PURCHASE, "购买临街商业用房用作便民服务中心", ""),
    (Measure.Method.PROJECT, "由新建小区配套移交社区用房", "城市更新"),
    (Measure.Method.SHARE, "与村小学共享闲置教室作文化活动室", "乡村振兴"),
]
CONSULTATIONS = [
    (Consultation.Who.RESIDENTS, "希望增设老年食堂和休息区", "在日间照料中心内增加助餐点"),
    (Consultation.Who.PROFESSIONALS, "原建筑需做结构安全鉴定", "改造前委托鉴定，工期顺延一个月"),
    (Consultation.Who.STAFF, "办事大厅窗口不足，高峰排队", "便民服务中心增加两个综合窗口"),
]
FUNDING = [Measure.Funding.DISTRICT, Measure.Funding.STREET, Measure.Funding.HIGHER]


@dataclass
class DemoPlans:
    closed: int = 0
    taken_on: int = 0
    street_plans: int = 0

    def counts(self) -> dict[str, int]:
        return {label: Plan.objects.filter(state=s).count() for s, label in Plan.State.choices}


def _street_scope(street: Region) -> Scope:
    try:
        return scope_for_username(f"{street.code}-approver")
    except LookupError:
        return operator_scope()


def _district_scope() -> Scope:
    try:
        return scope_for_username("approver")
    except LookupError:
        return operator_scope()


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_CEILING)


def _office(street: Region) -> str:
    return f"{street.name}人民政府" if street.name.endswith("镇") else f"{street.name}办事处"


class DemoPlanBuilder:
    """Called after each demo period (`demo_history_build(after_period=...)`)."""

    def __init__(self, today: datetime.date | None = None):
        self.today = today or timezone.localdate()
        self.district = _district_scope()
        self.report = DemoPlans()

    def __call__(self, period: Period) -> None:
        plans = Plan.objects.filter(outcome_period=period).select_related("community", "street")
        for plan in plans.order_by("community__code"):
            rng = random.Random(f"{SEED}-{plan.community.code}-{period.code}")
            street = _street_scope(plan.street)
            # A few communities never get going: their plans stay 编制中.
            idle = random.Random(f"{SEED}-{plan.community.code}").random() >= 0.85
            if plan.state == Plan.State.PENDING:
                self._finish(plan, period, rng, street)
            elif not plan.measures.exists() and not idle:
                self._take_on(plan, period, rng, street)
            elif self._retargets(plan, period, rng):
                self._retarget(plan, period, rng, street)
        if period.year == DEMO_YEAR and period.period_code.half == 1:
            self.report.street_plans = _file_street_plans()

    def _day(self, day: datetime.date) -> datetime.date:
        return min(day, self.today)

    def _measure(self, plan, rng, street, idea, area, *, planned, done_on=None):
        method, description, programme = idea
        services.measure_save(
            scope=street,
            assigns_assets=False,  # the demo's plans use no asset (step ⑥ adds those)
            plan=plan,
            values={
                "method": method,
                "description": description,
                "planned_area": area,
                "budget": Decimal(rng.randint(8, 60)) + Decimal("0.50"),
                "funding": rng.choice(FUNDING),
                "programme": programme,
                "responsible": _office(plan.street),
                "planned_date": planned,
                "status": Measure.Status.DONE if done_on else Measure.Status.IN_PROGRESS,
                "actual_area": area + Decimal(rng.randint(0, 12)) if done_on else None,
                "actual_date": done_on,
            },
        )

    def _take_on(self, plan, period, rng, street) -> None:
        """A new plan: consulted, re-targeted, two measures within the target year."""
        year = period.year + 1
        services.plan_set_target_year(scope=street, plan=plan, year=year)
        who, said, changed = rng.choice(CONSULTATIONS)
        services.consultation_add(
            scope=street,
            plan=plan,
            held_on=self._day(period.deadline + datetime.timedelta(days=rng.randint(10, 40))),
            who=who,
            said=said,
            changed=changed,
        )
        half = _tenth(plan.gap_m2 / 2 + 5)
        first, second = rng.sample(MEASURE_IDEAS, 2)
        self._measure(plan, rng, street, first, half, planned=datetime.date(year, 6, 30))
        self._measure(plan, rng, street, second, half, planned=datetime.date(year, 11, 30))
        services.plan_start(scope=street, plan=plan)
        self.report.taken_on += 1

    @staticmethod
    def _retargets(plan, period, rng) -> bool:
        """After a year's second half, most slipped plans get a new target year."""
        slipped = plan.state == Plan.State.IMPLEMENTING and plan.outcome == Plan.Outcome.SLIPPED
        return slipped and period.period_code.half == 2 and rng.random() < 0.6

    def _retarget(self, plan, period, rng, street) -> None:
        """Slipped: the street adds a measure and moves the target to next year."""
        year = period.year + 1
        services.plan_set_target_year(scope=street, plan=plan, year=year)
        area = _tenth(plan.gap_m2 / 2 + 5)
        idea = rng.choice(MEASURE_IDEAS)
        self._measure(plan, rng, street, idea, area, planned=datetime.date(year, 9, 30))

    def _finish(self, plan, period, rng, street) -> None:
        """Met on this period's approved ledger: the measures were done; most plans close."""
        done_on = self._day(period.deadline - datetime.timedelta(days=rng.randint(15, 60)))
        open_measures = list(plan.measures.exclude(status=Measure.Status.DONE))
        for measure in open_measures:
            services.measure_save(
                scope=street,
                assigns_assets=False,
                plan=plan,
                measure=measure,
                values={
                    **{name: getattr(measure, name) for name in services.MEASURE_FIELDS},
                    "status": Measure.Status.DONE,
                    "actual_area": measure.planned_area + Decimal(rng.randint(0, 8)),
                    "actual_date": done_on,
                },
            )
        if not plan.measures.exists():
            area = _tenth(Decimal(rng.randint(40, 160)))
            idea = rng.choice(MEASURE_IDEAS)
            self._measure(plan, rng, street, idea, area, planned=done_on, done_on=done_on)
        if rng.random() < CLOSE_SHARE:
            services.plan_close(
                scope=self.district,
                plan=plan,
                closed_on=self._day(period.deadline + datetime.timedelta(days=rng.randint(15, 40))),
                note="经街镇自查、区民政局实地核查，设施已投入使用，面积达标",
            )
            self.report.closed += 1


def _file_street_plans() -> int:
    """Most streets with plans targeting 2026 filed their implementation plan; some
    attached the document."""
    streets = Region.objects.filter(
        pk__in=Plan.objects.filter(target_year=DEMO_YEAR).values("street_id")
    ).order_by("code")
    filed = 0
    for index, street in enumerate(streets):
        if index % 4 == 3:
            continue  # not filed yet: the overview shows who is missing
        data = street_year(street, DEMO_YEAR)
        title = f"{street.name}{DEMO_YEAR}年城乡社区综合服务设施建设实施方案"
        notes = (
            f"计划 {len(data.communities)} 个社区（村）于 {DEMO_YEAR} 年达标，"
            f"缺口合计 {data.gap}㎡，以改造闲置用房和项目配套为主。"
        )
        street_plan_save(
            scope=_street_scope(street),
            street=street,
            year=DEMO_YEAR,
            title=title,
            notes=notes,
            document=_document(title, notes) if index % 2 == 0 else None,
        )
        filed += 1
    return filed


def _document(title: str, notes: str):
    stream = io.BytesIO()
    document = Document()
    document.add_heading(title, level=1)
    document.add_paragraph(notes)
    document.add_paragraph("（演示文件）")
    document.save(stream)
    return document_from_upload(SimpleUploadedFile(f"{title}.docx", stream.getvalue()))
