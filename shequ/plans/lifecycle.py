"""Plans follow the approved ledger: drafted for every non-compliant community when its
street's ledger is approved, their gap kept to the latest approved data, and each one
compared with every new approved ledger (met / still short / slipped / changed).

Runs inside the approval's transaction (called by `workflow.submissions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shequ.compliance.targets import standard_for_year
from shequ.core.actors import Actor
from shequ.core.audit import audit_record
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.rows import approved_rows_before
from shequ.plans.models import Measure, Plan
from shequ.plans.queries import OPEN
from shequ.regions.models import Region

Outcome = Plan.Outcome


def default_target_year(period: Period) -> int:
    """A gap found in the first half can still close that year; in the second, next year."""
    return period.year if period.period_code.half == 1 else period.year + 1


@dataclass
class FollowReport:
    created: int = 0
    compared: int = 0
    met: int = 0


def _is_latest_approved(period: Period, street: Region) -> bool:
    """Backfilling an old period must not draft plans from outdated figures."""
    later = Submission.objects.approved().filter(street=street, period__ordinal__gt=period.ordinal)
    return not later.exists()


def plans_follow_approval(period: Period, street: Region, actor: Actor) -> FollowReport:
    """After `street`'s ledger for `period` was approved: draft the missing plans and
    compare the open ones with the new figures."""
    report = FollowReport()
    if not _is_latest_approved(period, street):
        return report
    standard = standard_for_year(period.year)
    rows = list(LedgerRow.objects.filter(period=period, street=street).select_related("community"))
    open_plans = {
        p.community_id: p
        for p in Plan.objects.filter(
            community_id__in=[r.community_id for r in rows], state__in=OPEN
        ).prefetch_related("measures")
    }
    previous = _previous_totals(period, [r.community_id for r in rows])
    for row in rows:
        derived = rules.derive(row, standard)
        plan = open_plans.get(row.community_id)
        if plan is not None:
            _compare(plan, period, row, derived, previous.get(row.community_id), actor)
            report.compared += 1
            report.met += derived.compliant
        elif not derived.compliant and derived.shortfall is not None:
            _draft(period, street, row, derived.shortfall, actor)
            report.created += 1
    return report


def _previous_totals(period: Period, community_ids: list[int]) -> dict[int, Decimal]:
    """Each community's total area on its approved row of the period before: its
    predecessors' combined where it succeeded them (`ledger.lineage`)."""
    before = period.ordinal - 1
    return {
        community: row.total_area
        for community, row in approved_rows_before(period, community_ids).items()
        if row.period_id is not None and row.period.ordinal == before
    }


def _draft(period: Period, street: Region, row: LedgerRow, gap: Decimal, actor: Actor) -> Plan:
    plan = Plan.objects.create(
        community=row.community,
        street=street,
        target_year=default_target_year(period),
        gap_m2=gap,
        gap_period=period,
        drafted_period=period,
    )
    audit_record(
        actor=actor,
        action="plans.create",
        target_type="plan",
        target_id=plan.pk,
        region_path=row.community.path,
        summary=f"按{period.label}审核数为{row.community.name}建立一社区一方案，缺口 {gap}㎡",
        changes={"gap_m2": [None, str(gap)], "target_year": [None, plan.target_year]},
    )
    return plan


def _compare(plan: Plan, period: Period, row: LedgerRow, derived, before, actor: Actor):
    """The plan against the new approved ledger; a met plan waits for 销号."""
    outcome, note = plan_outcome(plan, period, derived, before)
    changes = {}
    if period.ordinal >= plan.gap_period.ordinal:
        gap = derived.shortfall if derived.shortfall is not None else plan.gap_m2
        if gap != plan.gap_m2:
            changes["gap_m2"] = [str(plan.gap_m2), str(gap)]
        plan.gap_m2, plan.gap_period = gap, period
    plan.outcome, plan.outcome_period, plan.outcome_note = outcome, period, note
    if outcome == Outcome.MET and plan.state != Plan.State.PENDING:
        changes["state"] = [plan.state, Plan.State.PENDING]
        plan.state = Plan.State.PENDING
    plan.save()
    audit_record(
        actor=actor,
        action="plans.compare",
        target_type="plan",
        target_id=plan.pk,
        region_path=row.community.path,
        summary=f"{row.community.name}方案对照{period.label}审核数：{Outcome(outcome).label}",
        changes=changes,
        reason=note,
    )


def plan_recheck(plan: Plan) -> None:
    """After the plan itself changed (target year, measures): judge it again against the
    approved ledger it was last compared with."""
    period = plan.outcome_period
    if period is None or not plan.is_open:
        return
    row = LedgerRow.objects.filter(period=period, community=plan.community).first()
    if row is None:
        return
    derived = rules.derive(row, standard_for_year(period.year))
    before = _previous_totals(period, [plan.community_id]).get(plan.community_id)
    plan.outcome, plan.outcome_note = plan_outcome(plan, period, derived, before)
    plan.save(update_fields=["outcome", "outcome_note", "updated_at"])


def plan_outcome(plan: Plan, period: Period, derived, previous_total) -> tuple[str, str]:
    """met, slipped (target year over and still short), changed (the area moved although
    no measure is complete), or still short within the target year."""
    if derived.compliant:
        return Outcome.MET, "本期审核数已达到标准，可申请销号"
    year_over = period.year > plan.target_year or (
        period.year == plan.target_year and period.period_code.half == 2
    )
    if year_over:
        return Outcome.SLIPPED, f"目标年度 {plan.target_year} 年已到，仍缺 {derived.shortfall}㎡"
    completed = any(m.status == Measure.Status.DONE for m in plan.measures.all())
    if previous_total is not None and derived.total_area != previous_total and not completed:
        return (
            Outcome.CHANGED,
            f"总面积由 {previous_total}㎡ 变为 {derived.total_area}㎡，但没有已完成的措施",
        )
    return Outcome.ON_TRACK, f"仍缺 {derived.shortfall}㎡，目标年度 {plan.target_year} 年"
