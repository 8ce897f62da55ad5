"""Two people editing the same thing in real Chromium (issue 25, ADR 0040): the second to
save gets a 409 page with the current values beside theirs, keeps what they typed, and
saves it with one more click; what the first changed elsewhere stays."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from shequ.accounts.models import Role
from shequ.assets.models import IdleAsset
from shequ.checklist.models import ChecklistEntry

from .conftest import TIANSHENG, XINXINGLU, make_user
from .test_browser_accessibility import violations
from .test_browser_ledger import log_in
from .test_concurrent_edits import school_asset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_clerks(beibei):
    make_user("ts-editor", TIANSHENG, Role.EDITOR)
    make_user("ts-approver", TIANSHENG, Role.APPROVER)


@pytest.fixture
def asset(two_clerks) -> IdleAsset:
    return school_asset()


@pytest.fixture
def pages(browser, live_server):
    """The two clerks' browsers, each signed in: (first, second)."""
    contexts = [
        browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        for _ in range(2)
    ]
    first, second = (context.new_page() for context in contexts)
    log_in(first, live_server, "ts-editor")
    log_in(second, live_server, "ts-approver")
    yield first, second
    for context in contexts:
        context.close()


def save_refused(page, button) -> None:
    """Click save and check that the page answered 409 (the conflict), not 200 or 400."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button.click()
    assert answer.value.status == 409


def test_the_second_clerk_sees_both_values_and_saves_theirs_without_retyping(
    live_server, asset, pages
):
    mine, theirs = pages
    url = f"{live_server.url}/assets/{asset.pk}/"
    mine.goto(url)
    theirs.goto(url)

    mine.get_by_label("建筑面积（㎡）").fill("320")
    mine.get_by_role("button", name="保存").click()
    expect(mine.get_by_text("闲置资产已保存")).to_be_visible()

    theirs.get_by_label("名称").fill("天生小学南楼")
    save_refused(theirs, theirs.get_by_role("button", name="保存"))
    expect(theirs.get_by_test_id("conflict")).to_contain_text("已被他人修改，您的修改没有保存")
    expect(theirs.get_by_test_id("conflict-name")).to_contain_text("原天生小学")
    expect(theirs.get_by_test_id("conflict-name")).to_contain_text("天生小学南楼")
    # Their input kept; what they did not change shows what is stored now.
    expect(theirs.get_by_label("名称")).to_have_value("天生小学南楼")
    expect(theirs.get_by_label("建筑面积（㎡）")).to_have_value("320.0")
    asset.refresh_from_db()
    assert (asset.name, asset.version) == ("原天生小学", 2)  # nothing of theirs written
    assert violations(theirs) == []

    theirs.get_by_role("button", name="保存").click()
    expect(theirs.get_by_text("闲置资产已保存")).to_be_visible()
    expect(theirs.get_by_test_id("asset-area")).to_have_text("320.0㎡")
    asset.refresh_from_db()
    assert (asset.name, asset.area) == ("天生小学南楼", Decimal("320.0"))


def test_checklist_items_conflict_one_by_one(live_server, two_clerks, pages):
    mine, theirs = pages
    url = f"{live_server.url}/checklist/{XINXINGLU}/"
    mine.goto(url)
    theirs.goto(url)
    hall = "服务大厅面积"

    mine.locator("#hall-present").check()
    mine.get_by_label(hall).fill("80")
    mine.get_by_test_id("checklist-save").click()
    expect(mine.get_by_text("已保存（修改 1 项）")).to_be_visible()

    # Another item, on a page drawn before that save: nothing to refuse, the hall stays.
    theirs.locator("#reading-present").check()
    theirs.get_by_test_id("checklist-save").click()
    expect(theirs.get_by_text("已保存（修改 1 项）")).to_be_visible()
    expect(theirs.get_by_label(hall)).to_have_value("80.0")

    # The same item: the first clerk saves again, the second's page is now behind.
    mine.goto(url)
    mine.get_by_label(hall).fill("100")
    mine.get_by_test_id("checklist-save").click()
    expect(mine.get_by_text("已保存（修改 1 项）")).to_be_visible()

    theirs.get_by_label(hall).fill("95")
    theirs.get_by_label("服务大厅所在房间").fill("一楼东")
    save_refused(theirs, theirs.get_by_test_id("checklist-save"))
    expect(theirs.get_by_test_id("conflict")).to_contain_text("已被他人修改")
    expect(theirs.get_by_test_id("conflict-hall-area")).to_contain_text("服务大厅·面积")
    expect(theirs.get_by_test_id("conflict-hall-area")).to_contain_text("100")
    expect(theirs.get_by_test_id("conflict-hall-area")).to_contain_text("95")
    expect(theirs.get_by_label(hall)).to_have_value("95")
    expect(theirs.get_by_label("服务大厅所在房间")).to_have_value("一楼东")
    expect(theirs.locator("#reading-present")).to_be_checked()
    assert violations(theirs) == []

    theirs.get_by_test_id("checklist-save").click()
    expect(theirs.get_by_text("已保存（修改 1 项）")).to_be_visible()
    hall_entry = ChecklistEntry.objects.get(community__code=XINXINGLU, item="hall")
    assert (hall_entry.area, hall_entry.room_name) == (Decimal("95.0"), "一楼东")
    assert ChecklistEntry.objects.get(community__code=XINXINGLU, item="reading").present
