"""The address a request came from, as the login lockout, the security log and the token
log record it.

Behind nginx every request arrives from the proxy (127.0.0.1); nginx appends the
client's address to `X-Forwarded-For`. `SHEQU_PROXY_COUNT` says how many proxies of ours
stand in front of the app: the client is that many entries from the right of the header.
Entries further left were written by the client itself and are never trusted; with no
proxies configured the header is ignored, so a client cannot pick its own address.
"""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str:
    if request is None:
        return ""
    direct = request.META.get("REMOTE_ADDR") or ""
    proxies = getattr(settings, "SHEQU_PROXY_COUNT", 0)
    if proxies <= 0:
        return direct
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return direct  # not through all our proxies: only the connection itself is known
    return forwarded[-proxies]
