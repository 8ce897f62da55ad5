"""Main journeys in a real Chromium."""

import re

import pytest

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_street_editor_sees_only_that_streets_communities(page, live_server, tiansheng_editor):
    log_in(page, live_server, "tiansheng-editor")
    page.wait_for_url(re.compile(r"/regions/"))
    assert "天生街道 · 街镇填报员" in page.get_by_test_id("user-node").inner_text()
    rows = page.get_by_test_id("communities").locator("tbody tr")
    names = rows.locator("td:nth-child(2)").all_inner_texts()
    assert len(names) == 10 and "新星路社区居民委员会" in names
    assert all(not name.startswith("运河") for name in names)
    response = page.goto(f"{live_server.url}/regions/500109102/")
    assert response.status == 404


def test_a_district_viewer_opens_a_street_from_the_district_page(
    page, live_server, district_viewer
):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    log_in(page, live_server, "qu-viewer")
    page.wait_for_url(re.compile(r"/regions/"))
    assert page.get_by_test_id("community-total").inner_text() == "192"
    page.get_by_role("link", name="澄江镇").click()
    page.wait_for_url(re.compile(r"/regions/500109102/"))
    names = page.get_by_test_id("communities").locator("tbody td:nth-child(2)").all_inner_texts()
    assert "运河社区居民委员会" in names and "运河村村民委员会" in names
    # Bureau intranets are offline: every asset must come from the app itself.
    assert requested and all(url.startswith(live_server.url) for url in requested), requested
