"""The merged community's page in a browser: the predecessors' bars drawn apart, and no
serious accessibility violation on the shaded rows of the history before the merge."""

import pytest
from playwright.sync_api import expect

from .test_browser_accessibility import violations
from .test_browser_ledger import log_in
from .test_joined_history import MERGED, merged  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("merged")
def test_the_merged_communitys_page_draws_its_predecessors_and_reads_well(
    page, live_server, district_viewer
):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, district_viewer.username)
    page.goto(f"{live_server.url}/communities/{MERGED}/")
    expect(page.get_by_test_id("chart-community")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("chart-community")).to_contain_text("合并前（各社区合计）")
    expect(page.get_by_test_id("inherited-label")).to_have_count(1)
    expect(page.get_by_test_id("inherited-period")).to_have_count(2)
    expect(page.get_by_test_id("region-events")).to_contain_text("合并为新星西大社区")
    assert violations(page) == []
