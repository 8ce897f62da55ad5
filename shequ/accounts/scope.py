"""The one scoping function: what a user may see and change.

Pages, exports, commands and the API all ask `scope_for(user)` (or `operator_scope()` at
the command line) and go through the returned `Scope`; nothing else decides visibility.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.db.models import QuerySet

from shequ.accounts.models import Role, User
from shequ.accounts.roles import ALL_PERMISSIONS, Permission, permissions_for, role_label_at
from shequ.core.actors import Actor
from shequ.core.errors import NotAllowed, OutOfScope
from shequ.regions.levels import Level
from shequ.regions.models import Region


class UnknownUser(LookupError):
    pass


class Placed(Protocol):
    """What scoping reads of a place: a Region, or the plain record of one that the
    readers of a whole city use (`ledger.records.Place`)."""

    @property
    def path(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class Scope:
    actor: Actor
    node: Region | None
    permissions: frozenset[Permission]
    role: str = Role.VIEWER
    is_operator: bool = False

    @property
    def role_label(self) -> str:
        if self.is_operator:
            return "命令行操作员"
        if self.node is None:
            return "未分配区划"
        return role_label_at(self.role, self.node.level)

    def regions(self) -> QuerySet[Region]:
        """Every region the user may see: their node and everything below it."""
        if self.node is None:
            return Region.objects.none()
        return Region.objects.filter(path__startswith=self.node.path)

    def communities(self) -> QuerySet[Region]:
        return self.regions().filter(level=Level.COMMUNITY)

    def streets(self) -> QuerySet[Region]:
        return self.regions().filter(level=Level.STREET)

    def path_prefix(self) -> str | None:
        """For scoping other tables that store a region path (None: sees nothing)."""
        return self.node.path if self.node is not None else None

    def contains(self, region: Placed) -> bool:
        return self.node is not None and region.path.startswith(self.node.path)

    def can(self, permission: Permission, region: Placed | None = None) -> bool:
        """May the user do `permission` on `region` (default: on their own node)?"""
        if permission not in self.permissions:
            return False
        return region is None or self.contains(region)

    def require(self, permission: Permission, region: Placed, what: str) -> None:
        """Refuse unless the user may do `permission` on `region`: outside their node is
        OutOfScope (as if it did not exist), above their role NotAllowed."""
        if not self.contains(region):
            raise OutOfScope(f"{region.name}不在您的管辖范围内")
        if not self.can(permission, region):
            raise NotAllowed(f"您没有{what}的权限")

    @property
    def own_street(self) -> Region | None:
        """The street the user works in: their node if it is a street, their community's
        street if it is a community (whose users see their street's pages, listing only
        their own row), else None."""
        if self.node is None:
            return None
        if self.node.is_street:
            return self.node
        if self.node.is_community:
            return self.node.parent
        return None

    def sees_street(self, street: Region) -> bool:
        """May the user open the street's pages: inside their node, or their own street."""
        if self.contains(street):
            return True
        return self.node is not None and self.node.is_community and self.node.parent_id == street.pk

    @property
    def is_root(self) -> bool:
        """The user's node is the top of the tree (the district, or whatever is loaded)."""
        return self.node is not None and self.node.parent_id is None

    @property
    def is_root_admin(self) -> bool:
        """An administrator of the whole tree: periods, thresholds and budgets are theirs."""
        return self.is_root and self.can(Permission.MANAGE)

    def require_root_admin(self, what: str) -> None:
        if not self.is_root_admin:
            raise NotAllowed(f"只有{self.node.name if self.node else '区'}级管理员可以{what}")


def scope_for(user: User) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope(actor=Actor(None, "匿名"), node=None, permissions=frozenset())
    actor = Actor.for_user(user)
    node = user.node
    if node is None:
        if user.is_superuser:
            # A superuser made with `createsuperuser` works at the root, as its admin.
            root = _root()
            grants = permissions_for(Role.ADMIN, root.level) if root else frozenset()
            return Scope(actor, root, grants, Role.ADMIN)
        return Scope(actor=actor, node=None, permissions=frozenset(), role=user.role)
    return Scope(actor, node, permissions_for(user.role, node.level), user.role)


def operator_scope() -> Scope:
    """The command line without --as: the whole tree, every permission, audited as 命令行."""
    return Scope(
        actor=Actor.command_line(),
        node=_root(),
        permissions=ALL_PERMISSIONS,
        role=Role.ADMIN,
        is_operator=True,
    )


def scope_for_username(username: str | None) -> Scope:
    """The scope of `--as USERNAME`, or the operator's when no name is given."""
    if not username:
        return operator_scope()
    user = User.objects.select_related("node").filter(username=username, is_active=True).first()
    if user is None:
        raise UnknownUser(f"用户“{username}”不存在或已停用")
    return scope_for(user)


def _root() -> Region | None:
    return Region.objects.filter(parent__isnull=True).first()
