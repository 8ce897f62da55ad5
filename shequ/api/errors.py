"""Every API error is JSON with a Chinese `message` and, where one is at fault, the
`field`: 400 refused by the rules, 401 no caller, 403 above the caller's role, 404 not
found or outside the caller's node (also a path no operation answers), 405 a method the
path does not take, 409 changed by someone else since it was read (with `conflicts`, each
field's value sent and stored, and the object as it is now: `stale`, ADR 0040), 413 a body
too large, 422 malformed request, 429 too many requests, 500 an error of ours, 503 the
database unreachable or the system in maintenance (ADR 0013, 0038).
The operations' errors are answered here; the others (no operation reached, or an
exception ninja hands back to Django) by `error_json`, through `web.errors`, whose
middleware also rewrites any other answer under /api/ (Django's or ninja's own) into it."""

from __future__ import annotations

import math

from django.http import Http404, JsonResponse
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from shequ.core.errors import DomainError, NotAllowed, OutOfScope, user_message
from shequ.core.versions import StaleEdit

NOT_FOUND = "不存在或不在您的管辖范围内"
TOO_MANY = "请求过于频繁，请稍后再试"
# Said when the code gave no reason that may be shown (`core.errors.user_message`).
STANDARD_MESSAGES = {
    400: "请求有误，无法处理",
    401: "请先登录，或在请求头提供有效的访问令牌",
    403: "您没有该操作的权限",
    404: NOT_FOUND,
    405: "此地址不支持该请求方法",
    409: "数据已被他人修改，请重新读取后再改",
    413: "请求内容过大",
    422: "请求内容不正确",
    429: TOO_MANY,
    500: "服务器处理请求时出错，操作可能没有完成，请稍后重试",
    503: "系统暂时无法使用，请稍后再试",
}


def error(api: NinjaAPI, request, status: int, message: str, field: str | None = None, **extra):
    """An operation's refusal in the documented shape; `extra` adds keys (422's `errors`,
    409's `current`). Raising `ApiError` reaches the same answer from deeper code."""
    return api.create_response(
        request, {"message": message, "field": field, **extra}, status=status
    )


def error_json(status: int, message: str, field: str | None = None) -> JsonResponse:
    """The same shape for an answer no operation gave."""
    return JsonResponse({"message": message, "field": field}, status=status)


def stale(error: StaleEdit, current: dict) -> Status:
    """A 409 of an operation that edits with a version: what it refused and why, and
    `current`, the object as the operation answers it (with the version to send again)."""
    return Status(
        409,
        {
            "message": error.message,
            "field": None,
            "conflicts": [conflict.as_json() for conflict in error.conflicts],
            "current": current,
        },
    )


def standard_message(status: int) -> str:
    return STANDARD_MESSAGES.get(status) or STANDARD_MESSAGES[500 if status >= 500 else 400]


class ApiError(Exception):
    """Any refusal with its status, from an operation or a helper it calls:
    `raise ApiError(409, "…", field="version", current={...})`."""

    def __init__(self, status: int, message: str, field: str | None = None, **extra):
        super().__init__(message)
        self.status, self.message, self.field, self.extra = status, message, field, extra


class MalformedBody(ApiError):
    """The request body is not the JSON the operation takes (422), or too large (413)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(status, message, field)


# ------------------------------------------------------------ validation messages in Chinese

# pydantic's error types (its English `msg` is for developers), in the user's words.
_MESSAGES = {
    "missing": "必须填写",
    "extra_forbidden": "不认识的字段（请对照接口文档检查拼写）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "应为整数，且数值不能过大",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "finite_number": "应为有限的数字（不能是 NaN、Infinity，或超出范围的数如 1e309）",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "应为 {multiple_of} 的整数倍",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_unicode": "应为文本",
    "string_pattern_mismatch": "格式不正确",
    "date_type": "应为 YYYY-MM-DD 格式的日期",
    "date_parsing": "应为 YYYY-MM-DD 格式的日期",
    "date_from_datetime_parsing": "应为 YYYY-MM-DD 格式的日期",
    "date_from_datetime_inexact": "应为 YYYY-MM-DD 格式的日期",
    "datetime_type": "应为日期时间（如 2026-11-26T09:30:00+08:00）",
    "datetime_parsing": "应为日期时间（如 2026-11-26T09:30:00+08:00）",
    "datetime_from_date_parsing": "应为日期时间（如 2026-11-26T09:30:00+08:00）",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "literal_error": "应为 {expected} 之一",
    "enum": "应为 {expected} 之一",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
}
_UNKNOWN = "格式不正确"


def chinese_message(detail: dict) -> str:
    """One validation error in Chinese: by its type, or the validator's own Chinese text
    (a `ValueError("…")` of ours), never pydantic's English."""
    template = _MESSAGES.get(str(detail.get("type", "")))
    context = detail.get("ctx") or {}
    if template is None:
        own = user_message(context.get("error")) if "error" in context else None
        return own or _UNKNOWN
    try:
        return template.format(**context)
    except (KeyError, IndexError, ValueError):
        return template.split("{", 1)[0].rstrip("，（ ") or _UNKNOWN


def field_of(detail: dict) -> str | None:
    location = [
        str(part) for part in detail.get("loc", []) if part not in ("query", "body", "path")
    ]
    return ".".join(location) or None


def validation_errors(errors: list[dict]) -> list[dict]:
    """`errors` of a 422: each with its field and Chinese message."""
    return [{"field": field_of(e), "message": chinese_message(e)} for e in errors]


def _validation_response(api: NinjaAPI, request, errors: list[dict]):
    listed = validation_errors(errors)
    first = listed[0] if listed else {"field": None, "message": _UNKNOWN}
    named = f"“{first['field']}”" if first["field"] else ""
    return error(
        api,
        request,
        422,
        f"请求参数不正确：{named}{first['message']}",
        first["field"],
        errors=listed,
    )


def retry_after(wait: float | None) -> str:
    """Retry-After in whole seconds, at least one."""
    return str(max(1, math.ceil(wait or 1)))


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def refused_here(request, exc):
        message = exc.message
        if isinstance(exc, MalformedBody) and exc.status == 422:
            message = f"请求内容不正确：{message}"
        return error(api, request, exc.status, message, exc.field, **exc.extra)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return error(api, request, 401, STANDARD_MESSAGES[401])

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        seconds = retry_after(exc.wait)
        response = error(api, request, 429, f"{TOO_MANY}（约 {seconds} 秒后）")
        response["Retry-After"] = seconds
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        # ninja's own refusals (its CSRF check: 403) carry English texts for developers.
        return error(api, request, exc.status_code, standard_message(exc.status_code))

    @api.exception_handler(NotAllowed)
    def not_allowed(request, exc):
        return error(api, request, 403, str(exc) or "您没有该操作的权限")

    @api.exception_handler(OutOfScope)
    def out_of_scope(request, exc):
        return error(api, request, 404, str(exc) or NOT_FOUND)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        # Our own 404s name what is missing; Django's ("No Plan matches…") are not shown.
        return error(api, request, 404, user_message(exc) or NOT_FOUND)

    @api.exception_handler(StaleEdit)
    def conflicting(request, exc):
        # An operation that edits with a version answers its own 409, with the object as
        # it is now (`stale`); this is the same answer without it, should one not.
        conflicts = [conflict.as_json() for conflict in exc.conflicts]
        return error(api, request, 409, exc.message, conflicts=conflicts)

    @api.exception_handler(DomainError)
    def refused(request, exc):
        return error(api, request, 400, exc.message, exc.field)

    @api.exception_handler(ValidationError)
    def malformed(request, exc):
        return _validation_response(api, request, exc.errors)
