"""What the permission-gate tests share (their eight personas are `conftest.people`):
whether a service call or an API request goes through for the caller (run, then undone)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from shequ.core.errors import DomainError, NotAllowed, OutOfScope


class Rollback(Exception):
    """Raised to undo what an allowed call wrote."""


def service_allows(call: Callable[[], object]) -> bool:
    """Whether the service goes through for this caller: run it, then undo it."""
    try:
        with transaction.atomic():
            call()
            raise Rollback
    except Rollback:
        return True
    except (NotAllowed, OutOfScope):
        return False
    except DomainError:
        # The values given are valid: a DomainError refuses the object's state (a
        # submitted ledger, a closed plan).
        return False


# What the API answers when it refuses: the values are valid, so 400 refuses the object's
# state; 403 the role; 404 the node.
REFUSALS = (400, 403, 404)


def api_allows(send: Callable[[], object], *, done: int = 200) -> bool:
    """Whether an API write (or a page's form, `done=302`) goes through for the signed-in
    caller: send it, then undo what it wrote."""
    try:
        with transaction.atomic():
            response = send()
            if response.status_code == done:
                raise Rollback
    except Rollback:
        return True
    assert response.status_code in REFUSALS, (response.status_code, response.content)
    return False


def page_allows(send: Callable[[], object]) -> bool:
    """Whether a page's form goes through (redirected after the change) for the caller."""
    return api_allows(send, done=302)
