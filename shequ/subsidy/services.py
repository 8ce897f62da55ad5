"""The district subsidy's rules: budgets, allocations, payment, and the figures against the
budget. District administrators (MANAGE at the root) set budgets and make, change and
cancel allocations; district approvers mark them paid. Each change is one transaction with
its audit row. Refusals raise `DomainError` (with the form field at fault), `NotAllowed`
(above the caller's role) or `OutOfScope` (outside the caller's node).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, OutOfScope
from shequ.core.periods import FIRST_YEAR, LAST_YEAR
from shequ.core.settings_store import setting_get
from shequ.core.text import REASON, field_text, text_clean
from shequ.core.versions import next_version, require_current, require_unchanged
from shequ.plans.models import Measure
from shequ.regions.levels import Level
from shequ.regions.models import Region
from shequ.subsidy.models import SubsidyAllocation, SubsidyBudget
from shequ.subsidy.queries import ZERO, allocations_visible_to

Purpose = SubsidyAllocation.Purpose
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # what Decimal(12, 2) holds
WARN_SHARE_SETTING = "subsidy.warn_share"
DEFAULT_WARN_SHARE = Decimal("0.9")


def wan(amount: Decimal | None) -> str:
    """万元 as users read it: two decimals, e.g. 12.50."""
    return "—" if amount is None else f"{amount.quantize(CENT)}"


def warn_share() -> Decimal:
    """Above this share of the budget, an allocation is accepted with a warning."""
    return Decimal(str(setting_get(WARN_SHARE_SETTING, DEFAULT_WARN_SHARE)))


# The gates: the subsidy page and the API draw with them, and the services below refuse
# exactly where they are False (NotAllowed, or OutOfScope outside the caller's node).


def may_manage(scope: Scope) -> bool:
    """Budgets and allocations belong to the district: its administrators decide them."""
    return scope.is_root_admin


def require_manager(scope: Scope, what: str = "安排补助资金") -> None:
    """Refuse where `may_manage` is False."""
    scope.require_root_admin(what)


def may_change_allocation(scope: Scope, allocation: SubsidyAllocation) -> bool:
    """May the caller change (or cancel) this allocation: an administrator of the district,
    whose node it lies in. Once paid, only its notes change (`allocation_update` says so)."""
    return scope.contains(allocation.street) and may_manage(scope)


def may_cancel_allocation(scope: Scope, allocation: SubsidyAllocation) -> bool:
    return may_change_allocation(scope, allocation) and not allocation.is_paid


def _require_admin_on(scope: Scope, allocation: SubsidyAllocation, what: str) -> None:
    """Refuse where `may_change_allocation` is False."""
    if not scope.contains(allocation.street):
        raise OutOfScope(f"{allocation.street.name}不在您的管辖范围内")
    require_manager(scope, what)


def may_pay(scope: Scope) -> bool:
    """The district's approvers confirm that money has been paid out (some allocation)."""
    return scope.can(Permission.APPROVE)


def may_pay_allocation(scope: Scope, allocation: SubsidyAllocation) -> bool:
    """May the caller mark this allocation paid: an approver of its street, and unpaid."""
    return scope.can(Permission.APPROVE, allocation.street) and not allocation.is_paid


def require_payer(scope: Scope, allocation: SubsidyAllocation) -> None:
    """Refuse, for its role or node, a caller `may_pay_allocation` turns away."""
    scope.require(Permission.APPROVE, allocation.street, "拨付补助资金")


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class StreetFunds:
    street: Region
    allocated: Decimal = ZERO
    paid: Decimal = ZERO
    count: int = 0

    @property
    def unpaid(self) -> Decimal:
        return self.allocated - self.paid

    @property
    def paid_share(self) -> Decimal | None:
        return self.paid / self.allocated if self.allocated else None


@dataclass(frozen=True)
class BudgetStatus:
    """A year's subsidy: the district's budget and what is allocated and paid, per street.
    `budget` is None where the year has none, or for a caller below the root (a street
    sees its own money, not the district's)."""

    year: int
    budget: Decimal | None
    allocated: Decimal
    paid: Decimal
    streets: list[StreetFunds] = field(default_factory=list)
    district_wide: bool = True

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.allocated

    @property
    def unpaid(self) -> Decimal:
        return self.allocated - self.paid

    @property
    def count(self) -> int:
        return sum(line.count for line in self.streets)

    @property
    def used_share(self) -> Decimal | None:
        return self.allocated / self.budget if self.budget else None

    @property
    def paid_share(self) -> Decimal | None:
        return self.paid / self.budget if self.budget else None

    @property
    def near_limit(self) -> bool:
        share = self.used_share
        return share is not None and share > warn_share()


def budget_status(year: int, *, scope: Scope | None = None) -> BudgetStatus:
    """The year's figures, district-wide; with a scope below the root, only its streets
    (every active one, with zeros where nothing is allocated) and no district budget."""
    rows = SubsidyAllocation.objects.filter(year=year)
    streets = Region.objects.active().streets()
    district_wide = scope is None or scope.is_root
    if scope is not None:
        rows = rows & allocations_visible_to(scope)
        streets = streets & scope.streets()
    lines = {s.pk: StreetFunds(s) for s in streets.order_by("code")}
    # Summed in Python: SQLite adds decimals as floats; money must stay exact.
    for street_id, state, amount in rows.values_list("street_id", "state", "amount"):
        line = lines.get(street_id) or StreetFunds(Region.objects.get(pk=street_id))
        paid = amount if state == SubsidyAllocation.State.PAID else ZERO
        lines[street_id] = StreetFunds(
            line.street, line.allocated + amount, line.paid + paid, line.count + 1
        )
    budget = SubsidyBudget.objects.filter(year=year).values_list("amount", flat=True).first()
    ordered = sorted(lines.values(), key=lambda line: line.street.code)
    return BudgetStatus(
        year=year,
        budget=budget if district_wide else None,
        allocated=sum((line.allocated for line in ordered), ZERO),
        paid=sum((line.paid for line in ordered), ZERO),
        streets=ordered,
        district_wide=district_wide,
    )


def _allocated_in(year: int, *, excluding: SubsidyAllocation | None = None) -> Decimal:
    rows = SubsidyAllocation.objects.filter(year=year)
    if excluding is not None:
        rows = rows.exclude(pk=excluding.pk)
    return sum(rows.values_list("amount", flat=True), ZERO)


# ---------------------------------------------------------------- checks


def _money(value, *, field_name: str, positive: bool) -> Decimal:
    """A sum in 万元: at most two decimals (to the hundred yuan), never rounded silently."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise DomainError("请填写金额（万元）", field=field_name) from error
    if not amount.is_finite():
        raise DomainError("请填写金额（万元）", field=field_name)
    if amount != amount.quantize(CENT):
        raise DomainError("金额以万元为单位，最多保留两位小数", field=field_name)
    if positive and amount <= 0:
        raise DomainError("金额应大于 0", field=field_name)
    if amount < 0:
        raise DomainError("金额不能为负数", field=field_name)
    if amount > MAX_AMOUNT:
        raise DomainError("金额过大，请核对单位（万元）", field=field_name)
    return amount.quantize(CENT)


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(f"年度应在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间", field="year")


def _check_street(scope: Scope, street: Region) -> None:
    if not scope.contains(street):
        raise OutOfScope(f"{street.name}不在您的管辖范围内")
    if street.level != Level.STREET:
        raise DomainError(f"{street.name}不是街镇", field="street")
    if street.valid_to is not None:
        raise DomainError(f"{street.name}已撤销，不能再安排资金", field="street")


def _check_target(
    scope: Scope, street: Region, purpose: str, measure: Measure | None, community: Region | None
) -> Region | None:
    """What the money is for; returns the community (a measure's own, where one is given)."""
    if purpose not in Purpose.values:
        raise DomainError("请选择资金用途", field="purpose")
    if purpose == Purpose.MEASURE and measure is None:
        raise DomainError("用途为“一社区一方案措施”时，请选择措施", field="measure")
    if purpose != Purpose.MEASURE and measure is not None:
        raise DomainError("只有用途为“一社区一方案措施”时才能选择措施", field="measure")
    if measure is not None:
        plan = measure.plan
        if not scope.contains(plan.community):
            raise OutOfScope(f"{plan.community.name}不在您的管辖范围内")
        if plan.street_id != street.pk:
            raise DomainError(
                f"措施“{measure.description}”属于{plan.street.name}，"
                f"不能列入{street.name}的补助资金",
                field="measure",
            )
        if community is not None and community.pk != plan.community_id:
            raise DomainError(f"该措施属于{plan.community.name}，请核对社区", field="community")
        return plan.community
    if community is not None and not (
        community.level == Level.COMMUNITY and community.path.startswith(street.path)
    ):
        raise DomainError(f"{community.name}不属于{street.name}", field="community")
    return community


def _check_within_budget(year: int, amount: Decimal, excluding=None) -> SubsidyBudget:
    """Refuse what would take the year over its budget, giving the figures. The budget row
    is locked, so two allocations at the same moment cannot both pass on the same sum."""
    budget = SubsidyBudget.objects.select_for_update().filter(year=year).first()
    if budget is None:
        raise DomainError(f"{year}年尚未设定补助资金预算，请先设定预算", field="year")
    allocated = _allocated_in(year, excluding=excluding)
    after = allocated + amount
    if after > budget.amount:
        raise DomainError(
            f"超出{year}年补助资金预算，不能安排：预算 {wan(budget.amount)} 万元，"
            f"已安排 {wan(allocated)} 万元，剩余 {wan(budget.amount - allocated)} 万元，"
            f"本次 {wan(amount)} 万元，将超出 {wan(after - budget.amount)} 万元",
            field="amount",
        )
    return budget


# ---------------------------------------------------------------- warnings


def _budget_warning(budget: SubsidyBudget) -> list[str]:
    allocated = _allocated_in(budget.year)
    share = warn_share()
    if budget.amount and allocated > budget.amount * share:
        return [
            f"{budget.year}年补助资金已安排 {wan(allocated)} 万元，"
            f"占预算 {wan(budget.amount)} 万元的 {allocated / budget.amount:.1%}，"
            f"超过 {share:.0%}，剩余 {wan(budget.amount - allocated)} 万元"
        ]
    return []


def measure_warnings(measure: Measure | None) -> list[str]:
    """A measure's subsidy against its own budget and funding source."""
    if measure is None:
        return []
    name = f"措施“{measure.description}”"
    if measure.funding != Measure.Funding.DISTRICT:
        source = measure.get_funding_display() or "未填写"
        return [f"{name}的资金来源为“{source}”，不是区级补助，请核对"]
    if measure.budget is None:
        return [f"{name}未填写预算，无法核对补助是否超出预算"]
    total = sum(measure.subsidy_allocations.values_list("amount", flat=True), ZERO)
    if total > measure.budget:
        return [
            f"{name}已安排区级补助 {wan(total)} 万元，超出其预算 {wan(measure.budget)} 万元"
            f" {wan(total - measure.budget)} 万元"
        ]
    return []


@dataclass(frozen=True)
class Allocated:
    """An allocation that was accepted, with what the user should be warned about."""

    allocation: SubsidyAllocation
    warnings: list[str]


# ---------------------------------------------------------------- audit


def _describe(allocation: SubsidyAllocation) -> dict[str, str | None]:
    return {
        "year": str(allocation.year),
        "street": allocation.street.name,
        "purpose": allocation.get_purpose_display(),
        "measure": allocation.measure.description if allocation.measure_id else None,
        "community": allocation.community.name if allocation.community_id else None,
        "amount": wan(allocation.amount),
        "state": allocation.get_state_display(),
        "paid_on": allocation.paid_on.isoformat() if allocation.paid_on else None,
        "notes": allocation.notes or None,
    }


def _audit(
    scope: Scope, allocation: SubsidyAllocation, action: str, summary: str, changes, reason=""
):
    audit_record(
        actor=scope.actor,
        action=f"subsidy.{action}",
        target_type="subsidy_allocation",
        target_id=allocation.pk,
        region_path=allocation.street.path,
        summary=f"{allocation.year}年补助资金 {allocation.street.name}：{summary}",
        changes=changes,
        reason=reason,
    )


def _diff(before: dict, after: dict) -> dict:
    return {
        key: [before.get(key), value] for key, value in after.items() if before.get(key) != value
    }


# ---------------------------------------------------------------- changes


@transaction.atomic
def budget_set(*, scope: Scope, year: int, amount, notes: str = "") -> SubsidyBudget:
    """Set (or change) a year's budget; never below what is already allocated."""
    require_manager(scope, "设定补助资金预算")
    _check_year(year)
    amount = _money(amount, field_name="amount", positive=False)
    budget = SubsidyBudget.objects.select_for_update().filter(year=year).first()
    allocated = _allocated_in(year)
    if amount < allocated:
        raise DomainError(
            f"{year}年已安排 {wan(allocated)} 万元，预算不能低于这个数", field="amount"
        )
    before = wan(budget.amount) if budget else None
    budget = budget or SubsidyBudget(year=year)
    budget.amount, budget.notes = amount, field_text(SubsidyBudget, "notes", notes)
    budget.updated_by = scope.actor.label
    budget.save()
    audit_record(
        actor=scope.actor,
        action="subsidy.budget",
        target_type="subsidy_budget",
        target_id=budget.year,
        region_path=scope.node.path if scope.node else "",
        summary=f"{year}年补助资金预算设为 {wan(amount)} 万元",
        changes={"amount": [before, wan(amount)]},
    )
    return budget


@transaction.atomic
def allocation_create(
    *,
    scope: Scope,
    year: int,
    street: Region,
    purpose: str,
    amount,
    measure: Measure | None = None,
    community: Region | None = None,
    notes: str = "",
) -> Allocated:
    """Set money of the year's budget aside for a street; refused over the budget."""
    require_manager(scope)
    _check_year(year)
    _check_street(scope, street)
    community = _check_target(scope, street, purpose, measure, community)
    amount = _money(amount, field_name="amount", positive=True)
    notes = field_text(SubsidyAllocation, "notes", notes)
    budget = _check_within_budget(year, amount)
    allocation = SubsidyAllocation.objects.create(
        year=year,
        street=street,
        purpose=purpose,
        measure=measure,
        community=community,
        amount=amount,
        notes=notes,
        created_by=scope.actor.label,
    )
    after = _describe(allocation)
    _audit(
        scope,
        allocation,
        "allocate",
        f"安排{allocation.get_purpose_display()} {wan(amount)} 万元",
        _diff({}, after),
    )
    return Allocated(allocation, _budget_warning(budget) + measure_warnings(measure))


def _locked(allocation: SubsidyAllocation) -> SubsidyAllocation:
    # Lock the allocation's row only: PostgreSQL refuses FOR UPDATE on the outer joins of
    # the optional community and measure.
    return (
        SubsidyAllocation.objects.select_for_update(of=("self",))
        .select_related("street", "community", "measure__plan")
        .get(pk=allocation.pk)
    )


MONEY_FIELDS = ("year", "street", "purpose", "measure", "community", "amount")


def _what(allocation: SubsidyAllocation) -> str:
    return (
        f"{allocation.street.name}{allocation.year}年"
        f"{allocation.get_purpose_display()}的补助资金安排"
    )


@transaction.atomic
def allocation_update(
    *,
    scope: Scope,
    allocation: SubsidyAllocation,
    year: int,
    street: Region,
    purpose: str,
    amount,
    measure: Measure | None = None,
    community: Region | None = None,
    notes: str = "",
    expected_version: int | None = None,
) -> Allocated:
    """Change an allocation. Once paid, only its notes may change: the money has left.
    Against the version read: once someone else saved it, values that differ from theirs
    are refused (`core.versions.StaleEdit`)."""
    allocation = _locked(allocation)
    _require_admin_on(scope, allocation, "修改补助资金安排")
    _check_year(year)
    if street.pk != allocation.street_id:  # an old allocation keeps a street since merged
        _check_street(scope, street)
    community = _check_target(scope, street, purpose, measure, community)
    amount = _money(amount, field_name="amount", positive=True)
    new = {
        "year": year,
        "street": street,
        "purpose": purpose,
        "measure": measure,
        "community": community,
        "amount": amount,
    }
    notes = field_text(SubsidyAllocation, "notes", notes)
    # Compared as the rules read them (a measure's community filled in, the amount in 万元).
    require_current(allocation, expected_version, {**new, "notes": notes}, what=_what(allocation))
    moved = any(getattr(allocation, name) != value for name, value in new.items())
    if moved and allocation.is_paid:
        raise DomainError("该笔资金已拨付，只能修改说明")
    budget = _check_within_budget(year, amount, excluding=allocation)
    before = _describe(allocation)
    for name, value in new.items():
        setattr(allocation, name, value)
    allocation.notes = notes
    next_version(allocation)
    allocation.save()
    _audit(scope, allocation, "change", "修改安排", _diff(before, _describe(allocation)))
    return Allocated(allocation, _budget_warning(budget) + measure_warnings(measure))


@transaction.atomic
def allocation_cancel(
    *,
    scope: Scope,
    allocation: SubsidyAllocation,
    reason: str,
    expected_version: int | None = None,
) -> None:
    """Cancel an unpaid allocation: it is removed, its figures kept in the audit trail.
    As the caller saw it: once someone else saved it since `expected_version`, refused
    (`core.versions.StaleEdit`, ADR 0040)."""
    allocation = _locked(allocation)
    _require_admin_on(scope, allocation, "取消补助资金安排")
    require_unchanged(allocation, expected_version, what=_what(allocation), act="取消")
    if allocation.is_paid:
        raise DomainError("该笔资金已拨付，不能取消")
    reason = text_clean(
        reason,
        label="取消原因",
        field="reason",
        max_length=REASON,
        multiline=True,
        required="请填写取消原因",
    )
    _audit(
        scope,
        allocation,
        "cancel",
        f"取消{allocation.get_purpose_display()} {wan(allocation.amount)} 万元",
        _diff(_describe(allocation), {"amount": None}),
        reason,
    )
    allocation.delete()


@transaction.atomic
def allocation_mark_paid(
    *,
    scope: Scope,
    allocation: SubsidyAllocation,
    paid_on: datetime.date,
    expected_version: int | None = None,
) -> SubsidyAllocation:
    """已安排 → 已拨付, by a district approver, on a date not in the future. As the caller
    saw it: once someone else saved it since `expected_version` (its amount, its street,
    or paid it), refused (`core.versions.StaleEdit`, ADR 0040)."""
    allocation = _locked(allocation)
    require_payer(scope, allocation)
    require_unchanged(allocation, expected_version, what=_what(allocation), act="拨付")
    if allocation.is_paid:
        raise DomainError(f"该笔资金已于 {allocation.paid_on:%Y-%m-%d} 拨付")
    if paid_on > timezone.localdate():
        raise DomainError("拨付日期不能晚于今天", field="paid_on")
    before = _describe(allocation)
    allocation.state, allocation.paid_on = SubsidyAllocation.State.PAID, paid_on
    next_version(allocation)
    allocation.save(update_fields=["state", "paid_on", "version", "updated_at"])
    _audit(
        scope,
        allocation,
        "pay",
        f"拨付{allocation.get_purpose_display()} {wan(allocation.amount)} 万元",
        _diff(before, _describe(allocation)),
    )
    return allocation
