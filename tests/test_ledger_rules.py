"""The rules module: exact arithmetic, the 29.995 boundary, validation findings."""

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typing_extensions import get_protocol_members

from shequ.ledger import rules
from shequ.ledger.fields import AREA_FIELDS, INPUT_FIELDS

STANDARD = Decimal("30")
LIMITS = rules.Thresholds()


@dataclass
class Row:
    households: int | None = 1000
    resident_households: int | None = None
    service_center: Decimal | None = Decimal("300.0")
    police_room: Decimal | None = None
    day_care: Decimal | None = None
    health_station: Decimal | None = None
    culture_room: Decimal | None = None
    grocery: Decimal | None = None
    other: Decimal | None = None
    police_room_in_center: bool = False
    day_care_in_center: bool = False
    health_station_in_center: bool = False
    culture_room_in_center: bool = False
    compliance_year: int | None = None
    remarks: str = ""
    warning_comments: dict = field(default_factory=dict)


areas = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=10_000_000, places=1, allow_nan=False),
)
households = st.integers(min_value=1, max_value=10_000_000)


def test_the_rules_read_every_input_field_but_the_remarks():
    """rules.RowInputs (what mypy holds every kind of row to) names the contract's fields."""
    assert get_protocol_members(rules.RowInputs) == set(INPUT_FIELDS) - {"remarks"}


def codes(findings) -> set[str]:
    return {f.code for f in findings}


def test_29_995_per_100_households_is_not_compliant_though_it_shows_30_00():
    row = Row(households=2000, service_center=Decimal("599.9"))
    derived = rules.derive(row, STANDARD)
    assert derived.per_100_households == Decimal("29.995")
    assert rules.display_ratio(derived.per_100_households) == "30.00"
    assert derived.compliant is False
    assert derived.shortfall == Decimal("0.1")


def test_exactly_the_standard_is_compliant():
    row = Row(households=2000, service_center=Decimal("600.0"))
    assert rules.derive(row, STANDARD).compliant
    assert rules.derive(row, STANDARD).shortfall == Decimal("0.0")


@pytest.mark.parametrize("households_value", [0, -5, None])
def test_missing_or_non_positive_households_have_no_ratio_and_do_not_comply(households_value):
    derived = rules.derive(Row(households=households_value), STANDARD)
    assert derived.per_100_households is None
    assert derived.compliant is False
    assert derived.shortfall is None


@given(
    st.lists(
        st.builds(
            Row,
            households=st.one_of(st.none(), st.integers(min_value=-5, max_value=10_000)),
            service_center=areas,
            police_room=areas,
            grocery=areas,
            other=areas,
            police_room_in_center=st.booleans(),
        ),
        max_size=12,
    ),
    st.lists(st.integers(min_value=0, max_value=12), max_size=4),
)
def test_the_sums_of_groups_are_the_sums_of_their_rows(rows, cuts):
    bounds = [0, *sorted(cuts), len(rows)]
    groups = [rows[start:end] for start, end in itertools.pairwise(bounds)]
    combined = rules.sums_of([rules.sums(group) for group in groups])
    expected = rules.sums(rows)
    assert str(expected.total) == str(sum((rules.total_area(row) for row in rows), rules.ZERO))
    assert combined == expected
    assert [str(a) for a in (combined.total, *combined.areas.values())] == [
        str(a) for a in (expected.total, *expected.areas.values())
    ]


@pytest.mark.parametrize("households_value", [None, 0])
def test_sums_with_a_rows_area_but_not_its_households_give_no_ratio(households_value):
    """300 ㎡ of a row whose 户数 is blank would raise 1000 households' 25 to 55 ㎡ per 100
    households: the 小计 gives no ratio rather than one too high, and says how many rows."""
    rows = [
        Row(households=1000, service_center=Decimal("250.0")),
        Row(households=households_value, service_center=Decimal("300.0")),
        Row(households=None, service_center=None),  # nothing entered: no ratio to spoil
    ]
    sums = rules.sums(rows)
    assert sums.households == 1000 and sums.total == Decimal("550.0")
    assert sums.area_without_households == 1 and sums.per_100_households is None
    assert rules.sums(rows[::2]).per_100_households == Decimal("25")
    assert rules.sums_of([rules.sums(rows[:1]), rules.sums(rows[1:])]) == sums


def test_co_located_facilities_count_zero():
    row = Row(
        service_center=Decimal("250.0"),
        police_room=Decimal("40.0"),
        police_room_in_center=True,
        culture_room=Decimal("60.0"),
    )
    assert rules.total_area(row) == Decimal("310.0")


@given(st.tuples(*[areas] * len(AREA_FIELDS)), households)
def test_total_is_the_exact_sum_of_the_areas_entered(values, count):
    row = Row(households=count, **dict(zip(AREA_FIELDS, values, strict=True)))
    assert rules.total_area(row) == sum((v for v in values if v is not None), Decimal("0"))


@given(st.decimals(min_value=0, max_value=10**9, places=1), households)
def test_compliance_agrees_with_the_exact_ratio(total, count):
    ratio = rules.per_100_households(total, count)
    assert rules.is_compliant(total, count, STANDARD) == (total * 100 >= STANDARD * count)
    # The ratio, computed to 28 digits, never contradicts the exact comparison far from the line.
    if abs(ratio - STANDARD) > Decimal("1e-20"):
        assert (ratio >= STANDARD) == rules.is_compliant(total, count, STANDARD)


@given(st.decimals(min_value=0, max_value=10**9, places=1), households)
def test_adding_the_shortfall_always_complies_and_never_by_more_than_a_tenth(total, count):
    gap = rules.shortfall(total, count, STANDARD)
    assert gap >= 0
    assert rules.is_compliant(total + gap, count, STANDARD)
    if gap > 0:
        assert not rules.is_compliant(total + gap - Decimal("0.1"), count, STANDARD)


@given(st.decimals(min_value=0, max_value=10**12, places=1), st.integers(1, 10**12))
def test_huge_numbers_stay_exact(total, count):
    assert rules.is_compliant(total, count, STANDARD) == (total * 100 >= 30 * count)
    assert rules.shortfall(total, count, STANDARD) is not None


def test_errors_block_submission_whatever_the_comments():
    row = Row(
        households=None,
        police_room=Decimal("-1.0"),
        culture_room=Decimal("20.0"),
        culture_room_in_center=True,
    )
    findings = rules.validate(row, previous=None, period_year=2024, limits=LIMITS)
    errors = {f.code for f in findings if f.is_error}
    assert errors == {"households_missing", "negative:police_room", "co_located:culture_room"}
    comments = {f.code: "已核实" for f in findings}
    assert {f.code for f in rules.blocking(findings, comments)} == errors


def test_a_row_outside_its_street_is_an_error():
    findings = rules.validate(
        Row(), previous=None, period_year=2024, limits=LIMITS, in_street=False
    )
    assert "outside_street" in codes(findings)


def test_warnings_need_a_comment_and_then_stop_blocking():
    previous = Row(households=1000, service_center=Decimal("400.0"))
    row = Row(households=1300, service_center=Decimal("150.0"))
    findings = rules.validate(row, previous=previous, period_year=2024, limits=LIMITS)
    assert codes(findings) == {"households_changed", "total_fell", "center_small"}
    assert all(not f.is_error for f in findings)
    assert len(rules.blocking(findings, {})) == 3
    assert (
        rules.blocking(
            findings,
            {"households_changed": "小区交付", "total_fell": "拆除", "center_small": "改造中"},
        )
        == []
    )
    assert rules.blocking(findings, {"households_changed": "  "}) != []


def test_the_households_warning_names_the_previous_count_and_the_change():
    findings = rules.validate(
        Row(households=1300), previous=Row(households=1000), period_year=2024, limits=LIMITS
    )
    message = next(f.message for f in findings if f.code == "households_changed")
    assert message == "户数比上期（1000户）变化 30.0%，超过 20%"


def test_exactly_twenty_percent_is_not_a_warning():
    findings = rules.validate(
        Row(households=1200), previous=Row(households=1000), period_year=2024, limits=LIMITS
    )
    assert "households_changed" not in codes(findings)


def test_a_ratio_above_300_suggests_a_unit_slip():
    row = Row(households=100, service_center=Decimal("400.0"))
    assert "ratio_high" in codes(
        rules.validate(row, previous=None, period_year=2024, limits=LIMITS)
    )


def test_thresholds_are_settings(db):
    from shequ.core.settings_store import setting_set

    setting_set("ledger.center_min", 100)
    setting_set("ledger.standard", "25")
    limits = rules.thresholds()
    assert limits.center_min == Decimal("100") and limits.standard == Decimal("25")
    row = Row(households=1000, service_center=Decimal("150.0"))
    assert "center_small" not in codes(
        rules.validate(row, previous=None, period_year=2024, limits=limits)
    )


@pytest.mark.parametrize(
    ("stated", "area", "warned"),
    [(2022, "200.0", True), (2022, "300.0", False), (2027, "300.0", True), (2027, "200.0", False)],
)
def test_a_stated_compliance_year_that_contradicts_the_data_is_warned(stated, area, warned):
    row = Row(households=1000, service_center=Decimal(area), compliance_year=stated)
    findings = rules.validate(row, previous=None, period_year=2024, limits=LIMITS)
    assert ("compliance_year" in codes(findings)) is warned


def test_a_blank_compliance_year_is_filled_from_data_then_from_the_plan():
    fill, year = rules.filled_compliance_year, rules.ComplianceYear
    assert fill(2023, compliant=False, first_compliant_year=2021, plan_target_year=2026) == year(
        2023
    )
    assert fill(None, compliant=True, first_compliant_year=2021, plan_target_year=None) == year(
        2021
    )
    planned = fill(None, compliant=False, first_compliant_year=2021, plan_target_year=2026)
    assert planned == year(2026, planned=True)
    assert fill(None, compliant=False, first_compliant_year=None, plan_target_year=None) == year(
        None
    )


def test_a_planned_compliance_year_never_reads_as_achieved():
    year = rules.ComplianceYear
    planned = year(2026, planned=True)
    assert str(planned) == "计划2026" and planned.cell == "计划2026"
    assert str(year(2021)) == "2021" and year(2021).cell == 2021
    assert str(year(None)) == "" and year(None).cell is None
