"""Driving Debian's Chromium through Playwright; browser tests skip, saying why, without it."""

import os
import shutil
import time

import pytest

from shequ.environment import env_bool

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
    if env_bool("SHEQU_SKIP_BROWSER", False):
        return "浏览器测试已按 SHEQU_SKIP_BROWSER 跳过（CI 在 PostgreSQL 一轮中运行）"
    if not os.path.exists(CHROMIUM):
        install = "apt-get install chromium fonts-noto-cjk"
        return f"未找到 Chromium（{CHROMIUM}），浏览器测试跳过：{install}"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = skip_reason()
    if reason and env_bool("SHEQU_REQUIRE_BROWSER", False):
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
    in_flight = _requests_in_flight(page)
    yield page
    _wait_until_answered(page, in_flight)
    context.close()


def _requests_in_flight(page) -> set:
    """The page's requests not yet answered, kept up to date by Playwright's events."""
    in_flight: set = set()
    # Playwright wraps each handler and needs a Python function, not a bound builtin.
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    return in_flight


# How long the page must stay without a request before the test's data may be flushed:
# htmx sends a queued save right after the one before it is answered.
QUIET_MS = 150


def _wait_until_answered(page, in_flight: set) -> None:
    """Let the saves a test's last action started finish before the test's data is flushed.

    A save still running in the live server holds row locks while the teardown truncates
    every table: PostgreSQL then reports a deadlock, the flush fails, and the tests after it
    start on the previous test's data."""
    deadline = time.monotonic() + EXPECT_TIMEOUT_MS / 1000
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(25)  # lets Playwright deliver the page's events
        if in_flight:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_MS / 1000:
            return


def accept_next_confirmation(page) -> None:
    """Answer the confirmation the next click asks for (data-confirm) with 确定."""
    page.once("dialog", lambda dialog: dialog.accept())
