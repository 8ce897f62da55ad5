"""A session that ends while a page is open: the page's saves are told so, not sent to the
login page, and the user signs in again in place without losing what they typed.

Django's `login_required` answers an expired session with a redirect to the login page.
For a page's background request (htmx) the browser follows that redirect silently and the
page receives the login form as if it were the save's answer: the typed value stayed in
its cell as if saved. Here such an answer becomes 401, which the page's script turns into
a sign-in dialog (`web/shequ.js`); after signing in the page sends its unsaved rows again.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

EXPIRED = "登录已过期，请重新登录；您填写的内容仍保留在页面上"


class ExpiredSessionMiddleware:
    """A background request sent to the login page is answered 401 instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") and _sends_to_login(response):
            return HttpResponse(EXPIRED, status=401, content_type="text/plain; charset=utf-8")
        return response


def _sends_to_login(response: HttpResponse) -> bool:
    if response.status_code != 302:
        return False
    return urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)


@never_cache
@require_http_methods(["GET", "POST"])
def relogin(request):
    """Sign in again from an open page. GET gives the page a valid CSRF token (its own may
    have been replaced by a sign-in in another tab; only this origin can read it); POST
    signs in and answers the new token, as signing in replaces it."""
    if request.method == "GET":
        return JsonResponse({"csrf": get_token(request)})
    form = AuthenticationForm(request, data=request.POST)
    if not form.is_valid():
        message = next(iter(form.non_field_errors()), "请输入用户名和密码")
        return JsonResponse({"error": message}, status=400)
    login(request, form.get_user())
    return JsonResponse({"csrf": get_token(request)})
