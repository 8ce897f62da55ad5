"""Who may import a ledger file (the domain's errors are in `core.errors`, the checks of
role and node on `accounts.scope.Scope`)."""

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope


def may_import(scope: Scope) -> bool:
    """Whether the user may import a ledger file: editors import their own rows, the
    district's administrators the files streets send them (import_apply writes under the
    one or the other permission)."""
    return scope.can(Permission.EDIT) or scope.can(Permission.MANAGE)
