"""Each role lands on its task (issue 21, item 2), in a real Chromium."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope
from shequ.ledger.models import LedgerRow
from shequ.workflow.submissions import submission_submit

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, make_user
from .ledger_helpers import fill_street, open_period, submission
from .test_browser_ledger import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_period_with_one_submission(beibei):
    period = open_period("2026H2", deadline=timezone.localdate() + datetime.timedelta(days=9))
    fill_street(period, TIANSHENG)
    fill_street(period, CHENGJIANG)
    submission_submit(scope=operator_scope(), submission=submission(period, CHENGJIANG))
    make_user("ts-approver", TIANSHENG, Role.APPROVER)
    make_user("qu-approver", "500109", Role.APPROVER)
    make_user("qu-viewer", "500109", Role.VIEWER)
    make_user("xxl-editor", XINXINGLU, Role.EDITOR)
    return period


def test_each_role_lands_on_its_task(page, live_server, open_period_with_one_submission):
    log_in(page, live_server, "ts-approver")
    task = page.get_by_test_id("street-task")
    expect(task).to_contain_text("填报中")
    expect(task).to_contain_text("还有 9 天")
    expect(task.get_by_role("button", name="上报区民政局")).to_be_visible()
    page.context.clear_cookies()

    log_in(page, live_server, "qu-approver")
    waiting = page.get_by_test_id("waiting")
    expect(waiting).to_contain_text("已上报、等待审核（1）")
    waiting.get_by_role("link", name="审核").click()
    expect(page.get_by_role("heading", name="审核：澄江镇 · 2026年下半年台账")).to_be_visible()
    page.context.clear_cookies()

    log_in(page, live_server, "qu-viewer")
    expect(page.get_by_role("heading", name="北碚区 · 社区综合服务设施达标看板")).to_be_visible()
    page.context.clear_cookies()

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "xxl-editor")
    form = page.get_by_test_id("community-form")
    form.get_by_label("辖区户籍人口总户数（户）").fill("2,345")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".alert", has_text="已保存新星路社区")).to_be_visible()
    row = LedgerRow.objects.get(period=open_period_with_one_submission, community__code=XINXINGLU)
    assert row.households == 2345
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
