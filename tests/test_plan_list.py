"""The 一社区一方案 list (issue 21, item 7b): the open plans by default, tabs per state with
their counts over the other filters, the filters kept in the tabs' and pages' links,
wrong values reported in Chinese, and nothing outside the user's node in any combination."""

import io
from decimal import Decimal

import openpyxl
import pytest

from shequ.accounts.scope import operator_scope
from shequ.plans.models import Measure, Plan
from shequ.workflow import measures

from .ledger_helpers import approve_street, open_period
from .test_plans import SHORT, TIANSHENG, TONGJIAXI, measure_values, plans_of

pytestmark = pytest.mark.django_db

STATES = ["drafting", "implementing", "pending", "closed", "closed"]


@pytest.fixture
def plans(beibei):
    """童家溪镇's five plans, one per state and two closed; 天生街道's all drafting."""
    period = open_period("2026H1")
    approve_street(period, TONGJIAXI, **SHORT)
    approve_street(period, TIANSHENG, **SHORT)
    for plan, state in zip(plans_of(TONGJIAXI), STATES, strict=True):
        Plan.objects.filter(pk=plan.pk).update(state=state)
    return {code: list(plans_of(code)) for code in (TONGJIAXI, TIANSHENG)}


def names(plans, *states) -> set[str]:
    return {p.community.name for p in plans if not states or p.state in states}


def listed(response) -> set[str]:
    return {p.community.name for p in response.context["page"]}


def tabs(response) -> dict[str, int]:
    return {tab.label: tab.count for tab in response.context["tabs"]}


def test_the_list_opens_on_the_plans_not_yet_closed(login, district_viewer, plans):
    response = login(district_viewer).get("/plans/")
    tiansheng = len(plans[TIANSHENG])
    assert listed(response) == names(plans[TONGJIAXI], *STATES[:3]) | names(plans[TIANSHENG])
    assert tabs(response) == {
        "未销号": 3 + tiansheng,
        "编制中": 1 + tiansheng,
        "实施中": 1,
        "待销号": 1,
        "已销号": 2,
        "全部": 5 + tiansheng,
    }
    assert 'class="nav-link active" href="/plans/?state="' in response.content.decode()


@pytest.mark.parametrize(
    ("state", "expected"),
    [("closed", ["closed"]), ("pending", ["pending"]), ("all", STATES)],
)
def test_a_tab_lists_its_state(login, district_viewer, plans, state, expected):
    response = login(district_viewer).get(f"/plans/?state={state}&street={TONGJIAXI}")
    assert listed(response) == names(plans[TONGJIAXI], *expected)


def test_the_tabs_count_within_the_other_filters_and_keep_them(login, district_viewer, plans):
    response = login(district_viewer).get(f"/plans/?street={TONGJIAXI}&state=closed&page=1")
    body = response.content.decode()
    assert tabs(response) == {
        "未销号": 3,
        "编制中": 1,
        "实施中": 1,
        "待销号": 1,
        "已销号": 2,
        "全部": 5,
    }
    assert f'href="/plans/?street={TONGJIAXI}&amp;state=all"' in body
    assert '<input type="hidden" name="state" value="closed">' in body
    assert f"/plans/summary.xlsx?street={TONGJIAXI}&amp;state=closed" in body


def test_the_method_filter_keeps_a_plans_other_measures_in_its_sum(login, district_viewer, plans):
    plan = plans[TIANSHENG][0]
    for method in (Measure.Method.RENOVATE, Measure.Method.NEW):
        measures.measure_save(
            scope=operator_scope(), plan=plan, values=measure_values(method=method)
        )
    response = login(district_viewer).get(f"/plans/?method=new&street={TIANSHENG}")
    [shown] = list(response.context["page"])
    assert (shown.pk, shown.planned, shown.measure_count) == (plan.pk, Decimal("120.0"), 2)
    assert tabs(response)["未销号"] == 1


def sheet_rows(response) -> list[tuple]:
    """The plans' lines (numbered), without the header, the 合计 and the notes."""
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [r for r in sheet.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]


def test_the_summary_table_holds_what_the_list_shows(login, district_viewer, plans):
    client = login(district_viewer)
    for query, count in ((f"street={TONGJIAXI}", 3), (f"street={TONGJIAXI}&state=all", 5)):
        assert len(sheet_rows(client.get(f"/plans/summary.xlsx?{query}"))) == count


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ("state=bogus", "没有这种方案状态，已列出未销号的方案。"),
        ("method=magic", "没有这种措施方式，已列出全部方式。"),
        ("street=999", "所选街镇不存在或不在您的管辖范围内，已列出全部街镇。"),
        ("page=abc", None),
        ("page=99999", None),
        ("overdue=", None),
    ],
)
def test_wrong_values_are_reported_never_a_500(login, district_viewer, plans, query, warning):
    response = login(district_viewer).get(f"/plans/?{query}")
    assert response.status_code == 200
    if warning:
        assert warning in response.content.decode()
    assert len(response.context["page"]) > 0


@pytest.mark.parametrize(
    "query",
    [
        "",
        "state=all",
        "state=closed",
        f"street={TONGJIAXI}",
        f"street={TONGJIAXI}&state=all",
        "state=all&method=renovate",
        "state=all&overdue=on",
        "state=all&page=2",
        "state=all&page=99999",
    ],
)
def test_a_street_user_sees_only_its_plans_in_any_combination(
    login, tiansheng_editor, plans, query
):
    response = login(tiansheng_editor).get(f"/plans/?{query}")
    body = response.content.decode()
    for name in names(plans[TONGJIAXI]):
        assert name not in body
    assert listed(response) <= names(plans[TIANSHENG])
    assert tabs(response)["全部"] <= len(plans[TIANSHENG])
    export = login(tiansheng_editor).get(f"/plans/summary.xlsx?{query}")
    cells = {v for row in sheet_rows(export) for v in row}
    assert not cells & names(plans[TONGJIAXI])
