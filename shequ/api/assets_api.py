"""Idle assets (闲置资产) in the API: the register as the caller may see it, and adding or
changing an asset with the register's own rules (`assets.services`)."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from ninja import Query, Router, Schema

from shequ.api.common import caller_scope, json_body, json_body_doc, named, paged, street_in_scope
from shequ.api.errors import stale
from shequ.api.schemas import ERRORS, AssetChange, AssetConflict, AssetIn, AssetOut, AssetPage
from shequ.assets import services
from shequ.assets.models import IdleAsset
from shequ.assets.queries import assets_visible_to
from shequ.core.versions import StaleEdit

router = Router(tags=["闲置资产"])


def asset_json(asset: IdleAsset) -> dict:
    return {
        "id": asset.pk,
        "code": asset.code,
        "kind": asset.kind,
        "name": asset.name,
        "description": asset.description,
        "owner": asset.owner,
        "address": asset.address,
        "street": named(asset.street),
        "area": float(asset.area),
        "status": asset.status,
        "notes": asset.notes,
        "version": asset.version,
    }


class AssetQuery(Schema):
    street: str | None = None
    status: str | None = None
    kind: str | None = None
    limit: int = 50
    offset: int = 0


@router.get("/assets", response={200: AssetPage, **ERRORS}, summary="闲置资产列表")
def asset_list(request, query: Query[AssetQuery]):
    """Idle assets the caller may see (street users: their own street's only)."""
    scope = caller_scope(request)
    assets = assets_visible_to(scope).select_related("street").order_by("code")
    if query.street:
        assets = assets.filter(street=street_in_scope(scope, query.street))
    if query.status:
        assets = assets.filter(status=query.status)
    if query.kind:
        assets = assets.filter(kind=query.kind)
    return paged(assets, query, asset_json)


def _asset(scope, asset_id: int) -> IdleAsset:
    asset = assets_visible_to(scope).select_related("street").filter(pk=asset_id).first()
    if asset is None:
        raise Http404("闲置资产不存在或不在您的管辖范围内")
    return asset


@router.get("/assets/{asset_id}", response={200: AssetOut, **ERRORS}, summary="闲置资产")
def asset_detail(request, asset_id: int):
    return asset_json(_asset(caller_scope(request), asset_id))


def _values(scope, data: AssetIn | AssetChange) -> dict:
    """The body as the service takes it: only the fields given (null: unchanged), the
    street as a Region (404 when outside the caller's node), the area as an exact Decimal."""
    values = data.model_dump(exclude_unset=True, exclude_none=True)
    values.pop("version", None)
    if "street" in values:
        values["street"] = street_in_scope(scope, values["street"])
    if values.get("area") is not None:
        values["area"] = Decimal(str(values["area"]))
    return values


@router.post(
    "/assets",
    response={200: AssetOut, **ERRORS},
    openapi_extra=json_body_doc(AssetIn),
    summary="登记闲置资产",
)
def asset_create(request):
    scope = caller_scope(request)
    services.require_asset_registrar(scope)
    values = _values(scope, json_body(request, AssetIn))
    return asset_json(services.asset_create(scope=scope, values=values))


@router.patch(
    "/assets/{asset_id}",
    response={200: AssetOut, 409: AssetConflict, **ERRORS},
    openapi_extra=json_body_doc(AssetChange),
    summary="修改闲置资产（只改所给字段；带读取时的版本号，他人已修改时 409）",
)
def asset_change(request, asset_id: int):
    scope = caller_scope(request)
    asset = _asset(scope, asset_id)
    services.require_asset_editor(scope, asset)
    change = json_body(request, AssetChange)
    values = _values(scope, change)
    try:
        saved = services.asset_update(
            scope=scope, asset=asset, values=values, expected_version=change.version
        )
    except StaleEdit as error:
        return stale(error, asset_json(_asset(scope, asset_id)))
    return asset_json(saved)
