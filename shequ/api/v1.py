"""`/api/v1/`: the same data, scope and rules as the pages, for the bureau's other systems.

Regions, periods and the compliance summary so far; ledger rows, submissions, plans and
the rest follow (issue 10).
"""

from __future__ import annotations

from django.conf import settings
from ninja import NinjaAPI, Query, Schema
from ninja.openapi.docs import Swagger

from shequ.api import errors
from shequ.api.assets_api import router as assets_router
from shequ.api.auth import API_AUTH, api_user
from shequ.api.checklist_api import router as checklist_router
from shequ.api.common import caller_scope, find_period, paged, region_in_scope
from shequ.api.ledger_api import router as ledger_router
from shequ.api.plans_api import router as plans_router
from shequ.api.schemas import (
    Error,
    PeriodOut,
    PeriodPage,
    RegionDetailOut,
    RegionPage,
    SummaryOut,
)
from shequ.api.street_plans_api import router as street_plans_router
from shequ.api.subsidy_api import router as subsidy_router
from shequ.api.throttles import TokenThrottle
from shequ.compliance.summary import summary
from shequ.core.db_router import replica_reads
from shequ.core.periods import PeriodCode
from shequ.ledger.models import Period
from shequ.regions.models import Region

ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}


def _docs_for_callers(view):
    """The OpenAPI document and the docs page: for signed-in users and token holders."""

    def guarded(request, *args, **kwargs):
        if api_user(request) is None:
            return api.create_response(
                request,
                {"message": "请先登录，或在请求头提供有效的访问令牌", "field": None},
                status=401,
            )
        return view(request, *args, **kwargs)

    return guarded


class VendoredSwagger(Swagger):
    """Swagger UI from the files inside the package, rendered without "ninja" among the
    installed apps (see NINJA_DIR in settings); never from a CDN."""

    template_cdn = str(settings.NINJA_DIR / "templates" / "ninja" / "swagger.html")


api = NinjaAPI(
    title="社区综合服务设施台账接口",
    version="1",
    description="按调用者的区划范围读取和维护台账数据；认证：登录会话（写操作需 CSRF）或 "
    "`Authorization: Bearer <令牌>`。错误一律为 JSON：`message`（中文）和 `field`。",
    urls_namespace="api_v1",
    auth=API_AUTH,
    throttle=[TokenThrottle()],  # per address: api.throttles.AddressGate, in API_AUTH
    docs=VendoredSwagger(),
    docs_decorator=_docs_for_callers,
)
errors.install(api)
api.add_router("", ledger_router)
api.add_router("", plans_router)
api.add_router("", assets_router)
api.add_router("", street_plans_router)
api.add_router("", subsidy_router)
api.add_router("", checklist_router)


class PageQuery(Schema):
    limit: int = 50
    offset: int = 0


def _period_code(ordinal: int | None) -> str | None:
    return PeriodCode.from_ordinal(ordinal).code if ordinal else None


def _region(region: Region) -> dict:
    codes = region.ancestor_codes
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "kind": region.kind,
        "urban_rural_class": region.urban_rural_class,
        "parent": codes[-1] if codes else None,
        "valid_from": _period_code(region.valid_from),
        "valid_to": _period_code(region.valid_to),
    }


class RegionFilter(PageQuery):
    parent: str | None = None
    level: str | None = None


@api.get("/regions", response={200: RegionPage, **ERRORS}, tags=["区划"], summary="区划列表")
def region_list(request, filters: Query[RegionFilter]):
    """The regions the caller may see (their node and below), filterable by parent and level."""
    scope = caller_scope(request)
    regions = scope.regions().order_by("path")
    if filters.parent:
        regions = regions.filter(parent=region_in_scope(scope, filters.parent))
    if filters.level:
        regions = regions.filter(level=filters.level)
    return paged(regions, filters, _region)


@api.get(
    "/regions/{code}",
    response={200: RegionDetailOut, **ERRORS},
    tags=["区划"],
    summary="区划及其沿革",
)
def region_detail(request, code: str):
    """One region with its history (名称、上级、城乡类别 by period)."""
    region = region_in_scope(caller_scope(request), code)
    versions = region.versions.select_related("parent").order_by("valid_from")
    history = [
        {
            "valid_from": _period_code(v.valid_from),
            "valid_to": _period_code(v.valid_to),
            "name": v.name,
            "parent": v.parent.code if v.parent_id else None,
            "kind": v.kind,
            "urban_rural_class": v.urban_rural_class,
        }
        for v in versions
    ]
    return {**_region(region), "history": history}


def _period(period: Period) -> dict:
    return {
        "code": period.code,
        "label": period.label,
        "deadline": period.deadline,
        "state": period.state,
    }


@api.get("/periods", response={200: PeriodPage, **ERRORS}, tags=["报告期"], summary="报告期列表")
def period_list(request, page: Query[PageQuery]):
    """Every period, newest first (periods are the same for the whole tree)."""
    caller_scope(request)
    return paged(Period.objects.order_by("-ordinal"), page, _period)


@api.get("/periods/{code}", response={200: PeriodOut, **ERRORS}, tags=["报告期"], summary="报告期")
def period_detail(request, code: str):
    caller_scope(request)
    return _period(find_period(code))


class SummaryQuery(Schema):
    period: str
    region: str | None = None
    include_unapproved: bool = False


@api.get("/summary", response={200: SummaryOut, **ERRORS}, tags=["达标汇总"], summary="达标汇总")
def summary_view(request, query: Query[SummaryQuery]):
    """The same JSON as `shequ summary --json`; the region defaults to the caller's node."""
    scope = caller_scope(request)
    region = scope.node
    if query.region:
        region = region_in_scope(scope, query.region)
    period = find_period(query.period)
    with replica_reads():
        result = summary(
            scope=scope, period=period, region=region, include_unapproved=query.include_unapproved
        )
        return result.as_json()
