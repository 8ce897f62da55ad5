"""The one scoping function: who sees what, who may do what."""

import pytest

from shequ.accounts.models import Role
from shequ.accounts.roles import Permission, role_allowed_at
from shequ.accounts.scope import UnknownUser, operator_scope, scope_for, scope_for_username
from shequ.accounts.services import user_create
from shequ.core.errors import DomainError, NotAllowed
from shequ.core.models import AuditEvent
from shequ.regions.levels import Level

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region


def test_a_street_editor_sees_only_its_street_and_communities(tiansheng_editor):
    scope = scope_for(tiansheng_editor)
    codes = set(scope.regions().values_list("code", flat=True))
    assert TIANSHENG in codes and XINXINGLU in codes
    assert all(code.startswith(TIANSHENG) for code in codes)
    assert scope.communities().count() == region(TIANSHENG).children.count()
    assert not scope.contains(region(CHENGJIANG))
    assert scope.can(Permission.EDIT, region(XINXINGLU))
    assert not scope.can(Permission.EDIT, region(CHENGJIANG))
    assert not scope.can(Permission.SUBMIT)


def test_a_community_editor_sees_only_itself(xinxinglu_editor):
    scope = scope_for(xinxinglu_editor)
    assert list(scope.regions().values_list("code", flat=True)) == [XINXINGLU]
    assert scope.can(Permission.EDIT, region(XINXINGLU))
    assert not scope.can(Permission.SUBMIT)


def test_a_district_viewer_sees_everything_and_changes_nothing(district_viewer):
    scope = scope_for(district_viewer)
    assert scope.communities().count() == 192
    assert scope.can(Permission.VIEW, region(XINXINGLU))
    assert not any(scope.can(p) for p in Permission if p is not Permission.VIEW)


def test_approvers_submit_at_the_street_and_approve_at_the_district(
    tiansheng_approver, district_approver
):
    assert scope_for(tiansheng_approver).can(Permission.SUBMIT, region(TIANSHENG))
    assert not scope_for(tiansheng_approver).can(Permission.APPROVE)
    assert scope_for(district_approver).can(Permission.APPROVE, region(TIANSHENG))
    assert not scope_for(district_approver).can(Permission.SUBMIT)


def test_a_user_without_a_node_sees_nothing(outsider):
    scope = scope_for(outsider)
    assert scope.regions().count() == 0
    assert not scope.can(Permission.VIEW)


def test_the_command_line_operator_has_the_whole_tree(beibei):
    scope = operator_scope()
    assert scope.node.code == "500109"
    assert scope.actor.label == "命令行"
    assert all(scope.can(p, region(XINXINGLU)) for p in Permission)


def test_as_username_takes_that_users_scope(tiansheng_editor):
    scope = scope_for_username("tiansheng-editor")
    assert scope.node.code == TIANSHENG and scope.actor.user == tiansheng_editor
    with pytest.raises(UnknownUser, match="用户“nobody”不存在"):
        scope_for_username("nobody")


@pytest.mark.parametrize(
    ("role", "level", "allowed"),
    [
        (Role.VIEWER, Level.COMMUNITY, True),
        (Role.EDITOR, Level.COUNTY, False),
        (Role.EDITOR, Level.STREET, True),
        (Role.APPROVER, Level.COMMUNITY, False),
        (Role.APPROVER, Level.STREET, True),
        (Role.ADMIN, Level.STREET, False),
        (Role.ADMIN, Level.CITY, True),
    ],
)
def test_roles_are_allowed_only_where_the_brief_puts_them(role, level, allowed):
    assert role_allowed_at(role, level) is allowed


def test_an_admin_creates_users_inside_the_tree_with_an_audit_row(district_admin):
    scope = scope_for(district_admin)
    user = user_create(
        scope=scope,
        username="new-editor",
        password="a long enough pass 9",
        node=region(CHENGJIANG),
        role=Role.EDITOR,
    )
    assert user.check_password("a long enough pass 9")
    event = AuditEvent.objects.get(action="users.create")
    assert event.actor == "qu-admin" and event.region_path == region(CHENGJIANG).path


def test_no_one_but_an_admin_creates_users_and_roles_must_fit(district_admin, tiansheng_editor):
    with pytest.raises(NotAllowed, match="您没有管理用户的权限"):
        user_create(
            scope=scope_for(tiansheng_editor),
            username="x",
            password="a long enough pass 9",
            node=region(TIANSHENG),
            role=Role.VIEWER,
        )
    with pytest.raises(DomainError, match="社区/村不能设“审核”角色，只能设“查看”、“填报”"):
        user_create(
            scope=scope_for(district_admin),
            username="x",
            password="a long enough pass 9",
            node=region(XINXINGLU),
            role=Role.APPROVER,
        )
