"""The domain's refusals. Services raise them; the page and API adapters turn them into
answers (a message on the page or 422, 403, 404), so no service knows about HTTP."""


class DomainError(ValueError):
    """A refused action, in Chinese for the user; `field` names the field at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(PermissionError):
    """The action is above the caller's role (HTTP 403)."""


class OutOfScope(LookupError):
    """The object lies outside the caller's node (HTTP 404)."""
