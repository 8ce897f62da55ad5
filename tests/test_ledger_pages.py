"""The ledger screens through HTTP: the grid, saving cells, submission, review, history."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shequ.accounts.scope import operator_scope
from shequ.core.models import Notification
from shequ.ledger.models import LedgerRow, Submission
from shequ.workflow.submissions import submission_submit

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, YUNHE_CUN
from .ledger_helpers import approve_street, fill_street, open_period, submission

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def period(beibei):
    # A deadline far ahead, so that nothing here depends on today's date.
    return open_period("2026H2", deadline=datetime.date(2099, 12, 31))


def grid_url(period, street=TIANSHENG):
    return reverse("ledger_grid", args=[period.code, street])


def row(period, code=XINXINGLU) -> LedgerRow:
    return LedgerRow.objects.get(period=period, community__code=code)


def save(client, target: LedgerRow, version=None, **values):
    data = {"version": target.version if version is None else version, **values}
    return client.post(reverse("ledger_row_save", args=[target.pk]), data, **HTMX)


def test_the_street_grid_lists_its_communities_urban_and_rural_apart(
    login, tiansheng_editor, period
):
    response = login(tiansheng_editor).get(grid_url(period))
    body = response.content.decode()
    assert response.status_code == 200
    assert "天生街道 · 2026年下半年台账" in body
    assert "城市社区" in body and "城市社区小计" in body and "合计（10个" in body
    assert body.count('class="grid-row') == 10
    assert "运河村" not in body


def test_another_streets_grid_is_404(login, tiansheng_editor, period):
    assert login(tiansheng_editor).get(grid_url(period, CHENGJIANG)).status_code == 404


def test_a_community_editor_sees_only_its_own_row(login, xinxinglu_editor, period):
    body = login(xinxinglu_editor).get(grid_url(period)).content.decode()
    assert body.count('class="grid-row') == 1 and "新星路社区居民委员会" in body


def test_the_grid_shows_last_approved_values(login, tiansheng_editor, beibei):
    first = open_period("2026H1")
    approve_street(first, TIANSHENG, households=3100, service_center="700.0")
    later = open_period("2026H2")
    body = login(tiansheng_editor).get(grid_url(later)).content.decode()
    assert "上期 3100" in body and "上期 700.0" in body


def test_a_district_viewer_reads_the_grid_without_editing(login, district_viewer, period):
    body = login(district_viewer).get(grid_url(period)).content.decode()
    assert "hx-post" not in body and "readonly" in body


def test_saving_a_cell_returns_the_row_with_ratio_and_badge(login, tiansheng_editor, period):
    response = save(login(tiansheng_editor), row(period), households="2000", service_center="700")
    body = response.content.decode()
    assert response.status_code == 200
    assert row(period).households == 2000 and row(period).version == 2
    assert "35.00" in body and "达标" in body
    assert 'id="subtotal-all"' in body  # subtotals refreshed in place


def test_a_co_location_tick_clears_nothing_silently_but_an_area_beside_it_is_an_error(
    login, tiansheng_editor, period
):
    body = save(
        login(tiansheng_editor),
        row(period),
        households="2000",
        service_center="700",
        police_room="30",
        police_room_in_center="1",
    ).content.decode()
    target = row(period)
    # The message replaces the cell's shown ones in place (htmx out-of-band swap).
    assert (
        f'<div id="msg-{target.pk}-police_room" class="cell-messages" hx-swap-oob="true">'
        '<div class="msg-error">警务室已勾选设在便民服务中心，不再重复填写面积' in body
    )
    assert target.police_room_in_center is True


def test_a_bad_value_is_refused_in_chinese_and_the_rows_other_cells_are_saved(
    login, tiansheng_editor, period
):
    response = save(login(tiansheng_editor), row(period), households="2000", service_center="13O.5")
    assert response.status_code == 200
    target = row(period)
    assert (
        f'<div id="msg-{target.pk}-service_center" class="cell-messages" hx-swap-oob="true">'
        '<div class="msg-error">便民服务中心应为数字（㎡），不能是“13O.5”（未保存）'
        in response.content.decode()
    )
    # The good cell is kept; the refused one keeps what was stored.
    assert target.households == 2000 and target.service_center is None and target.version == 2
    outcome = json.loads(response["HX-Trigger"])["rowSaved"]
    assert outcome["refused"] == {"service_center": "便民服务中心应为数字（㎡），不能是“13O.5”"}
    assert outcome["stored"]["households"] == "2000" and outcome["version"] == 2


@pytest.mark.parametrize(
    "typed, stored",
    [("６６．８", "66.8"), ("1,082.2", "1082.2"), ("66.8㎡", "66.8"), ("66.8 平方米", "66.8")],
)
def test_the_grid_reads_figures_as_the_importer_does(
    login, tiansheng_editor, period, typed, stored
):
    response = save(login(tiansheng_editor), row(period), households="１,２００户", other=typed)
    assert response.status_code == 200
    assert row(period).households == 1200 and str(row(period).other) == stored
    assert json.loads(response["HX-Trigger"])["rowSaved"]["stored"]["other"] == stored


def test_a_save_to_a_submitted_ledger_saves_nothing_and_says_why(login, tiansheng_editor, period):
    target = row(period)
    Submission.objects.filter(pk=submission(period, TIANSHENG).pk).update(
        state=Submission.State.SUBMITTED
    )
    response = save(login(tiansheng_editor), target, households="2000")
    assert response.status_code == 422
    outcome = json.loads(response["HX-Trigger"])["rowSaved"]
    assert outcome["saved"] is False and "不能修改" in outcome["refused"][""]
    assert row(period).households is None


def test_a_stale_save_answers_409_with_both_values_and_overwrites_nothing(
    login, tiansheng_editor, period
):
    client = login(tiansheng_editor)
    target = row(period)
    save(client, target, households="3000")
    response = save(client, target, version=1, households="3500")
    body = response.content.decode()
    assert response.status_code == 409
    assert "您的修改<strong>还没有保存</strong>" in body and "tiansheng-editor" in body
    assert 'data-conflict-field="households"' in body and 'data-value="3000"' in body
    assert "3500" in body and "3000" in body
    assert row(period).households == 3000
    conflict = json.loads(response["HX-Trigger-After-Swap"])["rowConflict"]
    assert conflict["version"] == 2 and conflict["stored"]["households"] == "3000"


def test_a_community_editor_cannot_save_a_neighbours_row(login, xinxinglu_editor, period):
    neighbour = row(period, "500109001033")
    assert save(login(xinxinglu_editor), neighbour, households="1").status_code == 404
    assert row(period, "500109001033").households is None


def test_a_street_editor_cannot_save_another_streets_row(login, tiansheng_editor, period):
    assert save(login(tiansheng_editor), row(period, YUNHE_CUN), households="1").status_code == 404


def test_a_viewer_cannot_save(login, district_viewer, period):
    assert save(login(district_viewer), row(period), households="1").status_code == 403


def test_the_preview_computes_without_saving(login, tiansheng_editor, period):
    target = row(period)
    response = login(tiansheng_editor).post(
        reverse("ledger_row_preview", args=[target.pk]),
        {"households": "2000", "service_center": "599.9"},
        **HTMX,
    )
    body = response.content.decode()
    assert "30.00" in body and "差0.1㎡" in body
    assert row(period).households is None


def test_a_warning_comment_is_saved_with_the_row(login, tiansheng_editor, period):
    client = login(tiansheng_editor)
    save(client, row(period), households="2000", service_center="150")
    body = save(
        client,
        row(period),
        households="2000",
        service_center="150",
        **{"comment-center_small": "正在扩建"},
    ).content.decode()
    assert row(period).warning_comments == {"center_small": "正在扩建"}
    assert 'value="正在扩建"' in body


def test_submitting_with_problems_lists_them_on_the_grid(login, tiansheng_approver, period):
    client = login(tiansheng_approver)
    response = client.post(reverse("ledger_submit", args=[period.code, TIANSHENG]), follow=True)
    body = response.content.decode()
    assert "以下问题处理后才能上报" in body
    assert "新星路社区居民委员会：请填写辖区户籍人口总户数" in body
    assert submission(period, TIANSHENG).state == "draft"


def test_submitting_tells_the_district_approvers(
    login, tiansheng_approver, district_approver, period
):
    fill_street(period, TIANSHENG)
    response = login(tiansheng_approver).post(
        reverse("ledger_submit", args=[period.code, TIANSHENG]), follow=True
    )
    assert "已上报2026年下半年台账" in response.content.decode()
    assert submission(period, TIANSHENG).state == "submitted"
    note = Notification.objects.get(user=district_approver)
    assert note.message == "天生街道2026年下半年台账已上报，请审核"
    assert note.url == reverse("ledger_review", args=[period.code, TIANSHENG])


def test_an_editor_cannot_submit(login, tiansheng_editor, period):
    fill_street(period, TIANSHENG)
    response = login(tiansheng_editor).post(reverse("ledger_submit", args=[period.code, TIANSHENG]))
    assert response.status_code == 403


@pytest.fixture
def submitted(period):
    fill_street(period, TIANSHENG)
    target = row(period)
    target.households = 2600  # +30 % on nothing approved: no warning; change to highlight
    return submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))


def test_the_review_page_is_for_district_approvers(
    login, district_approver, tiansheng_approver, submitted
):
    url = reverse("ledger_review", args=[submitted.period.code, TIANSHENG])
    assert login(tiansheng_approver).get(url).status_code == 403
    body = login(district_approver).get(url).content.decode()
    assert "审核：天生街道 · 2026年下半年台账" in body and "审核通过" in body


def test_the_review_shows_changed_cells_with_old_values_and_warnings_first(
    login, district_approver, beibei
):
    first = open_period("2026H1")
    approve_street(first, TIANSHENG, households=2000, service_center="500.0")
    later = open_period("2026H2")
    fill_street(later, TIANSHENG, households=2000, service_center="500.0")
    changed = row(later, "500109001042")  # 宁溪社区: a changed cell and a commented warning
    changed.households, changed.warning_comments = 2600, {"households_changed": "新小区交付"}
    changed.save()
    submission_submit(scope=operator_scope(), submission=submission(later, TIANSHENG))
    body = (
        login(district_approver)
        .get(reverse("ledger_review", args=[later.code, TIANSHENG]))
        .content.decode()
    )
    assert body.index("宁溪社区") < body.index("新星路社区")
    assert "上期 2000" in body and body.count("上期 ") == 1
    assert "新小区交付" in body and "户数比上期（2000户）变化 30.0%" in body


def test_approving_and_returning_from_the_review_page(
    login, district_approver, tiansheng_approver, submitted
):
    client = login(district_approver)
    url = reverse("ledger_decide", args=[submitted.period.code, TIANSHENG])
    response = client.post(url, {"action": "return", "reason": ""}, follow=True)
    assert "请填写退回原因" in response.content.decode()
    client.post(url, {"action": "return", "reason": "户数有误"})
    assert submission(submitted.period, TIANSHENG).state == "returned"
    assert Notification.objects.filter(
        user=tiansheng_approver, message__contains="户数有误"
    ).exists()
    submission_submit(scope=operator_scope(), submission=submission(submitted.period, TIANSHENG))
    client.post(url, {"action": "approve"})
    assert submission(submitted.period, TIANSHENG).state == "approved"


def test_a_street_approver_cannot_approve_through_the_page(login, tiansheng_approver, submitted):
    url = reverse("ledger_decide", args=[submitted.period.code, TIANSHENG])
    assert login(tiansheng_approver).post(url, {"action": "approve"}).status_code == 403


def test_the_rows_history_page_lists_every_change(login, tiansheng_editor, period):
    client = login(tiansheng_editor)
    save(client, row(period), households="3000")
    save(client, row(period), households="3100")
    body = client.get(reverse("ledger_row_history", args=[row(period).pk])).content.decode()
    assert "辖区户籍人口总户数：3000 → 3100" in body
    assert "辖区户籍人口总户数：空 → 3000" in body and "tiansheng-editor" in body


def test_another_streets_row_history_is_404(login, tiansheng_editor, period):
    url = reverse("ledger_row_history", args=[row(period, YUNHE_CUN).pk])
    assert login(tiansheng_editor).get(url).status_code == 404


def test_the_ledger_home_sends_street_users_to_their_grid(login, tiansheng_editor, period):
    response = login(tiansheng_editor).get(reverse("ledger_home"))
    assert response.status_code == 302 and response["Location"] == grid_url(period)


def test_the_ledger_home_lists_every_street_for_the_district(login, district_viewer, period):
    body = login(district_viewer).get(reverse("ledger_home")).content.decode()
    assert body.count("查看台账") == 17 and "审核</a>" not in body


def grid_queries(client, period, street_code) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(grid_url(period, street_code)).status_code == 200
    return len(queries)


def test_the_grid_makes_the_same_number_of_queries_for_5_and_20_communities(
    login, district_viewer, beibei
):
    first = open_period("2026H1")
    for street in ("500109104", "500109007"):  # 童家溪镇 has 5 communities, 歇马街道 20
        approve_street(first, street)
    later = open_period("2026H2")
    client = login(district_viewer)
    small, large = (
        grid_queries(client, later, "500109104"),
        grid_queries(client, later, "500109007"),
    )
    assert small == large
    assert small <= 16  # one of them asks which communities succeeded others


def test_each_step_is_mailed_after_commit_to_those_with_an_address(
    login,
    tiansheng_approver,
    district_approver,
    period,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    district_approver.email = "shenhe@beibei.example"
    district_approver.save()
    fill_street(period, TIANSHENG)
    with django_capture_on_commit_callbacks(execute=True):
        login(tiansheng_approver).post(reverse("ledger_submit", args=[period.code, TIANSHENG]))
    assert [m.to for m in mailoutbox] == [["shenhe@beibei.example"]]
    assert "天生街道2026年下半年台账已上报，请审核" in mailoutbox[0].body


def test_the_grids_cells_escape_what_they_show(login, tiansheng_editor, period):
    """The number cells are rendered by Jinja2 (ADR 0025): a community's name and a refused
    value's message come back escaped, in the page and in a save's answer."""
    from shequ.regions.models import Region

    hostile = '新星路"><script>alert(1)</script>'
    Region.objects.filter(code=XINXINGLU).update(name=hostile)
    page = login(tiansheng_editor).get(grid_url(period)).content.decode()
    assert "<script>alert(1)</script>" not in page
    escaped = "新星路&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f'aria-label="{escaped} 辖区户籍人口总户数"' in page
    answer = save(login(tiansheng_editor), row(period), households="<b>多</b>").content.decode()
    assert "<b>多</b>" not in answer and "&lt;b&gt;多&lt;/b&gt;" in answer


def test_approving_with_a_return_reason_typed_approves_nothing(login, district_approver, period):
    fill_street(period, TIANSHENG)
    submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))
    client = login(district_approver)
    response = client.post(
        reverse("ledger_decide", args=[period.code, TIANSHENG]),
        {"action": "approve", "reason": "户数有误"},
        follow=True,
    )
    assert "已填写退回原因，未审核通过" in response.content.decode()
    assert submission(period, TIANSHENG).state == Submission.State.SUBMITTED
