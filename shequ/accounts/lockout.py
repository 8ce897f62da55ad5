"""Login lockout beyond django-axes' pairs (issue 25, ADR 0036).

django-axes locks a (username, address) pair after `AXES_FAILURE_LIMIT` failures. That
leaves password spraying free: one address trying one guess on each of 40 predictable
account names (`500109002-editor`, …) never fails twice on one name. Two additions:

- **The address alone** is also locked once its failures, all names together, reach
  `SHEQU_ADDRESS_LOGIN_FAILURES` within the cool-off. The tally is read here rather than
  given to axes as a second lockout parameter: axes would apply the pair's limit to it, and
  a successful login would wipe every failure of the address, so that an attacker with one
  account of their own could reset the tally at will. Here a login clears only its own
  pair's failures.
- **A slower answer** after repeated failures from one address: a pause growing from a
  quarter of a second on the third failure to at most two seconds (`failure_delay`). It
  holds one worker for at most two seconds, and never once the address or pair is locked:
  a locked request is refused before the password is hashed, without a pause.

An administrator unlocks with `shequ axes_reset_username NAME`, `shequ axes_reset_ip
ADDRESS` or `shequ axes_reset` (everything); resetting a user's password also lifts the
lock on the name (services.user_reset_password).
"""

from __future__ import annotations

import time

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

FIRST_DELAYED = 3  # the first two failures are typos: no pause
FIRST_DELAY = 0.25  # seconds, doubled with each further failure …
MAX_DELAY = 2.0  # … up to this


def pause(seconds: float) -> None:
    """Sleep; replaced in tests."""
    time.sleep(seconds)


def failure_delay(failures: int) -> float:
    """Seconds to wait before answering the `failures`-th failure from one address."""
    if failures < FIRST_DELAYED:
        return 0.0
    doublings = min(failures - FIRST_DELAYED, 16)  # no overflow on a flood of failures
    return min(MAX_DELAY, FIRST_DELAY * 2**doublings)


def address_failures(request) -> int:
    """Failed logins from the request's address within the cool-off, all names together."""
    address = getattr(request, "axes_ip_address", "")
    if not address:
        return 0
    recent = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0


def is_address_locked(request) -> bool:
    """Set by the handler on a request refused for its address's failures."""
    return getattr(request, "shequ_address_locked", False)


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler, with the address's own limit and the growing pause."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair = super().get_failures(request, credentials)
        if address_failures(request) < settings.SHEQU_ADDRESS_LOGIN_FAILURES:
            return pair
        request.shequ_address_locked = True
        return max(pair, get_failure_limit(request, credentials))

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        delay = failure_delay(address_failures(request))
        if delay:
            pause(delay)
