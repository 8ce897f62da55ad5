"""What every API operation shares: the caller's scope and the period named in a request."""

from __future__ import annotations

import datetime
import json
import math
import re

from django.http import FileResponse, Http404
from ninja.errors import ValidationError
from pydantic import ValidationError as PydanticError

from shequ.accounts.scope import Scope, scope_for
from shequ.api.errors import MalformedBody
from shequ.core.errors import DomainError
from shequ.core.periods import PeriodCode, PeriodCodeError, period_label
from shequ.ledger.models import Period
from shequ.web.downloads import stored_file

MAX_LIMIT = 500
MAX_OFFSET = 10**9  # beyond any list; PostgreSQL refuses an OFFSET above a bigint


def contains_nul(value) -> bool:
    """A NUL byte anywhere in a value (PostgreSQL cannot store or even compare one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


def caller_scope(request) -> Scope:
    """The caller's scope; every operation starts here, so a NUL byte in the path or the
    query is refused before it reaches the database."""
    if contains_nul(request.path) or contains_nul(list(request.GET.values())):
        raise MalformedBody("路径或查询参数含有空字符（\\0）")
    scope = scope_for(request.user)
    if scope.node is None:
        raise Http404("未分配区划")
    return scope


def named(region) -> dict:
    """A region as objects refer to it: its code and its name."""
    return {"code": region.code, "name": region.name}


def find_period(code: str) -> Period:
    try:
        ordinal = PeriodCode.parse(code).ordinal
    except PeriodCodeError as error:
        raise Http404(f"报告期“{code}”不存在") from error
    period = Period.objects.filter(ordinal=ordinal).first()
    if period is None:
        raise Http404(f"{period_label(ordinal)}尚未开启")
    return period


def bounds(limit: int, offset: int) -> tuple[int, int]:
    """A page's slice: at most MAX_LIMIT items, never a negative offset."""
    return max(1, min(limit, MAX_LIMIT)), min(max(0, offset), MAX_OFFSET)


def page_of(items, query) -> tuple[list, int]:
    """The page `query` asks for (its `limit` and `offset`) of a queryset or a list, and
    how many there are in all."""
    limit, offset = bounds(query.limit, query.offset)
    count = len(items) if isinstance(items, list) else items.count()
    return list(items[offset : offset + limit]), count


def paged(items, query, render) -> dict:
    """A list operation's answer: `{"items": [...], "count": N}`, each item rendered."""
    page, count = page_of(items, query)
    return {"items": [render(item) for item in page], "count": count}


# A body of ours is a few kilobytes (the largest, a checklist, about two); a megabyte is
# far beyond it, and nesting deeper than a few levels is no body any operation takes.
MAX_BODY_BYTES = 1024 * 1024
MAX_BODY_DEPTH = 20
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_body(request, schema):
    """The JSON body as `schema`: read only once scope and role have been checked, so that
    a caller outside the node learns nothing from a malformed body (422 otherwise; 413
    for a body above MAX_BODY_BYTES). Numbers must be finite (no NaN, ±Infinity, 1e309),
    nesting at most MAX_BODY_DEPTH deep, and every key one the schema lists."""
    raw = request.body or b"{}"
    if len(raw) > MAX_BODY_BYTES:
        raise MalformedBody(f"请求内容过大（最多 {MAX_BODY_BYTES // 1024} KB）", status=413)
    if _depth_above(raw, MAX_BODY_DEPTH):
        raise MalformedBody(f"JSON 嵌套层数过多（最多 {MAX_BODY_DEPTH} 层）")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise MalformedBody("不是有效的 JSON") from error
    if contains_nul(data):
        raise MalformedBody("含有空字符（\\0）")
    at = _not_finite(data)
    if at is not None:
        raise MalformedBody(
            "应为有限的数字（不能是 NaN、Infinity，或超出范围的数如 1e309）",
            field=".".join(at) or None,
        )
    try:
        return schema.model_validate(data)
    except PydanticError as error:
        raise ValidationError(error.errors(include_url=False)) from error


def query_params(request, schema):
    """The query string as `schema`, for an operation that sends no body (a DELETE's
    `version`): like `json_body`, read only once scope and role have been checked (422
    when a value is missing or of the wrong kind)."""
    try:
        return schema.model_validate(request.GET.dict())
    except PydanticError as error:
        raise ValidationError(error.errors(include_url=False)) from error


def query_doc(schema) -> dict:
    """OpenAPI's description of the query parameters `query_params` reads."""
    fields = schema.model_json_schema()
    required = set(fields.get("required", ()))
    return {
        "parameters": [
            {"name": name, "in": "query", "required": name in required, "schema": field}
            for name, field in fields["properties"].items()
        ]
    }


def _depth_above(raw: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit`: checked before parsing,
    since Python's parser recurses once per level (100,000 levels: a RecursionError)."""
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


def _not_finite(value, at: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path of the first number that is NaN or infinite (Python's parser reads NaN,
    Infinity and 1e309 as floats), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return at
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(index), item) for index, item in enumerate(value))
    else:
        return None
    for key, item in items:
        found = _not_finite(item, (*at, str(key)))
        if found is not None:
            return found
    return None


def region_in_scope(scope: Scope, code: str):
    """The region named in a request, or 404 when it lies outside the caller's node."""
    region = scope.regions().filter(code=code).first()
    if region is None:
        raise Http404(f"区划“{code}”不存在或不在您的管辖范围内")
    return region


def community_in_scope(scope: Scope, code: str):
    """The community (village) named in a request, or 404 as for any region."""
    community = region_in_scope(scope, code)
    if not community.is_community:
        raise Http404(f"“{community.name}”不是社区（村）")
    return community


def street_in_scope(scope: Scope, code: str):
    """The street named in a request, or 404 when it lies outside the caller's node."""
    street = scope.streets().filter(code=code).first()
    if street is None:
        raise Http404(f"街镇“{code}”不存在或不在您的管辖范围内")
    return street


def json_body_doc(schema, *, required: bool = True) -> dict:
    """The OpenAPI request body of an operation that reads its JSON with `json_body`."""
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": _inlined(schema.model_json_schema())}},
        }
    }


def _inlined(schema: dict) -> dict:
    """A JSON schema with its nested models written out in place: pydantic's `#/$defs/…`
    references would point nowhere once the schema sits inside the OpenAPI document."""
    definitions = schema.pop("$defs", {})

    def resolve(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(schema)


def form_body_doc(fields: dict[str, str], files: tuple[str, ...] = (), required=()) -> dict:
    """The OpenAPI request body of an operation that takes a multipart form (an upload):
    `fields` maps each text field to its description; `files` names the file fields."""
    properties = {name: {"type": "string", "description": text} for name, text in fields.items()}
    properties |= {name: {"type": "string", "format": "binary"} for name in files}
    schema = {"type": "object", "properties": properties, "required": list(required)}
    return {
        "requestBody": {
            "required": bool(required),
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


def form_text(request, name: str) -> str:
    """A text field of a multipart form, read only after scope and role were checked."""
    value = request.POST.get(name, "")
    if contains_nul(value):
        raise MalformedBody(f"“{name}”含有空字符（\\0）")
    return value


def form_date(request, name: str, label: str) -> datetime.date:
    """A date field of a multipart form (YYYY-MM-DD); 400 naming the field otherwise."""
    text = form_text(request, name).strip()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise DomainError(f"{label}应为 YYYY-MM-DD 格式的日期", field=name) from error


def form_upload(request, name: str, check):
    """The file uploaded as `name`, checked by `check` (type by content, and size), or
    None when none was sent."""
    upload = request.FILES.get(name)
    return check(upload) if upload is not None else None


def attachment(stored, filename: str, *, inline: bool = False) -> FileResponse:
    """A stored upload, served to a caller already checked for scope, typed by its content
    as the pages serve it (`web.downloads.stored_file`)."""
    if not stored:
        raise Http404("没有文件")
    return stored_file(stored, filename, inline=inline)
