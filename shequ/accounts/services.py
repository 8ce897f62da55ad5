"""Creating and changing users: the checks every path (admin pages, demo, commands) shares."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from shequ.accounts.models import Role, User
from shequ.accounts.roles import Permission, role_allowed_at, role_label_at
from shequ.accounts.scope import Scope
from shequ.core.audit import audit_record
from shequ.regions.models import Region


def check_assignment(*, scope: Scope, node: Region | None, role: str) -> None:
    """Raise ValidationError unless `scope` may give `role` at `node`."""
    if not scope.can(Permission.MANAGE):
        raise ValidationError("只有管理员可以管理用户")
    if node is None:
        raise ValidationError({"node": "请选择所属区划"})
    if not scope.contains(node):
        raise ValidationError({"node": "只能选择本级及下级区划"})
    if role not in Role.values:
        raise ValidationError({"role": "角色无效"})
    if not role_allowed_at(role, node.level):
        raise ValidationError({"role": f"{node.get_level_display()}不能设“{Role(role).label}”角色"})


def describe(user: User) -> str:
    if user.node is None:
        return f"{user.username}（未分配区划）"
    return f"{user.username}（{user.node.name} {role_label_at(user.role, user.node.level)}）"


@transaction.atomic
def user_create(
    *,
    scope: Scope,
    username: str,
    password: str,
    node: Region,
    role: str,
    full_name: str = "",
    validate: bool = True,
) -> User:
    check_assignment(scope=scope, node=node, role=role)
    user = User(username=username, node=node, role=role, full_name=full_name)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.is_staff = role == Role.ADMIN
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=scope.actor,
        action="users.create",
        target_type="user",
        target_id=user.username,
        region_path=node.path,
        summary=f"新建用户 {describe(user)}",
    )
    return user
