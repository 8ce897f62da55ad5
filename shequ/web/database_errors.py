"""When the database cannot be reached (restarted, failed over, connection cut), the user
gets a plain Chinese 503 page, or a JSON 503 under /api/, instead of a server error.

Django closes a connection that raised such an error when the request ends (and, with
CONN_HEALTH_CHECKS, checks a kept connection before reusing it), so the next request
connects afresh and works as soon as the database is back."""

import logging

from django.db import InterfaceError, OperationalError

from shequ.web.errors import unavailable_response

MESSAGE = "数据库暂时无法连接，请稍后重试。刚才的操作没有保存，请稍后重新提交。"
RETRY_AFTER_SECONDS = "30"
log = logging.getLogger("shequ.database")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.error("database unavailable on %s %s: %s", request.method, request.path, exception)
        # Drawn without the request: the context processors would query the database that
        # just failed.
        return unavailable_response(request, MESSAGE, RETRY_AFTER_SECONDS)
