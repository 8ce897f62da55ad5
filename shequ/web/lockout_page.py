"""The answer to a locked-out login (429): in Chinese, with the wait in minutes rather
than django-axes' ISO duration ("PT30M"), and saying whether the account on this machine
or the machine itself is locked. The sign-in dialog of an open page (sessions.relogin)
gets the same words as JSON, which its script shows."""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from shequ.accounts.lockout import is_address_locked


def duration_text(delta: timedelta | None) -> str:
    """A wait in Chinese: "30 分钟", "1 小时 30 分钟", "1 天"; rounded up to whole minutes."""
    if delta is None:
        return "一段时间"
    minutes = -(-int(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "天"), (hours, "小时"), (minutes, "分钟")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or "1 分钟"


def lockout_message(request, credentials=None) -> str:
    wait = duration_text(get_cool_off(request))
    if is_address_locked(request):
        return (
            f"本机登录失败次数过多（{settings.SHEQU_ADDRESS_LOGIN_FAILURES} 次），"
            f"已暂时不能登录，请 {wait} 后再试。"
        )
    return (
        f"密码连续输错 {get_failure_limit(request, credentials)} 次，该账号已在本机暂时锁定，"
        f"请 {wait} 后再试。"
    )


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    message = lockout_message(request, credentials)
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path == reverse("relogin"):
        return JsonResponse({"error": message}, status=status)
    return render(request, "registration/locked.html", {"message": message}, status=status)
