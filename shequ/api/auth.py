"""Who is calling the API: a session (with its CSRF token on writes) or a bearer token.
Both give the same user, and so the same scope, as the pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from shequ.accounts.tokens import token_user
from shequ.api.throttles import AddressGate
from shequ.core.addresses import client_address


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token, client_address(request))
        if user is not None:
            request.user = user  # the scope of every endpoint is read from request.user
        return user


class ActiveSession(SessionAuth):
    """The signed-in user's session; ninja checks the CSRF token on unsafe methods."""

    def authenticate(self, request: HttpRequest, key):
        user = request.user
        return user if user.is_authenticated and user.is_active else None


# The address is counted first, before any token is looked up (api.throttles).
API_AUTH = [AddressGate(), BearerToken(), ActiveSession()]


def api_user(request: HttpRequest):
    """The caller for views outside ninja's auth (the OpenAPI document and docs page)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Bearer "):
        return BearerToken().authenticate(request, header[len("Bearer ") :].strip())
    user = request.user
    return user if user.is_authenticated and user.is_active else None
