"""Reads of plans that pages, exports and the ledger share."""

from __future__ import annotations

from django.db.models import QuerySet

from shequ.accounts.scope import Scope
from shequ.plans.models import Plan

OPEN = (Plan.State.DRAFTING, Plan.State.IMPLEMENTING, Plan.State.PENDING)


def plans_visible_to(scope: Scope) -> QuerySet[Plan]:
    """Plans of the communities below the caller's node (the one scoping rule)."""
    prefix = scope.path_prefix()
    if prefix is None:
        return Plan.objects.none()
    return Plan.objects.filter(community__path__startswith=prefix)


def open_plan_target_years(community_ids) -> dict[int, int]:
    """The target year of each community's open plan: it fills a blank 达标年度."""
    plans = Plan.objects.filter(community_id__in=list(community_ids), state__in=OPEN)
    return dict(plans.values_list("community_id", "target_year"))
