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


def caller_scope(request) -> Scope:
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
        return schema.model_validate(json.loads(request.body or b"{}"))
    except (ValueError, PydanticError) as error:
        raise MalformedBody("不是有效的 JSON，或缺少字段") from error
