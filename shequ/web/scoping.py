"""The pages' one adapter to the domain's scope and refusals (the API has its own in
`api/errors.py`): who is asking, and what a refusal a view did not answer becomes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from shequ.accounts.scope import Scope, scope_for
from shequ.core.errors import NotAllowed, OutOfScope


def node_scope(request) -> Scope:
    """The signed-in user's scope; a user without a node has nothing to see (404)."""
    scope = scope_for(request.user)
    if scope.node is None:
        raise Http404("未分配区划")
    return scope


class DomainErrorMiddleware:
    """A refusal that reaches the page unanswered: outside the user's node is 404 (no hint
    that the object exists), above their role 403, each with the service's message. A
    DomainError is the view's to answer, beside the field or as a message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OutOfScope):
            raise Http404(str(exception)) from exception
        if isinstance(exception, NotAllowed):
            raise PermissionDenied(str(exception)) from exception
        return None
