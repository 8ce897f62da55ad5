"""A community's page across merges and splits (issue 27, item 3): the predecessors'
approved periods joined into its history, summed and labelled; where a predecessor went;
the audit events naming the change; and who may see and follow what."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope
from shequ.compliance.joined_history import inherited_label
from shequ.core.actors import Actor
from shequ.core.periods import PeriodCode
from shequ.ledger.rows import rows_bulk_update
from shequ.regions.changes import region_merge, region_rename, region_split
from shequ.regions.models import Succession
from shequ.workflow.submissions import submission_approve, submission_submit

from .conftest import PASSWORD, TIANSHENG, XINXINGLU, YUNHE_SHEQU, make_user, region
from .ledger_helpers import open_period, street_rows, submission, valid_values

pytestmark = pytest.mark.django_db

OPERATOR = Actor.command_line()
XIDA_BEI = "500109001033"  # 西南大学北社区居民委员会, in 天生街道
TIANSHENGQIAO = "500109001034"  # 天生桥社区居民委员会, in 天生街道
MERGED = "500109001101"
XINXING_NAME = "新星路社区居民委员会"
XIDA_BEI_NAME = "西南大学北社区居民委员会"

# 25.00 and 33.33 m² per 100 households: the ratio of their sums (31.25) complies, the
# average of their ratios (29.17) would not.
XINXING_VALUES = {"households": 1000, "service_center": "250.0"}
XIDA_BEI_VALUES = {"households": 3000, "service_center": "1000.0"}
MERGED_VALUES = {"households": 4000, "service_center": "1300.0"}


def approve(period_code: str, street_code: str, values_by_code: dict[str, dict]) -> None:
    """Open the period (if need be) and approve the street's ledger: every community at
    valid values, those named at theirs."""
    period = open_period(period_code)
    updates = [
        (row, values_by_code.get(row.community.code, valid_values()))
        for row in street_rows(period, street_code)
    ]
    operator = operator_scope()
    # A merged community's first figures wait for the street's word that they were checked.
    confirmed = {
        row.pk: {"succession_merge": "已核实", "households_changed": "已核实"} for row, _ in updates
    }
    rows_bulk_update(
        scope=operator,
        updates=updates,
        reason="测试数据",
        action="ledger.test_fill",
        comments=confirmed,
    )
    submitted = submission_submit(scope=operator, submission=submission(period, street_code))
    submission_approve(scope=operator, submission=submitted)


def merge(codes: list[str], code: str, name: str, effective: str, **kwargs):
    return region_merge(
        actor=OPERATOR,
        sources=[region(c) for c in codes],
        code=code,
        name=name,
        effective=PeriodCode.parse(effective),
        **kwargs,
    )


def page_of(client, user, code: str):
    client.login(username=user.username, password=PASSWORD)
    return client.get(f"/communities/{code}/")


def inherited_lines(response) -> list:
    return [h for h in response.context["history"] if h.inherited]


@pytest.fixture
def merged(beibei):
    """新星路 and 西南大学北 approved in 2026H1 and 2026H2, merged into 新星西大社区 from
    2027H1, whose own 2027H1 is approved."""
    before = {XINXINGLU: XINXING_VALUES, XIDA_BEI: XIDA_BEI_VALUES}
    approve("2026H1", TIANSHENG, before)
    approve("2026H2", TIANSHENG, before)
    merge([XINXINGLU, XIDA_BEI], MERGED, "新星西大社区", "2027H1", reason="区政府批复")
    approve("2027H1", TIANSHENG, {MERGED: MERGED_VALUES})
    return region(MERGED)


# ---------------------------------------------------------------- merge


def test_a_merged_community_shows_its_predecessors_periods_summed(client, merged, district_viewer):
    response = page_of(client, district_viewer, MERGED)
    assert response.status_code == 200
    lines = inherited_lines(response)
    assert [line.period.code for line in lines] == ["2026H2", "2026H1"]
    for line in lines:
        assert line.label == f"合并前：{XINXING_NAME}、{XIDA_BEI_NAME}合计"
        assert line.households == 4000 and line.total_area == Decimal("1250.0")
        assert line.per_100_households == Decimal("31.25")
        assert line.compliant is True  # the sums' ratio, never the ratios' average
    own = [h for h in response.context["history"] if not h.inherited]
    assert [h.period.code for h in own] == ["2027H1"]
    page = response.content.decode()
    assert f"合并前：{XINXING_NAME}、{XIDA_BEI_NAME}合计" in page
    assert page.count('data-testid="inherited-label"') == 1  # one heading, two periods
    assert "不是本社区自己的台账" in page


def test_the_merged_communitys_trend_draws_the_predecessors_apart(client, merged, district_viewer):
    chart = page_of(client, district_viewer, MERGED).context["chart"]
    assert chart["labels"] == ["2026年上半年", "2026年下半年", "2027年上半年"]
    assert chart["ratios"] == [None, None, 32.5]
    assert chart["inherited"] == [31.25, 31.25, None]
    assert chart["inherited_name"] == "合并前（各社区合计）"
    assert chart["standards"] == [30.0, 30.0, 30.0]


def test_the_merged_community_names_the_change_and_its_predecessors(
    client, merged, district_viewer
):
    region_rename(  # a change about another community is not listed
        actor=OPERATOR,
        region=region(TIANSHENGQIAO),
        name="天生桥新社区",
        effective=PeriodCode.parse("2027H1"),
    )
    response = page_of(client, district_viewer, MERGED)
    summaries = [e.summary for e in response.context["region_events"]]
    assert summaries == [f"{XINXING_NAME}、{XIDA_BEI_NAME}合并为新星西大社区，自2027年上半年起"]
    page = response.content.decode()
    assert "区划调整记录" in page and "区政府批复" in page
    assert "自2027年上半年起由" in page and "合并而来" in page
    assert f'href="/communities/{XINXINGLU}/"' in page
    assert f'href="/communities/{XIDA_BEI}/"' in page


def test_a_predecessors_page_says_where_it_went(client, merged, district_viewer):
    response = page_of(client, district_viewer, XINXINGLU)
    assert response.status_code == 200
    page = response.content.decode()
    assert "已于2027年上半年并入" in page
    assert f'<a href="/communities/{MERGED}/">新星西大社区</a>' in page
    assert [h.period.code for h in response.context["history"]] == ["2026H2", "2026H1"]
    assert "合并为新星西大社区" in response.context["region_events"][0].summary


def test_an_unapproved_predecessor_is_named_and_the_sum_not_judged(
    client, beibei, tiansheng_editor
):
    # Across streets: 澄江镇's ledger of 2026H2 is never approved.
    approve("2026H2", TIANSHENG, {XINXINGLU: XINXING_VALUES})
    merge([XINXINGLU, YUNHE_SHEQU], MERGED, "新星运河社区", "2027H1", parent=region(TIANSHENG))
    response = page_of(client, tiansheng_editor, MERGED)
    [line] = inherited_lines(response)
    assert [r.code for r in line.missing] == [YUNHE_SHEQU]
    assert line.households == 1000 and line.compliant is None
    assert response.context["chart"]["inherited"] == [None]
    page = response.content.decode()
    assert "未计入：运河社区居民委员会" in page and "不作判断" in page
    # The street's user may open 新星路's page but not 运河社区's (in 澄江镇).
    assert f'href="/communities/{XINXINGLU}/"' in page
    assert f'href="/communities/{YUNHE_SHEQU}/"' not in page
    assert "运河社区居民委员会" in response.context["origin"].predecessors[1].region.name


# ---------------------------------------------------------------- split


@pytest.fixture
def split(beibei):
    approve("2026H2", TIANSHENG, {XINXINGLU: XINXING_VALUES})
    return region_split(
        actor=OPERATOR,
        source=region(XINXINGLU),
        parts=[("500109001101", "新星路东社区"), ("500109001102", "新星路西社区")],
        effective=PeriodCode.parse("2027H1"),
    )


def test_a_part_of_a_split_shows_the_whole_before_it(client, split, district_viewer):
    response = page_of(client, district_viewer, "500109001101")
    [line] = inherited_lines(response)
    assert line.label == f"拆分前：原{XINXING_NAME}（整体）"
    assert line.households == 1000 and line.per_100_households == Decimal("25")
    assert line.compliant is False
    page = response.content.decode()
    assert f"拆分前：原{XINXING_NAME}（整体）" in page
    assert "该社区（村）还没有本社区的台账数据" in page  # 2027H1 is not open yet
    assert response.context["chart"]["inherited_name"] == "拆分前（原社区整体）"
    assert "拆分为新星路东社区、新星路西社区" in response.context["region_events"][0].summary


def test_the_split_communitys_page_lists_its_parts(client, split, district_viewer):
    page = page_of(client, district_viewer, XINXINGLU).content.decode()
    assert "已于2027年上半年拆分为" in page
    assert '<a href="/communities/500109001101/">新星路东社区</a>' in page
    assert '<a href="/communities/500109001102/">新星路西社区</a>' in page


# ---------------------------------------------------------------- chains


def test_a_chain_of_merges_is_followed_back(client, beibei, district_viewer):
    three = {XINXINGLU: XINXING_VALUES, XIDA_BEI: XIDA_BEI_VALUES, TIANSHENGQIAO: XINXING_VALUES}
    approve("2026H1", TIANSHENG, three)
    merge([XINXINGLU, XIDA_BEI], MERGED, "新星西大社区", "2026H2")
    approve("2026H2", TIANSHENG, {MERGED: MERGED_VALUES, TIANSHENGQIAO: XINXING_VALUES})
    merge([MERGED, TIANSHENGQIAO], "500109001102", "天生新社区", "2027H1")
    response = page_of(client, district_viewer, "500109001102")
    first, second = reversed(inherited_lines(response))
    assert first.period.code == "2026H1"
    assert first.label == f"合并前：{XINXING_NAME}、{XIDA_BEI_NAME}、天生桥社区居民委员会合计"
    assert first.households == 5000 and first.total_area == Decimal("1500.0")
    assert second.period.code == "2026H2"
    assert second.label == "合并前：天生桥社区居民委员会、新星西大社区合计"  # by code
    assert second.households == 5000 and second.total_area == Decimal("1550.0")
    summaries = [e.summary for e in response.context["region_events"]]
    assert len(summaries) == 2 and "合并为天生新社区" in summaries[0]
    assert "合并为新星西大社区" in summaries[1]


def test_a_split_after_a_merge_labels_the_whole():
    assert (
        inherited_label({Succession.SPLIT, Succession.MERGE}, ["甲社区", "乙社区"])
        == "拆分前：原甲社区、乙社区合计（整体）"
    )
    assert inherited_label({Succession.MERGE}, ["甲社区"]) == "合并前：原甲社区"


# ---------------------------------------------------------------- scope


def test_the_merged_communitys_own_user_sees_its_history_but_no_predecessor_pages(client, merged):
    user = make_user("xinxi-viewer", MERGED, Role.VIEWER)
    response = page_of(client, user, MERGED)
    assert response.status_code == 200
    assert len(inherited_lines(response)) == 2  # the same territory: its own history
    page = response.content.decode()
    assert XINXING_NAME in page and f'href="/communities/{XINXINGLU}/"' not in page
    assert client.get(f"/communities/{XINXINGLU}/").status_code == 404


def test_a_predecessors_user_reads_where_it_went_without_a_link_out_of_scope(client, merged):
    user = make_user("xinxing-viewer", XINXINGLU, Role.VIEWER)
    page = page_of(client, user, XINXINGLU).content.decode()
    assert "已于2027年上半年并入新星西大社区" in page
    assert f'href="/communities/{MERGED}/"' not in page
    assert client.get(f"/communities/{MERGED}/").status_code == 404


def test_another_streets_user_cannot_open_the_merged_community(client, merged, chengjiang_editor):
    assert page_of(client, chengjiang_editor, MERGED).status_code == 404
    assert client.get(f"/communities/{XINXINGLU}/").status_code == 404


# ---------------------------------------------------------------- bounded


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/communities/{MERGED}/")
    assert response.status_code == 200
    return len(queries)


def test_the_joined_history_costs_the_same_queries_for_more_periods(
    client, merged, district_viewer
):
    client.login(username=district_viewer.username, password=PASSWORD)
    with_two = _page_queries(client)
    before = {XINXINGLU: XINXING_VALUES, XIDA_BEI: XIDA_BEI_VALUES}
    approve("2025H1", TIANSHENG, before)
    approve("2025H2", TIANSHENG, before)
    assert len(inherited_lines(client.get(f"/communities/{MERGED}/"))) == 4
    assert _page_queries(client) == with_two


def test_a_community_never_changed_reads_as_before(client, merged, district_viewer):
    response = page_of(client, district_viewer, TIANSHENGQIAO)
    assert not inherited_lines(response) and response.context["chart"]["inherited"] is None
    assert response.context["origin"] is None and response.context["handover"] is None
    assert response.context["region_events"] == []
