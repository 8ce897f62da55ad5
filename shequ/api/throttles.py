"""The API's rate limits with django-ninja's throttles: one count per token (a signed-in
user's session counts as theirs) and one per client address, so that neither a runaway
script with one token nor many tokens (or guessed ones) from one machine can take the
workers from everybody else. The rates are settings (SHEQU_API_TOKEN_RATE,
SHEQU_API_ADDRESS_RATE), read at each request so that tests and operators may change
them; None lifts a limit. Counts live in Django's cache: the local memory of each worker
process (docs/settings.md). ADR 0038."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.throttling import SimpleRateThrottle

from shequ.core.addresses import client_address

BEARER = "Bearer "


class RateFromSettings(SimpleRateThrottle):
    """ninja's sliding-window count, with its rate read from a setting at each request."""

    setting = ""

    def __init__(self) -> None:  # the rate is read per request, not once at import
        self.rate = None

    def allow_request(self, request: HttpRequest) -> bool:
        rate = getattr(settings, self.setting, None)
        if rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request)

    def wait(self) -> float | None:
        """Seconds until the oldest request in the window leaves it: then one more fits."""
        if not self.history:
            return float(self.duration or 1)
        return max(1.0, self.duration - (self.now - self.history[-1]))  # type: ignore[operator]

    @staticmethod
    def _ident(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:32]


class TokenThrottle(RateFromSettings):
    """Per token; a caller signed in with a session is counted per user."""

    scope = "token"
    setting = "SHEQU_API_TOKEN_RATE"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if getattr(request, "auth", None) is None:
            return None  # no caller: the address counts it
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith(BEARER):
            ident = "token-" + self._ident(header[len(BEARER) :].strip())
        else:
            ident = f"user-{request.auth.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressThrottle(RateFromSettings):
    """Per client address (behind our proxies, the address they report: core.addresses)."""

    scope = "address"
    setting = "SHEQU_API_ADDRESS_RATE"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        address = client_address(request) or "unknown"
        return self.cache_format % {"scope": self.scope, "ident": self._ident(address)}


class AddressGate:
    """The per-address count, taken first among the API's authentication callbacks: a
    request is counted (and refused above the rate) before its token is looked up, so
    guessing tokens from one machine is limited as any other request is. It never
    authenticates anyone (None: the next callback decides)."""

    def __init__(self) -> None:
        self.throttle = AddressThrottle()

    def __call__(self, request: HttpRequest) -> None:
        if not self.throttle.allow_request(request):
            raise Throttled(wait=self.throttle.wait())
