"""Reads of the subsidy that depend on who is asking: one rule, used by pages and exports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from shequ.accounts.scope import Scope
from shequ.subsidy.models import SubsidyAllocation

ZERO = Decimal("0.00")


def allocations_visible_to(scope: Scope) -> QuerySet[SubsidyAllocation]:
    """A street's allocations to users at or above that street; a community's own (those
    naming it) to that community's users."""
    prefix = scope.path_prefix()
    if prefix is None:
        return SubsidyAllocation.objects.none()
    return SubsidyAllocation.objects.filter(
        Q(street__path__startswith=prefix) | Q(community__path__startswith=prefix)
    )


@dataclass(frozen=True)
class MeasureFunds:
    allocated: Decimal
    paid: Decimal


def funds_by_measure(scope: Scope, measure_ids) -> dict[int, MeasureFunds]:
    """Subsidy allocated to, and paid for, each measure (all years), as the caller sees it."""
    rows = allocations_visible_to(scope).filter(measure_id__in=list(measure_ids))
    allocated: dict[int, Decimal] = {}
    paid: dict[int, Decimal] = {}
    # Summed in Python: SQLite adds decimals as floats; money must stay exact.
    for measure_id, state, amount in rows.values_list("measure_id", "state", "amount"):
        allocated[measure_id] = allocated.get(measure_id, ZERO) + amount
        if state == SubsidyAllocation.State.PAID:
            paid[measure_id] = paid.get(measure_id, ZERO) + amount
    return {pk: MeasureFunds(total, paid.get(pk, ZERO)) for pk, total in allocated.items()}
