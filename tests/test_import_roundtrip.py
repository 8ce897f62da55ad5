"""Export → import round trips: every export (.xlsx and .csv, the district and one street)
imported back into the same period leaves every row `unchanged`, whatever the stored values;
and importing any file twice changes nothing the second time."""

import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.compliance.targets import thresholds_for
from shequ.core.actors import Actor
from shequ.core.periods import PeriodCode
from shequ.ledger import rules
from shequ.ledger.fields import CO_LOCATION_FLAGS
from shequ.ledger.importing.apply import import_apply
from shequ.ledger.importing.files import read_sheets
from shequ.ledger.models import LedgerRow
from shequ.ledger.rows import rows_bulk_update
from shequ.ledger.workbook_xlsx import write_xlsx
from shequ.plans.models import Plan
from shequ.regions import changes
from shequ.regions.models import Region
from shequ.workflow.ledger_files import ledger_workbook, plan_import, write_csv

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU
from .ledger_helpers import approve_street, open_period

# Every street's last approved ledger: 澄江镇 meets the standard (so a blank 达标年度 is
# filled with its first compliant year on export), the others fall short (so each has an
# open plan whose target year fills the blank).
COMPLIANT = {"households": 1000, "service_center": "400.0"}
SHORT = {"households": 2000, "service_center": "500.0"}


@pytest.fixture
def period(beibei):
    earlier = open_period("2026H1")
    for street in Region.objects.filter(level="street").order_by("code"):
        approve_street(earlier, street.code, **(COMPLIANT if street.code == CHENGJIANG else SHORT))
    return open_period("2026H2")


def rows_of(period, street_code: str) -> list[LedgerRow]:
    return list(
        LedgerRow.objects.filter(period=period, street__code=street_code)
        .select_related("community", "street", "period")
        .order_by("community__code")
    )


def store(period, street_code: str, ledger: list[dict]) -> list[LedgerRow]:
    rows = rows_of(period, street_code)
    rows_bulk_update(
        scope=operator_scope(),
        updates=list(zip(rows, ledger, strict=False)),
        reason="round trip",
        action="ledger.test",
    )
    return rows_of(period, street_code)


def exported(kind: str, period, street: Region | None) -> tuple[bytes, str]:
    if kind == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(ledger_workbook(scope=operator_scope(), period=period, street=street), buffer)
        return buffer.getvalue(), "ledger.xlsx"
    stream = io.StringIO()
    write_csv(scope=operator_scope(), period=period, street=street, stream=stream)
    return stream.getvalue().encode("utf-8"), "ledger.csv"


def planned(content: bytes, name: str, period):
    return plan_import(
        scope=operator_scope(), period=period, sheets=read_sheets(content, name), filename=name
    )


def stored_error_fields(row) -> set[str]:
    """The fields on which the rules refuse the stored row (the grid shows the same)."""
    limits = thresholds_for(row.period.year)
    findings = rules.validate(row, previous=None, period_year=row.period.year, limits=limits)
    return {finding.field for finding in findings if finding.is_error}


def assert_unchanged(plan, expected_rows: int) -> None:
    assert len(plan.rows) == expected_rows
    changed = {p.row.community.name: p.changes for p in plan.rows if p.status != "unchanged"}
    assert changed == {}
    # The only errors are the rules' own on rows the grid refuses as well.
    by_place = {(p.source.sheet, p.source.row): p for p in plan.rows}
    for error in plan.errors.listed:
        row = by_place[(error.sheet, error.row)].row
        stored = LedgerRow.objects.select_related("period").get(pk=row.pk)
        assert error.field in stored_error_fields(stored), error


def tenths(low: str, high: str):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=1)


areas = st.one_of(
    st.none(), st.just(Decimal("0")), tenths("0", "9999.9"), tenths("0", "99999999.9")
)
households = st.one_of(st.none(), st.just(0), st.integers(1, 5000), st.integers(5000, 10_000_000))
# 备注 as streets type them, and as the export's own appended parts and guards look.
REMARK_PIECES = [
    "新建",
    "改造中",
    "；",
    ";",
    " ",
    "\n",
    "=",
    "+1",
    "-",
    "@",
    "'",
    "'=",
    ",",
    '"',
    "警务室设在便民服务中心",
    "卫生服务站设在便民服务中心",
    "日间照料中心（养老服务站）、文化活动室设在便民服务中心",
    "卫生室设在便民服务中心",
    "其他用房 12.5㎡",
    "其他用房 0.0㎡",
    "其他用房12㎡",
]
remarks = st.one_of(
    st.lists(st.sampled_from(REMARK_PIECES), max_size=5).map("".join),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
).map(str.strip)


def facility_row():
    # Flags and areas drawn apart: a facility in the centre with an area stored is a row
    # the rules refuse, and its round trip must still change nothing.
    return st.fixed_dictionaries(
        {
            "households": households,
            "resident_households": st.one_of(st.none(), st.integers(0, 10_000_000)),
            "service_center": areas,
            "police_room": areas,
            "day_care": areas,
            "health_station": areas,
            "culture_room": areas,
            "grocery": areas,
            "other": areas,
            **{flag: st.booleans() for flag in CO_LOCATION_FLAGS.values()},
            "compliance_year": st.one_of(st.none(), st.integers(2000, 2100)),
            "remarks": remarks,
        }
    )


# 13 rows: 澄江镇's whole street (its rows before the others' in either export).
ledgers = st.lists(facility_row(), min_size=13, max_size=13)
PROPERTY = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(ledger=ledgers, kind=st.sampled_from(["xlsx", "csv"]), whole_district=st.booleans())
def test_every_export_imported_back_leaves_every_row_unchanged(
    period, ledger, kind, whole_district
):
    rows = store(period, CHENGJIANG, ledger)
    street = None if whole_district else rows[0].street
    content, name = exported(kind, period, street)
    plan = planned(content, name, period)
    expected = LedgerRow.objects.filter(period=period)
    if street is not None:
        expected = expected.filter(street=street)
    assert_unchanged(plan, expected.count())


@PROPERTY
@given(
    first=ledgers,
    second=ledgers,
    kind=st.sampled_from(["xlsx", "csv"]),
)
def test_a_file_imported_twice_changes_nothing_the_second_time(period, first, second, kind):
    rows = store(period, CHENGJIANG, first)
    content, name = exported(kind, period, rows[0].street)
    store(period, CHENGJIANG, second)
    plan = planned(content, name, period)
    if not plan.ok:
        return  # refused whole: nothing was written, nothing to import twice
    import_apply(scope=operator_scope(), plan=plan)
    again = planned(content, name, period)
    assert {p.row.community.name: p.changes for p in again.rows if p.changes} == {}


def test_warning_comments_survive_an_import_that_changes_the_row(period):
    rows = store(period, CHENGJIANG, [{"households": 1000, "service_center": "100.0"}] * 13)
    LedgerRow.objects.filter(pk=rows[0].pk).update(
        warning_comments={"center_small": "中心在建，明年交付"}
    )
    content, name = exported("xlsx", period, rows[0].street)
    store(period, CHENGJIANG, [{"households": 1200}] * 13)
    plan = planned(content, name, period)
    assert {p.status for p in plan.rows} == {"changed"}
    # The comment explains the warning, so the import does not raise it again.
    first = next(p.source for p in plan.rows if p.row.pk == rows[0].pk)
    small = {(w.sheet, w.row) for w in plan.warnings.listed if "便民服务中心面积" in w.message}
    assert len(small) == 12 and (first.sheet, first.row) not in small
    import_apply(scope=operator_scope(), plan=plan)
    kept = LedgerRow.objects.get(pk=rows[0].pk)
    assert kept.households == 1000
    assert kept.warning_comments == {"center_small": "中心在建，明年交付"}


def test_a_blank_compliance_year_the_export_fills_stays_blank(period):
    rows = store(period, CHENGJIANG, [{**COMPLIANT, "compliance_year": None}] * 13)
    store(period, TIANSHENG, [{**SHORT, "compliance_year": None}] * 30)
    targets = dict(Plan.objects.values_list("community__code", "target_year"))
    for kind in ("xlsx", "csv"):
        content, name = exported(kind, period, None)
        plan = planned(content, name, period)
        assert {p.status for p in plan.rows} == {"unchanged"}
        assert all(p.values["compliance_year"] is None for p in plan.rows)
    # What came back were the filled years: the first compliant year, the plan's target
    # marked as planned.
    content, _ = exported("xlsx", period, None)
    shown = {row[2]: row[12] for sheet in read_sheets(content, "ledger.xlsx") for row in sheet.rows}
    assert shown[rows[0].community.name] == 2026
    short = rows_of(period, TIANSHENG)[0]
    assert shown[short.community.name] == f"计划{targets[short.community.code]}"


def test_a_stated_year_stays_as_stated(period):
    store(period, CHENGJIANG, [{**COMPLIANT, "compliance_year": 2026}] * 13)
    for kind in ("xlsx", "csv"):
        content, name = exported(kind, period, None)
        plan = planned(content, name, period)
        years = {p.values["compliance_year"] for p in plan.rows if p.row.street.code == CHENGJIANG}
        assert years == {2026}
        assert {p.status for p in plan.rows} == {"unchanged"}


def test_a_filled_year_is_judged_on_the_row_as_imported(period):
    # The file was exported while 天生街道 fell short (blank years filled with the plans'
    # targets); the rows have met the standard since. The file brings the short figures
    # back, and with them the target year the export filled: still not a stated year.
    store(period, TIANSHENG, [{**SHORT, "compliance_year": None}] * 30)
    content, name = exported("xlsx", period, rows_of(period, TIANSHENG)[0].street)
    store(period, TIANSHENG, [{"households": 1000, "service_center": "900.0"}] * 30)
    plan = planned(content, name, period)
    assert plan.ok, plan.errors.listed
    assert {p.status for p in plan.rows} == {"changed"}
    assert all(p.changes == ["households", "service_center"] for p in plan.rows)
    import_apply(scope=operator_scope(), plan=plan)
    assert set(
        LedgerRow.objects.filter(period=period, street__code=TIANSHENG).values_list(
            "compliance_year", flat=True
        )
    ) == {None}
    assert not [p.changes for p in planned(content, name, period).rows if p.changes]


def test_a_csv_row_whose_remarks_name_the_centre_is_data_not_a_second_header(period):
    # Every cell of a CSV is text: the first row, with 备注 naming the centre as the notice
    # asks, was taken for the facility row of a two-row header and vanished.
    rows = store(
        period, CHENGJIANG, [{"households": 800, "remarks": "警务室设在便民服务中心二楼"}] * 13
    )
    content, name = exported("csv", period, rows[0].street)
    plan = planned(content, name, period)
    assert [p.row.pk for p in plan.rows] == [row.pk for row in rows]
    assert {p.status for p in plan.rows} == {"unchanged"}


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_periods_export_after_a_later_rename_imports_back_unchanged(period, kind):
    """The .xlsx names communities (it has no code column): a period's export prints the
    names the period knows, so a rename from 2027H1 on leaves 2026H2's file importable."""
    tiansheng = Region.objects.get(code=TIANSHENG)
    store(period, TIANSHENG, [{"households": 1200, "service_center": "420.0"}] * 20)
    changes.region_rename(
        actor=Actor.command_line(),
        region=Region.objects.get(code=XINXINGLU),
        name="新星社区居民委员会",
        effective=PeriodCode.parse("2027H1"),
    )
    content, name = exported(kind, period, tiansheng)
    if kind == "xlsx":
        names = [row[2] for sheet in read_sheets(content, name) for row in sheet.rows]
        assert "新星路社区居民委员会" in names and "新星社区居民委员会" not in names
    plan = planned(content, name, period)
    assert plan.ok, plan.errors.listed[:3]
    assert_unchanged(plan, len(rows_of(period, TIANSHENG)))
