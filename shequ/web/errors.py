"""What a request that went wrong answers in production (DEBUG=0; in development Django's
technical pages stay): a page in Chinese inside the site's layout when the layout can be
drawn, saying the reason the project's code gave (`core.errors.user_message`), or under
/api/ the API's JSON error (`api.errors.error_json`). The handlers are named in
`shequ/urls.py`, the CSRF refusal in the settings; the 503s come from
`database_errors` and `maintenance`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

from shequ.api.errors import STANDARD_MESSAGES, error_json, standard_message
from shequ.core.errors import user_message

log = logging.getLogger("shequ.errors")


@dataclass(frozen=True)
class Failure:
    title: str
    reason: str  # said when the code gave no reason that may be shown
    advice: str


FAILURES = {
    400: Failure(
        "请求有误",
        "提交的内容无法处理。",
        "请返回上一页，检查后重新提交。",
    ),
    403: Failure(
        "没有权限",
        "您没有权限打开此页面或进行此操作。",
        "如工作需要此权限，请联系本单位的系统管理员。",
    ),
    404: Failure(
        "页面不存在",
        "您要打开的页面不存在，或不在您的管辖范围内。",
        "请从上方菜单重新进入，或返回首页。",
    ),
    500: Failure(
        "系统出错",
        "系统处理这次请求时出错，刚才的操作可能没有完成。",
        "错误已记录。请返回上一页查看后重试；反复出现时请联系系统管理员，"
        "并说明出错的时间和所做的操作。",
    ),
    503: Failure(
        "系统暂时无法使用",
        "系统暂时无法使用，请稍后再试。",
        "如果长时间无法使用，请联系系统管理员。",
    ),
}

CSRF_REASON = (
    "页面已过期（可能已在别的窗口退出或重新登录），这次提交没有保存。请刷新页面后重新提交。"
)

# The last resort, when not even the plain template can be drawn.
_BARE_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title></head><body><h1>{title}</h1><p data-message>{message}</p>"
    '<p><a href="/">返回首页</a></p></body></html>'
)


def bad_request(request, exception=None):
    return error_response(request, 400, exception)


def permission_denied(request, exception=None):
    return error_response(request, 403, exception)


def page_not_found(request, exception=None):
    return error_response(request, 404, exception)


def server_error(request):
    return error_response(request, 500)


def csrf_failure(request, reason: str = ""):
    # Django's reason ("CSRF token missing.") is for developers; Django logs it already.
    return error_response(request, 403, message=CSRF_REASON)


def error_response(
    request, status: int, exception: BaseException | None = None, message: str | None = None
) -> HttpResponse:
    message = message or user_message(exception)
    if is_api(request):
        return error_json(status, message or STANDARD_MESSAGES[status])
    message = message or FAILURES[status].reason
    return _layout_page(request, status, message) or plain_page(status, message)


def unavailable_response(request, message: str, retry_after: str) -> HttpResponse:
    """503: never inside the layout, whose context processors read the database."""
    response = error_json(503, message) if is_api(request) else plain_page(503, message)
    response["Retry-After"] = retry_after
    return response


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


class ApiErrorsAsJsonMiddleware:
    """Under /api/ no error is HTML or text: whatever answered it — ninja's 405 ("Method
    not allowed"), Django's technical pages in DEBUG, a library — the answer is rewritten
    into the API's JSON error with its status and headers (Allow, Retry-After) kept.
    First in MIDDLEWARE, so that it sees every answer (ADR 0038)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 400 and is_api(request) and not _is_json(response):
            _rewrite_as_json(response)
        return response


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _rewrite_as_json(response) -> None:
    if response.streaming:  # no error is streamed; a file download that failed midway
        return
    payload = error_json(response.status_code, standard_message(response.status_code))
    response.content = payload.content
    response["Content-Type"] = payload["Content-Type"]
    response["Content-Length"] = str(len(payload.content))


def _layout_page(request, status: int, message: str) -> HttpResponse | None:
    context = {
        "status": status,
        "failure": FAILURES[status],
        "message": message,
        "back": _back_link(request),
    }
    try:
        return render(request, "web/error.html", context, status=status)
    except Exception:
        # The layout reads the database and the user's scope; when those are what failed,
        # the page without them is still an answer.
        log.exception("the %s page was drawn without the layout", status)
        return None


def plain_page(status: int, message: str) -> HttpResponse:
    """The page without the layout: no request, no database, no context processors."""
    failure = FAILURES[status]
    context = {
        "status": status,
        "failure": failure,
        "message": message,
        "system_name": settings.SHEQU_SYSTEM_NAME,
        "district_name": settings.SHEQU_DISTRICT_NAME,
    }
    try:
        page = render_to_string("web/error_plain.html", context)
    except Exception:
        log.exception("the %s page was drawn without its template", status)
        page = _BARE_PAGE.format(title=escape(failure.title), message=escape(message))
    return HttpResponse(page, status=status)


def _back_link(request) -> str | None:
    """The page the user came from, when it is one of ours and not this one."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    if not referer or urlsplit(referer).path == request.path:
        return None
    ours = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    )
    return referer if ours else None
