"""Reading a page's query parameters (`?edit=12`, `?year=2026`): a value no link of ours
writes — letters for an id, a year no plan has, a NUL byte — answers the site's Chinese
400 naming the parameter, never a 500 (issue 25). Filters bound to forms are the forms'
to check; paging is `paging.paged`'s (a page that is none gives the nearest one)."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.utils import timezone

from shequ.core.periods import FIRST_YEAR, LAST_YEAR
from shequ.web.errors import error_response, is_api

# An id is a bigint: 18 digits always fit, and no id of ours comes near.
_LONGEST_ID = 18


def query_id(request, name: str, label: str) -> int | None:
    """The id of an object named in the query, or None when the parameter is absent."""
    return _id(request.GET.get(name, ""), f"网址中的参数“{name}”（{label}）")


def posted_id(request, name: str, label: str) -> int | None:
    """The id of an object named in a posted form (a hidden field), or None when absent."""
    return _id(request.POST.get(name, ""), f"提交的“{name}”（{label}）")


def _id(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > _LONGEST_ID:
        raise BadRequest(f"{what}应为数字编号")
    return int(text)


def query_year(request, name: str = "year") -> int:
    """The year asked for in the query, this year when none is; between FIRST_YEAR and
    LAST_YEAR."""
    text = request.GET.get(name, "").strip()
    if not text:
        return timezone.localdate().year
    if not (text.isascii() and text.isdigit()) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise BadRequest(f"网址中的参数“{name}”（年度）应为 {FIRST_YEAR} 至 {LAST_YEAR} 之间的年份")
    return int(text)


class NulInQueryMiddleware:
    """A NUL byte in a page's query answers 400 before any view reads it: PostgreSQL
    cannot compare text with one (a 500 there), and no link of ours writes one. The API
    refuses it itself, in its own shape (api.common.caller_scope: 422)."""

    MESSAGE = "网址中含有空字符（\\0），无法处理。请从页面上的链接重新进入。"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api(request) and _has_nul(request):
            return error_response(request, 400, message=self.MESSAGE)
        return self.get_response(request)


def _has_nul(request) -> bool:
    return any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
    )
