"""Region changes carry the ledger and the plans with them (issue 27, items 1 and 2).

The 澄江镇 communities 运河社区 and 运河村 are given different approved 2026H1 figures; the
changes below then take effect from 2026H2 (opened before or after the change)."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.checklist.models import ChecklistEntry
from shequ.compliance.summary import summary
from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.core.periods import PeriodCode
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Period
from shequ.ledger.periods import period_close
from shequ.ledger.rows import approved_rows_before, rows_bulk_update, rows_check
from shequ.plans.models import Consultation, Measure, Plan
from shequ.regions.history import communities_as_of
from shequ.regions.levels import Kind, UrbanRural
from shequ.regions.models import Region
from shequ.workflow import region_changes as rc
from shequ.workflow.submissions import submission_approve, submission_submit

from .conftest import CHENGJIANG, TIANSHENG, YUNHE_CUN, YUNHE_SHEQU, region
from .ledger_helpers import open_period, street_rows, submission

H2 = PeriodCode.parse("2026H2")
MERGED = "500109102901"
# 运河社区 short (20 m² per 100 households), with its 警务室 in the centre; 运河村 compliant,
# its 警务室 a room of its own.
SHEQU = {"households": 3000, "service_center": "600.0", "police_room_in_center": True}
CUN = {"households": 500, "service_center": "200.0", "police_room": "30.0", "other": "12.5"}
OTHERS = {"households": 1000, "service_center": "400.0"}


def approve_chengjiang(period: Period) -> None:
    rows = list(street_rows(period, CHENGJIANG))
    values = {YUNHE_SHEQU: SHEQU, YUNHE_CUN: CUN}
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(row, values.get(row.community.code, OTHERS)) for row in rows],
        reason="测试数据",
        action="ledger.test_fill",
    )
    operator = operator_scope()
    submitted = submission_submit(scope=operator, submission=submission(period, CHENGJIANG))
    submission_approve(scope=operator, submission=submitted)


@pytest.fixture
def approved(beibei) -> Period:
    """2026H1 approved for 澄江镇: 运河社区 short, so it has an open plan."""
    period = open_period("2026H1")
    approve_chengjiang(period)
    return period


def merge(**options) -> rc.ChangeReport:
    return rc.change_merge(
        scope=operator_scope(),
        sources=[region(YUNHE_SHEQU), region(YUNHE_CUN)],
        code=MERGED,
        name="运河社区",
        effective=H2,
        reason="撤村并居",
        **options,
    )


def row_of(period: Period, code: str) -> LedgerRow:
    return LedgerRow.objects.select_related("community", "period").get(
        period=period, community__code=code
    )


def open_plan(code: str) -> Plan | None:
    return (
        Plan.objects.filter(community__code=code).exclude(state__in=["closed", "withdrawn"]).first()
    )


# --- merge ---------------------------------------------------------------------------


def test_a_merged_community_starts_from_the_sum_of_its_predecessors(approved):
    merge()
    period = open_period("2026H2")
    row = row_of(period, MERGED)
    assert row.households == 3500
    assert row.service_center == Decimal("800.0")
    # In the centre in one part only: not in the centre; the other's room counts.
    assert row.police_room == Decimal("30.0") and row.police_room_in_center is False
    assert row.other == Decimal("12.5")
    assert row.total_area == Decimal("842.5")  # the sum of the two totals, exactly
    assert not period.rows.filter(community__code__in=[YUNHE_SHEQU, YUNHE_CUN]).exists()
    event = AuditEvent.objects.get(action="ledger.row_succession", target_id=str(row.pk))
    assert "由运河社区居民委员会、运河村村民委员会合并" in event.summary
    assert event.changes["households"] == [None, 3500]


def test_the_merged_rows_previous_figures_are_the_predecessors_combined(approved):
    merge()
    period = open_period("2026H2")
    row = row_of(period, MERGED)
    previous = approved_rows_before(period, [row.community_id])[row.community_id]
    assert previous.origin.kind == "merge"
    assert (previous.households, previous.total_area) == (3500, Decimal("842.5"))
    assert previous.period.code == "2026H1"
    (check,) = rows_check([row], rules.Thresholds())
    codes = {finding.code for finding in check.warnings}
    assert "succession_merge" in codes
    assert "households_changed" not in codes  # compared with the sum, nothing changed
    assert any(f.code == "succession_merge" for f in check.blocking)  # until confirmed


def test_the_merged_communitys_page_shows_the_combined_previous_figures(
    approved, client, district_admin
):
    merge()
    period = open_period("2026H2")
    client.force_login(district_admin)
    page = client.get(f"/ledger/{period.code}/{CHENGJIANG}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "合并前各社区最近审核数之和" in text
    assert "3500" in text


def test_the_open_plan_goes_on_as_the_merged_communitys_with_its_gap_recomputed(approved):
    plan = open_plan(YUNHE_SHEQU)
    assert plan is not None and plan.gap_m2 == Decimal("300.0")
    report = merge()
    plan.refresh_from_db()
    assert plan.community.code == MERGED and plan.is_open
    # 3500 households need 1050 m²; the two have 842.5 m².
    assert plan.gap_m2 == Decimal("207.5")
    assert plan.outcome == "" and plan.outcome_period is None
    assert [p.pk for p in report.plans.moved] == [plan.pk]
    assert AuditEvent.objects.filter(action="plans.hand_on", target_id=str(plan.pk)).exists()


def test_the_district_may_withdraw_the_plan_instead(approved):
    plan = open_plan(YUNHE_SHEQU)
    merge(close_plans=True)
    plan.refresh_from_db()
    assert plan.state == Plan.State.WITHDRAWN and not plan.is_open
    assert plan.community.code == YUNHE_SHEQU
    assert plan.closed_note == "撤村并居"
    assert open_plan(MERGED) is None


def test_two_open_plans_become_one_with_all_measures_and_consultations(beibei):
    period = open_period("2026H1")
    short = {"households": 3000, "service_center": "600.0"}
    rows = list(street_rows(period, CHENGJIANG))
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(row, short) for row in rows],
        reason="测试数据",
        action="ledger.test_fill",
    )
    operator = operator_scope()
    submission_approve(
        scope=operator,
        submission=submission_submit(scope=operator, submission=submission(period, CHENGJIANG)),
    )
    first, second = open_plan(YUNHE_SHEQU), open_plan(YUNHE_CUN)
    Consultation.objects.create(
        plan=second,
        held_on=datetime.date(2026, 5, 1),
        who=Consultation.Who.choices[-1][0],
        said="同意",
        recorded_by="测试",
    )
    Measure.objects.create(
        plan=second,
        method=Measure.Method.RENOVATE,
        planned_area=Decimal("100.0"),
        funding=Measure.Funding.STREET,
        description="改造",
        planned_date=datetime.date(2026, 12, 1),
    )
    merge()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.community.code == MERGED and first.is_open
    assert second.state == Plan.State.WITHDRAWN and "并入运河社区的方案" in second.closed_note
    assert first.measures.count() == 1 and first.consultations.count() == 1


def test_merging_into_an_open_period_replaces_the_draft_rows_and_keeps_their_figures(
    approved,
):
    period = open_period("2026H2")
    old = row_of(period, YUNHE_CUN)
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(old, {"households": 520})],
        reason="测试",
        action="ledger.test_fill",
    )
    report = merge()
    assert report.periods[0].created == 1 and len(report.periods[0].removed) == 2
    assert row_of(period, MERGED).households == 3500  # the approved figures, not a draft
    removed = AuditEvent.objects.get(action="ledger.row_remove", target_id=str(old.pk))
    assert removed.changes["households"] == [520, None]
    counted = summary(scope=operator_scope(), period=period, include_unapproved=True)
    assert counted.total.figures.communities == communities_as_of(H2).count()


def test_a_change_into_a_submitted_or_closed_period_is_refused_whole(approved):
    period = open_period("2026H2")
    operator = operator_scope()
    submission_submit(scope=operator, submission=submission(period, CHENGJIANG))
    with pytest.raises(DomainError, match="已上报或已审核"):
        merge()
    assert region(YUNHE_SHEQU).is_active and not Region.objects.filter(code=MERGED).exists()
    period_close(scope=operator, period=approved)
    with pytest.raises(DomainError, match="2026年上半年已关闭"):
        rc.change_rename(
            scope=operator,
            region=region(YUNHE_CUN),
            name="运河新村",
            effective=PeriodCode.parse("2026H1"),
        )


def test_merging_into_an_existing_community_adds_the_others_figures(approved):
    period = open_period("2026H2")
    rc.change_merge(
        scope=operator_scope(),
        sources=[region(YUNHE_CUN)],
        into=region(YUNHE_SHEQU),
        effective=H2,
        reason="并村",
    )
    row = row_of(period, YUNHE_SHEQU)
    assert (row.households, row.total_area) == (3500, Decimal("842.5"))
    assert row.version == 2
    previous = approved_rows_before(period, [row.community_id])[row.community_id]
    assert previous.origin.absorbed and "并入本社区" in previous.origin.note
    assert open_plan(YUNHE_SHEQU).gap_m2 == Decimal("207.5")


def test_a_row_the_street_already_edited_is_not_overwritten_by_a_merge_into_it(approved):
    period = open_period("2026H2")
    row = row_of(period, YUNHE_SHEQU)
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(row, {"households": 3100})],
        reason="测试",
        action="ledger.test_fill",
    )
    rc.change_merge(
        scope=operator_scope(),
        sources=[region(YUNHE_CUN)],
        into=region(YUNHE_SHEQU),
        effective=H2,
        reason="并村",
    )
    assert row_of(period, YUNHE_SHEQU).households == 3100
    (check,) = rows_check([row_of(period, YUNHE_SHEQU)], rules.Thresholds())
    assert "succession_merge" in {f.code for f in check.warnings}


# --- split, recode, move, reclassify, deactivate -----------------------------------------


def split(**options) -> rc.ChangeReport:
    return rc.change_split(
        scope=operator_scope(),
        source=region(YUNHE_SHEQU),
        parts=[("500109102911", "运河东社区"), ("500109102912", "运河西社区")],
        effective=H2,
        reason="拆分",
        **options,
    )


def test_a_split_needs_the_plans_successor_and_then_starts_empty_with_a_reference(approved):
    with pytest.raises(DomainError, match="请指定由哪个拆分后的社区承接"):
        split()
    assert region(YUNHE_SHEQU).is_active
    plan = open_plan(YUNHE_SHEQU)
    split(plan_to="500109102912")
    plan.refresh_from_db()
    assert plan.community.code == "500109102912" and plan.gap_m2 == Decimal("300.0")
    period = open_period("2026H2")
    east = row_of(period, "500109102911")
    assert east.households is None and east.total_area == 0
    previous = approved_rows_before(period, [east.community_id])[east.community_id]
    assert previous.origin.kind == "split" and previous.households == 3000
    (check,) = rows_check([east], rules.Thresholds())
    assert "succession_split" in {f.code for f in check.warnings}
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(east, {"households": 1500, "service_center": "400.0"})],
        reason="测试",
        action="ledger.test_fill",
    )
    (check,) = rows_check([row_of(period, "500109102911")], rules.Thresholds())
    codes = {f.code for f in check.warnings}
    assert "succession_split" not in codes and "households_changed" not in codes


def test_a_recoded_community_carries_everything_without_a_warning(approved):
    ChecklistEntry.objects.create(community=region(YUNHE_SHEQU), item="hall", present=True)
    plan = open_plan(YUNHE_SHEQU)
    report = rc.change_recode(
        scope=operator_scope(), region=region(YUNHE_SHEQU), code="500109102921", effective=H2
    )
    assert report.checklist_moved == 1
    period = open_period("2026H2")
    row = row_of(period, "500109102921")
    assert (row.households, row.total_area, row.police_room_in_center) == (
        3000,
        Decimal("600.0"),
        True,
    )
    plan.refresh_from_db()
    assert plan.community.code == "500109102921"
    (check,) = rows_check([row], rules.Thresholds())
    assert not {f.code for f in check.warnings} & {"succession_merge", "succession_split"}


def test_a_moved_community_takes_its_row_and_its_plan_to_the_new_street(approved):
    period = open_period("2026H2")
    plan = open_plan(YUNHE_SHEQU)
    rc.change_move(
        scope=operator_scope(),
        region=region(YUNHE_SHEQU),
        new_parent=region(TIANSHENG),
        effective=H2,
    )
    assert row_of(period, YUNHE_SHEQU).street.code == TIANSHENG
    plan.refresh_from_db()
    assert plan.street.code == TIANSHENG


def test_a_village_turned_community_keeps_its_row_and_changes_sheet(approved):
    period = open_period("2026H2")
    before = row_of(period, YUNHE_CUN)
    rc.change_reclassify(
        scope=operator_scope(),
        region=region(YUNHE_CUN),
        effective=H2,
        urban_rural_class=UrbanRural.URBAN,
        kind=Kind.NEIGHBOURHOOD,
    )
    assert row_of(period, YUNHE_CUN).pk == before.pk
    (version,) = [v for v in communities_as_of(H2) if v.region.code == YUNHE_CUN]
    assert version.urban_rural_class == UrbanRural.URBAN


def test_a_deactivated_community_ends_its_plan_and_its_rows(approved):
    period = open_period("2026H2")
    plan = open_plan(YUNHE_SHEQU)
    with pytest.raises(DomainError, match="须填写原因"):
        rc.change_deactivate(scope=operator_scope(), region=region(YUNHE_SHEQU), effective=H2)
    rc.change_deactivate(
        scope=operator_scope(), region=region(YUNHE_SHEQU), effective=H2, reason="撤销"
    )
    plan.refresh_from_db()
    assert plan.state == Plan.State.WITHDRAWN
    assert not period.rows.filter(community__code=YUNHE_SHEQU).exists()


def test_only_administrators_change_regions(approved, chengjiang_editor):
    from shequ.accounts.scope import scope_for
    from shequ.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        rc.change_rename(
            scope=scope_for(chengjiang_editor), region=region(YUNHE_CUN), name="新村", effective=H2
        )


# --- any sequence --------------------------------------------------------------------

change = st.sampled_from(["merge", "split", "recode", "move", "reclassify", "deactivate"])
step = st.tuples(change, st.integers(0, 50), st.integers(0, 50), st.booleans(), st.booleans())


def _apply(step, effective: PeriodCode, codes) -> None:
    """One random change among 澄江镇's communities active now; refusals are fine."""
    kind, a, b, open_first, close_plans = step
    active = list(Region.objects.active().communities().filter(parent__code=CHENGJIANG))
    first, second = active[a % len(active)], active[b % len(active)]
    if open_first:
        open_period(effective.code)
    fresh = f"500109102{next(codes)}"
    scope = operator_scope()
    common = {"scope": scope, "effective": effective, "reason": "随机调整"}
    if kind == "merge" and first.pk != second.pk:
        rc.change_merge(
            sources=[first, second], code=fresh, name="合并社区", close_plans=close_plans, **common
        )
    elif kind == "split":
        other = f"500109102{next(codes)}"
        rc.change_split(
            source=first,
            parts=[(fresh, "甲社区"), (other, "乙社区")],
            plan_to=None if close_plans else fresh,
            close_plans=close_plans,
            **common,
        )
    elif kind == "recode":
        rc.change_recode(region=first, code=fresh, **common)
    elif kind == "move":
        rc.change_move(region=first, new_parent=region(TIANSHENG), **common)
    elif kind == "reclassify":
        klass = (
            UrbanRural.RURAL if first.urban_rural_class == UrbanRural.URBAN else UrbanRural.URBAN
        )
        rc.change_reclassify(region=first, urban_rural_class=klass, **common)
    elif kind == "deactivate":
        rc.change_deactivate(region=first, **common)


def _check_invariants() -> None:
    for period in Period.objects.filter(state=Period.State.OPEN):
        expected = set(communities_as_of(period.period_code).values_list("region_id", flat=True))
        rows = list(period.rows.values_list("community_id", flat=True))
        assert sorted(rows) == sorted(expected), period.code
    ceased = Plan.objects.exclude(state__in=["closed", "withdrawn"]).exclude(
        community__valid_to__isnull=True
    )
    assert not ceased.exists()


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=5))
def test_any_sequence_of_changes_keeps_one_row_per_community_and_no_stray_plan(approved, steps):
    with transaction.atomic():
        periods = ["2026H2", "2027H1", "2027H2"]
        codes = itertools.count(930)
        for number, change_step in enumerate(steps):
            effective = PeriodCode.parse(periods[min(number // 2, 2)])
            try:
                with transaction.atomic():
                    _apply(change_step, effective, codes)
            except DomainError:
                pass
            _check_invariants()
        for code in periods:
            open_period(code)
        _check_invariants()
        transaction.set_rollback(True)


def test_a_street_holding_idle_assets_is_not_deactivated(beibei):
    from .test_assets import asset

    asset(CHENGJIANG, "300.0", "ZC-001")
    with pytest.raises(DomainError, match="登记有闲置资产 1 项"):
        rc.change_deactivate(
            scope=operator_scope(), region=region(CHENGJIANG), effective=H2, reason="撤镇"
        )
    assert region(CHENGJIANG).is_active


def test_the_change_page_asks_who_takes_a_split_communitys_plan(approved, client, district_admin):
    client.force_login(district_admin)
    post = {
        "action": "split",
        "split-parts": "500109102911 运河东社区\n500109102912 运河西社区",
        "split-effective": "2026H2",
        "split-reason": "拆分",
    }
    url = f"/regions/{YUNHE_SHEQU}/change/"
    refused = client.post(url, post)
    assert "请指定由哪个拆分后的社区承接" in refused.content.decode()
    assert region(YUNHE_SHEQU).is_active
    done = client.post(url, {**post, "split-plan_to": "500109102911"}, follow=True)
    assert "方案转由运河东社区承接 1 个" in done.content.decode()
    assert open_plan("500109102911") is not None


def test_a_merge_on_the_page_into_an_existing_community(approved, client, district_admin):
    client.force_login(district_admin)
    response = client.post(
        f"/regions/{CHENGJIANG}/change/",
        {
            "action": "merge",
            "merge-sources": [str(region(YUNHE_CUN).pk)],
            "merge-into": str(region(YUNHE_SHEQU).pk),
            "merge-effective": "2026H2",
            "merge-reason": "并村",
        },
        follow=True,
    )
    assert "已并入运河社区居民委员会" in response.content.decode()
    assert not region(YUNHE_CUN).is_active and region(YUNHE_SHEQU).is_active


def test_a_merge_into_a_community_before_any_approved_period_carries_nothing(beibei):
    period = open_period("2026H2")
    report = rc.change_merge(
        scope=operator_scope(),
        sources=[region(YUNHE_CUN)],
        into=region(YUNHE_SHEQU),
        effective=H2,
        reason="并村",
    )
    assert report.periods[0].recarried == [] and len(report.periods[0].removed) == 1
    assert row_of(period, YUNHE_SHEQU).households is None


def test_the_review_compares_the_merged_row_with_its_predecessors(
    approved, client, district_approver
):
    merge()
    period = open_period("2026H2")
    row = row_of(period, MERGED)
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(row, {"households": 3600})],
        comments={row.pk: {"succession_merge": "已核实，新增一个小区"}},
        reason="测试",
        action="ledger.test_fill",
    )
    submission_submit(scope=operator_scope(), submission=submission(period, CHENGJIANG))
    client.force_login(district_approver)
    page = client.get(f"/ledger/{period.code}/{CHENGJIANG}/review/").content.decode()
    assert "由运河社区居民委员会、运河村村民委员会合并" in page
    assert "上期 3500" in page and "已核实，新增一个小区" in page


def test_a_renamed_community_keeps_its_row_under_its_new_name(approved):
    period = open_period("2026H2")
    before = row_of(period, YUNHE_CUN)
    report = rc.change_rename(
        scope=operator_scope(), region=region(YUNHE_CUN), name="运河新村", effective=H2
    )
    assert not report.periods[0].changed
    (version,) = [v for v in communities_as_of(H2) if v.region.code == YUNHE_CUN]
    assert version.name == "运河新村" and row_of(period, YUNHE_CUN).pk == before.pk
    previous = approved_rows_before(period, [before.community_id])[before.community_id]
    assert previous.origin is None and previous.households == 500


def test_the_region_page_links_predecessors_only_within_the_readers_scope(
    approved, client, district_admin
):
    from shequ.accounts.models import Role

    from .conftest import make_user

    merge()
    own = make_user("merged-viewer", MERGED, Role.VIEWER)
    client.force_login(own)
    page = client.get(f"/regions/{MERGED}/").content.decode()
    assert "由 运河社区居民委员会、运河村村民委员会 合并而来" in page
    assert f'href="/regions/{YUNHE_SHEQU}/"' not in page
    client.force_login(district_admin)
    page = client.get(f"/regions/{YUNHE_SHEQU}/").content.decode()
    assert "已于2026年下半年并入" in page and f'href="/regions/{MERGED}/"' in page
