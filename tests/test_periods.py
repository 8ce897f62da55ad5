import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.core.periods import PeriodCode, PeriodCodeError, period_label


def test_it_parses_codes_and_labels():
    assert PeriodCode.parse("2024H1") == PeriodCode(2024, 1)
    assert PeriodCode.parse("2024h2") == PeriodCode(2024, 2)
    assert PeriodCode.parse("2024年下半年") == PeriodCode(2024, 2)
    assert PeriodCode(2024, 1).label == "2024年上半年"
    assert PeriodCode(2024, 2).code == "2024H2"


@pytest.mark.parametrize("text", ["2024H3", "2024", "24H1", "", "2024年全年"])
def test_it_refuses_what_is_not_a_period(text):
    with pytest.raises(PeriodCodeError, match="格式不对"):
        PeriodCode.parse(text)


def test_consecutive_halves_differ_by_one_ordinal():
    assert PeriodCode(2024, 2).ordinal + 1 == PeriodCode(2025, 1).ordinal
    assert PeriodCode(2024, 2).next() == PeriodCode(2025, 1)
    assert PeriodCode(2025, 1).previous() == PeriodCode(2024, 2)


def test_period_label_names_the_initial_state():
    assert period_label(0) == "初始"
    assert period_label(PeriodCode(2025, 1).ordinal) == "2025年上半年"


@given(st.integers(min_value=1949, max_value=2200), st.sampled_from([1, 2]))
def test_code_label_and_ordinal_round_trip(year, half):
    period = PeriodCode(year, half)
    assert PeriodCode.parse(period.code) == period
    assert PeriodCode.parse(period.label) == period
    assert PeriodCode.from_ordinal(period.ordinal) == period
    assert sorted([period.next(), period]) == [period, period.next()]
