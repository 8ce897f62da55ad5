"""Setting and removing targets (district administrators), audited."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.compliance.models import Target
from shequ.compliance.tallies import tallies_rebuild
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, NotAllowed
from shequ.ledger.models import Period
from shequ.regions.models import Region


def _check_share(share: Decimal) -> Decimal:
    if not Decimal("0") <= share <= Decimal("1"):
        raise DomainError("达标比例应在 0% 到 100% 之间", field="share")
    return share.quantize(Decimal("0.001"))


def may_set_targets(scope: Scope, region: Region | None = None) -> bool:
    """The one answer to "may this user set or remove targets (of `region`; default: of
    their own node)": the targets page opens with it, `target_set` / `target_remove`
    refuse by it."""
    return scope.can(Permission.MANAGE, region)


def require_target_setter(scope: Scope, region: Region | None = None) -> None:
    if not may_set_targets(scope, region):
        raise NotAllowed("只有本级管理员可以设置达标目标")


@transaction.atomic
def target_set(
    *,
    scope: Scope,
    year: int,
    region: Region,
    share: Decimal,
    standard: Decimal | None = None,
) -> Target:
    """Set a year's target for the district (with the standard) or for one street."""
    require_target_setter(scope, region)
    if region.is_community:
        raise DomainError("达标目标只能设在区县或街镇", field="region")
    if standard is not None and region.parent_id is not None:
        raise DomainError("面积标准全区统一，只能在最上级设置", field="standard")
    if standard is not None and standard <= 0:
        raise DomainError("面积标准必须大于 0", field="standard")
    share = _check_share(share)
    before = Target.objects.filter(year=year, region=region).first()
    old = (before.share, before.standard) if before else (None, None)
    target, _ = Target.objects.update_or_create(
        year=year, region=region, defaults={"share": share, "standard": standard}
    )
    audit_record(
        actor=scope.actor,
        action="targets.set",
        target_type="target",
        target_id=target.pk,
        region_path=region.path,
        summary=f"设置{region.name}{year}年达标目标为 {share * 100:.1f}%"
        + (f"，标准每百户 {standard}㎡" if standard is not None else ""),
        changes={
            "share": [_text(old[0]), _text(share)],
            "standard": [_text(old[1]), _text(standard)],
        },
    )
    if old[1] != standard:
        _rebuild_from(year)
    return target


@transaction.atomic
def target_remove(*, scope: Scope, target: Target) -> None:
    """Drop a street's own target: the district's applies again."""
    region = target.region
    require_target_setter(scope, region)
    had_standard = target.standard is not None
    audit_record(
        actor=scope.actor,
        action="targets.remove",
        target_type="target",
        target_id=target.pk,
        region_path=region.path,
        summary=f"删除{region.name}{target.year}年达标目标",
        changes={"share": [_text(target.share), None], "standard": [_text(target.standard), None]},
    )
    year = target.year
    target.delete()
    if had_standard:
        _rebuild_from(year)


def _rebuild_from(year: int) -> None:
    """A new standard changes who complies: rebuild the tallies it applies to."""
    for period in Period.objects.filter(ordinal__gte=year * 2):
        tallies_rebuild(period)


def _text(value) -> str | None:
    return None if value is None else str(value)
