"""A district leader's weekly look in a real Chromium: the trend drawn with data, then a
street, then one of its communities."""

import datetime

import pytest
from playwright.sync_api import expect

from .ledger_helpers import approve_street, open_period, set_target
from .test_browser_ledger import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TONGJIAXI = "500109104"


@pytest.fixture
def two_years(beibei):
    set_target(2025)
    for code, centre in (("2025H2", "250.0"), ("2026H2", "320.0")):
        period = open_period(code, deadline=datetime.date(2099, 12, 31))
        approve_street(period, TONGJIAXI, households=1000, service_center=centre)


def test_leader_reads_the_trend_and_drills_down_to_a_community(
    page, live_server, two_years, district_approver
):
    log_in(page, live_server, "qu-approver")
    expect(page.get_by_role("heading", name="北碚区 · 社区综合服务设施达标看板")).to_be_visible()
    trend = page.get_by_test_id("chart-trend")
    expect(trend).to_have_attribute("data-drawn", "1")
    # The line carries the rates as labels: 5 of 192 communities comply in 2026H2.
    expect(trend.locator("svg text", has_text="2.6%")).to_have_count(1)
    expect(trend.locator("svg path").first).to_be_attached()
    expect(page.get_by_test_id("rate")).to_have_text("2.6%")

    page.get_by_test_id("ranking").get_by_role("link", name="童家溪镇").click()
    expect(page.get_by_role("heading", name="童家溪镇 · 社区综合服务设施达标看板")).to_be_visible()
    expect(page.get_by_test_id("rate")).to_have_text("100.0%")
    expect(page.get_by_test_id("chart-trend")).to_have_attribute("data-drawn", "1")

    page.get_by_test_id("communities").get_by_role("link", name="苏家湾社区居民委员会").click()
    expect(page.get_by_role("heading", name="苏家湾社区居民委员会")).to_be_visible()
    expect(page.get_by_test_id("chart-community")).to_have_attribute("data-drawn", "1")
    periods = page.get_by_test_id("periods")
    expect(periods.get_by_role("row")).to_have_count(3)  # header, 2026H2, 2025H2
    expect(periods).to_contain_text("32.00")
    expect(periods).to_contain_text("25.00")
