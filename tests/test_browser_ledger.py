"""The twice-yearly journey in a real Chromium: fill, fix, comment, submit, return, approve."""

import datetime
import re
from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import unquote_plus

import pytest
from playwright.sync_api import expect

from shequ.accounts.models import Role
from shequ.ledger.fields import AREA_FIELDS, LABELS
from shequ.ledger.models import LedgerRow, Submission

from .browser import accept_next_confirmation
from .conftest import make_user
from .ledger_helpers import fill_street, open_period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TONGJIAXI = "500109104"  # 童家溪镇: five communities


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("correct horse 42")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def log_out(page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()


def cell(page, community: str, field: str):
    """A grid input by its accessible name, as a screen reader says it
    (新星路社区 便民服务中心面积)."""
    spoken = LABELS[field] + ("面积" if field in AREA_FIELDS else "")
    return page.get_by_label(f"{community} {spoken}", exact=True)


def settled(page) -> None:
    """Wait until htmx has no request in flight and no swap under way."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


@contextmanager
def saving(page, text: str):
    """Wait until the row save whose posted form contains `text` has been answered."""
    with page.expect_request(
        lambda r: (
            "/ledger/rows/" in r.url
            and "preview" not in r.url
            and text in unquote_plus(r.post_data or "")
        )
    ) as request:
        yield
    request.value.response()


@pytest.fixture
def journey(beibei):
    period = open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    fill_street(period, TONGJIAXI)
    rows = list(
        LedgerRow.objects.filter(period=period, street__code=TONGJIAXI)
        .select_related("community")
        .order_by("community__code")
    )
    for row in rows[:2]:  # the editor fills these two in the browser
        LedgerRow.objects.filter(pk=row.pk).update(
            households=None, service_center=None, total_area=0
        )
    make_user("tjx-editor", TONGJIAXI, Role.EDITOR)
    make_user("tjx-approver", TONGJIAXI, Role.APPROVER)
    make_user("qu-approver", "500109", Role.APPROVER)
    return period, [row.community.name for row in rows[:2]]


def test_fill_fix_comment_submit_return_resubmit_approve(page, live_server, journey):
    period, (first, second) = journey
    grid = f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/"

    # The street editor fills two rows, hits an error, fixes it and comments a warning.
    log_in(page, live_server, "tjx-editor")
    page.goto(grid)
    cell(page, first, "households").fill("2000")
    with saving(page, "service_center=650"):
        cell(page, first, "service_center").fill("650")
        cell(page, first, "service_center").press("Tab")
    first_row = page.locator("tbody.grid-row", has_text=first)
    expect(first_row).to_contain_text("32.50")
    expect(first_row.locator("td[id^=badge]")).to_have_text("达标")

    cell(page, second, "households").fill("1500")
    cell(page, second, "service_center").fill("一百五")
    with saving(page, "service_center=一百五"):
        cell(page, second, "service_center").press("Tab")
    second_row = page.locator("tbody.grid-row", has_text=second)
    expect(second_row).to_contain_text("便民服务中心应为数字（㎡），不能是“一百五”（未保存）")
    cell(page, second, "service_center").fill("150")
    # Wait for the save itself: its answer replaces the notes, comment boxes included.
    with saving(page, "service_center=150"):
        cell(page, second, "service_center").press("Enter")
    expect(second_row).to_contain_text("便民服务中心面积为 150.0㎡，不足 200㎡")
    expect(second_row).not_to_contain_text("未保存")
    # Every save answered and swapped in first: on a busy machine a late answer replaced
    # the comment box after the text was typed into it, and nothing was posted.
    settled(page)
    comment = page.get_by_label(re.compile(f"^{second} 说明：便民服务中心面积为 150.0㎡"))
    with saving(page, "comment-center_small=租用村委会旧办公楼扩建中"):
        comment.fill("租用村委会旧办公楼扩建中")
        comment.press("Tab")
    saved = LedgerRow.objects.get(period=period, community__name=second)
    assert saved.households == 1500 and str(saved.service_center) == "150.0"
    assert saved.warning_comments == {"center_small": "租用村委会旧办公楼扩建中"}
    log_out(page)

    # The street approver submits.
    log_in(page, live_server, "tjx-approver")
    page.goto(grid)
    accept_next_confirmation(page)
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    assert "已上报2026年下半年台账" in page.content()
    log_out(page)

    # The district approver returns it with a reason.
    log_in(page, live_server, "qu-approver")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/review/")
    assert "租用村委会旧办公楼扩建中" in page.content()
    page.get_by_label("退回原因（退回时必填）").fill("请附上扩建合同")
    accept_next_confirmation(page)
    page.get_by_role("button", name="退回修改").click()
    page.wait_for_url(re.compile(r"/ledger/"))
    assert Submission.objects.get(period=period, street__code=TONGJIAXI).state == "returned"
    log_out(page)

    # The street sees why, corrects a figure, and resubmits.
    log_in(page, live_server, "tjx-editor")
    page.goto(grid)
    with saving(page, "households=1480"):
        cell(page, second, "households").fill("1480")
        cell(page, second, "households").press("Tab")
    log_out(page)
    log_in(page, live_server, "tjx-approver")
    page.goto(grid)
    assert "退回原因：请附上扩建合同" in page.content()
    accept_next_confirmation(page)
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    log_out(page)

    # The district sees what changed since its return, with its own reason, and approves.
    log_in(page, live_server, "qu-approver")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/review/")
    since = page.get_by_test_id("since-return")
    expect(since).to_contain_text("原因：请附上扩建合同")
    expect(since).to_contain_text("退回后街镇修改了 1 个单元格")
    expect(since.locator("tbody tr")).to_have_text([re.compile(f"{second}.*户数.*1500.*1480")])
    expect(row_of(page, second).locator("td.cell-since-return")).to_contain_text("退回时 1500")
    accept_next_confirmation(page)
    page.get_by_role("button", name="审核通过").click()
    page.wait_for_load_state()
    assert "已审核通过童家溪镇2026年下半年台账" in page.content()
    submission = Submission.objects.get(period=period, street__code=TONGJIAXI)
    assert submission.state == "approved" and submission.approved_version == 1


def test_pasting_a_block_from_excel_fills_the_cells_it_covers(page, live_server, journey):
    period, (first, second) = journey
    log_in(page, live_server, "tjx-editor")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/")
    target = cell(page, first, "households")
    target.focus()
    page.evaluate(
        """text => {
            const data = new DataTransfer();
            data.setData('text/plain', text);
            document.activeElement.dispatchEvent(
                new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
        }""",
        "2,100\t700.5\r\n1800\t420\r\n",
    )
    second_row = page.locator("tbody.grid-row", has_text=second)
    expect(second_row.locator("td[id^=total]")).to_have_text("420.0")
    expect(page.locator("tbody.grid-row", has_text=first).locator("td[id^=total]")).to_have_text(
        "700.5"
    )
    rows = {
        r.community.name: r
        for r in LedgerRow.objects.filter(period=period).select_related("community")
    }
    assert (rows[first].households, str(rows[first].service_center)) == (2100, "700.5")
    assert (rows[second].households, str(rows[second].service_center)) == (1800, "420.0")


def test_ticking_in_centre_clears_and_locks_the_area(page, live_server, journey):
    period, (first, _) = journey
    log_in(page, live_server, "tjx-editor")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/")
    area = cell(page, first, "police_room")
    area.fill("30")
    with saving(page, "police_room_in_center=1"):
        page.locator("tbody.grid-row", has_text=first).locator(
            "input[name=police_room_in_center]"
        ).check()
    assert area.input_value() == "" and area.get_attribute("readonly") is not None
    saved = LedgerRow.objects.get(period=period, community__name=first)
    assert (saved.police_room, saved.police_room_in_center) == (None, True)


def test_a_save_while_the_database_is_unreachable_says_so_and_the_next_one_saves(
    page, live_server, journey, monkeypatch
):
    from django.db import OperationalError

    from shequ.web import ledger_views

    period, (first, _) = journey
    real_update = ledger_views.row_update_cells

    def unreachable(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ledger_views, "row_update_cells", unreachable)
    log_in(page, live_server, "tjx-editor")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/")
    cell(page, first, "households").fill("2000")
    with saving(page, "service_center=650"):
        cell(page, first, "service_center").fill("650")
        cell(page, first, "service_center").press("Tab")
    expect(page.get_by_role("alert").filter(has_text="数据库暂时无法连接")).to_contain_text(
        "刚才的操作没有保存"
    )
    assert LedgerRow.objects.get(period=period, community__name=first).households is None

    monkeypatch.setattr(ledger_views, "row_update_cells", real_update)
    with saving(page, "service_center=651"):
        cell(page, first, "service_center").fill("651")
        cell(page, first, "service_center").press("Tab")
    expect(page.locator("#database-unavailable")).to_have_count(0)
    expect(page.locator("tbody.grid-row", has_text=first)).to_contain_text("32.55")
    assert LedgerRow.objects.get(period=period, community__name=first).households == 2000


def row_of(page, community: str):
    return page.locator("tbody.grid-row", has_text=community)


def test_a_refused_cell_costs_its_row_nothing_else(page, live_server, journey):
    period, (first, _) = journey
    grid = f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/"
    log_in(page, live_server, "tjx-editor")
    page.goto(grid)
    cell(page, first, "households").fill("2,000")
    cell(page, first, "police_room").fill("６６．８")
    cell(page, first, "day_care").fill("13O.5")
    with saving(page, "service_center=650㎡"):
        cell(page, first, "service_center").fill("650㎡")
        cell(page, first, "service_center").press("Tab")
    row = row_of(page, first)
    expect(row.locator(".row-state")).to_have_text("1 项未保存")
    expect(row).to_contain_text("日间照料中心（养老服务站）应为数字（㎡），不能是“13O.5”（未保存）")
    expect(page.locator("#unsaved-count")).to_have_text("有 1 个单元格尚未保存")
    # What was read is shown as stored; the refused cell keeps what was typed.
    expect(cell(page, first, "households")).to_have_value("2000")
    expect(cell(page, first, "day_care")).to_have_value("13O.5")

    # Leaving asks first (the refused cell); after a reload it is the one thing lost.
    page.once("dialog", lambda dialog: dialog.accept())
    page.goto(grid)
    expect(cell(page, first, "households")).to_have_value("2000")
    expect(cell(page, first, "police_room")).to_have_value("66.8")
    expect(cell(page, first, "service_center")).to_have_value("650.0")
    expect(cell(page, first, "day_care")).to_have_value("")


def test_a_save_waiting_behind_a_slow_one_is_not_dropped_by_typing_elsewhere(
    page, live_server, journey
):
    """A row's saves queue behind each other; the totals shown while typing (the preview)
    must not take a waiting save's place (they shared the row's queue and a slow server
    lost the save: the cell stayed 未保存 and nothing was sent)."""
    period, (first, _) = journey
    log_in(page, live_server, "tjx-editor")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/")
    held = []  # the first save, held back: a slow server

    def hold_first_save(route):
        if held or "preview" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route("**/ledger/rows/**", hold_first_save)
    cell(page, first, "households").fill("1800")
    cell(page, first, "households").press("Tab")  # save 1, held
    cell(page, first, "police_room").fill("50")
    cell(page, first, "police_room").press("Tab")  # save 2 waits behind save 1
    cell(page, first, "day_care").press_sequentially("4")  # a preview of the totals
    page.wait_for_timeout(600)  # past the preview's 300 ms delay
    assert len(held) == 1
    with saving(page, "police_room=50"):
        held[0].continue_()
    row = LedgerRow.objects.get(period=period, community__name=first)
    assert (row.households, row.police_room) == (1800, Decimal("50.0"))


def test_saving_after_the_session_ended_signs_in_again_and_loses_nothing(
    page, live_server, journey
):
    period, (first, _) = journey
    log_in(page, live_server, "tjx-editor")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/")
    page.context.clear_cookies(name="sessionid")  # the session ends while the page is open

    cell(page, first, "households").fill("1800")
    cell(page, first, "service_center").fill("640")
    cell(page, first, "service_center").press("Tab")
    dialog = page.get_by_role("dialog", name="登录已过期")
    expect(dialog).to_be_visible()
    expect(row_of(page, first).locator(".row-state")).to_contain_text("未保存")
    assert LedgerRow.objects.get(period=period, community__name=first).households is None

    dialog.get_by_label("密码").fill("wrong password")
    dialog.get_by_role("button", name="登录并继续保存").click()
    expect(dialog.get_by_role("alert")).not_to_be_empty()
    with saving(page, "service_center=640"):
        dialog.get_by_label("密码").fill("correct horse 42")
        dialog.get_by_role("button", name="登录并继续保存").click()
    expect(row_of(page, first).locator(".row-state")).to_contain_text("已保存")
    expect(page.locator("#unsaved-count")).to_be_hidden()
    saved = LedgerRow.objects.get(period=period, community__name=first)
    assert saved.households == 1800 and str(saved.service_center) == "640.0"


def test_leaving_with_unsaved_cells_asks_first(page, live_server, journey):
    period, (first, _) = journey
    grid = f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/"
    log_in(page, live_server, "tjx-editor")
    page.goto(grid)
    cell(page, first, "households").fill("1900")  # typed, not yet left: not saved
    expect(page.locator("#unsaved-count")).to_have_text("有 1 个单元格尚未保存")
    asked = []

    def stay(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.evaluate("() => { window.location.href = '/'; }")
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    expect(cell(page, first, "households")).to_have_value("1900")  # still on the page


def test_a_decision_asks_first_and_approving_waits_until_no_return_reason_is_typed(
    page, live_server, journey
):
    period, _ = journey
    fill_street(period, TONGJIAXI)
    from shequ.accounts.scope import operator_scope
    from shequ.workflow.submissions import submission_submit

    from .ledger_helpers import submission

    submission_submit(scope=operator_scope(), submission=submission(period, TONGJIAXI))
    log_in(page, live_server, "qu-approver")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/review/")
    approve = page.get_by_role("button", name="审核通过")
    page.get_by_label("退回原因（退回时必填）").fill("户数有误")
    expect(approve).to_be_disabled()
    page.get_by_label("退回原因（退回时必填）").fill("")
    expect(approve).to_be_enabled()

    asked = []

    def decline(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    approve.click()
    page.wait_for_timeout(300)
    assert asked and "审核通过后童家溪镇2026年下半年台账锁定" in asked[0]
    assert Submission.objects.get(period=period, street__code=TONGJIAXI).state == "submitted"


def test_tab_skips_the_cells_that_cannot_be_typed_in(page, live_server, journey):
    period, (first, _) = journey
    log_in(page, live_server, "tjx-editor")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/")
    row = row_of(page, first)
    with saving(page, "police_room_in_center=1"):
        row.locator("input[name=police_room_in_center]").check()
    cell(page, first, "service_center").focus()
    page.keyboard.press("Tab")
    # The area set in the centre is locked: Tab goes on to its 在中心 box, not into it.
    focused = page.evaluate("document.activeElement.name")
    assert focused == "police_room_in_center"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        f"{first} 警务室设在便民服务中心"
    )


def test_a_conflict_is_resolved_cell_by_cell_without_retyping(page, live_server, journey):
    from shequ.accounts.scope import scope_for
    from shequ.ledger.rows import row_update

    period, (first, _) = journey
    log_in(page, live_server, "tjx-editor")
    page.goto(f"{live_server.url}/ledger/{period.code}/{TONGJIAXI}/")
    # Meanwhile the street's approver's colleague saves the same row.
    other = make_user("tjx-editor-2", TONGJIAXI, Role.EDITOR)
    stored = LedgerRow.objects.get(period=period, community__name=first)
    row_update(
        scope=scope_for(other),
        row=stored,
        changes={"households": 1700, "police_room": "40.5"},
        expected_version=stored.version,
    )
    cell(page, first, "households").fill("1800")
    with saving(page, "service_center=620"):
        cell(page, first, "service_center").fill("620")
        cell(page, first, "service_center").press("Tab")
    conflict = row_of(page, first).get_by_test_id("conflict")
    expect(conflict).to_contain_text("tjx-editor-2")
    # Only the cell both changed is asked about; 警务室 takes the colleague's value.
    expect(conflict.locator("tr[data-conflict-field]")).to_have_count(1)
    expect(cell(page, first, "police_room")).to_have_value("40.5")
    with saving(page, "households=1700"):
        conflict.get_by_role("button", name="用对方的").click()
    expect(row_of(page, first).locator(".row-state")).to_contain_text("已保存")
    saved = LedgerRow.objects.get(period=period, community__name=first)
    assert (saved.households, str(saved.police_room), str(saved.service_center)) == (
        1700,
        "40.5",
        "620.0",
    )
