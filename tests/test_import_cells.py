"""Reading single cells fast (issue 6's speed) without reading them differently: the kept
readings, the shortcuts for plain numbers and the quick look for 合计/小计 rows."""

import math
import sys
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.ledger.importing import values
from shequ.ledger.importing.cells import cell_text, parse_number, parse_year
from shequ.ledger.importing.files import RawSheet
from shequ.ledger.importing.layout import is_end_of_table
from shequ.ledger.importing.reader import SUM_CHARACTER, SUM_WORDS, read_table


def forget_readings():
    values._AREA_READINGS.clear()
    values._COUNT_READINGS.clear()


def test_no_character_but_ji_itself_normalizes_to_text_holding_ji():
    # The reader looks for 计 in raw text before normalizing it: sound only if NFKC
    # cannot make a 计 out of anything else (⼩ becomes 小, but nothing becomes 计).
    assert all("计" in word for word in SUM_WORDS.pattern.split("|"))
    makers = [
        code
        for code in range(sys.maxunicode + 1)
        if SUM_CHARACTER in unicodedata.normalize("NFKC", chr(code))
    ]
    assert makers == [ord(SUM_CHARACTER)]


def test_sum_rows_are_found_with_and_without_the_quick_look():
    sheet = RawSheet(
        "台账",
        [
            ["序号", "街镇", "社区名称", "户数", "便民服务中心"],
            [1, "天生街道", "天生社区", 1000, 300],
            ["", "天生街道小计", "", 1000, 300],
            [2, "澄江镇", "运河社区", 800, 250],
            ["⼩计", "", "", 800, 250],  # a Kangxi radical 小, as some input methods type it
            ["合计", "", "", 1800, 550],
            [3, "澄江镇", "计划社区", 100, 50],  # 计 without a sum word: looked at, then data
        ],
    )
    kinds = [(row.kind, row.label) for row in read_table(sheet).rows]
    assert kinds == [
        ("data", ""),
        ("subtotal", "天生街道"),
        ("data", ""),
        ("subtotal", ""),
        ("total", ""),
        ("data", ""),
    ]


def test_a_figure_first_is_never_the_end_of_the_table():
    assert not is_end_of_table([1.0, "填表人：张三"])
    assert is_end_of_table(["", "填表人：张三", 3.0])
    assert not is_end_of_table(["", None, ""])


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**7), 10**7),
        st.sampled_from(["", "/", "无", "设在便民服务中心", "1,234.5㎡", "2,086.0户", "2086.5"]),
        st.booleans(),
        st.decimals(allow_nan=False, places=2, min_value=-1000, max_value=1000),
    )
)
def test_a_kept_reading_is_the_reading(raw):
    forget_readings()
    fresh_area = values.area_reading(raw, "service_center")
    fresh_count = values.count_reading(raw, "households")
    for _ in range(2):  # the second time from what was kept
        assert values.area_reading(raw, "service_center") == fresh_area
        assert values.count_reading(raw, "households") == fresh_count


def test_true_and_decimals_do_not_find_the_reading_of_the_number_they_equal():
    forget_readings()
    assert values.area_reading(1.0, "police_room").value == Decimal("1.0")
    assert values.area_reading(True, "police_room").error  # 是 is not an area
    assert values.count_reading(1, "households") == (1, "")
    assert values.count_reading(True, "households")[1]


def test_a_whole_float_is_a_household_count_and_a_fraction_is_not():
    assert values.count_reading(2086.0, "households") == (2086, "")
    message = values.count_reading(2086.5, "households")[1]
    assert message == "辖区户籍人口总户数应为整数，不能是“2086.5”"
    assert values.count_reading("2,086.5户", "households")[1].endswith("不能是“2,086.5户”")
    assert values.count_reading(math.inf, "households")[1]


def test_a_year_typed_as_a_number_reads_as_the_text_would():
    for raw in (2027, 2027.0, 1999.0, 2101, 2027.5, math.inf, math.nan):
        assert parse_year(raw) == parse_year(cell_text(raw)), raw


def test_numbers_read_the_same_from_a_kept_reading():
    first = parse_number(254.20000000000002, what="面积")
    assert first.value == Decimal("254.2")
    assert parse_number(254.20000000000002, what="面积") is first


def test_figures_too_large_for_the_ledger_are_errors_naming_the_cell_not_crashes():
    forget_readings()
    assert values.area_reading(1e300, "service_center").error == ("便民服务中心数值过大：“1e+300”")
    assert values.area_reading("1e300", "grocery").error == "菜店（平价超市）数值过大：“1e300”"
    assert values.count_reading(1e12, "households")[1].startswith("辖区户籍人口总户数数值过大")


def test_the_cycle_search_is_paused_only_while_planning():
    import gc

    from shequ.core.collection import without_cycle_search

    seen = []

    @without_cycle_search
    def work(fail: bool):
        seen.append(gc.isenabled())
        if fail:
            raise ValueError

    assert gc.isenabled()
    work(False)
    with pytest.raises(ValueError):
        work(True)
    assert seen == [False, False] and gc.isenabled()


@given(st.floats(min_value=-1e9, max_value=1e9) | st.integers(0, 10**6).map(lambda n: n / 10))
def test_a_float_area_read_the_quick_way_is_what_the_rules_make_of_it(number):
    from shequ.core.errors import DomainError
    from shequ.ledger.values import parse_area

    forget_readings()
    quick = values.area_reading(number, "service_center")
    parsed = parse_number(number, what="便民服务中心")
    try:
        expected = parse_area("service_center", parsed.value)
    except DomainError:
        assert quick.error
    else:
        assert not quick.error
        assert quick.value == expected and str(quick.value) == str(expected)
