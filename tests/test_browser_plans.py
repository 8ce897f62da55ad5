"""一社区一方案 in a real Chromium: the street editor completes the measures and asks for
销号; after the next approved ledger the district approver closes the plan with evidence."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope
from shequ.plans import services
from shequ.plans.models import Measure, Plan
from shequ.workflow import measures

from .browser import accept_next_confirmation
from .conftest import make_user
from .ledger_helpers import approve_street, open_period
from .test_browser_ledger import log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TONGJIAXI = "500109104"


@pytest.fixture
def plan(beibei):
    make_user("tjx-editor", TONGJIAXI, Role.EDITOR)
    make_user("qu-approver", "500109", Role.APPROVER)
    approve_street(
        open_period("2026H1", deadline=datetime.date(2099, 12, 31)),
        TONGJIAXI,
        households=1000,
        service_center="250.0",
    )
    plan = Plan.objects.filter(street__code=TONGJIAXI).order_by("community__code").first()
    measures.measure_save(
        scope=operator_scope(),
        plan=plan,
        values={
            "method": Measure.Method.RENOVATE,
            "description": "改造社区二楼闲置用房",
            "planned_area": Decimal("60.0"),
            "budget": Decimal("15.00"),
            "funding": Measure.Funding.DISTRICT,
            "programme": "老旧小区改造",
            "responsible": "童家溪镇人民政府",
            "planned_date": timezone.localdate() + datetime.timedelta(days=30),
            "status": Measure.Status.IN_PROGRESS,
            "actual_area": None,
            "actual_date": None,
        },
    )
    return services.plan_start(scope=operator_scope(), plan=plan)


def test_editor_completes_the_measures_and_the_district_closes_the_plan(
    page, live_server, plan, tmp_path
):
    url = f"{live_server.url}/plans/{plan.pk}/"
    log_in(page, live_server, "tjx-editor")
    page.goto(url)
    heading = f"{plan.community.name} · 一社区一方案"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    page.get_by_test_id("measures").get_by_role("link", name="修改").click()
    form = page.get_by_test_id("measure-form")
    form.get_by_label("进度").select_option(label="已完成")
    form.get_by_label("实际面积（㎡）").fill("62")
    form.get_by_label("实际完成日期").fill(timezone.localdate().isoformat())
    form.get_by_role("button", name="保存措施").click()
    expect(page.get_by_text("措施已保存")).to_be_visible()
    expect(page.get_by_test_id("measures")).to_contain_text("已完成")
    accept_next_confirmation(page)
    page.get_by_test_id("request-close").click()
    expect(page.get_by_text("已申请销号，等待区级审核")).to_be_visible()
    log_out(page)

    # The next ledger shows the community compliant and is approved.
    approve_street(open_period("2026H2"), TONGJIAXI, households=1000, service_center="320.0")

    log_in(page, live_server, "qu-approver")
    page.goto(url)
    close = page.get_by_test_id("close-form")
    close.get_by_label("销号说明").fill("经实地核查，改造用房已投入使用")
    evidence = tmp_path / "验收照片.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    close.get_by_label("佐证文件（PDF、JPEG 或 PNG，不超过 10 MB）").set_input_files(str(evidence))
    accept_next_confirmation(page)
    close.get_by_role("button", name="销号").click()
    expect(page.get_by_text("已销号").first).to_be_visible()
    expect(page.get_by_test_id("closed")).to_contain_text("依据2026年下半年审核数")
    with page.expect_download() as download:
        page.get_by_role("link", name="佐证：验收照片.png").click()
    assert download.value.suggested_filename == "验收照片.png"
    plan.refresh_from_db()
    assert plan.state == "closed"
