"""Checks shared by the ledger's services: who may act, and on what."""

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.regions.models import Region


class LedgerError(ValueError):
    """A refused ledger action; `field` names the field at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(PermissionError):
    """The action is above the caller's role (HTTP 403)."""


class OutOfScope(LookupError):
    """The object lies outside the caller's node (HTTP 404)."""


def require(scope: Scope, permission: Permission, region: Region, what: str) -> None:
    if not scope.contains(region):
        raise OutOfScope(f"{region.name}不在您的管辖范围内")
    if not scope.can(permission, region):
        raise NotAllowed(f"您没有{what}的权限")


def may_import(scope: Scope) -> bool:
    """Whether the user may import a ledger file: editors import their own rows, the
    district's administrators the files streets send them (import_apply writes under the
    one or the other permission)."""
    return scope.can(Permission.EDIT) or scope.can(Permission.MANAGE)


def require_root_admin(scope: Scope, what: str) -> None:
    """Periods and thresholds are tree-wide: only the root's administrators change them."""
    if not (
        scope.can(Permission.MANAGE) and scope.node is not None and scope.node.parent_id is None
    ):
        raise NotAllowed(f"只有{scope.node.name if scope.node else '区'}级管理员可以{what}")
