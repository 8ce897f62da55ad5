"""What every API operation shares: the caller's scope and the period named in a request."""

from __future__ import annotations

import json

from django.http import Http404
from pydantic import ValidationError as PydanticError

from shequ.accounts.scope import Scope, scope_for
from shequ.api.errors import MalformedBody
from shequ.core.periods import PeriodCode, PeriodCodeError, period_label
from shequ.ledger.models import Period

MAX_LIMIT = 500


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
    return max(1, min(limit, MAX_LIMIT)), max(0, offset)


def json_body(request, schema):
    """The JSON body as `schema`: read only once scope and role have been checked, so that
    a caller outside the node learns nothing from a malformed body (422 otherwise)."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as error:
        raise MalformedBody("不是有效的 JSON") from error
    if contains_nul(data):
        raise MalformedBody("含有空字符（\\0）")
    try:
        return schema.model_validate(data)
    except PydanticError as error:
        raise MalformedBody("缺少字段或字段类型不对") from error


def street_in_scope(scope: Scope, code: str):
    """The street named in a request, or 404 when it lies outside the caller's node."""
    street = scope.streets().filter(code=code).first()
    if street is None:
        raise Http404(f"街镇“{code}”不存在或不在您的管辖范围内")
    return street
