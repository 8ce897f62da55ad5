"""The checklist (便民服务中心功能设置与标识) in the API: completeness of the communities
below a region, one community's items with their photos, and changing them with
`checklist.services` (all items at once, all or nothing)."""

from __future__ import annotations

from dataclasses import replace

from django.http import Http404
from ninja import Query, Router, Schema

from shequ.api.common import (
    attachment,
    caller_scope,
    community_in_scope,
    form_body_doc,
    form_upload,
    json_body,
    json_body_doc,
    named,
    paged,
    region_in_scope,
)
from shequ.api.errors import stale
from shequ.api.schemas import (
    ERRORS,
    ChecklistConflict,
    ChecklistIn,
    ChecklistOut,
    CompletenessPage,
)
from shequ.checklist import queries
from shequ.checklist.items import BY_CODE
from shequ.checklist.photos import photo_from_upload
from shequ.checklist.services import (
    checklist_save,
    photo_remove,
    photo_save,
    require_checklist_editor,
)
from shequ.core.errors import DomainError
from shequ.core.jsonvalues import json_number
from shequ.core.versions import StaleEdit

router = Router(tags=["功能设置与标识"])


class CompletenessQuery(Schema):
    region: str | None = None
    limit: int = 50
    offset: int = 0


@router.get(
    "/checklists", response={200: CompletenessPage, **ERRORS}, summary="各社区功能设置完成度"
)
def checklist_list(request, query: Query[CompletenessQuery]):
    """Each active community below the region (default: the caller's node): how many of
    the 19 counted items it has, and which are missing."""
    scope = caller_scope(request)
    region = region_in_scope(scope, query.region) if query.region else scope.node
    return paged(queries.communities_completeness(region), query, _completeness_json)


def _completeness_json(line) -> dict:
    return {
        "community": named(line.community),
        "present": line.present,
        "total": queries.TOTAL,
        "missing": line.missing,
    }


def checklist_json(community) -> dict:
    lines = queries.checklist_lines(community)
    present, total, _ = queries.community_completeness(community)
    return {
        "community": named(community),
        "present": present,
        "total": total,
        "items": [
            {
                "code": line.item.code,
                "label": line.item.label,
                "kind": str(line.item.kind),
                "counted": line.item.counted,
                "present": line.present,
                "area": json_number(line.entry.area) if line.entry else None,
                "room_name": line.entry.room_name if line.entry else "",
                "shared_with": line.shared_with,
                "photo": line.has_photo,
                "version": line.entry.version if line.entry else 0,
            }
            for line in lines
        ],
    }


@router.get(
    "/checklists/{community}", response={200: ChecklistOut, **ERRORS}, summary="社区功能设置"
)
def checklist_detail(request, community: str):
    return checklist_json(community_in_scope(caller_scope(request), community))


@router.patch(
    "/checklists/{community}",
    response={200: ChecklistOut, 409: ChecklistConflict, **ERRORS},
    openapi_extra=json_body_doc(ChecklistIn),
    summary="修改社区功能设置（所给各项一起保存，一项有误全不保存；带版本号，他人已改时 409）",
)
def checklist_change(request, community: str):
    scope = caller_scope(request)
    region = community_in_scope(scope, community)
    require_checklist_editor(scope, region)
    items = json_body(request, ChecklistIn).items
    values = {code: item.model_dump(exclude={"version"}) for code, item in items.items()}
    versions = {code: item.version for code, item in items.items()}
    try:
        checklist_save(scope=scope, community=region, values=values, expected_versions=versions)
    except StaleEdit as error:
        error.conflicts = tuple(replace(c, field=_body_field(c.field)) for c in error.conflicts)
        return stale(error, checklist_json(region))
    except DomainError as error:
        raise DomainError(error.message, field=_body_field(error.field)) from error
    return checklist_json(region)


def _body_field(form_field: str | None) -> str | None:
    """The service names the page's form field (`hall-area`); the API's caller sent
    `items.hall.area`."""
    if not form_field:
        return form_field
    code, _, name = form_field.partition("-")
    return f"items.{code}.{name}" if name else f"items.{code}"


def _photo_request(request, community: str, item: str):
    scope = caller_scope(request)
    region = community_in_scope(scope, community)
    if item not in BY_CODE:
        raise DomainError(f"未知的功能设置项“{item}”", field="item")
    return scope, region


@router.post(
    "/checklists/{community}/{item}/photo",
    response={200: ChecklistOut, **ERRORS},
    openapi_extra=form_body_doc({}, files=("photo",), required=("photo",)),
    summary="上传功能设置项照片（JPEG 或 PNG，至多 5 MB）",
)
def photo_upload(request, community: str, item: str):
    scope, region = _photo_request(request, community, item)
    require_checklist_editor(scope, region)
    label = BY_CODE[item].label
    photo = form_upload(request, "photo", lambda upload: photo_from_upload(upload, label=label))
    if photo is None:
        raise DomainError("请选择照片", field="photo")
    photo_save(scope=scope, community=region, item_code=item, photo=photo)
    return checklist_json(region)


@router.delete(
    "/checklists/{community}/{item}/photo",
    response={200: ChecklistOut, **ERRORS},
    summary="删除功能设置项照片",
)
def photo_delete(request, community: str, item: str):
    scope, region = _photo_request(request, community, item)
    photo_remove(scope=scope, community=region, item_code=item)
    return checklist_json(region)


@router.get(
    "/checklists/{community}/{item}/photo",
    response={200: None, **ERRORS},
    summary="查看功能设置项照片",
)
def photo_download(request, community: str, item: str):
    _, region = _photo_request(request, community, item)
    entry = region.checklist_entries.filter(item=item).first()
    if entry is None or not entry.photo:
        raise Http404("没有照片")
    return attachment(entry.photo, entry.photo_name or "photo", inline=True)
