"""Pages from the outside: login, the region browser's scope, region changes, back office."""

import pytest
from django.urls import reverse

from shequ.core.models import AuditEvent
from shequ.core.periods import PeriodCode
from shequ.regions.history import version_as_of

from .conftest import CHENGJIANG, PASSWORD, TIANSHENG, XINXINGLU, YUNHE_CUN, region


def test_the_login_page_is_in_chinese(client, beibei):
    response = client.get(reverse("login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "用户名" in body and "密码" in body and "登录" in body
    assert "重庆市北碚区" in body


def test_pages_ask_anonymous_users_to_log_in(client, beibei):
    response = client.get(reverse("region", args=[TIANSHENG]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_user_logs_in_with_password_and_lands_on_their_node(client, tiansheng_editor):
    response = client.post(
        reverse("login"), {"username": "tiansheng-editor", "password": PASSWORD}, follow=True
    )
    body = response.content.decode()
    assert "天生街道 · 街镇填报员" in body
    assert "新星路社区居民委员会" in body


def test_a_wrong_password_is_refused_in_chinese(client, tiansheng_editor):
    response = client.post(reverse("login"), {"username": "tiansheng-editor", "password": "x"})
    assert "用户名或密码不正确" in response.content.decode()


def test_a_street_user_sees_only_its_communities(login, tiansheng_editor):
    body = login(tiansheng_editor).get(reverse("regions")).content.decode()
    assert "新星路社区居民委员会" in body
    assert "运河村村民委员会" not in body
    assert "澄江镇" not in body


@pytest.mark.parametrize("code", [CHENGJIANG, YUNHE_CUN, "500109"])
def test_a_street_user_asking_for_another_streets_page_gets_404(login, tiansheng_editor, code):
    assert login(tiansheng_editor).get(reverse("region", args=[code])).status_code == 404


def test_a_community_editor_sees_its_own_page_and_nothing_else(login, xinxinglu_editor):
    client = login(xinxinglu_editor)
    assert client.get(reverse("regions")).status_code == 200
    assert client.get(reverse("region", args=[TIANSHENG])).status_code == 404
    assert client.get(reverse("region", args=["500109001033"])).status_code == 404


def test_the_district_page_lists_17_streets_and_192_communities(login, district_viewer):
    response = login(district_viewer).get(reverse("regions"))
    body = response.content.decode()
    assert len(response.context["children"]) == 17
    assert response.context["totals"]["total"] == 192
    assert "天生街道" in body and "金刀峡镇" in body


def test_a_user_without_a_node_gets_404(login, outsider):
    assert login(outsider).get(reverse("regions")).status_code == 404


def test_region_changes_are_for_admins_only(login, district_viewer, tiansheng_editor):
    url = reverse("region_change", args=[XINXINGLU])
    assert login(district_viewer).get(url).status_code == 403
    assert login(tiansheng_editor).get(url).status_code == 403


def test_an_admin_renames_a_community_from_a_period(login, district_admin):
    client = login(district_admin)
    response = client.post(
        reverse("region_change", args=[XINXINGLU]),
        {
            "action": "rename",
            "rename-name": "新星社区居民委员会",
            "rename-effective": "2025H1",
            "rename-reason": "北碚府〔2025〕1号",
        },
        follow=True,
    )
    assert "已更名为新星社区居民委员会，自2025年上半年起生效" in response.content.decode()
    xinxing = region(XINXINGLU)
    assert version_as_of(xinxing, PeriodCode.parse("2024H2")).name == "新星路社区居民委员会"
    event = AuditEvent.objects.get(action="regions.rename")
    assert event.actor == "qu-admin" and event.reason == "北碚府〔2025〕1号"


def test_a_bad_period_is_answered_beside_its_field(login, district_admin):
    response = login(district_admin).post(
        reverse("region_change", args=[XINXINGLU]),
        {"action": "rename", "rename-name": "甲", "rename-effective": "2025H3"},
    )
    assert "报告期“2025H3”格式不对" in response.content.decode()
    assert region(XINXINGLU).name == "新星路社区居民委员会"


def test_an_admin_merges_two_communities(login, district_admin):
    client = login(district_admin)
    street = region(CHENGJIANG)
    sources = [str(region("500109102007").pk), str(region(YUNHE_CUN).pk)]
    response = client.post(
        reverse("region_change", args=[CHENGJIANG]),
        {
            "action": "merge",
            "merge-sources": sources,
            "merge-code": "500109102008",
            "merge-name": "运河社区居民委员会",
            "merge-effective": "2025H1",
        },
        follow=True,
    )
    assert "已合并为运河社区居民委员会" in response.content.decode()
    assert street.children.filter(valid_to__isnull=True, code="500109102008").exists()


def test_the_admin_site_is_closed_to_street_users(login, tiansheng_editor):
    response = login(tiansheng_editor).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.fixture
def superuser(beibei):
    """As `shequ createsuperuser` makes one: no node, staff and superuser."""
    from shequ.accounts.models import User

    return User.objects.create_superuser("root", password=PASSWORD)


def test_the_back_office_is_for_superusers_only(login, district_admin):
    """Administrators manage users on the 用户管理 pages (ADR 0027); Django's admin, in
    English and outside the pages' scoping, is the superusers' alone."""
    client = login(district_admin)
    for path in ("/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], path


def test_a_superuser_manages_users_in_the_back_office(login, superuser, tiansheng_editor):
    client = login(superuser)
    listing = client.get("/admin/accounts/user/")
    assert listing.status_code == 200 and "tiansheng-editor" in listing.content.decode()
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "chengjiang-new",
            "password1": "a long enough pass 9",
            "password2": "a long enough pass 9",
            "node": region(CHENGJIANG).pk,
            "role": "approver",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.filter(action="users.create", target_id="chengjiang-new").exists()


def test_a_password_changed_in_the_back_office_is_audited(login, superuser, tiansheng_editor):
    response = login(superuser).post(
        f"/admin/accounts/user/{tiansheng_editor.pk}/password/",
        {"password1": "another long pass 7", "password2": "another long pass 7"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="users.password_reset")
    assert event.target_id == "tiansheng-editor" and event.actor == "root"
    assert "another" not in str(event.changes) + event.summary


def test_the_back_office_refuses_a_role_that_does_not_fit_the_node(login, superuser):
    response = login(superuser).post(
        "/admin/accounts/user/add/",
        {
            "username": "wrong-role",
            "password1": "a long enough pass 9",
            "password2": "a long enough pass 9",
            "node": region(XINXINGLU).pk,
            "role": "approver",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "不能设“审核”角色" in response.content.decode()


def test_the_audit_log_shows_the_admins_changes(login, district_admin, tiansheng_editor):
    client = login(district_admin)
    client.post(
        reverse("region_change", args=[XINXINGLU]),
        {"action": "rename", "rename-name": "新星社区", "rename-effective": "2025H1"},
    )
    body = client.get(reverse("audit")).content.decode()
    assert "新星路社区居民委员会更名为新星社区" in body
    assert login(tiansheng_editor).get(reverse("audit")).status_code == 403


def test_password_change_page_is_in_chinese(login, tiansheng_editor):
    body = login(tiansheng_editor).get(reverse("password_change")).content.decode()
    assert "修改密码" in body and "旧密码" in body


def test_a_refusal_no_view_answered_becomes_404_or_403_with_its_message(rf):
    """The pages' adapter (shequ.web.scoping): outside the node is 404, above the role 403,
    anything else is left to Django."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from shequ.core.errors import DomainError, NotAllowed, OutOfScope
    from shequ.web.scoping import DomainErrorMiddleware

    middleware = DomainErrorMiddleware(lambda request: None)
    request = rf.get("/")
    with pytest.raises(Http404, match="不在您的管辖范围内"):
        middleware.process_exception(request, OutOfScope("天生街道不在您的管辖范围内"))
    with pytest.raises(PermissionDenied, match="您没有审核台账的权限"):
        middleware.process_exception(request, NotAllowed("您没有审核台账的权限"))
    assert middleware.process_exception(request, DomainError("报告期已关闭")) is None
    assert middleware.process_exception(request, ValueError("x")) is None


def test_a_refusal_page_is_in_chinese_and_says_why(login, district_viewer):
    response = login(district_viewer).get(reverse("region_change", args=[XINXINGLU]))
    body = response.content.decode()
    assert response.status_code == 403
    assert "没有权限" in body and 'lang="zh-CN"' in body and "Forbidden" not in body


def test_a_missing_page_is_in_chinese_and_does_not_say_what_exists(login, tiansheng_editor):
    response = login(tiansheng_editor).get(reverse("region", args=[CHENGJIANG]))
    body = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in body and "Not Found" not in body
    assert "澄江镇" not in body  # the refusal's reason would tell that the code exists


def test_a_too_short_new_password_is_refused_in_chinese(login, tiansheng_editor):
    response = login(tiansheng_editor).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "q7#x", "new_password2": "q7#x"},
    )
    body = response.content.decode()
    assert "密码太短，至少要有 8 个字符" in body and "too short" not in body
