"""Changing the idle assets register: create and update (street editors and approvers for
their street, district administrators and approvers for every street), and keeping an
asset's status in line with the plan measure that uses it. Each change is audited in its
transaction.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.assets.models import IdleAsset
from shequ.assets.queries import asset_streets, assets_visible_to
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.numbers import decimal_field_max, decimal_field_step
from shequ.core.text import field_text
from shequ.core.versions import next_version, require_current
from shequ.plans.models import Plan
from shequ.plans.services import is_measure_editor, may_edit_plan, require_plan_editor
from shequ.regions.levels import Level, is_above_street
from shequ.regions.models import Region

Status = IdleAsset.Status

ASSET_FIELDS = (
    "code",
    "kind",
    "name",
    "description",
    "owner",
    "address",
    "street",
    "area",
    "status",
    "notes",
)
# The register's texts (lengths and characters: the text policy, core.text), with what to
# say when a required one is empty.
TEXTS = {
    "code": "",
    "name": "请填写资产名称",
    "description": "",
    "owner": "请填写产权（管理）单位",
    "address": "请填写地址",
    "notes": "",
}
MAX_AREA = decimal_field_max(IdleAsset, "area")  # 99999999.9

# Who keeps the register: the roles that change data at their node (viewers only read).
MANAGING = (Permission.EDIT, Permission.SUBMIT, Permission.APPROVE, Permission.MANAGE)


def may_manage_assets(scope: Scope, street: Region | None = None) -> bool:
    """May the caller add or change assets (of `street`, or of some street)? The register's
    pages and the API draw their buttons and forms with it; `asset_create` and
    `asset_update` refuse exactly where it is False."""
    node = scope.node
    if node is None or node.is_community:
        return False
    target = street or node
    return scope.contains(target) and any(scope.can(p, target) for p in MANAGING)


def may_edit_asset(scope: Scope, asset: IdleAsset) -> bool:
    """May the caller change this asset: it belongs to a street whose register they keep
    (and so one whose assets they see)."""
    return may_manage_assets(scope, asset.street)


def require_asset_registrar(scope: Scope) -> None:
    """Refuse, before any value is read, a caller who keeps no street's register."""
    if not may_manage_assets(scope):
        raise NotAllowed("您没有登记闲置资产的权限")


def require_asset_editor(scope: Scope, asset: IdleAsset) -> None:
    """Refuse unless `may_edit_asset`: an asset the caller does not see is OutOfScope."""
    _require_visible(scope, asset)
    _require_manager(scope, asset.street)


def may_assign_across_streets(scope: Scope) -> bool:
    """District users who keep the register also assign its assets to any street's plan."""
    return scope.node is not None and is_above_street(scope.node.level) and may_manage_assets(scope)


def _require_manager(scope: Scope, street: Region) -> None:
    """403 for those who see the street's assets but may not change them, else 404."""
    if may_manage_assets(scope, street):
        return
    if asset_streets(scope).filter(pk=street.pk).exists():
        raise NotAllowed("您没有管理闲置资产的权限")
    raise OutOfScope(f"{street.name}不在您的管辖范围内")


# ---------------------------------------------------------------- assigning to plans


def is_asset_assigner(scope: Scope, plan: Plan) -> bool:
    """Who may put an idle asset on (or take it off) a measure of `plan`: its editors, and
    the district users who keep the register, for any street's plan."""
    return is_measure_editor(
        scope, plan, uses_asset=True, assigns_assets=may_assign_across_streets(scope)
    )


def may_use_asset(scope: Scope, asset: IdleAsset) -> bool:
    """May a measure of the caller's newly choose `asset`: one they see, still 可用."""
    visible = assets_visible_to(scope).filter(pk=asset.pk)
    return asset.status == Status.AVAILABLE and visible.exists()


def may_assign_asset(scope: Scope, plan: Plan, asset: IdleAsset | None = None) -> bool:
    """The one answer to "may this user put `asset` (or, without one, an idle asset) on a
    measure of `plan` now": the plan open, the caller an asset assigner of it, the asset one
    they may use. The plan page draws its measure form and suggestions' buttons with it,
    and `workflow.measures.measure_save` refuses a measure newly choosing `asset` exactly
    where it is False (the API, before reading the measure, `require_asset_assigner`)."""
    if not (plan.is_open and is_asset_assigner(scope, plan)):
        return False
    return asset is None or may_use_asset(scope, asset)


def assigns_only(scope: Scope, plan: Plan) -> bool:
    """A district user who assigns idle assets to a plan they may not edit: every measure
    they add or change must use an asset (the measure form requires one)."""
    return may_assign_asset(scope, plan) and not may_edit_plan(scope, plan)


def require_asset_assigner(scope: Scope, plan: Plan) -> None:
    """Refuse, before any value is read, a caller who may change none of the plan's
    measures (whether the plan is still open is the service's to say)."""
    if not is_asset_assigner(scope, plan):
        require_plan_editor(scope, plan)  # names the refusal: outside the node, or the role


def _locked(asset: IdleAsset) -> IdleAsset:
    return IdleAsset.objects.select_for_update().select_related("street").get(pk=asset.pk)


def _audit(scope: Scope, asset: IdleAsset, action: str, summary: str, changes=None) -> None:
    audit_record(
        actor=scope.actor,
        action=f"assets.{action}",
        target_type="asset",
        target_id=asset.pk,
        region_path=asset.street.path,
        summary=f"闲置资产“{asset.name}”：{summary}",
        changes=changes or {},
    )


# ---------------------------------------------------------------- checking values


def _clean_text(values: dict) -> dict:
    texts = {
        name: field_text(IdleAsset, name, values.get(name), required=required)
        for name, required in TEXTS.items()
    }
    return {**values, **texts}


def _check_values(values: dict, asset: IdleAsset | None) -> None:
    """The register's rules, each naming the field at fault (forms show them in place)."""
    if values.get("kind") not in IdleAsset.Kind.values:
        raise DomainError("请选择资产类别（学校用房、企业厂房、办公用房或其他）", field="kind")
    street = values.get("street")
    if not isinstance(street, Region) or street.level != Level.STREET or not street.is_active:
        raise DomainError("请选择资产所在的街镇", field="street")
    _check_area(values.get("area"))
    if values.get("status") not in Status.values:
        raise DomainError("请选择状态（可用、已分配或已使用）", field="status")
    code = values["code"]
    if code and IdleAsset.objects.filter(code=code).exclude(pk=getattr(asset, "pk", None)).exists():
        raise DomainError(f"资产编号“{code}”已被使用", field="code")


def _check_area(area) -> None:
    if area is None:
        raise DomainError("请填写建筑面积", field="area")
    if not isinstance(area, Decimal) or not area.is_finite():
        raise DomainError("建筑面积应为数字", field="area")
    if area <= 0:
        raise DomainError("建筑面积应大于 0", field="area")
    if area > MAX_AREA or area != area.quantize(decimal_field_step(IdleAsset, "area")):
        raise DomainError("建筑面积最多保留 1 位小数，且不超过 99999999.9㎡", field="area")


def _label(name: str) -> str:
    return IdleAsset._meta.get_field(name).verbose_name


def _next_code(street: Region) -> str:
    """A register number for an asset typed without one: street code and a sequence."""
    taken = set(
        IdleAsset.objects.filter(code__startswith=f"{street.code}-").values_list("code", flat=True)
    )
    number = len(taken) + 1
    while f"{street.code}-{number:03d}" in taken:
        number += 1
    return f"{street.code}-{number:03d}"


def _text(value) -> str | None:
    if value is None:
        return None
    return value.name if isinstance(value, Region) else str(value)


# ---------------------------------------------------------------- create and update


@transaction.atomic
def asset_create(*, scope: Scope, values: dict) -> IdleAsset:
    values = _clean_text({"status": Status.AVAILABLE} | values)
    _check_values(values, None)
    _require_manager(scope, values["street"])
    if not values["code"]:
        values["code"] = _next_code(values["street"])
    asset = IdleAsset.objects.create(**{name: values[name] for name in ASSET_FIELDS})
    _audit(
        scope,
        asset,
        "create",
        f"登记（{asset.get_kind_display()}，{asset.area}㎡，{asset.get_status_display()}）",
        {name: [None, _text(values[name])] for name in ASSET_FIELDS},
    )
    return asset


@transaction.atomic
def asset_update(
    *, scope: Scope, asset: IdleAsset, values: dict, expected_version: int | None = None
) -> IdleAsset:
    """Change the fields given. `expected_version` is the version the page or the API
    client read: once someone else saved the asset, a value that differs from theirs is
    refused (`core.versions.StaleEdit`) and nothing is written."""
    asset = _locked(asset)
    require_asset_editor(scope, asset)
    given = [name for name in ASSET_FIELDS if name in values]
    values = _clean_text({name: getattr(asset, name) for name in ASSET_FIELDS} | values)
    # Compared as they would be stored (texts under the policy), only what was sent.
    require_current(
        asset, expected_version, {name: values[name] for name in given}, what=_what(asset)
    )
    _check_values(values, asset)
    _require_manager(scope, values["street"])
    if not values["code"]:
        values["code"] = asset.code
    if values["status"] != asset.status and status_follows_measure(asset):
        raise DomainError(
            "该资产已用于方案措施，状态随措施自动变化（删除措施或改选资产后恢复为可用）",
            field="status",
        )
    changes = {
        name: [_text(getattr(asset, name)), _text(values[name])]
        for name in ASSET_FIELDS
        if getattr(asset, name) != values[name]
    }
    for name in ASSET_FIELDS:
        setattr(asset, name, values[name])
    next_version(asset)
    asset.save()
    _audit(
        scope,
        asset,
        "update",
        f"修改{'、'.join(_label(n) for n in changes) or '（无变化）'}",
        changes,
    )
    return asset


def _what(asset: IdleAsset) -> str:
    return f"闲置资产“{asset.name}”（{asset.code}）"


def _require_visible(scope: Scope, asset: IdleAsset) -> None:
    if not assets_visible_to(scope).filter(pk=asset.pk).exists():
        raise OutOfScope("该闲置资产不在您的管辖范围内")


def status_follows_measure(asset: IdleAsset) -> bool:
    """A measure uses the asset, so its status follows the measure and is not typed (the
    asset page disables the field, `asset_update` refuses a change)."""
    # The reverse of `plans.Measure.asset`.
    return asset.measures.exists()


# ---------------------------------------------------------------- measures


def asset_require_usable(
    *, scope: Scope, before: IdleAsset | None, after: IdleAsset | None
) -> None:
    """A measure's newly chosen asset must be visible to the caller and available (asked
    before the measure is saved, so that the refusal names the asset, not a database
    constraint)."""
    if after is None or (before is not None and before.pk == after.pk):
        return
    asset = _locked(after)
    if may_use_asset(scope, asset):
        return
    _require_visible(scope, asset)
    raise DomainError(
        f"闲置资产“{asset.name}”{asset.get_status_display()}，不能再用于其他措施",
        field="asset",
    )


def asset_follow_measure(
    *,
    scope: Scope,
    before: IdleAsset | None,
    after: IdleAsset | None,
    in_use: bool,
    purpose: str,
) -> None:
    """Keep assets in step with the measure that uses them, inside its transaction
    (`workflow.measures` calls this, and only it): the chosen asset becomes 已分配, or 已使用
    once the measure is done; an asset no longer used returns to 可用."""
    if before is not None and (after is None or after.pk != before.pk):
        _status_set(scope, _locked(before), Status.AVAILABLE, f"不再用于{purpose}")
    if after is None:
        return
    asset_require_usable(scope=scope, before=before, after=after)
    status = Status.USED if in_use else Status.ALLOCATED
    _status_set(scope, _locked(after), status, f"用于{purpose}")


def _status_set(scope: Scope, asset: IdleAsset, status: str, summary: str) -> None:
    if asset.status == status:
        return
    before = asset.status
    asset.status = status
    next_version(asset)
    asset.save(update_fields=["status", "version", "updated_at"])
    _audit(
        scope,
        asset,
        "status",
        f"{Status(status).label}，{summary}",
        {"status": [before, status]},
    )
