"""Driving Debian's Chromium through Playwright; browser tests skip, saying why, without it."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def skip_reason() -> str | None:
    if os.environ.get("SHEQU_SKIP_BROWSER"):
        return "浏览器测试已按 SHEQU_SKIP_BROWSER 跳过（CI 在 PostgreSQL 一轮中运行）"
    if not os.path.exists(CHROMIUM):
        install = "apt-get install chromium fonts-noto-cjk"
        return f"未找到 Chromium（{CHROMIUM}），浏览器测试跳过：{install}"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = skip_reason()
    if reason and os.environ.get("SHEQU_REQUIRE_BROWSER"):
        pytest.fail(f"浏览器测试必须运行：{reason}")
    if reason:
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # the test itself (fixtures) are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


# A loaded CI machine answers slower than a quiet one: waiting longer costs nothing when
# things go right, and a save that takes six seconds must not fail a test.
EXPECT_TIMEOUT_MS = 15_000


@pytest.fixture
def page(browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.set_default_timeout(EXPECT_TIMEOUT_MS * 2)
    page = context.new_page()
    yield page
    context.close()
