"""Street implementation plans (实施方案 / 年度建设计划) in the API: each street's year with
the communities it brings to the standard and its figures, and filing the document
itself (`plans.street_plans`)."""

from __future__ import annotations

from django.http import Http404
from ninja import Query, Router, Schema

from shequ.api.common import (
    attachment,
    caller_scope,
    form_body_doc,
    form_text,
    form_upload,
    named,
    paged,
    street_in_scope,
)
from shequ.api.schemas import ERRORS, StreetYearOut, StreetYearPage
from shequ.core.jsonvalues import json_number
from shequ.plans.evidence import document_from_upload
from shequ.plans.models import StreetPlan
from shequ.plans.street_plans import require_street_plan_filer, street_plan_save, street_year

router = Router(tags=["街镇实施方案"])


def _document(document: StreetPlan | None) -> dict | None:
    if document is None:
        return None
    return {
        "id": document.pk,
        "title": document.title,
        "notes": document.notes,
        "file_name": document.document_name or None,
        "uploaded_by": document.uploaded_by,
        "updated_at": document.updated_at,
    }


def street_year_json(data) -> dict:
    return {
        "street": named(data.street),
        "year": data.year,
        "document": _document(data.document),
        "gap_m2": float(data.gap),
        "planned_area": float(data.planned_area),
        "budget": float(data.budget),
        "judged_on": data.judged_on.code if data.judged_on else None,
        "achieved": data.achieved,
        "communities": [
            {
                "plan_id": c.plan.pk,
                "community": named(c.plan.community),
                "gap_m2": float(c.plan.gap_m2),
                "planned_area": json_number(c.planned_area),
                "budget": json_number(c.budget),
                "achieved": c.achieved,
            }
            for c in data.communities
        ],
    }


class YearQuery(Schema):
    year: int
    limit: int = 50
    offset: int = 0


@router.get("/street-plans", response={200: StreetYearPage, **ERRORS}, summary="各街镇年度实施方案")
def street_plan_list(request, query: Query[YearQuery]):
    """Every active street in the caller's node for the year, filed or not."""
    streets = caller_scope(request).streets().active().order_by("code")
    return paged(streets, query, lambda street: street_year_json(street_year(street, query.year)))


@router.get(
    "/street-plans/{street}/{year}",
    response={200: StreetYearOut, **ERRORS},
    summary="街镇年度实施方案",
)
def street_plan_detail(request, street: str, year: int):
    return street_year_json(street_year(street_in_scope(caller_scope(request), street), year))


@router.post(
    "/street-plans/{street}/{year}",
    response={200: StreetYearOut, **ERRORS},
    openapi_extra=form_body_doc(
        {"title": "文件名称", "notes": "说明"},
        files=("document",),
        required=("title",),
    ),
    summary="上传或更新实施方案（文件：PDF、Word 或 WPS）",
)
def street_plan_file(request, street: str, year: int):
    scope = caller_scope(request)
    region = street_in_scope(scope, street)
    require_street_plan_filer(scope, region)  # before the body is read
    street_plan_save(
        scope=scope,
        street=region,
        year=year,
        title=form_text(request, "title"),
        notes=form_text(request, "notes"),
        document=form_upload(request, "document", document_from_upload),
    )
    return street_year_json(street_year(region, year))


@router.get(
    "/street-plans/{street}/{year}/document",
    response={200: None, **ERRORS},
    summary="下载实施方案文件",
)
def street_plan_document(request, street: str, year: int):
    region = street_in_scope(caller_scope(request), street)
    document = StreetPlan.objects.filter(street=region, year=year).first()
    if document is None:
        raise Http404(f"{region.name}{year}年尚未上传实施方案")
    return attachment(document.document, document.document_name)
