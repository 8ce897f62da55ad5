"""The district subsidy (补助资金) in the API: a year's budget against what is allocated
and paid, per street; the allocations, and setting, allocating, paying and cancelling
with `subsidy.services` (district administrators decide, district approvers pay)."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from ninja import Query, Router, Schema

from shequ.api.common import (
    caller_scope,
    json_body,
    json_body_doc,
    named,
    paged,
    street_in_scope,
)
from shequ.api.errors import stale
from shequ.api.schemas import (
    ERRORS,
    Allocated,
    AllocationChange,
    AllocationConflict,
    AllocationIn,
    AllocationOut,
    AllocationPage,
    BudgetIn,
    BudgetOut,
    CancelIn,
    Cancelled,
    PaidIn,
)
from shequ.core.errors import DomainError
from shequ.core.jsonvalues import json_number
from shequ.core.versions import StaleEdit
from shequ.plans.models import Measure
from shequ.plans.queries import plans_visible_to
from shequ.subsidy import services
from shequ.subsidy.models import SubsidyAllocation
from shequ.subsidy.queries import allocations_visible_to

router = Router(tags=["补助资金"])


def _money(value: Decimal | None) -> float | None:
    return json_number(value)


@router.get(
    "/subsidies/budgets/{year}", response={200: BudgetOut, **ERRORS}, summary="年度补助资金"
)
def budget_detail(request, year: int):
    """The year's budget (district users only: a street sees its own money, not the
    district's), what is allocated and paid, and each street's share."""
    status = services.budget_status(year, scope=caller_scope(request))
    return {
        "year": status.year,
        "budget": _money(status.budget),
        "allocated": _money(status.allocated),
        "paid": _money(status.paid),
        "remaining": _money(status.remaining),
        "streets": [
            {
                "street": named(line.street),
                "allocated": _money(line.allocated),
                "paid": _money(line.paid),
                "count": line.count,
            }
            for line in status.streets
        ],
    }


@router.put(
    "/subsidies/budgets/{year}",
    response={200: BudgetOut, **ERRORS},
    openapi_extra=json_body_doc(BudgetIn),
    summary="设定年度补助资金预算（万元）",
)
def budget_set(request, year: int):
    scope = caller_scope(request)
    services.require_manager(scope, "设定补助资金预算")
    data = json_body(request, BudgetIn)
    services.budget_set(scope=scope, year=year, amount=Decimal(str(data.amount)), notes=data.notes)
    return budget_detail(request, year)


def allocation_json(allocation: SubsidyAllocation) -> dict:
    community = allocation.community
    return {
        "id": allocation.pk,
        "year": allocation.year,
        "street": named(allocation.street),
        "purpose": allocation.purpose,
        "measure": allocation.measure_id,
        "community": named(community) if community else None,
        "amount": _money(allocation.amount),
        "state": allocation.state,
        "paid_on": allocation.paid_on,
        "notes": allocation.notes,
        "version": allocation.version,
    }


class AllocationQuery(Schema):
    year: int | None = None
    street: str | None = None
    state: str | None = None
    purpose: str | None = None
    limit: int = 50
    offset: int = 0


def _allocations(scope):
    return allocations_visible_to(scope).select_related("street", "community")


@router.get(
    "/subsidies/allocations", response={200: AllocationPage, **ERRORS}, summary="补助资金安排列表"
)
def allocation_list(request, query: Query[AllocationQuery]):
    scope = caller_scope(request)
    allocations = _allocations(scope).order_by("year", "street__code", "pk")
    if query.street:
        allocations = allocations.filter(street=street_in_scope(scope, query.street))
    for name in ("year", "state", "purpose"):
        if getattr(query, name) is not None:
            allocations = allocations.filter(**{name: getattr(query, name)})
    return paged(allocations, query, allocation_json)


def _allocation(scope, allocation_id: int) -> SubsidyAllocation:
    allocation = _allocations(scope).filter(pk=allocation_id).first()
    if allocation is None:
        raise Http404("补助资金安排不存在或不在您的管辖范围内")
    return allocation


@router.get(
    "/subsidies/allocations/{allocation_id}",
    response={200: AllocationOut, **ERRORS},
    summary="补助资金安排",
)
def allocation_detail(request, allocation_id: int):
    return allocation_json(_allocation(caller_scope(request), allocation_id))


def _allocation_values(scope, data: AllocationIn) -> dict:
    """The body as the service takes it: street, community and measure found within the
    caller's node (404 otherwise), the amount as exact Decimal 万元."""
    values = data.model_dump()
    values.pop("version", None)
    values["street"] = street_in_scope(scope, data.street)
    values["amount"] = Decimal(str(data.amount))
    values["community"] = None
    if data.community:
        values["community"] = scope.regions().filter(code=data.community).first()
        if values["community"] is None:
            raise Http404(f"社区（村）“{data.community}”不存在或不在您的管辖范围内")
    values["measure"] = None
    if data.measure is not None:
        plans = plans_visible_to(scope)
        values["measure"] = Measure.objects.filter(pk=data.measure, plan__in=plans).first()
        if values["measure"] is None:
            raise DomainError(f"措施 {data.measure} 不存在或不在您的管辖范围内", field="measure")
    return values


def _allocated(result) -> dict:
    return {**allocation_json(result.allocation), "warnings": result.warnings}


@router.post(
    "/subsidies/allocations",
    response={200: Allocated, **ERRORS},
    openapi_extra=json_body_doc(AllocationIn),
    summary="安排补助资金（超出预算时拒绝）",
)
def allocation_create(request):
    scope = caller_scope(request)
    services.require_manager(scope)
    values = _allocation_values(scope, json_body(request, AllocationIn))
    return _allocated(services.allocation_create(scope=scope, **values))


@router.patch(
    "/subsidies/allocations/{allocation_id}",
    response={200: Allocated, 409: AllocationConflict, **ERRORS},
    openapi_extra=json_body_doc(AllocationChange),
    summary="修改补助资金安排（已拨付的只能改说明；带读取时的版本号，他人已修改时 409）",
)
def allocation_change(request, allocation_id: int):
    scope = caller_scope(request)
    allocation = _allocation(scope, allocation_id)
    services.require_manager(scope)
    change = json_body(request, AllocationChange)
    values = _allocation_values(scope, change)
    try:
        result = services.allocation_update(
            scope=scope, allocation=allocation, expected_version=change.version, **values
        )
    except StaleEdit as error:
        return stale(error, allocation_json(_allocation(scope, allocation_id)))
    return _allocated(result)


@router.post(
    "/subsidies/allocations/{allocation_id}/pay",
    response={200: AllocationOut, 409: AllocationConflict, **ERRORS},
    openapi_extra=json_body_doc(PaidIn),
    summary="确认拨付（带读取时的版本号，他人已修改时 409）",
)
def allocation_pay(request, allocation_id: int):
    scope = caller_scope(request)
    allocation = _allocation(scope, allocation_id)
    services.require_payer(scope, allocation)
    body = json_body(request, PaidIn)
    try:
        paid = services.allocation_mark_paid(
            scope=scope, allocation=allocation, paid_on=body.paid_on, expected_version=body.version
        )
    except StaleEdit as error:
        return stale(error, allocation_json(_allocation(scope, allocation_id)))
    return allocation_json(paid)


@router.post(
    "/subsidies/allocations/{allocation_id}/cancel",
    response={200: Cancelled, 409: AllocationConflict, **ERRORS},
    openapi_extra=json_body_doc(CancelIn),
    summary="取消未拨付的补助资金安排（带读取时的版本号，他人已修改时 409）",
)
def allocation_cancel(request, allocation_id: int):
    scope = caller_scope(request)
    allocation = _allocation(scope, allocation_id)
    services.require_manager(scope)
    body = json_body(request, CancelIn)
    try:
        services.allocation_cancel(
            scope=scope, allocation=allocation, reason=body.reason, expected_version=body.version
        )
    except StaleEdit as error:
        return stale(error, allocation_json(_allocation(scope, allocation_id)))
    return {"id": allocation_id, "cancelled": True}
