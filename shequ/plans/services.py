"""Changing plans: target year, measures, consultations, and the states 编制中 → 实施中 →
待销号 → 已销号. Each change is one transaction with its audit row; who may act follows
the role table (street editors and approvers edit; district approvers verify 销号).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.compliance.targets import standard_for_year
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.files import replace_file
from shequ.core.numbers import decimal_field_max, decimal_field_step
from shequ.core.text import REASON, field_text, text_clean
from shequ.core.versions import is_stale, next_version, require_current, require_unchanged
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow
from shequ.plans.evidence import Evidence
from shequ.plans.lifecycle import plan_recheck
from shequ.plans.models import Consultation, Measure, Plan

State = Plan.State


def _locked(plan: Plan) -> Plan:
    return (
        Plan.objects.select_for_update()
        .select_related("community", "street", "gap_period")
        .get(pk=plan.pk)
    )


def is_plan_editor(scope: Scope, plan: Plan) -> bool:
    """Street editors and approvers (and the community's own editor) work on a plan: the
    one answer, which `require_plan_editor` refuses by and the pages draw with."""
    return scope.contains(plan.community) and (
        scope.can(Permission.EDIT, plan.community) or scope.can(Permission.SUBMIT, plan.street)
    )


def may_edit_plan(scope: Scope, plan: Plan) -> bool:
    """May the user change the plan now: an editor of it, and the plan still open."""
    return plan.is_open and is_plan_editor(scope, plan)


def require_plan_editor(scope: Scope, plan: Plan) -> None:
    if is_plan_editor(scope, plan):
        return
    if not scope.contains(plan.community):
        raise OutOfScope(f"{plan.community.name}不在您的管辖范围内")
    raise NotAllowed("您没有编辑一社区一方案的权限")


def is_measure_editor(scope: Scope, plan: Plan, *, uses_asset: bool, assigns_assets: bool) -> bool:
    """Plan editors change measures; the district, which assigns idle assets across
    streets (`assigns_assets`: assets.services.may_assign_across_streets), may also add,
    change or remove a measure that uses one (before or after the change)."""
    if uses_asset and assigns_assets and scope.contains(plan.community):
        return True
    return is_plan_editor(scope, plan)


def require_measure_editor(
    scope: Scope, plan: Plan, *, uses_asset: bool, assigns_assets: bool
) -> None:
    if not is_measure_editor(scope, plan, uses_asset=uses_asset, assigns_assets=assigns_assets):
        require_plan_editor(scope, plan)  # names the refusal: outside the node, or the role


def _require_open(plan: Plan) -> None:
    if not plan.is_open:
        raise DomainError(f"{plan.community.name}的方案已销号，不能再修改")


def _audit(scope: Scope, plan: Plan, action: str, summary: str, changes=None, reason=""):
    audit_record(
        actor=scope.actor,
        action=f"plans.{action}",
        target_type="plan",
        target_id=plan.pk,
        region_path=plan.community.path,
        summary=f"{plan.community.name}方案：{summary}",
        changes=changes or {},
        reason=reason,
    )


@transaction.atomic
def plan_set_target_year(*, scope: Scope, plan: Plan, year: int) -> Plan:
    plan = _locked(plan)
    require_plan_editor(scope, plan)
    _require_open(plan)
    if not plan.gap_period.year <= year <= plan.gap_period.year + 10:
        raise DomainError(
            f"目标年度应在 {plan.gap_period.year} 至 {plan.gap_period.year + 10} 年之间",
            field="target_year",
        )
    before = plan.target_year
    plan.target_year = year
    plan.save(update_fields=["target_year", "updated_at"])
    plan_recheck(plan)
    _audit(scope, plan, "target_year", f"目标年度改为 {year} 年", {"target_year": [before, year]})
    return plan


# ---------------------------------------------------------------- measures

MEASURE_FIELDS = (
    "method",
    "description",
    "planned_area",
    "budget",
    "funding",
    "programme",
    "responsible",
    "planned_date",
    "status",
    "actual_area",
    "actual_date",
    "asset",
)


# A measure's texts, with what to say when a required one is empty.
MEASURE_TEXTS = {
    "method": "请选择方式",
    "description": "请填写措施内容",
    "funding": "",
    "programme": "",
    "responsible": "",
    "status": "请选择进度",
}


def _measure_texts(values: dict) -> dict:
    """The measure's texts under the text policy (core.text), the others as given."""
    texts = {
        name: field_text(Measure, name, values[name], required=required)
        for name, required in MEASURE_TEXTS.items()
        if name in values
    }
    return {**values, **texts}


# What the columns hold (Decimal(9, 1) ㎡, Decimal(10, 2) 万元): the page's form checks the
# same through the model, the API documents it (issue 25: 1e15 was stored on SQLite).
MEASURE_MAX_AREA = decimal_field_max(Measure, "planned_area")
MEASURE_MAX_BUDGET = decimal_field_max(Measure, "budget")
_MEASURE_FIGURES = {
    "planned_area": ("计划面积", "㎡"),
    "budget": ("预算", "万元"),
    "actual_area": ("实际面积", "㎡"),
}


def _check_figure(name: str, value) -> None:
    """A measure's figure: a finite number, not negative, within its column and steps."""
    label, unit = _MEASURE_FIGURES[name]
    if type(value) is int:  # a figure a command or a test wrote as a whole number
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(f"{label}应为数字（{unit}）", field=name)
    if value < 0:
        raise DomainError(f"{label}不能为负数", field=name)
    largest = decimal_field_max(Measure, name)
    if value > largest:
        raise DomainError(f"{label}不能超过 {largest}{unit}", field=name)
    step = decimal_field_step(Measure, name)
    if value != value.quantize(step):
        raise DomainError(f"{label}最多保留 {-step.as_tuple().exponent} 位小数", field=name)


def _check_measure(values: dict) -> None:
    """The rules of a measure, with the field at fault (forms show them in place)."""
    if values["planned_area"] is None:
        raise DomainError("计划面积应为不小于 0 的数", field="planned_area")
    for name in _MEASURE_FIGURES:
        if values.get(name) is not None:
            _check_figure(name, values[name])
    done = values["status"] == Measure.Status.DONE
    if done and (values.get("actual_date") is None or values.get("actual_area") is None):
        raise DomainError("已完成的措施请填写实际面积和实际完成日期", field="actual_date")
    if values.get("actual_date") and values["actual_date"] > timezone.localdate():
        raise DomainError("实际完成日期不能晚于今天", field="actual_date")


def _text(value):
    return None if value is None else str(value)


@transaction.atomic
def measure_save(
    *,
    scope: Scope,
    plan: Plan,
    values: dict,
    assigns_assets: bool,
    measure: Measure | None = None,
    expected_version: int | None = None,
) -> Measure:
    """Add a measure to a plan, or change one. The asset it uses follows it in
    `workflow.measures.measure_save`, which pages, the API and commands call. A change
    carries the version read: once someone else saved the measure, values that differ
    from theirs are refused (`core.versions.StaleEdit`)."""
    plan = _locked(plan)
    if measure is None:
        measure = Measure(plan=plan)
        before = {}
    else:
        measure = Measure.objects.select_for_update().get(pk=measure.pk, plan=plan)
        before = {name: getattr(measure, name) for name in MEASURE_FIELDS}
    uses_asset = values.get("asset") is not None or before.get("asset") is not None
    require_measure_editor(scope, plan, uses_asset=uses_asset, assigns_assets=assigns_assets)
    _require_open(plan)
    values = _measure_texts(values)
    if before:
        measure_require_current(measure=measure, values=values, expected_version=expected_version)
    _check_measure(values)
    for name in MEASURE_FIELDS:
        setattr(measure, name, values.get(name, getattr(measure, name)))
    if before:
        next_version(measure)
    measure.save()
    plan_recheck(plan)  # a completed measure explains a changed area
    changes = {
        name: [_text(before.get(name)), _text(getattr(measure, name))]
        for name in MEASURE_FIELDS
        if before.get(name) != getattr(measure, name)
    }
    verb = "修改措施" if before else "增加措施"
    _audit(scope, plan, "measure", f"{verb}“{measure.description}”", changes)
    return measure


def measure_require_current(
    *, measure: Measure, values: dict, expected_version: int | None
) -> None:
    """Refuse a change made against an old version whose values differ from the stored
    ones (`core.versions`); `measure` is read under its row lock. The texts are compared
    as they would be stored (`_measure_texts`)."""
    if not is_stale(measure, expected_version):
        return
    given = _measure_texts({name: values[name] for name in MEASURE_FIELDS if name in values})
    require_current(measure, expected_version, given, what=f"措施“{measure.description}”")


@transaction.atomic
def measure_delete(
    *, scope: Scope, measure: Measure, assigns_assets: bool, expected_version: int | None = None
) -> None:
    """Remove a measure (the asset it used is freed by `workflow.measures.measure_delete`),
    as the caller saw it: once someone else saved it since `expected_version`, refused
    (`core.versions.StaleEdit`, ADR 0040) and nothing removed."""
    plan = _locked(measure.plan)
    measure = Measure.objects.select_for_update().get(pk=measure.pk, plan=plan)
    require_measure_editor(
        scope, plan, uses_asset=measure.asset_id is not None, assigns_assets=assigns_assets
    )
    _require_open(plan)
    require_unchanged(measure, expected_version, what=f"措施“{measure.description}”", act="删除")
    _audit(
        scope,
        plan,
        "measure_delete",
        f"删除措施“{measure.description}”",
        {"planned_area": [_text(measure.planned_area), None]},
    )
    try:
        measure.delete()
    except ProtectedError as error:  # district subsidy is allocated to it (subsidy app)
        raise DomainError("该措施已安排区级补助资金，请先请区里取消资金安排再删除") from error


# ---------------------------------------------------------------- consultations


@transaction.atomic
def consultation_add(
    *, scope: Scope, plan: Plan, held_on: datetime.date, who: str, said: str, changed: str = ""
) -> Consultation:
    plan = _locked(plan)
    require_plan_editor(scope, plan)
    _require_open(plan)
    if who not in Consultation.Who.values:
        raise DomainError("请选择征求意见的对象", field="who")
    said = field_text(Consultation, "said", said, required="请填写主要意见")
    changed = field_text(Consultation, "changed", changed)
    if held_on > timezone.localdate():
        raise DomainError("征求意见日期不能晚于今天", field="held_on")
    consultation = Consultation.objects.create(
        plan=plan,
        held_on=held_on,
        who=who,
        said=said,
        changed=changed,
        recorded_by=scope.actor.label,
    )
    _audit(
        scope,
        plan,
        "consult",
        f"记录{consultation.get_who_display()}意见（{held_on:%Y-%m-%d}）",
        {"said": [None, consultation.said], "changed": [None, consultation.changed]},
    )
    return consultation


# ---------------------------------------------------------------- states


# The state moves' gates: who, and from which state (the plan page draws its buttons and
# forms with them; the moves below refuse exactly where they are False, the values given
# being valid and the plan's measures and ledger as each move needs them).
CLOSABLE = (State.PENDING, State.IMPLEMENTING)


def may_start_plan(scope: Scope, plan: Plan) -> bool:
    return plan.state == State.DRAFTING and is_plan_editor(scope, plan)


def may_request_close(scope: Scope, plan: Plan) -> bool:
    return plan.state == State.IMPLEMENTING and is_plan_editor(scope, plan)


def is_plan_verifier(scope: Scope, plan: Plan) -> bool:
    """The district's approvers verify 销号: close a plan, or send it back."""
    return scope.can(Permission.APPROVE, plan.street)


def require_plan_verifier(scope: Scope, plan: Plan, what: str) -> None:
    scope.require(Permission.APPROVE, plan.street, what)


def may_send_back_plan(scope: Scope, plan: Plan) -> bool:
    return plan.state == State.PENDING and is_plan_verifier(scope, plan)


def may_close_plan(scope: Scope, plan: Plan) -> bool:
    """销号 needs a verifier, a plan 实施中 or 待销号, and the community compliant on its
    latest approved ledger."""
    return (
        plan.state in CLOSABLE
        and is_plan_verifier(scope, plan)
        and shows_compliant(latest_approved_row(plan))
    )


def _move(scope: Scope, plan: Plan, to: str, summary: str, reason: str = "") -> Plan:
    before = plan.state
    plan.state = to
    plan.save(update_fields=["state", "updated_at"])
    _audit(scope, plan, "state", summary, {"state": [before, to]}, reason)
    return plan


def _require_state(plan: Plan, allowed: tuple[str, ...], action: str) -> None:
    if plan.state not in allowed:
        raise DomainError(f"方案当前为“{plan.get_state_display()}”，不能{action}")


@transaction.atomic
def plan_start(*, scope: Scope, plan: Plan) -> Plan:
    """编制中 → 实施中, once the plan has at least one measure."""
    plan = _locked(plan)
    require_plan_editor(scope, plan)
    _require_state(plan, (State.DRAFTING,), "开始实施")
    if not plan.measures.exists():
        raise DomainError("请先填写至少一项措施")
    return _move(scope, plan, State.IMPLEMENTING, "开始实施")


@transaction.atomic
def plan_request_close(*, scope: Scope, plan: Plan) -> Plan:
    """实施中 → 待销号, when every measure is done (销号 still needs an approved ledger)."""
    plan = _locked(plan)
    require_plan_editor(scope, plan)
    _require_state(plan, (State.IMPLEMENTING,), "申请销号")
    if plan.measures.exclude(status=Measure.Status.DONE).exists():
        raise DomainError("还有未完成的措施，不能申请销号")
    return _move(scope, plan, State.PENDING, "申请销号")


@transaction.atomic
def plan_send_back(*, scope: Scope, plan: Plan, reason: str) -> Plan:
    """待销号 → 实施中: the district does not accept it yet."""
    plan = _locked(plan)
    require_plan_verifier(scope, plan, "审核销号")
    _require_state(plan, (State.PENDING,), "退回")
    reason = text_clean(
        reason,
        label="退回原因",
        field="reason",
        max_length=REASON,
        multiline=True,
        required="请填写退回原因",
    )
    return _move(scope, plan, State.IMPLEMENTING, "销号申请被退回", reason)


def latest_approved_row(plan: Plan) -> LedgerRow | None:
    rows = LedgerRow.objects.filter(community=plan.community).approved()
    return rows.select_related("period").order_by("-period__ordinal").first()


def shows_compliant(row: LedgerRow | None) -> bool:
    """Does this approved row meet its year's standard (the condition of 销号)?"""
    if row is None:
        return False
    standard = standard_for_year(row.period.year)
    return rules.is_compliant(row.total_area, row.households, standard)


@transaction.atomic
def plan_close(
    *,
    scope: Scope,
    plan: Plan,
    closed_on: datetime.date,
    note: str,
    evidence: Evidence | None = None,
) -> Plan:
    """已销号: only on an approved ledger that shows the community compliant."""
    plan = _locked(plan)
    require_plan_verifier(scope, plan, "销号")
    _require_state(plan, CLOSABLE, "销号")
    row = latest_approved_row(plan)
    if not shows_compliant(row):
        shown = f"{row.period.label}审核数" if row else "已审核台账"
        raise DomainError(f"{shown}显示{plan.community.name}尚未达标，不能销号")
    if closed_on > timezone.localdate():
        raise DomainError("销号日期不能晚于今天", field="closed_on")
    note = field_text(Plan, "closed_note", note, field="note", required="请填写销号说明")
    before = plan.state
    plan.state = State.CLOSED
    plan.closed_on, plan.closed_note = closed_on, note
    plan.closed_by, plan.closed_period = scope.actor.label, row.period
    if evidence is not None:  # a file it replaces goes once this commits
        replace_file(plan.evidence, evidence.stored_name, evidence.content)
        plan.evidence_name = evidence.original_name
    plan.save()
    _audit(
        scope,
        plan,
        "close",
        f"销号（依据{row.period.label}审核数，每百户 "
        f"{rules.display_ratio(rules.per_100_households(row.total_area, row.households))}㎡）",
        {"state": [before, State.CLOSED], "evidence": [None, plan.evidence_name or None]},
        note.strip(),
    )
    return plan
