"""Street implementation plans (实施方案 / 年度建设计划): the document a street files for a
year, and — from the community plans whose target year it is — the communities it will
bring to the standard, its key figures, and at year end what came of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.compliance.dashboard import judging_period
from shequ.compliance.targets import standard_for_year
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.files import replace_file
from shequ.core.text import field_text
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.plans.checks import planned_total
from shequ.plans.evidence import Evidence
from shequ.plans.models import Plan, StreetPlan
from shequ.regions.models import Region


@dataclass
class PlannedCommunity:
    plan: Plan
    planned_area: Decimal
    budget: Decimal
    achieved: bool | None  # None until the year's judging period has approved data


@dataclass
class StreetYear:
    street: Region
    year: int
    document: StreetPlan | None
    communities: list[PlannedCommunity] = field(default_factory=list)
    judged_on: Period | None = None

    @property
    def gap(self) -> Decimal:
        return sum((c.plan.gap_m2 for c in self.communities), Decimal("0.0"))

    @property
    def planned_area(self) -> Decimal:
        return sum((c.planned_area for c in self.communities), Decimal("0.0"))

    @property
    def budget(self) -> Decimal:
        return sum((c.budget for c in self.communities), Decimal("0.00"))

    @property
    def achieved(self) -> int | None:
        if self.judged_on is None:
            return None
        return sum(1 for c in self.communities if c.achieved)


def street_year(street: Region, year: int) -> StreetYear:
    """The street's plan for `year`: communities whose plan targets that year."""
    plans = list(
        Plan.objects.filter(street=street, target_year=year)
        .select_related("community", "gap_period")
        .prefetch_related("measures")
        .order_by("community__code")
    )
    periods = list(Period.objects.all())
    approved = set(
        Submission.objects.approved().filter(street=street).values_list("period_id", flat=True)
    )
    judged = judging_period(year, periods, approved)
    if judged is not None and judged.pk not in approved:
        judged = None
    compliant = _compliant_communities(judged, [p.community_id for p in plans])
    return StreetYear(
        street,
        year,
        StreetPlan.objects.filter(street=street, year=year).first(),
        [
            PlannedCommunity(
                plan,
                planned_total(plan),
                sum((m.budget or Decimal(0) for m in plan.measures.all()), Decimal("0.00")),
                None if judged is None else plan.community_id in compliant,
            )
            for plan in plans
        ],
        judged,
    )


def _compliant_communities(period: Period | None, community_ids: list[int]) -> set[int]:
    if period is None:
        return set()
    standard = standard_for_year(period.year)
    rows = LedgerRow.objects.filter(period=period, community_id__in=community_ids)
    return {
        row.community_id
        for row in rows
        if rules.is_compliant(row.total_area, row.households, standard)
    }


def may_file_street_plan(scope: Scope, street: Region) -> bool:
    """The street's editors and approvers file it; district administrators may too. The
    street plan page and the API draw with it; `street_plan_save` refuses exactly where it
    is False."""
    return street.is_street and (
        scope.can(Permission.EDIT, street)
        or scope.can(Permission.SUBMIT, street)
        or scope.can(Permission.MANAGE, street)
    )


def require_street_plan_filer(scope: Scope, street: Region) -> None:
    """Refuse where `may_file_street_plan` is False: outside the node as OutOfScope."""
    if not scope.contains(street):
        raise OutOfScope(f"{street.name}不在您的管辖范围内")
    if not may_file_street_plan(scope, street):
        raise NotAllowed("只有街镇填报员、审核员或区级管理员可以上传实施方案")


@transaction.atomic
def street_plan_save(
    *,
    scope: Scope,
    street: Region,
    year: int,
    title: str,
    notes: str = "",
    document: Evidence | None = None,
) -> StreetPlan:
    """File or replace a street's implementation plan for a year (audited)."""
    require_street_plan_filer(scope, street)
    title = field_text(StreetPlan, "title", title, required="请填写文件名称")
    notes = field_text(StreetPlan, "notes", notes)
    if not 2000 <= year <= 2100:
        raise DomainError("年度不正确", field="year")
    plan, created = StreetPlan.objects.select_for_update().get_or_create(
        street=street, year=year, defaults={"title": title}
    )
    plan.title, plan.notes, plan.uploaded_by = title, notes, scope.actor.label
    if document is not None:  # the document it replaces goes once this commits
        replace_file(plan.document, document.stored_name, document.content)
        plan.document_name = document.original_name
    plan.save()
    audit_record(
        actor=scope.actor,
        action="plans.street_plan",
        target_type="street_plan",
        target_id=plan.pk,
        region_path=street.path,
        summary=f"{'上传' if created else '更新'}{street.name}{year}年实施方案“{plan.title}”",
        changes={"document": [None, plan.document_name or None]},
    )
    return plan
