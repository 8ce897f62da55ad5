"""A community plan's measures with the idle assets they use: a measure saved or removed,
and the asset's state following it, in one transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from shequ.accounts.scope import Scope
from shequ.assets.models import IdleAsset
from shequ.assets.services import (
    asset_follow_measure,
    asset_require_usable,
    may_assign_across_streets,
)
from shequ.core.versions import deleted_since
from shequ.plans import services
from shequ.plans.models import Measure, Plan


def _purpose(plan: Plan, measure: Measure) -> str:
    return f"{plan.community.name}方案措施“{measure.description}”"


def _locked(measure: Measure | None) -> Measure | None:
    """The stored measure, under its row lock."""
    if measure is None:
        return None
    try:
        # Not joined to the asset: PostgreSQL locks no row of a nullable outer join.
        return Measure.objects.select_for_update().get(pk=measure.pk)
    except Measure.DoesNotExist:
        raise deleted_since(f"措施“{measure.description}”") from None


def _asset_now(measure: Measure | None) -> IdleAsset | None:
    """The asset the stored measure uses, read under the measure's lock."""
    stored = _locked(measure)
    return None if stored is None else stored.asset


@transaction.atomic
def measure_save(
    *,
    scope: Scope,
    plan: Plan,
    values: dict[str, Any],
    measure: Measure | None = None,
    expected_version: int | None = None,
) -> Measure:
    """Add a measure to a plan, or change one (against the version read, ADR 0040); a
    newly chosen asset must be visible to the caller and available, and becomes 已分配
    (已使用 once the measure is done); an asset no longer used is 可用 again."""
    stored = _locked(measure)
    before = None if stored is None else stored.asset
    chosen = values.get("asset", before)
    assigns_assets = may_assign_across_streets(scope)
    # Who may act first, then whether the asset is free: a refusal names the asset only to
    # someone who may use it, and before the measure's save meets the database's constraint.
    uses_asset = chosen is not None or before is not None
    services.require_measure_editor(
        scope, plan, uses_asset=uses_asset, assigns_assets=assigns_assets
    )
    if stored is not None:  # a stale change is told as such, not as a busy asset
        services.measure_require_current(
            measure=stored, values=values, expected_version=expected_version
        )
    asset_require_usable(scope=scope, before=before, after=chosen)
    saved = services.measure_save(
        scope=scope,
        plan=plan,
        values=values,
        measure=measure,
        assigns_assets=assigns_assets,
        expected_version=expected_version,
    )
    asset_follow_measure(
        scope=scope,
        before=before,
        after=saved.asset,
        in_use=saved.status == Measure.Status.DONE,
        purpose=_purpose(saved.plan, saved),
    )
    return saved


def may_delete_measure(scope: Scope, measure: Measure) -> bool:
    """The one answer `measure_delete` refuses by (the plan page draws each measure's 删除
    with it): the plan open, and the caller its editor, or the district when the measure
    uses an idle asset."""
    plan = measure.plan
    return plan.is_open and services.is_measure_editor(
        scope,
        plan,
        uses_asset=measure.asset_id is not None,
        assigns_assets=may_assign_across_streets(scope),
    )


@transaction.atomic
def measure_delete(*, scope: Scope, measure: Measure, expected_version: int | None = None) -> None:
    """Remove a measure as the caller saw it (`expected_version`, ADR 0040); the asset it
    used, if any, is available again."""
    asset, plan = _asset_now(measure), measure.plan
    purpose = _purpose(plan, measure)
    services.measure_delete(
        scope=scope,
        measure=measure,
        assigns_assets=may_assign_across_streets(scope),
        expected_version=expected_version,
    )
    asset_follow_measure(scope=scope, before=asset, after=None, in_use=False, purpose=purpose)
