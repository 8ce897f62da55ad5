"""Maintenance (an upgrade's migration, a restore): while the file named by the setting
SHEQU_MAINTENANCE_FILE exists, every page and API call answers 503 with the file's text
(or a standard sentence when it is empty). The command line keeps working, and deleting
the file ends the maintenance at once, without a restart."""

from pathlib import Path

from django.conf import settings

from shequ.web.errors import unavailable_response

DEFAULT_MESSAGE = "系统正在维护，请稍后再试。"
LONGEST_MESSAGE = 300
RETRY_AFTER_SECONDS = "300"


class MaintenanceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        notice = maintenance_notice()
        if notice is None:
            return self.get_response(request)
        return unavailable_response(request, notice, RETRY_AFTER_SECONDS)


def maintenance_notice() -> str | None:
    """What the maintenance file says, or None when there is no maintenance."""
    try:
        text = Path(settings.SHEQU_MAINTENANCE_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return DEFAULT_MESSAGE  # there, but unreadable: still maintenance
    return text.strip()[:LONGEST_MESSAGE] or DEFAULT_MESSAGE
