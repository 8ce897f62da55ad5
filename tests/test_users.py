"""用户管理 from the outside (issue 21, item 8; ADR 0027): each persona gets exactly the
pages and actions it may; users outside the administrator's node do not exist for them;
bad input is answered beside its field with nothing written; every change is audited
without its password; the pages offer exactly what the services allow."""

import datetime

import pytest
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.test import Client
from django.utils import timezone

from shequ.accounts import services
from shequ.accounts.models import Role, User
from shequ.accounts.scope import operator_scope, scope_for
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.models import AuditEvent
from shequ.regions.levels import Level
from shequ.regions.models import Region

from .conftest import PASSWORD, TIANSHENG, XINXINGLU, make_user, region

pytestmark = pytest.mark.django_db

STRONG = "tea garden 2026"

PERSONAS = [
    ("qu-admin", "500109", Role.ADMIN),
    ("qu-viewer", "500109", Role.VIEWER),
    ("qu-approver", "500109", Role.APPROVER),
    ("tiansheng-editor", TIANSHENG, Role.EDITOR),
    ("tiansheng-approver", TIANSHENG, Role.APPROVER),
    ("xinxinglu-editor", XINXINGLU, Role.EDITOR),
    ("outsider", None, Role.VIEWER),
]


@pytest.fixture
def people(beibei):
    return {name: make_user(name, code, role) for name, code, role in PERSONAS}


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_user(**changes) -> dict:
    """The create form as a clerk fills it for a 新星路社区 editor."""
    return {
        "username": "xinxinglu-zhang",
        "full_name": "张三",
        "node": XINXINGLU,
        "role": Role.EDITOR,
        "phone": "023-68000000",
        "email": "",
        "password": "",
    } | changes


# ---------------------------------------------------------------- who gets what


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("qu-admin", 200),
        ("qu-viewer", 403),
        ("qu-approver", 403),
        ("tiansheng-editor", 403),
        ("tiansheng-approver", 403),
        ("xinxinglu-editor", 403),
        ("outsider", 404),
    ],
)
def test_each_persona_gets_the_user_pages_it_may(people, name, expected):
    client = client_of(people[name])
    target = people["xinxinglu-editor"]
    for path in ("/users/", "/users/new/", f"/users/{target.pk}/"):
        assert client.get(path).status_code == expected, path
    if expected != 200:
        for action in ("password", "deactivate", "reactivate"):
            assert client.post(f"/users/{target.pk}/{action}/").status_code == expected, action
    created = client.post("/users/new/", new_user())
    assert created.status_code == expected
    target.refresh_from_db()
    assert target.is_active and target.check_password(PASSWORD)
    assert User.objects.filter(username="xinxinglu-zhang").exists() is (expected == 200)


def test_a_refusal_says_why_in_chinese(people):
    response = client_of(people["qu-viewer"]).get("/users/")
    assert response.status_code == 403
    assert "您没有管理用户的权限" in response.content.decode()


def test_the_menu_offers_user_management_to_administrators_only(people):
    admin_page = client_of(people["qu-admin"]).get("/regions/").content.decode()
    assert 'href="/users/"' in admin_page and "用户管理" in admin_page
    assert "/admin/" not in admin_page
    for name in ("qu-viewer", "qu-approver", "tiansheng-editor"):
        page = client_of(people[name]).get("/regions/").content.decode()
        assert 'href="/users/"' not in page and "用户管理" not in page, name


def test_the_actions_answer_only_posts(people):
    client = client_of(people["qu-admin"])
    pk = people["tiansheng-editor"].pk
    for action in ("password", "deactivate", "reactivate"):
        assert client.get(f"/users/{pk}/{action}/").status_code == 405


# ---------------------------------------------------------------- the list


def test_the_list_shows_each_users_node_role_state_and_last_login(people):
    tiansheng = people["tiansheng-editor"]
    User.objects.filter(pk=tiansheng.pk).update(
        last_login=timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 15)),
        full_name="李四",
    )
    User.objects.filter(username="tiansheng-approver").update(is_active=False)
    response = client_of(people["qu-admin"]).get("/users/")
    body = response.content.decode()
    row = body.split(f'href="/users/{tiansheng.pk}/">tiansheng-editor</a>')[1].split("</tr>")[0]
    assert "李四" in row and "天生街道" in row and "街镇填报员" in row
    assert "2026-03-02 09:15" in row and "启用" in row
    community = body.split(">xinxinglu-editor</a>")[1].split("</tr>")[0]
    assert "新星路社区居民委员会" in community and "社区填报员" in community
    assert "从未登录" in community
    stopped = body.split(">tiansheng-approver</a>")[1].split("</tr>")[0]
    assert "已停用" in stopped
    assert "共 6 个用户，其中已停用 1 个" in body
    # A user without a node is no one's to manage here (the back office's).
    assert "outsider" not in body


@pytest.mark.parametrize(
    ("query", "found", "not_found"),
    [
        ({"q": "天生"}, {"tiansheng-editor", "xinxinglu-editor"}, {"qu-viewer"}),
        ({"q": "新星路"}, {"xinxinglu-editor"}, {"tiansheng-editor"}),
        ({"q": "王五"}, {"qu-viewer"}, {"tiansheng-editor"}),
        ({"q": "APPROVER"}, {"qu-approver", "tiansheng-approver"}, {"qu-viewer"}),
        ({"status": "inactive"}, {"qu-approver"}, {"qu-viewer"}),
    ],
)
def test_the_list_finds_users_by_name_username_node_and_state(people, query, found, not_found):
    User.objects.filter(username="qu-viewer").update(full_name="王五")
    User.objects.filter(username="qu-approver").update(is_active=False)
    body = client_of(people["qu-admin"]).get("/users/", query).content.decode()
    for name in found:
        assert f">{name}</a>" in body, name
    for name in not_found:
        assert f">{name}</a>" not in body, name


def test_the_list_is_paginated(people):
    community = region(XINXINGLU)
    User.objects.bulk_create(
        [User(username=f"extra-{n:03}", node=community, role=Role.VIEWER) for n in range(60)]
    )
    client = client_of(people["qu-admin"])
    first = client.get("/users/", {"q": "extra"}).content.decode()
    assert "第 1 / 2 页，共 60 个用户" in first and "?q=extra&amp;page=2" in first
    second = client.get("/users/", {"q": "extra", "page": 2}).content.decode()
    assert ">extra-059</a>" in second and ">extra-000</a>" not in second


# ---------------------------------------------------------------- creating


def test_an_admin_creates_a_community_user_whose_generated_password_is_shown_once(people):
    client = client_of(people["qu-admin"])
    form = client.get("/users/new/").content.decode()
    assert "新星路社区居民委员会" in form and "天生街道（街镇本级）" in form
    response = client.post("/users/new/", new_user())
    body = response.content.decode()
    assert response.status_code == 200 and "已新建用户“xinxinglu-zhang”" in body
    assert "no-store" in response["Cache-Control"]
    password = body.split('data-testid="shown-password">')[1].split("<")[0]
    user = User.objects.get(username="xinxinglu-zhang")
    assert user.check_password(password) and len(password) == 14
    assert (user.node.code, user.role, user.full_name) == (XINXINGLU, Role.EDITOR, "张三")
    assert not user.is_staff and not user.is_superuser
    event = AuditEvent.objects.get(action="users.create", target_id="xinxinglu-zhang")
    assert event.actor == "qu-admin" and event.region_path == user.node.path
    assert "社区填报员" in event.summary
    assert password not in str(event.changes) + event.summary
    # The page it was shown on is the only one: the user's page does not show it again.
    assert password not in client.get(f"/users/{user.pk}/").content.decode()


def test_an_admin_may_type_the_initial_password(people):
    response = client_of(people["qu-admin"]).post("/users/new/", new_user(password=STRONG))
    body = response.content.decode()
    assert "您填写的密码" in body and 'data-testid="shown-password"' not in body
    assert User.objects.get(username="xinxinglu-zhang").check_password(STRONG)
    assert STRONG not in str(AuditEvent.objects.filter(action="users.create").values())


def test_the_root_admin_creates_another_admin_at_the_district(people):
    response = client_of(people["qu-admin"]).post(
        "/users/new/", new_user(username="qu-admin-2", node="500109", role=Role.ADMIN)
    )
    assert response.status_code == 200
    assert User.objects.get(username="qu-admin-2").role == Role.ADMIN


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "TIANSHENG-editor"}, "username", "用户名“TIANSHENG-editor”已被使用"),
        ({"username": "张 三"}, "username", "用户名只能包含字母、数字、汉字和 @ . + - _"),
        ({"password": "12345678"}, "password", "这个密码太常见了"),
        ({"password": "short"}, "password", "密码太短，至少要有 8 个字符"),
        ({"password": "xinxinglu-zhang1"}, "password", "密码跟 用户名 太相似了"),
        ({"node": "500110001"}, "node", "请从列表中选择所属区划：只能选择本级及下级区划"),
        ({"role": Role.APPROVER}, "role", "社区/村不能设“审核”角色，只能设“查看”、“填报”"),
        ({"node": "500109", "role": Role.EDITOR}, "role", "区县不能设“填报”角色"),
        ({"email": "zhang@"}, "email", "电子邮箱格式不对"),
        ({"username": ""}, "username", "请填写用户名"),
        ({"full_name": ""}, "full_name", "请填写姓名"),
        ({"node": ""}, "node", "请选择所属区划"),
        ({"role": ""}, "role", "请选择角色"),
        ({"role": "superuser"}, "role", "请从列表中选择角色"),
    ],
)
def test_bad_input_is_answered_beside_its_field_and_nothing_is_written(
    people, changes, field, message
):
    client = client_of(people["qu-admin"])
    before = (User.objects.count(), AuditEvent.objects.count())
    response = client.post("/users/new/", new_user(**changes))
    body = response.content.decode()
    assert response.status_code == 200
    error = body.split(f'data-testid="error-{field}">')[1].split("</div>")[0]
    assert message in error, error
    assert (User.objects.count(), AuditEvent.objects.count()) == before
    # What was typed is kept, so the clerk corrects one field only.
    assert 'value="023-68000000"' in body


def test_every_mistake_is_shown_at_once(people):
    """A clerk corrects the form once, not one refusal after another."""
    client = client_of(people["qu-admin"])
    response = client.post(
        "/users/new/", new_user(username="tiansheng-editor", node="", password="12345678")
    )
    body = response.content.decode()
    for field in ("username", "node", "password"):
        assert f'data-testid="error-{field}"' in body, field
    assert not User.objects.filter(full_name="张三").exists()


def test_a_region_no_longer_in_existence_is_not_offered(people):
    Region.objects.filter(code=XINXINGLU).update(valid_to=100)
    client = client_of(people["qu-admin"])
    assert f'value="{XINXINGLU}"' not in client.get("/users/new/").content.decode()
    body = client.post("/users/new/", new_user()).content.decode()
    assert "请从列表中选择所属区划" in body
    with pytest.raises(DomainError, match="已撤销"):
        services.user_create(
            scope=scope_for(people["qu-admin"]),
            username="late",
            password=STRONG,
            node=region(XINXINGLU),
            role=Role.EDITOR,
        )


# ---------------------------------------------------------------- a district below the root


@pytest.fixture
def under_a_city(beibei, people):
    """北碚区 under 重庆市 (with 渝中区 beside it), so that 北碚区's administrator is not the
    root's; a 重庆市 administrator and a 渝中区 editor."""
    city = Region.objects.create(code="50", name="重庆市", level=Level.CITY, path="/50/")
    Region.objects.exclude(pk=city.pk).update(path=Concat(Value("/50"), "path"))
    Region.objects.filter(code="500109").update(parent=city)
    yuzhong = Region.objects.create(
        code="500103", name="渝中区", level=Level.COUNTY, parent=city, path="/50/500103/"
    )
    street = Region.objects.create(
        code="500103001",
        name="七星岗街道",
        level=Level.STREET,
        parent=yuzhong,
        path="/50/500103/500103001/",
    )
    return {
        "city-admin": make_user("city-admin", "50", Role.ADMIN),
        "qu-admin-2": make_user("qu-admin-2", "500109", Role.ADMIN),
        "yuzhong-editor": make_user("yuzhong-editor", street.code, Role.EDITOR),
    }


def test_a_district_admin_below_the_root_may_not_give_the_admin_role(people, under_a_city):
    client = client_of(people["qu-admin"])
    form = client.get("/users/new/").content.decode()
    assert 'value="admin"' not in form.split('name="role"')[1].split("</select>")[0]
    response = client.post("/users/new/", new_user(node="500109", role=Role.ADMIN))
    error = response.content.decode().split('data-testid="error-role">')[1].split("</div>")[0]
    assert error == "角色：只有重庆市的管理员可以设置“管理”角色"
    assert not User.objects.filter(username="xinxinglu-zhang").exists()
    with pytest.raises(NotAllowed, match="只有重庆市的管理员"):
        services.user_create(
            scope=scope_for(User.objects.get(username="qu-admin")),
            username="x-admin",
            password=STRONG,
            node=region("500109"),
            role=Role.ADMIN,
        )


def test_a_node_outside_the_subtree_is_refused(people, under_a_city):
    client = client_of(people["qu-admin"])
    for code in ("50", "500103001"):
        body = client.post("/users/new/", new_user(node=code, role=Role.VIEWER)).content.decode()
        assert "请从列表中选择所属区划：只能选择本级及下级区划" in body
        assert f'value="{code}"' not in body
    with pytest.raises(OutOfScope):
        services.user_create(
            scope=scope_for(User.objects.get(username="qu-admin")),
            username="x",
            password=STRONG,
            node=region("500103001"),
            role=Role.EDITOR,
        )


def test_users_outside_the_node_do_not_exist_for_the_admin(people, under_a_city):
    client = client_of(people["qu-admin"])
    outside = under_a_city["yuzhong-editor"]
    assert ">yuzhong-editor</a>" not in client.get("/users/").content.decode()
    assert client.get(f"/users/{outside.pk}/").status_code == 404
    for action in ("password", "deactivate", "reactivate"):
        assert client.post(f"/users/{outside.pk}/{action}/").status_code == 404
    # Nor does a user without a node, nor (to a root admin) anything but their tree.
    assert client.get(f"/users/{people['outsider'].pk}/").status_code == 404
    outside.refresh_from_db()
    assert outside.is_active and outside.check_password(PASSWORD)


def test_another_admin_is_shown_but_left_to_the_root(people, under_a_city):
    client = client_of(people["qu-admin"])
    colleague = under_a_city["qu-admin-2"]
    page = client.get(f"/users/{colleague.pk}/").content.decode()
    assert page.count('data-testid="reset-form"') == 0 and "停用账号" not in page
    assert "只有重庆市的管理员可以设置“管理”角色" in page
    for action in ("password", "deactivate"):
        assert client.post(f"/users/{colleague.pk}/{action}/").status_code == 403
    # The city's administrator manages them.
    city = client_of(under_a_city["city-admin"])
    assert city.post(f"/users/{colleague.pk}/deactivate/").status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active


# ---------------------------------------------------------------- reset, deactivate, reactivate


def test_an_admin_resets_a_password_and_the_old_one_and_its_sessions_end(people):
    target = people["xinxinglu-editor"]
    their_browser = client_of(target)
    assert their_browser.get("/regions/").status_code == 200
    client = client_of(people["qu-admin"])
    page = client.get(f"/users/{target.pk}/").content.decode()
    assert 'data-confirm="重置后“xinxinglu-editor”的原密码立即失效，确定重置？"' in page
    response = client.post(f"/users/{target.pk}/password/", {"password": ""})
    body = response.content.decode()
    password = body.split('data-testid="shown-password">')[1].split("<")[0]
    target.refresh_from_db()
    assert target.check_password(password) and not target.check_password(PASSWORD)
    assert their_browser.get("/regions/").status_code == 302  # signed out
    event = AuditEvent.objects.get(action="users.password_reset")
    assert event.actor == "qu-admin" and event.target_id == "xinxinglu-editor"
    assert password not in str(event.changes) + event.summary


def test_a_typed_new_password_must_pass_the_validators(people):
    target = people["xinxinglu-editor"]
    client = client_of(people["qu-admin"])
    weak = client.post(f"/users/{target.pk}/password/", {"password": "password"})
    assert "这个密码太常见了" in weak.content.decode()
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="users.password_reset").exists()
    typed = client.post(f"/users/{target.pk}/password/", {"password": STRONG})
    assert "您填写的密码" in typed.content.decode()
    target.refresh_from_db()
    assert target.check_password(STRONG)


def test_a_reset_lifts_the_login_lock(client, settings, people):
    settings.AXES_ENABLED = True
    for _ in range(5):
        client.post("/accounts/login/", {"username": "xinxinglu-editor", "password": "wrong"})
    assert (
        client.post(
            "/accounts/login/", {"username": "xinxinglu-editor", "password": PASSWORD}
        ).status_code
        == 429
    )
    target = people["xinxinglu-editor"]
    client_of(people["qu-admin"]).post(f"/users/{target.pk}/password/", {"password": STRONG})
    response = client.post("/accounts/login/", {"username": "xinxinglu-editor", "password": STRONG})
    assert response.status_code == 302
    assert "解除登录锁定" in AuditEvent.objects.get(action="users.password_reset").summary


def test_an_admin_deactivates_and_reactivates_a_user(people):
    target = people["tiansheng-editor"]
    client = client_of(people["qu-admin"])
    page = client.get(f"/users/{target.pk}/").content.decode()
    assert 'data-confirm="停用后“tiansheng-editor”将不能登录，确定停用？"' in page
    response = client.post(f"/users/{target.pk}/deactivate/", follow=True)
    assert "已停用用户“tiansheng-editor”" in response.content.decode()
    target.refresh_from_db()
    assert not target.is_active
    assert not Client().login(username="tiansheng-editor", password=PASSWORD)
    assert "重新启用" in response.content.decode()
    again = client.post(f"/users/{target.pk}/reactivate/", follow=True)
    assert "已重新启用用户“tiansheng-editor”" in again.content.decode()
    assert Client().login(username="tiansheng-editor", password=PASSWORD)
    actions = list(
        AuditEvent.objects.filter(target_id="tiansheng-editor", action__startswith="users.")
        .order_by("at", "pk")
        .values_list("action", "actor")
    )
    assert actions == [("users.deactivate", "qu-admin"), ("users.reactivate", "qu-admin")]


def test_an_admin_cannot_deactivate_themselves(people):
    me = people["qu-admin"]
    client = client_of(me)
    page = client.get(f"/users/{me.pk}/").content.decode()
    assert "停用账号" not in page and "这是您自己的账号" in page
    response = client.post(f"/users/{me.pk}/deactivate/")
    assert response.status_code == 403 and "不能停用自己的账号" in response.content.decode()
    me.refresh_from_db()
    assert me.is_active


def test_the_last_active_root_admin_cannot_be_deactivated(people):
    only = people["qu-admin"]
    assert services.is_last_root_admin(only)
    with pytest.raises(DomainError, match="最后一个北碚区管理员"):
        services.user_deactivate(scope=operator_scope(), user=only)
    second = make_user("qu-admin-2", "500109", Role.ADMIN)
    services.user_deactivate(scope=operator_scope(), user=only)
    only.refresh_from_db()
    assert not only.is_active and services.is_last_root_admin(second)
    page = client_of(second).get(f"/users/{second.pk}/").content.decode()
    assert "停用账号" not in page


def test_a_user_whose_community_was_merged_away_is_not_reactivated(people):
    target = people["xinxinglu-editor"]
    User.objects.filter(pk=target.pk).update(is_active=False)
    Region.objects.filter(code=XINXINGLU).update(valid_to=100)
    client = client_of(people["qu-admin"])
    page = client.get(f"/users/{target.pk}/").content.decode()
    assert "所属区划已撤销，不能重新启用" in page and "user_reactivate" not in page
    response = client.post(f"/users/{target.pk}/reactivate/", follow=True)
    assert "不能重新启用" in response.content.decode()
    target.refresh_from_db()
    assert not target.is_active


def test_the_users_page_shows_its_history(people):
    target = people["tiansheng-editor"]
    Client().post("/accounts/login/", {"username": "tiansheng-editor", "password": "wrong"})
    client_of(people["qu-admin"]).post(f"/users/{target.pk}/password/", {"password": STRONG})
    Client().login(username="tiansheng-editor", password=STRONG)
    page = client_of(people["qu-admin"]).get(f"/users/{target.pk}/").content.decode()
    history = page.split('data-testid="user-history"')[1]
    assert "tiansheng-editor 登录失败" in history
    assert "重置用户 tiansheng-editor（天生街道 街镇填报员）的密码" in history


# ---------------------------------------------------------------- one gate per question


class Rollback(Exception):
    """Raised to undo what an allowed service call wrote."""


def service_allows(call) -> bool:
    try:
        with transaction.atomic():
            call()
            raise Rollback
    except Rollback:
        return True
    except (NotAllowed, OutOfScope, DomainError):
        return False


def test_the_pages_offer_exactly_what_the_services_allow(people):
    User.objects.filter(username="tiansheng-approver").update(is_active=False)
    targets = list(User.objects.all())
    gates = [
        (
            services.may_manage_user,
            lambda scope, user: services.user_reset_password(scope=scope, user=user),
        ),
        (services.may_deactivate_user, lambda s, u: services.user_deactivate(scope=s, user=u)),
        (services.may_reactivate_user, lambda s, u: services.user_reactivate(scope=s, user=u)),
    ]
    offered = set()
    for actor in targets:
        scope = scope_for(actor)
        for target in targets:
            for may, act in gates:
                target.refresh_from_db()
                allowed = may(scope, target)
                assert allowed == service_allows(lambda s=scope, t=target, a=act: a(s, t)), (
                    actor.username,
                    target.username,
                    may.__name__,
                )
                if allowed:
                    offered.add((actor.username, target.username, may.__name__))
    # Only the administrator manages anyone, and never themselves.
    assert {who for who, _, _ in offered} == {"qu-admin"}
    assert ("qu-admin", "xinxinglu-editor", "may_deactivate_user") in offered
    assert ("qu-admin", "tiansheng-approver", "may_reactivate_user") in offered
    assert not any(whom in {"qu-admin", "outsider"} for _, whom, _ in offered)
