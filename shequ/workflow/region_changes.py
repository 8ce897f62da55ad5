"""区划调整 with everything that follows it, in one transaction: the tree
(`regions.changes`), the rows of every period from the effective one on
(`ledger.region_follow`), the open plans (`plans.succession`), the checklist records
(`checklist.succession`) and the dashboards' tallies. The region change page and
`shequ region-change` / `shequ load-regions --effective` call these and nothing below them.

A change may take effect only from a period whose touched streets' ledgers may still be
changed (an open period, each ledger a draft or returned); otherwise nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from shequ.accounts.scope import Scope
from shequ.accounts.services import may_change_regions
from shequ.assets.models import IdleAsset
from shequ.checklist.succession import checklist_follow
from shequ.compliance.tallies import tallies_rebuild
from shequ.core.errors import DomainError, NotAllowed
from shequ.core.periods import PeriodCode
from shequ.ledger.models import Period
from shequ.ledger.region_follow import RowsFollowed, rows_follow_regions
from shequ.plans import succession as plans
from shequ.plans.succession import PlansFollowed
from shequ.regions import changes
from shequ.regions.levels import Level
from shequ.regions.models import Region


@dataclass
class ChangeReport:
    """What a change did: its message, and what followed it."""

    message: str
    regions: list[Region]
    periods: list[RowsFollowed] = field(default_factory=list)
    plans: PlansFollowed = field(default_factory=PlansFollowed)
    checklist_moved: int = 0

    @property
    def summary(self) -> str:
        """The message and what followed, for the page's notice and the command's output."""
        parts = [self.message]
        parts += [period.summary for period in self.periods if period.summary]
        if self.plans.summary:
            parts.append(self.plans.summary)
        if self.checklist_moved:
            parts.append(f"功能设置记录转入 {self.checklist_moved} 项")
        return "；".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "regions": [region.code for region in self.regions],
            "periods": [
                {
                    "period": period.period.code,
                    "rows_created": period.created,
                    "rows_removed": period.removed,
                    "rows_moved": period.moved,
                    "rows_recarried": period.recarried,
                }
                for period in self.periods
            ],
            "plans_moved": [plan.pk for plan in self.plans.moved],
            "plans_withdrawn": [plan.pk for plan in self.plans.withdrawn],
            "checklist_moved": self.checklist_moved,
        }


def _require(scope: Scope, *regions: Region) -> None:
    for region in regions:
        if not may_change_regions(scope, region):
            raise NotAllowed("只有管理员可以调整区划")


def _follow(scope: Scope, effective: PeriodCode, regions: list[Region]) -> list[RowsFollowed]:
    """Every stored period from `effective` on follows the tree; its tallies with it."""
    streets = {street for region in regions if (street := _street_of(region)) is not None}
    followed = []
    for period in Period.objects.filter(ordinal__gte=effective.ordinal).order_by("ordinal"):
        report = rows_follow_regions(actor=scope.actor, period=period, streets=streets)
        if period.is_open:
            tallies_rebuild(period)
        followed.append(report)
    return followed


def _street_of(region: Region) -> int | None:
    if region.level == Level.STREET:
        return region.pk
    return region.parent_id if region.level == Level.COMMUNITY else None


@transaction.atomic
def change_rename(
    *, scope: Scope, region: Region, name: str, effective: PeriodCode, reason: str = ""
) -> ChangeReport:
    _require(scope, region)
    changes.region_rename(
        actor=scope.actor, region=region, name=name, effective=effective, reason=reason
    )
    report = ChangeReport(f"已更名为{region.name}，自{effective.label}起生效", [region])
    report.periods = _follow(scope, effective, [region])
    return report


@transaction.atomic
def change_move(
    *, scope: Scope, region: Region, new_parent: Region, effective: PeriodCode, reason: str = ""
) -> ChangeReport:
    _require(scope, region, new_parent)
    old_parent = region.parent
    changes.region_move(
        actor=scope.actor,
        region=region,
        new_parent=new_parent,
        effective=effective,
        reason=reason,
    )
    report = ChangeReport(f"已调整到{new_parent.name}，自{effective.label}起生效", [region])
    report.periods = _follow(scope, effective, [region, *([old_parent] if old_parent else [])])
    if region.is_community:
        plans.plans_follow_move(actor=scope.actor, region=region, effective=effective)
    return report


@transaction.atomic
def change_reclassify(
    *,
    scope: Scope,
    region: Region,
    effective: PeriodCode,
    urban_rural_class: str | None = None,
    kind: str | None = None,
    reason: str = "",
) -> ChangeReport:
    _require(scope, region)
    changes.region_reclassify(
        actor=scope.actor,
        region=region,
        effective=effective,
        urban_rural_class=urban_rural_class,
        kind=kind,
        reason=reason,
    )
    report = ChangeReport(f"类别已调整，自{effective.label}起生效", [region])
    report.periods = _follow(scope, effective, [region])
    return report


@transaction.atomic
def change_create(
    *,
    scope: Scope,
    parent: Region,
    code: str,
    name: str,
    effective: PeriodCode,
    level: str = Level.COMMUNITY,
    urban_rural_class: str | None = None,
    urban_rural_code: str = "",
    reason: str = "",
) -> ChangeReport:
    _require(scope, parent)
    created = changes.region_create(
        actor=scope.actor,
        parent=parent,
        code=code,
        name=name,
        level=level,
        effective=effective,
        urban_rural_class=urban_rural_class,
        urban_rural_code=urban_rural_code,
        reason=reason,
    )
    report = ChangeReport(f"已新设{created.name}，自{effective.label}起生效", [created])
    report.periods = _follow(scope, effective, [created])
    return report


@transaction.atomic
def change_merge(
    *,
    scope: Scope,
    sources: list[Region],
    effective: PeriodCode,
    code: str | None = None,
    name: str | None = None,
    into: Region | None = None,
    parent: Region | None = None,
    reason: str = "",
    close_plans: bool = False,
) -> ChangeReport:
    """Merge `sources` into a new community (`code`, `name`, `parent`) or `into` an
    existing one; their open plans go on as the merged community's unless `close_plans`."""
    _require(scope, *sources, *([into] if into else []), *([parent] if parent else []))
    _require_communities(sources)
    merged = changes.region_merge(
        actor=scope.actor,
        sources=sources,
        effective=effective,
        code=code or "",
        name=name or "",
        into=into,
        parent=parent,
        reason=reason,
    )
    verb = "并入" if into else "合并为"
    report = ChangeReport(f"已{verb}{merged.name}，自{effective.label}起生效", [merged])
    report.periods = _follow(scope, effective, [*sources, merged])
    report.plans = plans.plans_follow_merge(
        actor=scope.actor,
        sources=sources,
        successor=merged,
        effective=effective,
        withdraw=close_plans,
        reason=reason,
    )
    report.checklist_moved = checklist_follow(sources, merged)
    return report


@transaction.atomic
def change_split(
    *,
    scope: Scope,
    source: Region,
    parts: list[tuple[str, str]],
    effective: PeriodCode,
    reason: str = "",
    plan_to: Region | str | None = None,
    close_plans: bool = False,
) -> ChangeReport:
    """Split `source` into new communities (code, name); its open plan goes to `plan_to`
    (one of them, by code when given before they exist) or, with `close_plans`, ends."""
    _require(scope, source)
    _require_communities([source])
    created = changes.region_split(
        actor=scope.actor, source=source, parts=parts, effective=effective, reason=reason
    )
    report = ChangeReport(
        f"已拆分为{'、'.join(p.name for p in created)}，自{effective.label}起生效", created
    )
    report.periods = _follow(scope, effective, [source, *created])
    receiver = _part_named(created, plan_to)
    report.plans = plans.plans_follow_split(
        actor=scope.actor,
        source=source,
        parts=created,
        effective=effective,
        plan_to=receiver,
        withdraw=close_plans,
        reason=reason,
    )
    return report


def _part_named(created: list[Region], plan_to: Region | str | None) -> Region | None:
    """The part that takes the plan: a part, or a part's code (the parts do not exist
    before the split, so a form or a command names them by code)."""
    if plan_to is None:
        return None
    code = plan_to if isinstance(plan_to, str) else plan_to.code
    return next((part for part in created if part.code == code), None)


@transaction.atomic
def change_recode(
    *,
    scope: Scope,
    region: Region,
    code: str,
    effective: PeriodCode,
    name: str | None = None,
    parent: Region | None = None,
    reason: str = "",
) -> ChangeReport:
    """The same community under a new code: its ledger, plan and checklist go on."""
    _require(scope, region, *([parent] if parent else []))
    successor = changes.region_recode(
        actor=scope.actor,
        region=region,
        code=code,
        name=name or "",
        parent=parent,
        effective=effective,
        reason=reason,
    )
    report = ChangeReport(
        f"{region.name}已改为代码 {successor.code}，自{effective.label}起生效", [successor]
    )
    report.periods = _follow(scope, effective, [region, successor])
    report.plans = plans.plans_follow_merge(
        actor=scope.actor,
        sources=[region],
        successor=successor,
        effective=effective,
        withdraw=False,
        reason=reason,
    )
    report.checklist_moved = checklist_follow([region], successor)
    return report


@transaction.atomic
def change_deactivate(
    *, scope: Scope, region: Region, effective: PeriodCode, reason: str = ""
) -> ChangeReport:
    """A unit ceases without a successor: its rows from `effective` on go, its open plans
    end as 因区划调整撤销 (a reason is required), a street keeps no idle assets."""
    _require(scope, region)
    if not (reason or "").strip():
        raise DomainError("撤销区划须填写原因", field="reason")
    if region.is_street:
        _require_no_assets(region)
    changes.region_deactivate(actor=scope.actor, region=region, effective=effective, reason=reason)
    report = ChangeReport(f"已撤销{region.name}，自{effective.label}起生效", [region])
    report.periods = _follow(scope, effective, [region])
    if region.is_community:
        report.plans = plans.plans_follow_deactivation(
            actor=scope.actor, region=region, effective=effective, reason=reason
        )
    return report


def _require_communities(regions: list[Region]) -> None:
    if any(not region.is_community for region in regions):
        raise DomainError("合并和拆分只用于社区/村；街镇请用更名、调整隶属或撤销", field="sources")


def _require_no_assets(street: Region) -> None:
    held = IdleAsset.objects.filter(street=street).count()
    if held:
        raise DomainError(
            f"{street.name}登记有闲置资产 {held} 项，请先将其改到其他街镇再撤销", field="region"
        )
