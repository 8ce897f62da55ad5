"""What a plan's reader must be told: measures that do not cover the gap, measures past
their date. Pure functions over a plan and its (prefetched) measures."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef

from shequ.plans.models import Measure, Plan


def planned_total(plan: Plan) -> Decimal:
    return sum((m.planned_area for m in plan.measures.all()), Decimal("0.0"))


def is_overdue(measure: Measure, today: datetime.date) -> bool:
    return measure.status != Measure.Status.DONE and measure.planned_date < today


def overdue_measures(plan: Plan, today: datetime.date) -> list[Measure]:
    return [m for m in plan.measures.all() if is_overdue(m, today)]


def is_after_target_year(measure: Measure, plan: Plan) -> bool:
    return measure.planned_date.year > plan.target_year


OVERDUE, AFTER_TARGET_YEAR = "逾期", "晚于目标年度"


def measure_marks(plan: Plan, measure: Measure, today: datetime.date) -> list[str]:
    """What a measure of an open plan is marked with (a closed plan's are history, as
    the list's 措施逾期 badge): past its date and not done, due after the target year."""
    if not plan.is_open:
        return []
    marks = [OVERDUE] if is_overdue(measure, today) else []
    if is_after_target_year(measure, plan):
        marks.append(AFTER_TARGET_YEAR)
    return marks


def plan_warnings(plan: Plan, today: datetime.date) -> list[str]:
    if not plan.is_open:
        return []
    warnings = []
    planned = planned_total(plan)
    if planned < plan.gap_m2:
        warnings.append(f"措施计划面积合计 {planned}㎡，不足缺口 {plan.gap_m2}㎡")
    late = overdue_measures(plan, today)
    if late:
        warnings.append(f"{len(late)} 项措施已过计划完成日期仍未完成")
    after = [m for m in plan.measures.all() if is_after_target_year(m, plan)]
    if after:
        warnings.append(f"{len(after)} 项措施计划完成日期晚于目标年度 {plan.target_year} 年")
    if plan.outcome == Plan.Outcome.SLIPPED:
        warnings.append(plan.outcome_note)
    return warnings


def late_measures(today: datetime.date):
    """Open measures past their date of the plan in the outer query."""
    return Measure.objects.filter(plan=OuterRef("pk"), planned_date__lt=today).exclude(
        status=Measure.Status.DONE
    )


def with_overdue_flag(plans, today: datetime.date):
    """Annotate `has_overdue` (an open measure past its date), for lists and filters."""
    return plans.annotate(has_overdue=Exists(late_measures(today)))
