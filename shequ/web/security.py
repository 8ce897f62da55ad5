"""Response-wide protections: the content-security policy, and a log line for every
refused request (403 and 401)."""

from django.conf import settings

from shequ.accounts.security_log import log_denial


class ContentSecurityPolicyMiddleware:
    """Scripts only from our own static files: no inline script, no remote source."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class DenialLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (401, 403):
            log_denial(request, response.status_code)
        return response
