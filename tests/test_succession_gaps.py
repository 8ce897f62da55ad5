"""A region change's carried figures say exactly what they are (ADR 0030) when a
predecessor has no approved figures at all: a merged row carries the others' approved
figures, and its note, wherever the row's origin is told (the grid, the row's page, the
rules' warning, the row's history in the API), names the predecessors left
out; where none has approved figures the row starts blank and says why.

澄江镇's 2026H1 ledger is approved; 天生街道's never is (a draft with figures nobody
approved). The merges take effect from 2026H2, through `workflow.region_changes`, the entry
point of the region change page and `shequ region-change`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.core.models import AuditEvent
from shequ.core.periods import PeriodCode
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Period
from shequ.ledger.rows import approved_rows_before, rows_bulk_update, rows_check
from shequ.regions.models import Region
from shequ.workflow import region_changes as rc
from shequ.workflow.submissions import submission_approve, submission_submit

from .conftest import CHENGJIANG, TIANSHENG, YUNHE_CUN, YUNHE_SHEQU, region
from .ledger_helpers import open_period, street_rows, submission

pytestmark = pytest.mark.django_db

H2 = PeriodCode.parse("2026H2")
MERGED = "500109102901"
# 澄江镇's communities, approved in 2026H1 with the figures drawn for them.
APPROVED = (YUNHE_SHEQU, YUNHE_CUN, "500109102006", "500109102205")
# 天生街道's communities: its ledger was never approved.
NEVER = ("500109001028", "500109001033", "500109001034", "500109001035")
DRAFT = {"households": 777, "service_center": "333.0", "other": "44.4"}
OTHERS = {"households": 1000, "service_center": "400.0"}
# Warnings the drawn figures may raise, answered so the ledger can be approved.
ANSWERED = {"center_small": "已核实", "ratio_high": "已核实"}
SUMMED = ("service_center", "police_room", "other")

areas = st.one_of(st.none(), st.decimals(min_value=0, max_value=2000, places=1))
figures = st.fixed_dictionaries(
    {
        "households": st.integers(min_value=1, max_value=5000),
        "resident_households": st.one_of(st.none(), st.integers(min_value=0, max_value=6000)),
        **{name: areas for name in SUMMED},
    }
)
ONE = {
    "households": 1000,
    "resident_households": None,
    "service_center": Decimal("300.0"),
    "police_room": None,
    "other": Decimal("0.5"),
}
# A predecessor: its approved figures, or None where it never had any approved.
predecessor = st.one_of(st.none(), figures)


def approve_2026h1(drawn: dict[str, dict]) -> Period:
    """澄江镇 approved with `drawn` figures where given; 天生街道 filled but never approved."""
    period = open_period("2026H1")
    scope = operator_scope()
    rows = list(street_rows(period, CHENGJIANG))
    rows_bulk_update(
        scope=scope,
        updates=[(row, drawn.get(row.community.code, OTHERS)) for row in rows],
        comments={row.pk: ANSWERED for row in rows},
        reason="测试数据",
        action="ledger.test_fill",
    )
    submitted = submission_submit(scope=scope, submission=submission(period, CHENGJIANG))
    submission_approve(scope=scope, submission=submitted)
    rows_bulk_update(
        scope=scope,
        updates=[(row, DRAFT) for row in street_rows(period, TIANSHENG)],
        reason="测试数据",
        action="ledger.test_fill",
    )
    return period


def expected_carry(parts: list[dict]) -> dict:
    """The approved parts combined, worked out here again: households add up; 常住户数 only
    where every part states it; areas add up where stated."""
    if not parts:
        return {name: None for name in ("households", "resident_households", *SUMMED)}
    resident = [part["resident_households"] for part in parts]
    carried = {
        "households": sum(part["households"] for part in parts),
        "resident_households": None if None in resident else sum(resident),
    }
    for name in SUMMED:
        stated = [part[name] for part in parts if part[name] is not None]
        carried[name] = sum(stated) if stated else None
    return carried


def origin_note(row: LedgerRow) -> str:
    """The note on the row's origin; the grid's few words under the name flag a gap too."""
    previous = approved_rows_before(row.period, [row.community_id])[row.community_id]
    origin = previous.origin
    assert origin is not None and origin.kind == "merge"
    assert ("无审核数）" in origin.short) == bool(origin.left_out), origin.short
    return origin.note


def names(codes) -> list[str]:
    return [region(code).name for code in sorted(codes)]


def assert_the_note_names_whats_missing(
    note: str, left_out: list[str], all_missing: bool, absorbed: bool
) -> None:
    if all_missing:
        who = "本社区与并入社区" if absorbed else "合并前各社区"
        assert f"{who}均无审核数，上期数空缺" in note, note
        assert "之和" not in note
    elif left_out:
        assert f"其中{'、'.join(left_out)}尚无审核数，未计入" in note, note
    else:
        assert "尚无审核数" not in note and "未计入" not in note, note
        assert "之和" in note


def assert_the_pages_tell_it(client, row: LedgerRow, note: str) -> None:
    grid = client.get(f"/ledger/{row.period.code}/{row.street.code}/")
    assert grid.status_code == 200
    assert note in grid.content.decode()
    form = client.get(f"/ledger/rows/{row.pk}/form/")
    assert form.status_code == 200
    assert note in form.content.decode()
    # The row's history: each succession event the API lists tells the note.
    history = client.get(f"/api/v1/ledger/rows/{row.pk}/history")
    assert history.status_code == 200
    told = [i["summary"] for i in history.json()["items"] if i["action"] == "ledger.row_succession"]
    stored = AuditEvent.objects.filter(action="ledger.row_succession", target_id=str(row.pk))
    assert len(told) == stored.count()
    for summary in told:
        assert note in summary, summary


def assert_the_street_must_answer_it(row: LedgerRow, note: str) -> None:
    (check,) = rows_check([row], rules.Thresholds())
    (merge,) = [f for f in check.warnings if f.code == "succession_merge"]
    assert note in merge.message
    assert merge in check.blocking


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The cases that matter, always tried: one left out, all left out, the community others
# merge into never approved, four parts.
@example(parts=[ONE, None], into=False, open_first=False)
@example(parts=[None, None], into=False, open_first=True)
@example(parts=[None, ONE], into=True, open_first=True)
@example(parts=[None, None, None], into=True, open_first=False)
@example(parts=[ONE, None, ONE, None], into=False, open_first=True)
@given(
    parts=st.lists(predecessor, min_size=2, max_size=4),
    into=st.booleans(),
    open_first=st.booleans(),
)
def test_a_merged_row_carries_what_was_approved_and_names_what_was_not(
    beibei, client, district_admin, parts, into, open_first
):
    with transaction.atomic():
        approved_codes = iter(APPROVED)
        never_codes = iter(NEVER)
        drawn: dict[str, dict] = {}
        codes = []
        for part in parts:
            code = next(approved_codes) if part is not None else next(never_codes)
            if part is not None:
                drawn[code] = part
            codes.append(code)
        approve_2026h1(drawn)
        if open_first:
            open_period("2026H2")
        target = region(codes[0]) if into else None
        rc.change_merge(
            scope=operator_scope(),
            sources=[region(code) for code in (codes[1:] if into else codes)],
            into=target,
            code=None if into else MERGED,
            name=None if into else "合并社区",
            parent=None if into else region(CHENGJIANG),
            effective=H2,
            reason="撤并",
        )
        period = open_period("2026H2") if not open_first else Period.objects.get(code="2026H2")
        merged_code = codes[0] if into else MERGED
        row = LedgerRow.objects.select_related("community", "street", "period").get(
            period=period, community__code=merged_code
        )

        carried = expected_carry([drawn[code] for code in codes if code in drawn])
        assert {name: getattr(row, name) for name in carried} == carried

        missing = [code for code in codes if code not in drawn]
        absorbed_missing = into and codes[0] in missing
        left_out = (["本社区"] if absorbed_missing else []) + names(
            [code for code in missing if not (into and code == codes[0])]
        )
        note = origin_note(row)
        assert_the_note_names_whats_missing(
            note, left_out, all_missing=len(missing) == len(codes), absorbed=into
        )
        client.force_login(district_admin)
        assert_the_pages_tell_it(client, row, note)
        assert_the_street_must_answer_it(row, note)
        transaction.set_rollback(True)


def test_a_community_set_up_recently_is_named_as_not_counted(beibei, client, district_admin):
    approve_2026h1({YUNHE_SHEQU: {"households": 1000, "service_center": "300.0"}})
    rc.change_create(
        scope=operator_scope(),
        parent=region(CHENGJIANG),
        code="500109102950",
        name="新城社区",
        effective=H2,
        reason="新设",
    )
    open_period("2026H2")  # 新城社区's first ledger, never approved
    rc.change_merge(
        scope=operator_scope(),
        sources=[region(YUNHE_SHEQU), region("500109102950")],
        code=MERGED,
        name="运河社区",
        effective=PeriodCode.parse("2027H1"),
        reason="撤并",
    )
    period = open_period("2027H1")
    row = LedgerRow.objects.select_related("community", "street", "period").get(
        period=period, community__code=MERGED
    )
    assert (row.households, row.service_center) == (1000, Decimal("300.0"))
    note = origin_note(row)
    assert "其中新城社区尚无审核数，未计入" in note
    client.force_login(district_admin)
    assert_the_pages_tell_it(client, row, note)
    # The row's 修改记录 says where its figures came from, as ADR 0030 has it.
    history = client.get(f"/ledger/rows/{row.pk}/history/").content.decode()
    assert note in history
    assert_the_street_must_answer_it(row, note)


def test_a_split_of_a_never_approved_community_says_it_has_no_reference(
    beibei, client, district_admin
):
    approve_2026h1({})
    source = region(NEVER[0])
    rc.change_split(
        scope=operator_scope(),
        source=source,
        parts=[("500109001911", "甲社区"), ("500109001912", "乙社区")],
        effective=H2,
        reason="拆分",
    )
    period = open_period("2026H2")
    row = LedgerRow.objects.select_related("community", "street", "period").get(
        period=period, community__code="500109001911"
    )
    assert row.households is None and row.total_area == 0
    previous = approved_rows_before(period, [row.community_id])[row.community_id]
    assert previous.households is None
    assert f"拆分前{source.name}尚无审核数" in previous.origin.note
    assert "仅供参考" not in previous.origin.note
    client.force_login(district_admin)
    assert_the_pages_tell_it(client, row, previous.origin.note)


def test_a_recode_of_a_never_approved_community_says_there_is_nothing_before(
    beibei, client, district_admin
):
    approve_2026h1({})
    source = region(NEVER[0])
    rc.change_recode(scope=operator_scope(), region=source, code="500109001921", effective=H2)
    period = open_period("2026H2")
    row = LedgerRow.objects.select_related("community", "street", "period").get(
        period=period, community__code="500109001921"
    )
    assert row.households is None
    previous = approved_rows_before(period, [row.community_id])[row.community_id]
    assert "改码前尚无审核数" in previous.origin.note
    client.force_login(district_admin)
    assert_the_pages_tell_it(client, row, previous.origin.note)
    assert not Region.objects.get(code=source.code).is_active
