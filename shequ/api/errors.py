"""Every API error is JSON with a Chinese `message` and, where one is at fault, the
`field`: 400 refused by the rules, 401 no caller, 403 above the caller's role, 404 not
found or outside the caller's node (also a path no operation answers), 409 someone else
saved the object since the caller's version (with `conflicts`, each field's value sent
and stored, and the object as it is now: `stale`), 422 malformed request, 500 an error
of ours, 503 the database unreachable or the system in maintenance.
The operations' errors are answered here; the others (no operation reached, or an
exception ninja hands back to Django) by `error_json`, through `web.errors`."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, ValidationError

from shequ.core.errors import DomainError, NotAllowed, OutOfScope, user_message
from shequ.core.versions import StaleEdit

NOT_FOUND = "不存在或不在您的管辖范围内"
# Said when the code gave no reason that may be shown (`core.errors.user_message`).
STANDARD_MESSAGES = {
    400: "请求有误，无法处理",
    403: "您没有该操作的权限",
    404: NOT_FOUND,
    500: "服务器处理请求时出错，操作可能没有完成，请稍后重试",
    503: "系统暂时无法使用，请稍后再试",
}


def error(api: NinjaAPI, request, status: int, message: str, field: str | None = None, **extra):
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


def _field_of(detail: dict) -> str | None:
    location = [
        str(part) for part in detail.get("loc", []) if part not in ("query", "body", "path")
    ]
    return ".".join(location) or None


class MalformedBody(ValueError):
    """The request body is not the JSON the operation takes (422)."""


def install(api: NinjaAPI) -> None:
    @api.exception_handler(MalformedBody)
    def malformed_body(request, exc):
        return error(api, request, 422, f"请求内容不正确：{exc}")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return error(api, request, 401, "请先登录，或在请求头提供有效的访问令牌")

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
        first = exc.errors[0] if exc.errors else {}
        return error(
            api,
            request,
            422,
            "请求参数不正确：" + str(first.get("msg", "")),
            _field_of(first),
            errors=[{"field": _field_of(e), "message": str(e.get("msg", ""))} for e in exc.errors],
        )
