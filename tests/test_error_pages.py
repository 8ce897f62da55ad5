"""Production's error answers (issue 21, item 5): with DEBUG off, 400/403/404/500/503 are
Chinese pages inside the layout (the 500 even when the layout itself fails), saying the
reason the code raised when it is the project's own, never Django's English or a
traceback; under /api/ they are the API's JSON errors."""

import json

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation, TooManyFieldsSent
from django.db import OperationalError
from django.http import Http404
from django.test import Client, override_settings
from django.urls import Resolver404

from shequ.core.errors import NotAllowed, OutOfScope, user_message

from .conftest import CHENGJIANG

pytestmark = pytest.mark.usefixtures("production")

SECRET = "internal detail: table ledger_row, user 42"


@pytest.fixture
def production():
    with override_settings(DEBUG=False):
        yield


@pytest.fixture
def client_500(db):
    """A client that gets the 500 answer instead of the exception, as a browser would."""
    return Client(raise_request_exception=False)


def page(response) -> str:
    return response.content.decode()


def assert_in_layout(body: str):
    assert 'class="navbar navbar-expand-lg' in body  # the site's navigation
    assert "一社区一方案" in body and "退出" in body
    assert 'data-testid="error-page"' in body


def raising(error):
    def view(*args, **kwargs):
        raise error

    return view


# --- 404 ----------------------------------------------------------------------------------


def test_an_unknown_page_is_a_chinese_404_in_the_layout(login, tiansheng_editor):
    response = login(tiansheng_editor).get("/no-such-page/")
    body = page(response)
    assert response.status_code == 404
    assert "页面不存在" in body and "不在您的管辖范围内" in body
    assert_in_layout(body)
    assert "Page not found" not in body and "no-such-page" not in body


def test_another_streets_page_is_a_404_without_djangos_english(login, tiansheng_editor):
    response = login(tiansheng_editor).get(f"/regions/{CHENGJIANG}/")
    body = page(response)
    assert response.status_code == 404
    assert "No Region matches" not in body and "Region" not in body
    assert "页面不存在" in body


def test_a_404_says_the_chinese_reason_the_code_raised(login, outsider):
    response = login(outsider).get("/regions/")
    assert response.status_code == 404
    assert "未分配区划" in page(response)


def test_out_of_scope_from_a_service_is_a_404_with_its_message(
    login, tiansheng_editor, monkeypatch
):
    monkeypatch.setattr(
        "shequ.web.views.node_scope", raising(OutOfScope("澄江镇不在您的管辖范围内"))
    )
    response = login(tiansheng_editor).get("/regions/")
    assert response.status_code == 404
    assert "澄江镇不在您的管辖范围内" in page(response)
    assert_in_layout(page(response))


def test_a_404_for_a_visitor_offers_the_login(client, beibei):
    response = client.get("/no-such-page/")
    body = page(response)
    assert response.status_code == 404
    assert "页面不存在" in body and "/accounts/login/" in body and "退出" not in body
    assert "请先登录，再从菜单进入" in body


def test_the_back_link_is_offered_only_for_our_own_pages(login, tiansheng_editor):
    client = login(tiansheng_editor)
    ours = client.get("/nothing/", HTTP_REFERER="http://testserver/plans/")
    theirs = client.get("/nothing/", HTTP_REFERER="https://evil.example/plans/")
    assert "返回上一页" in page(ours) and 'href="http://testserver/plans/"' in page(ours)
    assert "返回上一页" not in page(theirs) and "evil.example" not in page(theirs)


# --- 403 ----------------------------------------------------------------------------------


def test_a_403_says_the_chinese_reason_in_the_layout(login, tiansheng_editor):
    response = login(tiansheng_editor).get("/evaluation/")
    body = page(response)
    assert response.status_code == 403
    assert "没有权限" in body and "年度评估由区级用户查看" in body
    assert_in_layout(body)


def test_a_bare_permission_denied_gets_the_standard_sentence(login, tiansheng_editor, monkeypatch):
    monkeypatch.setattr("shequ.web.views.node_scope", raising(PermissionDenied()))
    response = login(tiansheng_editor).get("/regions/")
    assert response.status_code == 403
    assert "您没有权限打开此页面或进行此操作" in page(response)


def test_not_allowed_from_a_service_is_a_403_with_its_message(login, tiansheng_editor, monkeypatch):
    monkeypatch.setattr("shequ.web.views.node_scope", raising(NotAllowed("您没有审核台账的权限")))
    response = login(tiansheng_editor).get("/regions/")
    assert response.status_code == 403
    assert "您没有审核台账的权限" in page(response)


def test_a_stale_form_is_a_chinese_403_not_djangos_csrf_page(tiansheng_editor, beibei):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tiansheng_editor)
    response = client.post("/accounts/tokens/", {"name": "x"})
    body = page(response)
    assert response.status_code == 403
    assert "页面已过期" in body and "刷新页面后重新提交" in body
    assert "CSRF cookie" not in body and "Forbidden" not in body


# --- 400 ----------------------------------------------------------------------------------


def test_a_bad_request_is_a_chinese_400(login, tiansheng_editor, monkeypatch):
    monkeypatch.setattr(
        "shequ.web.views.node_scope", raising(SuspiciousOperation("Invalid characters " + SECRET))
    )
    response = login(tiansheng_editor).get("/regions/")
    body = page(response)
    assert response.status_code == 400
    assert "请求有误" in body and "提交的内容无法处理" in body
    assert SECRET not in body


def test_too_many_fields_is_said_in_chinese(login, tiansheng_editor, monkeypatch):
    monkeypatch.setattr("shequ.web.views.node_scope", raising(TooManyFieldsSent("The number")))
    response = login(tiansheng_editor).get("/regions/")
    assert response.status_code == 400
    assert "一次提交的项目太多，请分批提交" in page(response)


# --- 500 ----------------------------------------------------------------------------------


def test_a_server_error_is_a_chinese_500_in_the_layout_without_the_traceback(
    client_500, tiansheng_editor, monkeypatch
):
    monkeypatch.setattr("shequ.web.views.node_scope", raising(RuntimeError(SECRET)))
    client_500.force_login(tiansheng_editor)
    response = client_500.get("/regions/")
    body = page(response)
    assert response.status_code == 500
    assert "系统出错" in body and "错误已记录" in body
    assert_in_layout(body)
    assert SECRET not in body and "Traceback" not in body and "RuntimeError" not in body


def test_the_500_page_is_drawn_when_the_layout_itself_fails(
    client_500, tiansheng_editor, monkeypatch
):
    """The layout's context processor reads the database; when that is what broke, the
    page is drawn without it."""
    monkeypatch.setattr("shequ.web.views.node_scope", raising(RuntimeError(SECRET)))
    monkeypatch.setattr("shequ.web.context.is_demo", raising(OperationalError("gone")))
    client_500.force_login(tiansheng_editor)
    response = client_500.get("/regions/")
    body = page(response)
    assert response.status_code == 500
    assert "系统出错" in body and 'data-testid="error-page"' in body
    assert "退出" not in body  # no user menu: it could not be drawn
    assert SECRET not in body and "gone" not in body


def test_the_500_page_is_drawn_even_without_its_template(monkeypatch, rf):
    from shequ.web import errors

    monkeypatch.setattr(errors, "render_to_string", raising(RuntimeError("template")))
    response = errors.plain_page(500, "系统处理这次请求时出错")
    assert response.status_code == 500
    assert "系统出错" in page(response) and "系统处理这次请求时出错" in page(response)


# --- 503 ----------------------------------------------------------------------------------


def test_maintenance_answers_503_with_the_operators_text(
    login, tiansheng_editor, settings, tmp_path
):
    settings.SHEQU_MAINTENANCE_FILE = tmp_path / "maintenance"
    client = login(tiansheng_editor)
    (tmp_path / "maintenance").write_text("系统升级中，预计 10:30 恢复。\n", encoding="utf-8")
    response = client.get("/plans/")
    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    assert "系统暂时无法使用" in page(response) and "系统升级中，预计 10:30 恢复。" in page(
        response
    )
    api = client.get("/api/v1/periods")
    assert api.status_code == 503
    assert api.json() == {"message": "系统升级中，预计 10:30 恢复。", "field": None}

    (tmp_path / "maintenance").write_text("", encoding="utf-8")
    assert "系统正在维护，请稍后再试" in page(client.get("/plans/"))

    (tmp_path / "maintenance").unlink()
    assert client.get("/plans/").status_code == 200


def test_a_lost_database_is_a_chinese_503(login, tiansheng_editor, monkeypatch):
    monkeypatch.setattr("shequ.web.views.node_scope", raising(OperationalError("server closed")))
    response = login(tiansheng_editor).get("/regions/")
    body = page(response)
    assert response.status_code == 503
    assert "数据库暂时无法连接，请稍后重试" in body and "data-message" in body
    assert "server closed" not in body


# --- under /api/ --------------------------------------------------------------------------


def test_an_unknown_api_path_is_a_json_404(login, tiansheng_editor):
    for path in ("/api/v1/no-such-thing", "/api/v2/regions", "/api/"):
        response = login(tiansheng_editor).get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"message": "不存在或不在您的管辖范围内", "field": None}


def test_an_api_server_error_is_json_without_the_traceback(
    client_500, tiansheng_editor, monkeypatch
):
    monkeypatch.setattr("shequ.api.v1.caller_scope", raising(RuntimeError(SECRET)))
    client_500.force_login(tiansheng_editor)
    response = client_500.get("/api/v1/regions")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"message", "field"} and body["field"] is None
    assert body["message"] == "服务器处理请求时出错，操作可能没有完成，请稍后重试"
    assert SECRET not in response.content.decode()


def test_an_api_404_says_our_reason_but_never_djangos(login, tiansheng_editor, monkeypatch):
    client = login(tiansheng_editor)
    monkeypatch.setattr("shequ.api.v1.caller_scope", raising(Http404("No Region matches")))
    assert client.get("/api/v1/regions").json()["message"] == "不存在或不在您的管辖范围内"
    monkeypatch.setattr("shequ.api.v1.caller_scope", raising(Http404("报告期“2099H1”不存在")))
    assert client.get("/api/v1/regions").json()["message"] == "报告期“2099H1”不存在"


# --- what may be shown --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exception", "shown"),
    [
        (Http404("没有照片"), "没有照片"),
        (PermissionDenied("只有管理员可以调整区划"), "只有管理员可以调整区划"),
        (OutOfScope("天生街道不在您的管辖范围内"), "天生街道不在您的管辖范围内"),
        (Http404("No Plan matches the given query."), None),
        (Resolver404({"path": "x", "tried": []}), None),
        (PermissionDenied(), None),
        (Http404(""), None),
        (RuntimeError("出错", SECRET), None),
        (Http404("长" * 301), None),
        (
            TooManyFieldsSent("The number of GET/POST parameters exceeded"),
            "一次提交的项目太多，请分批提交。",
        ),
        (None, None),
    ],
)
def test_only_the_projects_own_chinese_reasons_are_shown(exception, shown):
    assert user_message(exception) == shown
