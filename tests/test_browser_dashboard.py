"""A district leader's weekly look in a real Chromium, the week after the first street of a
new period was approved: the dashboard stays on the last complete period, the new one is
labelled 进行中 with its coverage, no unknown street reads 0.0 %; then a street, then one of
its communities."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from shequ.regions.levels import Level
from shequ.regions.models import Region

from .ledger_helpers import approve_street, open_period, set_target
from .test_browser_ledger import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TONGJIAXI = "500109104"
DEADLINE = datetime.date(2099, 12, 31)


@pytest.fixture
def first_street_of_a_new_period(beibei):
    """2025H2 approved everywhere (the first nine streets compliant); in 2026H2 only 童家溪镇
    (5 communities, all compliant) is approved so far."""
    set_target(2025)
    set_target(2026)
    closed = open_period("2025H2", deadline=DEADLINE)
    streets = Region.objects.filter(level=Level.STREET).order_by("code")
    for index, street in enumerate(streets):
        centre = "320.0" if index < 9 else "250.0"
        approve_street(closed, street.code, households=1000, service_center=centre)
    current = open_period("2026H2", deadline=DEADLINE)
    approve_street(current, TONGJIAXI, households=1000, service_center="320.0")


def test_leader_sees_the_last_complete_period_and_the_new_one_in_progress(
    page, live_server, first_street_of_a_new_period, district_approver
):
    log_in(page, live_server, "qu-approver")  # lands on 待审核; the dashboard is in the menu
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", name="北碚区 · 社区综合服务设施达标看板")).to_be_visible()
    picker = page.locator("#period")
    expect(picker.locator("option:checked")).to_have_text("2025年下半年")
    expect(picker.locator("option", has_text="2026年下半年（进行中）")).to_have_count(1)
    expect(page.get_by_test_id("in-progress")).to_have_count(0)
    trend = page.get_by_test_id("chart-trend")
    expect(trend).to_have_attribute("data-drawn", "1")
    complete_rate = page.get_by_test_id("rate").inner_text()
    # 2025H2 is on the line; 2026H2 is a hollow point at 5 of 5, not 5 of 192 (2.6 %).
    expect(trend.locator("svg text", has_text=complete_rate)).to_have_count(1)
    expect(trend.locator("svg text", has_text="100.0%")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("2.6%")

    picker.select_option("2026H2")
    expect(page.get_by_test_id("in-progress")).to_contain_text("进行中")
    expect(page.get_by_test_id("coverage")).to_have_text("已审核 1/17 个街镇，覆盖 5/192 个社区")
    expect(page.get_by_test_id("rate")).to_have_text("100.0%")
    expect(page.get_by_test_id("needed")).to_have_text("—")
    expect(page.get_by_test_id("headline")).to_contain_text("待全部审核后计算")
    ranking = page.get_by_test_id("ranking")
    expect(ranking.get_by_test_id("unknown-rate")).to_have_count(16)
    expect(ranking).not_to_contain_text(re.compile(r"(^|[^\d.])0\.0%"))
    expect(ranking.locator("tbody tr").first).to_contain_text("童家溪镇")
    expect(page.locator("body")).not_to_contain_text("2.6%")

    page.get_by_label("含未审核台账").check()
    expect(page.get_by_test_id("coverage")).to_contain_text("已上报 1/17 个街镇")
    expect(page.get_by_test_id("chart-trend")).to_have_attribute("data-drawn", "1")

    ranking = page.get_by_test_id("ranking")
    ranking.get_by_role("link", name="童家溪镇").click()
    expect(page.get_by_role("heading", name="童家溪镇 · 社区综合服务设施达标看板")).to_be_visible()
    expect(page.locator("#period option:checked")).to_have_text("2026年下半年")
    expect(page.get_by_test_id("rate")).to_have_text("100.0%")
    expect(page.get_by_test_id("chart-trend")).to_have_attribute("data-drawn", "1")

    page.get_by_test_id("communities").get_by_role("link", name="苏家湾社区居民委员会").click()
    expect(page.get_by_role("heading", name="苏家湾社区居民委员会")).to_be_visible()
    expect(page.get_by_test_id("chart-community")).to_have_attribute("data-drawn", "1")
    periods = page.get_by_test_id("periods")
    expect(periods.get_by_role("row")).to_have_count(3)  # header, 2026H2, 2025H2
    expect(periods).to_contain_text("32.00")
