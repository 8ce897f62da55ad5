"""Plans (一社区一方案) with their measures and consultations, idle assets, and the annual
evaluation in the API; scope, then role, then body, then the plans' own services."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from ninja import Query, Router, Schema

from shequ.accounts.roles import Permission
from shequ.api.common import bounds, caller_scope, json_body, street_in_scope
from shequ.api.schemas import (
    AssetPage,
    ConsultationIn,
    Error,
    MeasureIn,
    PlanOut,
    PlanPage,
)
from shequ.assets.queries import assets_usable_by, assets_visible_to
from shequ.assets.services import may_assign_across_streets
from shequ.core.jsonvalues import json_number
from shequ.evaluation.documents import evaluation_documents
from shequ.evaluation.evaluation import evaluate
from shequ.ledger.permissions import LedgerError, NotAllowed
from shequ.plans import services
from shequ.plans.models import Plan
from shequ.plans.queries import plans_visible_to
from shequ.regions.levels import is_above_street

router = Router()
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


def plan_json(plan: Plan) -> dict:
    return {
        "id": plan.pk,
        "community": {"code": plan.community.code, "name": plan.community.name},
        "street": {"code": plan.street.code, "name": plan.street.name},
        "state": plan.state,
        "target_year": plan.target_year,
        "gap_m2": float(plan.gap_m2),
        "gap_period": plan.gap_period.code,
        "outcome": plan.outcome,
        "outcome_note": plan.outcome_note,
        "closed_on": plan.closed_on,
        "measures": [
            {
                "id": m.pk,
                "method": m.method,
                "description": m.description,
                "planned_area": float(m.planned_area),
                "budget": json_number(m.budget),
                "funding": m.funding,
                "programme": m.programme,
                "responsible": m.responsible,
                "planned_date": m.planned_date,
                "status": m.status,
                "actual_area": json_number(m.actual_area),
                "actual_date": m.actual_date,
                "asset": m.asset.code if m.asset_id else None,
            }
            for m in plan.measures.all()
        ],
        "consultations": [
            {"id": c.pk, "held_on": c.held_on, "who": c.who, "said": c.said, "changed": c.changed}
            for c in plan.consultations.all()
        ],
    }


def _plans(scope):
    return plans_visible_to(scope).select_related("community", "street", "gap_period")


class PlanQuery(Schema):
    street: str | None = None
    state: str | None = None
    limit: int = 50
    offset: int = 0


@router.get(
    "/plans", response={200: PlanPage, **ERRORS}, tags=["一社区一方案"], summary="一社区一方案列表"
)
def plan_list(request, query: Query[PlanQuery]):
    scope = caller_scope(request)
    plans = _plans(scope).prefetch_related("measures__asset", "consultations")
    if query.street:
        street = street_in_scope(scope, query.street)
        plans = plans.filter(street=street)
    if query.state:
        plans = plans.filter(state=query.state)
    plans = plans.order_by("street__code", "community__code", "-created_at")
    limit, offset = bounds(query.limit, query.offset)
    return {"items": [plan_json(p) for p in plans[offset : offset + limit]], "count": plans.count()}


def _plan(scope, plan_id: int) -> Plan:
    plan = _plans(scope).filter(pk=plan_id).first()
    if plan is None:
        raise Http404("方案不存在或不在您的管辖范围内")
    return plan


def _fresh(plan: Plan) -> dict:
    plan = (
        Plan.objects.select_related("community", "street", "gap_period")
        .prefetch_related("measures__asset", "consultations")
        .get(pk=plan.pk)
    )
    return plan_json(plan)


@router.get(
    "/plans/{plan_id}",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    summary="一社区一方案",
)
def plan_detail(request, plan_id: int):
    return _fresh(_plan(caller_scope(request), plan_id))


def _edits_plan(scope, plan: Plan) -> bool:
    return scope.can(Permission.EDIT, plan.community) or scope.can(Permission.SUBMIT, plan.street)


def _may_touch_measures(scope, plan: Plan) -> bool:
    """Plan editors, and the district users who assign idle assets across streets."""
    return _edits_plan(scope, plan) or may_assign_across_streets(scope)


def _measure_values(scope, data: MeasureIn, current_asset_id: int | None) -> dict:
    values = data.model_dump()
    for name in ("planned_area", "budget", "actual_area"):
        if values[name] is not None:
            values[name] = Decimal(str(values[name]))
    code = values.pop("asset")
    values["asset"] = None
    if code:
        values["asset"] = assets_usable_by(scope, current_asset_id).filter(code=code).first()
        if values["asset"] is None:
            raise LedgerError(f"闲置资产“{code}”不存在、不可用或不在您的范围内", field="asset")
    return values


def _measure_request(request, plan_id: int):
    scope = caller_scope(request)
    plan = _plan(scope, plan_id)
    if not _may_touch_measures(scope, plan):
        raise NotAllowed("您没有编辑一社区一方案的权限")
    return scope, plan, json_body(request, MeasureIn)


def _body_doc(schema) -> dict:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


@router.post(
    "/plans/{plan_id}/measures",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=_body_doc(MeasureIn),
    summary="增加措施",
)
def measure_add(request, plan_id: int):
    scope, plan, data = _measure_request(request, plan_id)
    services.measure_save(scope=scope, plan=plan, values=_measure_values(scope, data, None))
    return _fresh(plan)


@router.patch(
    "/plans/{plan_id}/measures/{measure_id}",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=_body_doc(MeasureIn),
    summary="修改措施",
)
def measure_change(request, plan_id: int, measure_id: int):
    scope, plan, data = _measure_request(request, plan_id)
    measure = plan.measures.filter(pk=measure_id).first()
    if measure is None:
        raise Http404("措施不存在")
    values = _measure_values(scope, data, measure.asset_id)
    services.measure_save(scope=scope, plan=plan, values=values, measure=measure)
    return _fresh(plan)


@router.post(
    "/plans/{plan_id}/consultations",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=_body_doc(ConsultationIn),
    summary="记录征求意见",
)
def consultation_add(request, plan_id: int):
    scope = caller_scope(request)
    plan = _plan(scope, plan_id)
    if not (
        scope.can(Permission.EDIT, plan.community) or scope.can(Permission.SUBMIT, plan.street)
    ):
        raise NotAllowed("您没有编辑一社区一方案的权限")
    data = json_body(request, ConsultationIn)
    services.consultation_add(scope=scope, plan=plan, **data.model_dump())
    return _fresh(plan)


class AssetQuery(Schema):
    street: str | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0


@router.get(
    "/assets", response={200: AssetPage, **ERRORS}, tags=["闲置资产"], summary="闲置资产列表"
)
def asset_list(request, query: Query[AssetQuery]):
    """Idle assets the caller may see (street users: their own street's only)."""
    scope = caller_scope(request)
    assets = assets_visible_to(scope).select_related("street").order_by("code")
    if query.street:
        street = street_in_scope(scope, query.street)
        assets = assets.filter(street=street)
    if query.status:
        assets = assets.filter(status=query.status)
    limit, offset = bounds(query.limit, query.offset)
    items = [
        {
            "code": a.code,
            "kind": a.kind,
            "name": a.name,
            "owner": a.owner,
            "address": a.address,
            "street": {"code": a.street.code, "name": a.street.name},
            "area": float(a.area),
            "status": a.status,
            "notes": a.notes,
        }
        for a in assets[offset : offset + limit]
    ]
    return {"items": items, "count": assets.count()}


@router.get(
    "/evaluations/{year}", response={200: dict, **ERRORS}, tags=["年度评估"], summary="年度评估"
)
def evaluation(request, year: int):
    """The annual evaluation of the caller's district: the same JSON as
    `shequ evaluate --json` (district users only)."""
    scope = caller_scope(request)
    if not is_above_street(scope.node.level):
        raise NotAllowed("年度评估由区级用户查看")
    return evaluation_documents(evaluate(scope=scope, year=year, region=scope.node)).as_json()
