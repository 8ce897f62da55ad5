"""Where a form may send the user back to: only a page of this site (issue 25).

A `next` the browser sends is the client's writing: `//evil.example`, `/\\evil.example`,
`https://evil.example` or `javascript:` would turn a link to our site into a trip to
another. Every user-given target passes `url_has_allowed_host_and_scheme` (this host only;
HTTPS only in production), else the page's own fallback is used.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def is_safe_target(request, target: str | None) -> bool:
    """A page of this site, on this host: a path, or a full address of our own."""
    return bool(target) and url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure() or not settings.DEBUG,
    )


def safe_target(request, target: str | None, fallback: str) -> str:
    """`target` when it is safe (is_safe_target), otherwise the fallback (a URL name or path)."""
    return target if target and is_safe_target(request, target) else resolve_url(fallback)
