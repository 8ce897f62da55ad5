"""Creating and managing users (ADR 0027): who may manage whom, and the checks every path
shares (the 用户管理 pages, Django's back office, the demo, `gen-scale`).

One predicate per question, which the pages draw buttons with and the services refuse by:
`may_manage_users` (the pages at all), `role_refusal` (may this role be given),
`may_manage_user` (reset a user's password), `may_deactivate_user`, `may_reactivate_user`.
Outside the caller's node is OutOfScope (404), above their role NotAllowed (403), a value
at fault a DomainError naming its field.
"""

from __future__ import annotations

import secrets

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from shequ.accounts.models import Role, User
from shequ.accounts.roles import Permission, role_allowed_at, role_label_at
from shequ.accounts.scope import Scope
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.text import field_text
from shequ.regions.levels import Level
from shequ.regions.models import Region

# ---------------------------------------------------------------- who may manage whom


def may_manage_users(scope: Scope) -> bool:
    """Administrators (and the operator): the 用户管理 pages and their menu entry."""
    return scope.can(Permission.MANAGE)


def grantable_roles(scope: Scope) -> list[str]:
    """The roles `scope` may give: the root's administrators every role, any other
    administrator every role but administrator, so that only the root decides who holds
    MANAGE (ADR 0027)."""
    if not may_manage_users(scope):
        return []
    if scope.is_root_admin:
        return list(Role.values)
    return [role for role in Role.values if role != Role.ADMIN]


def role_refusal(scope: Scope, role: str) -> str | None:
    """Why `scope` may not give `role` (None: it may), in words for the 角色 field."""
    if role in grantable_roles(scope):
        return None
    if role == Role.ADMIN and may_manage_users(scope):
        return f"角色：只有{_root_name()}的管理员可以设置“管理”角色"
    return "角色：您没有设置这个角色的权限"


def may_manage_user(scope: Scope, user: User) -> bool:
    """May `scope` reset the user's password (and, by their state, deactivate or reactivate
    them): an administrator over the user's node whose own role could have given the user's
    role; never oneself (修改密码 is one's own) and never a superuser (the back office's)."""
    return (
        may_manage_users(scope)
        and user.node is not None
        and scope.contains(user.node)
        and role_refusal(scope, user.role) is None
        and not user.is_superuser
        and not _is_self(scope, user)
    )


def may_deactivate_user(scope: Scope, user: User) -> bool:
    """An active user one manages, unless they are the last administrator of the whole
    tree (nobody could then manage anyone)."""
    return may_manage_user(scope, user) and user.is_active and not is_last_root_admin(user)


def may_reactivate_user(scope: Scope, user: User) -> bool:
    """A deactivated user one manages, whose node still exists (a merged or split
    community's user is made again at the new one)."""
    return (
        may_manage_user(scope, user)
        and not user.is_active
        and user.node is not None
        and user.node.is_active
    )


def users_visible_to(scope: Scope) -> QuerySet[User]:
    """The users at the caller's node and below; none for those who do not manage users.
    Users without a node belong to no one's subtree (the back office's, ADR 0027)."""
    prefix = scope.path_prefix()
    if not may_manage_users(scope) or prefix is None:
        return User.objects.none()
    return User.objects.filter(node__path__startswith=prefix)


def assignable_nodes(scope: Scope) -> QuerySet[Region]:
    """Where `scope` may put a user: the regions of its subtree that exist now, at a level
    where one of the roles it may give is held (an admin's own district, its streets and
    communities)."""
    roles = grantable_roles(scope)
    levels = [level for level in Level.values if any(role_allowed_at(r, level) for r in roles)]
    return scope.regions().filter(valid_to__isnull=True, level__in=levels).order_by("path")


def _is_self(scope: Scope, user: User) -> bool:
    return scope.actor.user is not None and scope.actor.user.pk == user.pk


def _root_admins() -> QuerySet[User]:
    """The active users who administer the whole tree (as `scope_for` reads them): an
    administrator at the root, or a superuser without a node."""
    return User.objects.filter(is_active=True).filter(
        Q(role=Role.ADMIN, node__isnull=False, node__parent__isnull=True)
        | Q(is_superuser=True, node__isnull=True)
    )


def is_last_root_admin(user: User) -> bool:
    root_admins = _root_admins()
    return root_admins.filter(pk=user.pk).exists() and not root_admins.exclude(pk=user.pk).exists()


def _root_name() -> str:
    root = Region.objects.filter(parent__isnull=True).only("name").first()
    return root.name if root is not None else "区"


def require_user_manager(scope: Scope, user: User, what: str) -> None:
    """Refuse unless `may_manage_user`: a user outside the caller's node is OutOfScope, one
    inside it above the caller's role (or the caller themselves) NotAllowed."""
    if may_manage_user(scope, user):
        return
    if not may_manage_users(scope):
        raise NotAllowed("您没有管理用户的权限")
    if user.node is None or not scope.contains(user.node):
        raise OutOfScope(f"用户“{user.username}”不在您的管辖范围内")
    if _is_self(scope, user):
        raise NotAllowed(f"不能{what}自己的账号；修改自己的密码请用右上角“账号 → 修改密码”")
    raise NotAllowed(f"您没有{what}用户“{user.username}”的权限")


# ---------------------------------------------------------------- checks of the values


def check_assignment(*, scope: Scope, node: Region | None, role: str) -> None:
    """Refuse unless `scope` may give `role` at `node`."""
    if not may_manage_users(scope):
        raise NotAllowed("您没有管理用户的权限")
    if node is None:
        raise DomainError("请选择所属区划", field="node")
    if not scope.contains(node):
        raise OutOfScope(f"{node.name}不在您的管辖范围内")
    if not node.is_active:
        raise DomainError(f"{node.name}已撤销，不能再设用户", field="node")
    if role not in Role.values:
        raise DomainError("请选择角色", field="role")
    refusal = role_refusal(scope, role)
    if refusal is not None:
        raise NotAllowed(refusal)
    if not role_allowed_at(role, node.level):
        allowed = "、".join(f"“{r.label}”" for r in Role if role_allowed_at(r, node.level))
        raise DomainError(
            f"{node.get_level_display()}不能设“{Role(role).label}”角色，只能设{allowed}",
            field="role",
        )


def check_username(username: str) -> None:
    """Refuse a name that is empty, has characters Django's login does not take, or is
    taken (the form asks this before the rest, so that every mistake shows at once)."""
    if not username:
        raise DomainError("请填写用户名", field="username")
    try:
        User.username_validator(username)
    except ValidationError as error:
        raise DomainError("用户名只能包含字母、数字、汉字和 @ . + - _", field="username") from error
    # Case apart is the same name to the person who types it at the login page.
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"用户名“{username}”已被使用，请换一个", field="username")


def check_password(password: str, user: User) -> None:
    """Django's password validators (length, commonness, likeness to the user's name)."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError("".join(error.messages), field="password") from error


# Readable over the telephone: no 0/O, 1/l/I.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generated_password() -> str:
    """A new password such as `k7mq-3xpa-9wfe`: 12 random characters (about 59 bits), in
    groups of four to be read out or copied."""
    groups = ("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def describe(user: User) -> str:
    if user.node is None:
        return f"{user.username}（未分配区划）"
    return f"{user.username}（{user.node.name} {role_label_at(user.role, user.node.level)}）"


# ---------------------------------------------------------------- the actions


@transaction.atomic
def user_create(
    *,
    scope: Scope,
    username: str,
    password: str,
    node: Region | None,
    role: str,
    full_name: str = "",
    phone: str = "",
    email: str = "",
    validate: bool = True,
) -> User:
    """A new user at `node` in `role`, audited (never the password)."""
    check_assignment(scope=scope, node=node, role=role)
    assert node is not None  # check_assignment refused a missing node
    username = username.strip()
    check_username(username)
    user = User(
        username=username,
        node=node,
        role=role,
        full_name=field_text(User, "full_name", full_name),
        phone=field_text(User, "phone", phone),
        email=email.strip(),
    )
    if validate:
        check_password(password, user)
    user.set_password(password)
    _full_clean(user)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # the same name, created a moment ago by someone else
        raise DomainError(f"用户名“{username}”已被使用，请换一个", field="username") from error
    audit_record(
        actor=scope.actor,
        action="users.create",
        target_type="user",
        target_id=user.username,
        region_path=node.path,
        summary=f"新建用户 {describe(user)}",
        changes={"node": node.code, "role": role, "full_name": user.full_name},
    )
    return user


def _full_clean(user: User) -> None:
    """The model's own limits (lengths, the e-mail's form) as a message on the field."""
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError("".join(messages), field=field) from error


@transaction.atomic
def user_reset_password(*, scope: Scope, user: User, password: str = "") -> tuple[str, bool]:
    """Give the user a new password: the one typed (checked by the password validators) or,
    left blank, a generated one. Returns the password and whether it was generated, to be
    shown once. Their sessions end (Django's session hash); nothing else is forced, and a
    login lock on the name is lifted, so that the new password works at once."""
    require_user_manager(scope, user, "重置密码")
    generated = not password
    if generated:
        password = generated_password()
    else:
        check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    unlocked = axes_reset(username=user.username) > 0
    audit_record(
        actor=scope.actor,
        action="users.password_reset",
        target_type="user",
        target_id=user.username,
        region_path=user.node.path if user.node else "",
        summary=f"重置用户 {describe(user)}的密码" + ("，解除登录锁定" if unlocked else ""),
        changes={"generated": generated, "unlocked": unlocked},
    )
    return password, generated


@transaction.atomic
def user_deactivate(*, scope: Scope, user: User) -> None:
    """停用: the user can no longer sign in or use a token; everything they did stays."""
    _lock_root_admins()
    user.refresh_from_db(fields=["is_active"])
    if not may_deactivate_user(scope, user):
        require_user_manager(scope, user, "停用")
        if not user.is_active:
            raise DomainError(f"用户“{user.username}”已经停用")
        raise DomainError(
            f"用户“{user.username}”是最后一个{_root_name()}管理员，不能停用；请先新建另一个管理员"
        )
    _set_active(scope, user, active=False)


@transaction.atomic
def user_reactivate(*, scope: Scope, user: User) -> None:
    user.refresh_from_db(fields=["is_active"])
    if not may_reactivate_user(scope, user):
        require_user_manager(scope, user, "启用")
        if user.is_active:
            raise DomainError(f"用户“{user.username}”已经是启用状态")
        raise DomainError(
            f"用户“{user.username}”所属的区划已撤销，不能重新启用；请在新的区划下新建用户"
        )
    _set_active(scope, user, active=True)


def _lock_root_admins() -> None:
    """Two administrators deactivating each other at once must not leave none: the second
    waits here and then counts what the first left (on PostgreSQL; SQLite writes one
    transaction at a time)."""
    list(_root_admins().select_for_update(of=("self",)).values_list("pk", flat=True))


def _set_active(scope: Scope, user: User, *, active: bool) -> None:
    user.is_active = active
    user.save(update_fields=["is_active"])
    verb = "重新启用" if active else "停用"
    audit_record(
        actor=scope.actor,
        action="users.reactivate" if active else "users.deactivate",
        target_type="user",
        target_id=user.username,
        region_path=user.node.path if user.node else "",
        summary=f"{verb}用户 {describe(user)}",
    )


def may_change_regions(scope: Scope, region: Region) -> bool:
    """The one answer to "may this user rename, move, merge or close `region`": the region
    page offers 区划调整 by it and the change page refuses by it. (The region services sit
    below the accounts and take an actor: the command line's operator, or a page's user
    this question has let through.)"""
    return scope.can(Permission.MANAGE, region)
