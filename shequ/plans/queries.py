"""Reads of plans that pages, exports and the ledger share."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet

from shequ.accounts.scope import Scope
from shequ.plans.checks import late_measures
from shequ.plans.models import Measure, Plan
from shequ.regions.models import Region

OPEN = (Plan.State.DRAFTING, Plan.State.IMPLEMENTING, Plan.State.PENDING)


def plans_visible_to(scope: Scope) -> QuerySet[Plan]:
    """Plans of the communities below the caller's node (the one scoping rule)."""
    prefix = scope.path_prefix()
    if prefix is None:
        return Plan.objects.none()
    return Plan.objects.filter(community__path__startswith=prefix)


def plans_under(region: Region) -> QuerySet[Plan]:
    """The plans of the communities below `region`, found by its path."""
    return Plan.objects.filter(community__path__startswith=region.path)


def open_plan_target_years(communities) -> dict[int, int]:
    """The target year of each community's open plan: it fills a blank 达标年度.
    `communities`: ids, or a `values("community_id")` queryset (a subquery for a city)."""
    if not isinstance(communities, QuerySet):
        communities = list(communities)
    return _target_years(Plan.objects.filter(community_id__in=communities))


def open_plan_target_years_within(region: Region) -> dict[int, int]:
    """`open_plan_target_years` of every community under `region`, named by its path:
    open plans are few, and a path is cheaper to name than a subquery of a region's
    ledger rows, or a city's thousand streets as parameters."""
    return _target_years(plans_under(region))


def _target_years(plans: QuerySet[Plan]) -> dict[int, int]:
    return dict(plans.filter(state__in=OPEN).values_list("community_id", "target_year"))


# The plan list's state filter: the open plans by default, every plan, or one state.
OPEN_PLANS = ""
ALL_PLANS = "all"


@dataclass(frozen=True)
class StateTab:
    state: str  # OPEN_PLANS, ALL_PLANS or a Plan.State
    label: str
    count: int


def plans_filtered(
    plans: QuerySet[Plan], *, street: str = "", method: str = "", overdue: bool = False
) -> QuerySet[Plan]:
    """`plans` of a street (by code), with a measure of `method`, with a measure past its
    date (`overdue` needs `checks.with_overdue_flag`); a blank criterion is no filter."""
    if street:
        plans = plans.filter(street__code=street)
    if method:
        # Exists rather than a join: the plan's other measures still count in its sums.
        plans = plans.filter(Exists(Measure.objects.filter(plan=OuterRef("pk"), method=method)))
    if overdue:
        plans = plans.filter(has_overdue=True)
    return plans


def plans_in_state(plans: QuerySet[Plan], state: str) -> QuerySet[Plan]:
    if state == ALL_PLANS:
        return plans
    if state == OPEN_PLANS:
        return plans.filter(state__in=OPEN)
    return plans.filter(state=state)


def state_tabs(plans: QuerySet[Plan]) -> list[StateTab]:
    """未销号 (the default), each state and 全部, each with how many of `plans` it holds
    (one query)."""
    by_state = dict(plans.order_by().values_list("state").annotate(n=Count("pk", distinct=True)))
    open_count = sum(n for state, n in by_state.items() if state in OPEN)
    return [
        StateTab(OPEN_PLANS, "未销号", open_count),
        *(
            StateTab(state, label, by_state.get(state, 0))
            for state, label in _shown_states(by_state)
        ),
        StateTab(ALL_PLANS, "全部", sum(by_state.values())),
    ]


def _shown_states(by_state: dict[str, int]) -> list[tuple[str, str]]:
    """Every state, but 因区划调整撤销 only where some plan ended so: most districts never
    see one, and an empty tab on every page would only puzzle them."""
    return [
        (state, label)
        for state, label in Plan.State.choices
        if state != Plan.State.WITHDRAWN or by_state.get(state)
    ]


@dataclass
class PlanCounts:
    by_state: dict[str, int]
    slipped: int
    with_overdue: int

    @property
    def open(self) -> int:
        return sum(n for state, n in self.by_state.items() if state in OPEN)

    def rows(self) -> list[tuple[str, str, int]]:
        return [
            (state, label, self.by_state.get(state, 0))
            for state, label in _shown_states(self.by_state)
        ]


def plan_counts(region: Region, today: datetime.date) -> PlanCounts:
    """Plans below a region by state, those slipped, those with a measure past its date
    (three queries, whatever the number of plans)."""
    plans = plans_under(region)
    by_state = dict(plans.values_list("state").annotate(n=Count("pk")).order_by())
    open_plans = plans.filter(state__in=OPEN)
    return PlanCounts(
        by_state,
        open_plans.filter(outcome=Plan.Outcome.SLIPPED).count(),
        open_plans.filter(Exists(late_measures(today))).count(),
    )
