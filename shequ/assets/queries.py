"""Which idle assets a user sees and may use: the one rule every page, form and service
of the register goes through (built on the caller's `Scope`)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shequ.accounts.scope import Scope
from shequ.assets.models import IdleAsset
from shequ.regions.models import Region


def _visible_streets_filter(scope: Scope) -> Q | None:
    node = scope.node
    if node is None:
        return None
    if node.is_community:
        # A community's plan draws on its street's assets, so its users see those.
        return Q(street=scope.own_street)
    return Q(street__path__startswith=node.path)


def assets_visible_to(scope: Scope) -> QuerySet[IdleAsset]:
    """Street users see their street's assets only; district users see the district's."""
    condition = _visible_streets_filter(scope)
    if condition is None:
        return IdleAsset.objects.none()
    return IdleAsset.objects.filter(condition)


def asset_streets(scope: Scope) -> QuerySet[Region]:
    """The streets whose assets the caller sees (for filters and the street choice)."""
    node = scope.node
    if node is None:
        return Region.objects.none()
    if node.is_community:
        return Region.objects.filter(pk=scope.own_street.pk)
    return scope.streets().active().order_by("code")


def assets_usable_by(scope: Scope, current_id: int | None = None) -> QuerySet[IdleAsset]:
    """What a measure may use: visible and available, or the asset it already uses
    (kept even when the caller could not pick it now, e.g. assigned by the district)."""
    usable = assets_visible_to(scope).filter(status=IdleAsset.Status.AVAILABLE)
    if current_id is not None:
        usable = IdleAsset.objects.filter(Q(pk__in=usable.values("pk")) | Q(pk=current_id))
    return usable.select_related("street").order_by("street__code", "area", "code")
