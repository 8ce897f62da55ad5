"""Where each role lands once a period is open (issue 21, item 2): its task, not last
period's dashboard."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.scope import operator_scope, scope_for
from shequ.ledger.models import LedgerRow
from shequ.workflow.submissions import submission_return, submission_submit

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU
from .ledger_helpers import fill_street, open_period, submission

pytestmark = pytest.mark.django_db


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def period(beibei):
    return open_period("2026H2", deadline=days_from_today(5))


def test_a_street_editor_lands_on_the_open_periods_task(login, tiansheng_editor, period):
    body = login(tiansheng_editor).get("/").content.decode()
    assert "天生街道 · 2026年下半年台账" in body and "填报中" in body
    assert "还有 5 天" in body
    assert "已填写 <strong>0</strong> / " in body
    assert "打开填报表" in body


def test_blockers_lead_to_their_cells(login, tiansheng_approver, period):
    fill_street(period, TIANSHENG)
    row = LedgerRow.objects.filter(period=period, street__code=TIANSHENG).first()
    LedgerRow.objects.filter(pk=row.pk).update(households=None)
    body = login(tiansheng_approver).get("/").content.decode()
    assert "上报前还需处理" in body
    assert f'#in-{row.pk}-households">' in body
    assert 'data-testid="submit" disabled' in body


def test_a_returned_ledger_says_why_and_who(login, tiansheng_editor, district_approver, period):
    fill_street(period, TIANSHENG)
    sub = submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))
    submission_return(scope=scope_for(district_approver), submission=sub, reason="户数有误")
    body = login(tiansheng_editor).get("/").content.decode()
    assert "已退回，请修改后重新上报" in body
    assert "退回原因：</strong>户数有误" in body and district_approver.display_name in body


def test_an_overdue_ledger_says_by_how_many_days(login, tiansheng_editor, beibei):
    open_period("2026H2", deadline=days_from_today(-3))
    body = login(tiansheng_editor).get("/").content.decode()
    assert "已逾期 3 天" in body


def test_the_district_approver_lands_on_the_ledgers_waiting_oldest_first(
    login, district_approver, period
):
    for code in (CHENGJIANG, TIANSHENG):
        fill_street(period, code)
    submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))
    submission_submit(scope=operator_scope(), submission=submission(period, CHENGJIANG))
    body = login(district_approver).get("/").content.decode()
    assert "待审核 · 2026年下半年台账" in body and "已上报、等待审核（2）" in body
    assert body.index("天生街道") < body.index("澄江镇")  # submitted first, listed first
    assert reverse("ledger_review", args=[period.code, TIANSHENG]) in body


def test_streets_past_their_deadline_are_listed_for_the_district(login, district_approver, beibei):
    open_period("2026H2", deadline=days_from_today(-1))
    body = login(district_approver).get("/").content.decode()
    assert "已过截止日期、尚未上报（17）" in body


@pytest.mark.parametrize("persona", ["district_viewer", "district_admin"])
def test_district_leaders_and_viewers_land_on_the_dashboard(login, request, persona, period):
    response = login(request.getfixturevalue(persona)).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_a_community_editor_lands_on_their_rows_form(login, xinxinglu_editor, period):
    client = login(xinxinglu_editor)
    row = LedgerRow.objects.get(period=period, community__code=XINXINGLU)
    response = client.get("/")
    assert response["Location"] == reverse("community_row", args=[row.pk])
    body = client.get(response["Location"]).content.decode()
    assert "新星路社区" in body and 'name="households"' in body and "保存" in body


def test_the_community_form_keeps_what_reads_when_one_value_is_refused(
    login, xinxinglu_editor, period
):
    client = login(xinxinglu_editor)
    row = LedgerRow.objects.get(period=period, community__code=XINXINGLU)
    url = reverse("community_row", args=[row.pk])
    response = client.post(
        url, {"version": row.version, "households": "１,２００", "service_center": "13O.5"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "便民服务中心应为数字（㎡），不能是“13O.5”（未保存）" in body
    assert 'value="13O.5"' in body  # the refused value is still there to correct
    row.refresh_from_db()
    assert row.households == 1200 and row.service_center is None

    response = client.post(
        url, {"version": row.version, "households": "1200", "service_center": "650"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert str(row.service_center) == "650.0"


def test_a_community_editor_cannot_open_a_neighbours_form(login, xinxinglu_editor, period):
    neighbour = LedgerRow.objects.filter(period=period).exclude(community__code=XINXINGLU).first()
    response = login(xinxinglu_editor).get(reverse("community_row", args=[neighbour.pk]))
    assert response.status_code == 404


def test_a_community_with_no_facility_area_counts_as_filled(login, tiansheng_editor, period):
    fill_street(period, TIANSHENG)
    rows = LedgerRow.objects.filter(period=period, street__code=TIANSHENG)
    LedgerRow.objects.filter(pk=rows.first().pk).update(total_area=0)  # 0 is a figure
    body = login(tiansheng_editor).get("/").content.decode()
    assert f"已填写 <strong>{rows.count()}</strong> / {rows.count()} 个社区" in body


def test_the_community_form_keeps_what_was_typed_when_someone_saved_first(
    login, xinxinglu_editor, period
):
    client = login(xinxinglu_editor)
    row = LedgerRow.objects.get(period=period, community__code=XINXINGLU)
    LedgerRow.objects.filter(pk=row.pk).update(version=row.version + 1, households=999)
    response = client.post(
        reverse("community_row", args=[row.pk]),
        {"version": row.version, "households": "1234", "service_center": "650"},
    )
    body = response.content.decode()
    assert "您填写的数值没有保存，仍保留在下面" in body
    assert 'value="1234"' in body and 'value="650"' in body
    assert f'name="version" value="{row.version + 1}"' in body
    row.refresh_from_db()
    assert row.households == 999
