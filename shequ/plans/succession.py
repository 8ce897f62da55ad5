"""Plans through a region change: never an open plan on a community that has ceased.

A merged-away community's open plan goes on as its successor's (its measures and
consultations with it, the gap from the successor's figures); where the successor already
has one, the others' measures and consultations join it. A split community's plan goes to
the part the district names. Otherwise, or where the district decides so, the plan ends as
因区划调整撤销 with the reason. Runs inside the region change's transaction
(`workflow.region_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from shequ.compliance.targets import standard_for_year
from shequ.core.actors import Actor
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.periods import PeriodCode
from shequ.ledger import rules
from shequ.ledger.rows import approved_rows_before
from shequ.plans.models import Consultation, Measure, Plan
from shequ.plans.queries import OPEN
from shequ.regions.models import Region

State = Plan.State


@dataclass
class PlansFollowed:
    moved: list[Plan] = field(default_factory=list)
    withdrawn: list[Plan] = field(default_factory=list)

    def add(self, other: PlansFollowed) -> None:
        self.moved += other.moved
        self.withdrawn += other.withdrawn

    @property
    def summary(self) -> str:
        parts = []
        if self.moved:
            names = "、".join(p.community.name for p in self.moved)
            parts.append(f"方案转由{names}承接 {len(self.moved)} 个")
        if self.withdrawn:
            parts.append(f"因区划调整撤销方案 {len(self.withdrawn)} 个")
        return "；".join(parts)


def open_plans_of(regions: list[Region]) -> list[Plan]:
    return list(
        Plan.objects.filter(community__in=regions, state__in=OPEN)
        .select_related("community", "gap_period")
        .order_by("created_at", "pk")
    )


def plans_follow_merge(
    *,
    actor: Actor,
    sources: list[Region],
    successor: Region,
    effective: PeriodCode,
    withdraw: bool,
    reason: str,
) -> PlansFollowed:
    """The merged-away communities' open plans: one goes on as the successor's (its own
    where it has one), the others' measures and consultations join it; or, with
    `withdraw`, each ends as 因区划调整撤销."""
    followed = PlansFollowed()
    plans = open_plans_of(sources)
    if withdraw:
        for plan in plans:
            followed.withdrawn.append(_withdraw(plan, actor, effective, reason))
        return followed
    keeper = next(iter(open_plans_of([successor])), None)
    if keeper is None and plans:
        keeper = _hand_on(plans.pop(0), successor, actor, effective, reason)
        followed.moved.append(keeper)
    for plan in plans:
        assert keeper is not None  # set above whenever there is a plan to join
        _join(plan, keeper)
        note = f"并入{successor.name}的方案" + (f"：{reason}" if reason else "")
        followed.withdrawn.append(_withdraw(plan, actor, effective, note))
    if keeper is not None and keeper not in followed.moved:
        _regap_absorbing(keeper, actor, effective)
    return followed


def plans_follow_split(
    *,
    actor: Actor,
    source: Region,
    parts: list[Region],
    effective: PeriodCode,
    plan_to: Region | None,
    withdraw: bool,
    reason: str,
) -> PlansFollowed:
    """A split community's open plan goes to the part the district names, or ends."""
    followed = PlansFollowed()
    plans = open_plans_of([source])
    if not plans:
        return followed
    if withdraw:
        followed.withdrawn.append(_withdraw(plans[0], actor, effective, reason))
        return followed
    if plan_to is None or plan_to.pk not in {part.pk for part in parts}:
        raise DomainError(
            f"{source.name}有未销号的一社区一方案，请指定由哪个拆分后的社区承接，或选择撤销该方案",
            field="plan_to",
        )
    followed.moved.append(_hand_on(plans[0], plan_to, actor, effective, reason))
    return followed


def plans_follow_deactivation(
    *, actor: Actor, region: Region, effective: PeriodCode, reason: str
) -> PlansFollowed:
    """A community that ceases without a successor ends its open plan."""
    followed = PlansFollowed()
    for plan in open_plans_of([region]):
        followed.withdrawn.append(_withdraw(plan, actor, effective, reason))
    return followed


def plans_follow_move(*, actor: Actor, region: Region, effective: PeriodCode) -> None:
    """A community moved to another street: its open plan is that street's to carry."""
    for plan in open_plans_of([region]):
        before = plan.street
        plan.street = region.parent
        plan.save(update_fields=["street", "updated_at"])
        _audit(
            actor,
            plan,
            "street",
            f"{region.name}调整到{region.parent}，方案由{region.parent}负责，自{effective.label}起",
            {"street": [before.code, region.parent.code]},
        )


def _hand_on(
    plan: Plan, successor: Region, actor: Actor, effective: PeriodCode, reason: str
) -> Plan:
    """The plan goes on as `successor`'s: its street, its gap from the successor's
    figures, compared afresh with the successor's first approved ledger."""
    before = plan.community
    plan.community, plan.street = successor, successor.parent
    gap_before = plan.gap_m2
    _regap(plan, effective)
    plan.outcome, plan.outcome_period, plan.outcome_note = Plan.Outcome.NONE, None, ""
    plan.save()
    _audit(
        actor,
        plan,
        "hand_on",
        f"{before.name}的方案转由{successor.name}承接，自{effective.label}起，缺口 {plan.gap_m2}㎡",
        {
            "community": [before.code, successor.code],
            "gap_m2": [str(gap_before), str(plan.gap_m2)],
        },
        reason,
    )
    return plan


def _regap(plan: Plan, effective: PeriodCode) -> None:
    """The gap from the community's last approved figures (its predecessors' combined,
    `ledger.lineage`); kept where none are known yet (a split part's, or where none of
    them was ever approved)."""
    row = approved_rows_before(effective, [plan.community_id]).get(plan.community_id)
    if row is None or row.origin is None or row.origin.kind == "split":
        return
    if not row.origin.has_figures:
        return
    gap = rules.shortfall(row.total_area, row.households, standard_for_year(row.period.year))
    if gap is not None:
        plan.gap_m2, plan.gap_period = gap, row.period


def _regap_absorbing(plan: Plan, actor: Actor, effective: PeriodCode) -> None:
    """The plan of a community others merged into: its gap now counts theirs too."""
    before = plan.gap_m2
    _regap(plan, effective)
    if plan.gap_m2 == before:
        return
    plan.save()
    _audit(
        actor,
        plan,
        "regap",
        f"其他社区并入{plan.community.name}，缺口按合并后的审核数重算为 {plan.gap_m2}㎡，"
        f"自{effective.label}起",
        {"gap_m2": [str(before), str(plan.gap_m2)]},
    )


def _join(plan: Plan, keeper: Plan) -> None:
    """`plan`'s measures and consultations become `keeper`'s."""
    Measure.objects.filter(plan=plan).update(plan=keeper)
    Consultation.objects.filter(plan=plan).update(plan=keeper)


def _withdraw(plan: Plan, actor: Actor, effective: PeriodCode, reason: str) -> Plan:
    if not (reason or "").strip():
        raise DomainError("撤销方案须填写原因", field="reason")
    before = plan.state
    plan.state = State.WITHDRAWN
    plan.closed_on = timezone.localdate()
    plan.closed_note = reason.strip()
    plan.closed_by = actor.label
    plan.save()
    _audit(
        actor,
        plan,
        "withdraw",
        f"{plan.community.name}的方案因区划调整撤销，自{effective.label}起",
        {"state": [before, State.WITHDRAWN]},
        reason.strip(),
    )
    return plan


def _audit(actor: Actor, plan: Plan, action: str, summary: str, changes: dict, reason=""):
    audit_record(
        actor=actor,
        action=f"plans.{action}",
        target_type="plan",
        target_id=plan.pk,
        region_path=plan.community.path,
        summary=summary,
        changes=changes,
        reason=reason,
    )
