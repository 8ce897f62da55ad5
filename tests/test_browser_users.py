"""用户管理 in a real Chromium: the district administrator makes a community editor from the
menu, reads out the password shown once, and the new user signs in with it."""

import re

import pytest
from playwright.sync_api import expect

from .test_browser_ledger import log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_creates_a_community_user_who_then_signs_in(page, live_server, district_admin):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, live_server, "qu-admin")
    page.get_by_role("button", name="管理", exact=True).click()
    page.get_by_role("link", name="用户管理").click()
    expect(page).to_have_url(re.compile(r"/users/$"))
    page.get_by_test_id("user-add").click()

    form = page.get_by_test_id("user-form")
    form.get_by_label("用户名").fill("xinxinglu-zhang")
    form.get_by_label("姓名").fill("张三")
    form.get_by_label("所属区划").select_option(label="新星路社区居民委员会")
    form.get_by_label("角色").select_option(value="editor")
    form.get_by_role("button", name="新建用户").click()

    expect(page.get_by_test_id("user-created")).to_contain_text("新星路社区居民委员会 社区填报员")
    password = page.get_by_test_id("shown-password").inner_text().strip()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)

    # The new user is in the list, not yet signed in.
    page.get_by_role("link", name="用户管理").first.click()
    row = page.get_by_test_id("users").locator("tr", has_text="xinxinglu-zhang")
    expect(row).to_contain_text("社区填报员")
    expect(row).to_contain_text("从未登录")

    log_out(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("xinxinglu-zhang")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("user-node")).to_contain_text(
        "新星路社区居民委员会 · 社区填报员 · 张三"
    )
    assert violations == []
