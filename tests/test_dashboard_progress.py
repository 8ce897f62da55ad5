"""Dashboards while a period is in progress (issue 22): the default period is the last
complete one, a period in progress says what it covers, and nothing unknown reads as 0."""

import datetime
import importlib
import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from shequ.accounts.scope import operator_scope
from shequ.compliance.dashboard import cheapest_way, default_period, period_units
from shequ.compliance.models import Tally
from shequ.compliance.summary import summary
from shequ.compliance.tallies import tallies_rebuild
from shequ.ledger.models import Period
from shequ.regions.levels import Level
from shequ.regions.models import Region

from .conftest import PASSWORD, region
from .ledger_helpers import approve_street, fill_street, open_period, set_target

pytestmark = pytest.mark.django_db

TONGJIAXI, TIANSHENG = "500109104", "500109001"
DEADLINE = datetime.date(2099, 12, 31)


def beibei_streets() -> list[Region]:
    return list(Region.objects.filter(level=Level.STREET).order_by("code"))


@pytest.fixture
def closed_and_open(beibei):
    """2025H2 approved in every street (the first nine compliant, the others 25 m² per 100
    households); 2026H2 open with one street approved, 童家溪镇 (5 communities, compliant)."""
    set_target(2025)
    set_target(2026)
    closed = open_period("2025H2", deadline=DEADLINE)
    for index, street in enumerate(beibei_streets()):
        centre = "320.0" if index < 9 else "250.0"
        approve_street(closed, street.code, households=1000, service_center=centre)
    current = open_period("2026H2", deadline=DEADLINE)
    approve_street(current, TONGJIAXI, households=1000, service_center="320.0")
    return closed, current


def page_of(client, user, url: str):
    client.login(username=user.username, password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200
    return response


def text_of(response) -> str:
    """The page's visible text, tags removed and spaces folded (what a reader sees)."""
    html = re.sub(r"<script.*?</script>", "", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- the default period


def test_the_default_period_is_the_latest_complete_one(closed_and_open):
    closed, current = closed_and_open
    periods = list(Period.objects.all())
    units = period_units(region("500109"), periods)
    assert units[closed.pk].complete and not units[current.pk].complete
    assert default_period(periods, units) == closed
    # A street whose ledger is approved in the open period has it complete there.
    street_units = period_units(region(TONGJIAXI), periods)
    assert default_period(periods, street_units) == current


def test_before_any_period_is_complete_the_latest_one_is_shown_in_progress(beibei):
    set_target(2026)
    first = open_period("2026H1", deadline=DEADLINE)
    periods = list(Period.objects.all())
    assert default_period(periods, period_units(region("500109"), periods)) == first


def test_the_district_opens_on_the_last_complete_period(client, closed_and_open, district_viewer):
    response = page_of(client, district_viewer, "/dashboard/")
    assert response.context["period"].code == "2025H2"
    page = text_of(response)
    assert 'value="2025H2" selected' in response.content.decode()
    assert "2026年下半年（进行中）" in page
    assert "进行中 2025年下半年" not in page
    assert response.context["total"].complete


# ---------------------------------------------------------------- a period in progress


def test_a_period_in_progress_shows_its_coverage_and_no_gap(
    client, closed_and_open, district_viewer
):
    response = page_of(client, district_viewer, "/dashboard/?period=2026H2")
    page = text_of(response)
    assert "已审核 1/17 个街镇，覆盖 5/192 个社区" in page
    # The rate among the reported communities (5 of 5), never 5 of 192 (2.6 %).
    assert "已审核社区达标率" in page
    assert 'data-testid="rate">100.0%' in response.content.decode()
    assert "2.6%" not in page
    assert "待全部审核后计算" in page
    assert "还需" not in page.split("各街镇达标排名")[0]


def test_unknown_streets_read_dash_with_their_state_and_sort_last(
    client, closed_and_open, district_viewer
):
    response = page_of(client, district_viewer, "/dashboard/?period=2026H2")
    children = response.context["children"]
    assert children[0].code == TONGJIAXI and children[0].complete
    assert [u.code for u in children[1:]] == sorted(u.code for u in children[1:])
    ranking = response.content.decode().split('data-testid="ranking"')[1].split("</table>")[0]
    assert re.search(r"(?<![\d.])0\.0%", ranking) is None
    assert ranking.count('data-testid="unknown-rate"') == 16
    assert ranking.count("未上报") == 16


def test_including_unapproved_ledgers_moves_cards_chart_and_table_together(
    client, closed_and_open, district_viewer
):
    _, current = closed_and_open
    fill_street(current, TIANSHENG, households=1000, service_center="250.0")
    response = page_of(client, district_viewer, "/dashboard/?period=2026H2&all=1")
    total = response.context["total"]
    assert not total.approved_only and not total.complete
    chart = response.context["chart"]["trend"]
    # The period in progress is a point of its own at the cards' rate, off the line.
    assert chart["rates"][-1] is None
    assert chart["in_progress"][-1] == round(total.rate_reported * 100, 1)
    assert chart["coverage"][-1] == total.coverage
    assert chart["rates"][0] is not None and chart["in_progress"][0] is None
    # Carried forward, every community has figures in the open period.
    assert total.figures.reported == 192
    assert "已上报 1/17 个街镇，已填报 192/192 个社区" in text_of(response)


def test_the_classes_chart_counts_the_reported_while_in_progress(
    client, closed_and_open, district_viewer
):
    response = page_of(client, district_viewer, "/dashboard/?period=2026H2")
    classes = response.context["chart"]["classes"]
    figures = response.context["total"].figures
    assert classes["complete"] is False
    assert sum(classes["counted"]) == figures.reported == 5
    closed = page_of(client, district_viewer, "/dashboard/?period=2025H2").context
    assert closed["chart"]["classes"]["counted"] == [
        closed["total"].figures.urban_communities,
        closed["total"].figures.rural_communities,
    ]


def test_the_drill_down_keeps_the_period_and_the_mode(client, closed_and_open, district_viewer):
    response = page_of(client, district_viewer, "/dashboard/?period=2026H2&all=1")
    assert f"/dashboard/{TONGJIAXI}/?period=2026H2&amp;all=1" in response.content.decode()


def test_a_street_in_progress_shows_its_communities_as_unknown(
    client, closed_and_open, district_viewer
):
    response = page_of(client, district_viewer, f"/dashboard/{TIANSHENG}/?period=2026H2")
    content = response.content.decode()
    assert "本期台账未上报，覆盖 0/10 个社区" in text_of(response)
    assert content.count('data-testid="unknown-ratio"') == 10
    assert 'data-testid="compliant">—' in content
    shown = page_of(client, district_viewer, f"/dashboard/{TIANSHENG}/?period=2026H2&all=1")
    assert 'data-testid="unknown-ratio"' not in shown.content.decode()


def test_the_cheapest_way_follows_the_mode(closed_and_open):
    _, current = closed_and_open
    fill_street(current, TIANSHENG, households=1000, service_center="250.0")
    district = region("500109")
    standard = summary(scope=operator_scope(), period=current).standard
    assert cheapest_way(current, district, standard, None) == []
    steps = cheapest_way(current, district, standard, None, approved_only=False)
    assert {s.street_name for s in steps} >= {"天生街道"}


# ---------------------------------------------------------------- the stored tallies


def test_the_migration_fills_the_reported_of_each_class_as_a_rebuild_does(closed_and_open):
    closed, current = closed_and_open
    for period in (closed, current):
        tallies_rebuild(period)
    expected = (
        dict(Tally.objects.values_list("pk", "urban_reported").order_by("pk")),
        dict(Tally.objects.values_list("pk", "rural_reported").order_by("pk")),
    )
    assert sum(expected[0].values()) > 0 and sum(expected[1].values()) > 0
    Tally.objects.update(urban_reported=0, rural_reported=0)
    migration = importlib.import_module("shequ.compliance.migrations.0002_tally_reported_by_class")
    # The function reads only the migrated database's alias from its schema editor.
    migration.fill_reported_by_class(apps, SimpleNamespace(connection=connection))
    filled = (
        dict(Tally.objects.values_list("pk", "urban_reported")),
        dict(Tally.objects.values_list("pk", "rural_reported")),
    )
    assert filled == expected
