"""Which available idle assets could close a plan's gap, closest fit first.

Everyone gets the plan's own street first; district users, who see and assign assets
across streets, then get the other streets' (marked as such). When nothing covers the
gap, the largest available assets are offered instead, and the result says so.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from shequ.accounts.scope import Scope
from shequ.assets.models import IdleAsset
from shequ.assets.queries import assets_visible_to
from shequ.plans.models import Measure, Plan

PER_GROUP = 5  # a small panel: five of the plan's street, five of the others
LARGEST = 3


@dataclass(frozen=True)
class Suggestion:
    asset: IdleAsset
    gap: Decimal
    other_street: bool

    @property
    def slack(self) -> Decimal:
        """Area left over once the gap is covered (negative: it does not cover it)."""
        return self.asset.area - self.gap

    @property
    def covers(self) -> bool:
        return self.slack >= 0


@dataclass(frozen=True)
class Suggestions:
    gap: Decimal
    items: list[Suggestion] = field(default_factory=list)
    # False: no available asset covers the gap; `items` are the largest ones instead.
    covering: bool = True

    @property
    def other_streets(self) -> bool:
        return any(s.other_street for s in self.items)


def suggest_assets(scope: Scope, plan: Plan) -> Suggestions:
    gap = plan.gap_m2
    if not plan.is_open or gap <= 0:
        return Suggestions(gap=gap)
    available = assets_visible_to(scope).filter(status=IdleAsset.Status.AVAILABLE)
    available = available.select_related("street")
    covering = available.filter(area__gte=gap).order_by("area", "code")
    found = _grouped(covering, plan, gap, PER_GROUP)
    if found:
        return Suggestions(gap=gap, items=found)
    largest = available.order_by("-area", "code")
    return Suggestions(gap=gap, items=_grouped(largest, plan, gap, LARGEST), covering=False)


def _grouped(assets: QuerySet[IdleAsset], plan: Plan, gap: Decimal, limit: int):
    """The plan's street first, then the other streets the caller sees, each in order."""
    same = assets.filter(street_id=plan.street_id)[:limit]
    others = assets.exclude(street_id=plan.street_id)[:limit]
    return [Suggestion(a, gap, other_street=False) for a in same] + [
        Suggestion(a, gap, other_street=True) for a in others
    ]


# Buying an enterprise's factory building, sharing a public unit's rooms.
METHOD_FOR_KIND = {IdleAsset.Kind.FACTORY: Measure.Method.PURCHASE}
DEFAULT_METHOD = Measure.Method.SHARE


def measure_defaults(asset: IdleAsset, plan: Plan) -> dict:
    """A new measure's starting values for using `asset` in `plan` (the user edits them)."""
    return {
        "method": METHOD_FOR_KIND.get(asset.kind, DEFAULT_METHOD),
        "description": f"使用{asset.owner}闲置{asset.get_kind_display()}“{asset.name}”"
        f"（{asset.address}）",
        "planned_area": asset.area,
        "responsible": plan.street.name,
        "planned_date": _planned_date(plan),
        "status": "not_started",
        "asset": asset.pk,
    }


def _planned_date(plan: Plan) -> datetime.date:
    """The end of the target year; of this year when the target year is already over."""
    return datetime.date(max(plan.target_year, timezone.localdate().year), 12, 31)
