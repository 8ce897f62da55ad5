"""Response-wide protections: the content-security policy, no caching of what a signed-in
user sees, and a log line for every refused request (403 and 401)."""

from django.conf import settings
from django.utils.cache import patch_cache_control

from shequ.accounts.security_log import log_denial


class ContentSecurityPolicyMiddleware:
    """Scripts only from our own static files: no inline script, no remote source."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class PrivateResponseMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in user or a token
    (pages, exports, the API): a shared office computer's browser cache or a proxy must not
    keep a ledger, a workbook or a user list for the next person. Static files are public
    and cacheable (whitenoise answers them before this middleware in production)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _is_private(request):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _is_private(request) -> bool:
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return False
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return signed_in or "HTTP_AUTHORIZATION" in request.META


class DenialLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (401, 403):
            log_denial(request, response.status_code)
        return response
