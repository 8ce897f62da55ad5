"""Who may import a ledger file, and which rows an import of theirs may write (the domain's
errors are in `core.errors`, the checks of role and node on `accounts.scope.Scope`). The
import pages draw with these; `importing.apply.import_apply` refuses by them."""

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.core.errors import NotAllowed
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.rows import open_for_editing


def may_import(scope: Scope) -> bool:
    """Whether the user may import a ledger file: editors import their own rows, the
    district's administrators the files streets send them (import_apply writes under the
    one or the other permission)."""
    return scope.can(Permission.EDIT) or scope.can(Permission.MANAGE)


def require_importer(scope: Scope) -> None:
    """Refuse where `may_import` is False, before any file is read."""
    if not may_import(scope):
        raise NotAllowed("只有填报员和管理员可以导入台账")


def import_permission(scope: Scope) -> Permission:
    """What an import writes each row under: EDIT for editors, MANAGE for administrators."""
    return Permission.EDIT if scope.can(Permission.EDIT) else Permission.MANAGE


def may_import_row(scope: Scope, row: LedgerRow, submission: Submission | None) -> bool:
    """May an import of the user's write this row now (`submission`: the street's ledger
    of the row's period): an importer whose permission covers the row's community, the
    ledger open for editing. The grid offers its import where some row is."""
    return (
        may_import(scope)
        and open_for_editing(row.period, submission)
        and scope.can(import_permission(scope), row.community)
    )
