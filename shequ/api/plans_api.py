"""Plans (一社区一方案) with their measures, consultations and states (start, request 销号,
send back, 销号 with its evidence), and the annual evaluation in the API; scope, then
role, then body, then the plans' own services."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from ninja import Query, Router, Schema

from shequ.api.common import (
    attachment,
    caller_scope,
    form_body_doc,
    form_date,
    form_text,
    form_upload,
    json_body,
    json_body_doc,
    named,
    paged,
    query_doc,
    query_params,
    street_in_scope,
)
from shequ.api.errors import stale
from shequ.api.schemas import (
    ERRORS,
    ConsultationIn,
    Decision,
    MeasureChange,
    MeasureConflict,
    MeasureIn,
    PlanOut,
    PlanPage,
    TargetYearIn,
    VersionQuery,
)
from shequ.assets.queries import assets_usable_by
from shequ.assets.services import require_asset_assigner
from shequ.core.errors import DomainError
from shequ.core.jsonvalues import json_number
from shequ.core.versions import StaleEdit
from shequ.evaluation.documents import evaluation_documents
from shequ.evaluation.evaluation import evaluate, require_evaluator
from shequ.plans import services
from shequ.plans.evidence import evidence_from_upload
from shequ.plans.models import Plan
from shequ.plans.queries import plans_visible_to
from shequ.workflow import measures

router = Router()


def plan_json(plan: Plan) -> dict:
    return {
        "id": plan.pk,
        "community": named(plan.community),
        "street": named(plan.street),
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
                "version": m.version,
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
    return paged(plans, query, plan_json)


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


def _measure_caller(request, plan_id: int) -> tuple:
    """Scope, then the role: the plan's editors, the district with an asset."""
    scope = caller_scope(request)
    plan = _plan(scope, plan_id)
    require_asset_assigner(scope, plan)
    return scope, plan


def _measure_request(request, plan_id: int, schema=MeasureIn):
    scope, plan = _measure_caller(request, plan_id)
    return scope, plan, json_body(request, schema)


def _measure_of(plan: Plan, measure_id: int):
    measure = plan.measures.filter(pk=measure_id).first()
    if measure is None:
        raise Http404("措施不存在")
    return measure


def _measure_values(scope, data: MeasureIn, current_asset_id: int | None) -> dict:
    values = data.model_dump()
    values.pop("version", None)
    for name in ("planned_area", "budget", "actual_area"):
        if values[name] is not None:
            values[name] = Decimal(str(values[name]))
    code = values.pop("asset")
    values["asset"] = None
    if code:
        values["asset"] = assets_usable_by(scope, current_asset_id).filter(code=code).first()
        if values["asset"] is None:
            raise DomainError(f"闲置资产“{code}”不存在、不可用或不在您的范围内", field="asset")
    return values


@router.post(
    "/plans/{plan_id}/measures",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=json_body_doc(MeasureIn),
    summary="增加措施",
)
def measure_add(request, plan_id: int):
    scope, plan, data = _measure_request(request, plan_id)
    measures.measure_save(scope=scope, plan=plan, values=_measure_values(scope, data, None))
    return _fresh(plan)


@router.patch(
    "/plans/{plan_id}/measures/{measure_id}",
    response={200: PlanOut, 409: MeasureConflict, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=json_body_doc(MeasureChange),
    summary="修改措施（带读取时的版本号，他人已修改时 409）",
)
def measure_change(request, plan_id: int, measure_id: int):
    scope, plan, data = _measure_request(request, plan_id, MeasureChange)
    measure = _measure_of(plan, measure_id)
    values = _measure_values(scope, data, measure.asset_id)
    try:
        measures.measure_save(
            scope=scope, plan=plan, values=values, measure=measure, expected_version=data.version
        )
    except StaleEdit as error:
        return stale(error, _fresh(plan))
    return _fresh(plan)


@router.delete(
    "/plans/{plan_id}/measures/{measure_id}",
    response={200: PlanOut, 409: MeasureConflict, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=query_doc(VersionQuery),
    summary="删除措施（带读取时的版本号 ?version=，他人已修改时 409）",
)
def measure_remove(request, plan_id: int, measure_id: int):
    """The page's 删除 of a measure: as the caller read it (`version`, ADR 0040); the plan
    as it is after, with its measures."""
    scope, plan = _measure_caller(request, plan_id)
    measure = _measure_of(plan, measure_id)
    version = query_params(request, VersionQuery).version
    try:
        measures.measure_delete(scope=scope, measure=measure, expected_version=version)
    except StaleEdit as error:
        return stale(error, _fresh(plan))
    return _fresh(plan)


@router.post(
    "/plans/{plan_id}/consultations",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=json_body_doc(ConsultationIn),
    summary="记录征求意见",
)
def consultation_add(request, plan_id: int):
    scope = caller_scope(request)
    plan = _plan(scope, plan_id)
    services.require_plan_editor(scope, plan)
    data = json_body(request, ConsultationIn)
    services.consultation_add(scope=scope, plan=plan, **data.model_dump())
    return _fresh(plan)


@router.patch(
    "/plans/{plan_id}",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=json_body_doc(TargetYearIn),
    summary="修改目标年度",
)
def plan_target_year(request, plan_id: int):
    scope = caller_scope(request)
    plan = _plan(scope, plan_id)
    services.require_plan_editor(scope, plan)
    data = json_body(request, TargetYearIn)
    services.plan_set_target_year(scope=scope, plan=plan, year=data.target_year)
    return _fresh(plan)


@router.post(
    "/plans/{plan_id}/start",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    summary="开始实施（编制中 → 实施中）",
)
def plan_start(request, plan_id: int):
    scope = caller_scope(request)
    return _fresh(services.plan_start(scope=scope, plan=_plan(scope, plan_id)))


@router.post(
    "/plans/{plan_id}/request-close",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    summary="申请销号（实施中 → 待销号）",
)
def plan_request_close(request, plan_id: int):
    scope = caller_scope(request)
    return _fresh(services.plan_request_close(scope=scope, plan=_plan(scope, plan_id)))


def _approver_request(request, plan_id: int, what: str) -> tuple:
    """Scope, then the district's or street's approver role, before any body is read."""
    scope = caller_scope(request)
    plan = _plan(scope, plan_id)
    services.require_plan_verifier(scope, plan, what)
    return scope, plan


@router.post(
    "/plans/{plan_id}/send-back",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=json_body_doc(Decision),
    summary="退回销号申请（待销号 → 实施中）",
)
def plan_send_back(request, plan_id: int):
    scope, plan = _approver_request(request, plan_id, "审核销号")
    reason = json_body(request, Decision).reason
    return _fresh(services.plan_send_back(scope=scope, plan=plan, reason=reason))


@router.post(
    "/plans/{plan_id}/close",
    response={200: PlanOut, **ERRORS},
    tags=["一社区一方案"],
    openapi_extra=form_body_doc(
        {"closed_on": "销号日期，YYYY-MM-DD", "note": "销号说明"},
        files=("evidence",),
        required=("closed_on", "note"),
    ),
    summary="销号（可附佐证文件：PDF、JPEG 或 PNG）",
)
def plan_close(request, plan_id: int):
    """销号 on an approved ledger that shows the community compliant; multipart, so that
    the evidence travels with it."""
    scope, plan = _approver_request(request, plan_id, "销号")
    closed_on = form_date(request, "closed_on", "销号日期")
    note = form_text(request, "note")
    evidence = form_upload(request, "evidence", evidence_from_upload)
    closed = services.plan_close(
        scope=scope, plan=plan, closed_on=closed_on, note=note, evidence=evidence
    )
    return _fresh(closed)


@router.get(
    "/plans/{plan_id}/evidence",
    response={200: None, **ERRORS},
    tags=["一社区一方案"],
    summary="下载销号佐证文件",
)
def plan_evidence(request, plan_id: int):
    plan = _plan(caller_scope(request), plan_id)
    return attachment(plan.evidence, plan.evidence_name)


@router.get(
    "/evaluations/{year}", response={200: dict, **ERRORS}, tags=["年度评估"], summary="年度评估"
)
def evaluation(request, year: int):
    """The annual evaluation of the caller's district: the same JSON as
    `shequ evaluate --json` (district users only)."""
    scope = caller_scope(request)
    require_evaluator(scope)
    return evaluation_documents(evaluate(scope=scope, year=year, region=scope.node)).as_json()
