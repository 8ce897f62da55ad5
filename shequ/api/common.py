"""What every API operation shares: the caller's scope and the period named in a request."""

from __future__ import annotations

from django.http import Http404

from shequ.accounts.scope import Scope, scope_for
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
