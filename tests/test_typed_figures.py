"""One reading of a typed figure (issue 21): the grid, the API and the importer read the
spellings streets use (full-width digits, thousands separators, units, "none" marks) alike."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.core.errors import DomainError
from shequ.ledger.importing.cells import parse_number
from shequ.ledger.values import (
    MAX_AREA,
    NONE_MARKS,
    clean_each,
    parse_area,
    parse_integer,
    parse_year,
)

FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")

tenths = st.integers(min_value=0, max_value=int(MAX_AREA * 10)).map(lambda n: Decimal(n) / 10)


def with_separators(text: str, separator: str) -> str:
    whole, _, decimals = text.partition(".")
    groups = []
    while len(whole) > 3:
        whole, group = whole[:-3], whole[-3:]
        groups.insert(0, group)
    written = separator.join([whole, *groups])
    return f"{written}.{decimals}" if decimals else written


@st.composite
def spelled(draw, number: Decimal) -> str:
    text = f"{number:.1f}"
    if draw(st.booleans()):
        text = with_separators(text, draw(st.sampled_from([",", "，"])))
    if draw(st.booleans()):
        text = text + draw(st.sampled_from(["㎡", "m²", "平方米", "平米", " ㎡"]))
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return draw(st.sampled_from(["", " ", "\u3000"])) + text


@given(st.data(), tenths)
def test_an_area_reads_the_same_in_the_grid_and_in_the_importer(data, number):
    text = data.draw(spelled(number))
    assert parse_area("other", text) == number
    assert parse_number(text, what="其他").value == number


@given(st.integers(min_value=0, max_value=10_000_000), st.booleans(), st.booleans())
def test_a_household_count_reads_with_separators_units_and_full_width_digits(
    count, separated, full_width
):
    text = with_separators(str(count), "，") if separated else str(count)
    text += "户"
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert parse_integer("households", text) == count


@pytest.mark.parametrize("mark", sorted(NONE_MARKS))
def test_a_none_mark_is_a_blank_cell_in_the_grid_too(mark):
    assert parse_area("other", mark) is None
    assert parse_number(mark, what="其他").value is None


@pytest.mark.parametrize("text", ["13O.5", "一百", "12.3.4", "1e400", "NaN", "12.34"])
def test_what_is_not_a_figure_to_a_tenth_is_refused_by_name(text):
    with pytest.raises(DomainError) as refused:
        parse_area("service_center", text)
    assert refused.value.field == "service_center"
    assert "便民服务中心" in refused.value.message


@pytest.mark.parametrize("text, year", [("2024", 2024), ("２０２４", 2024), ("2024年", 2024)])
def test_a_year_reads_in_full_width_and_with_its_unit(text, year):
    assert parse_year(text) == year


def test_each_cell_is_read_on_its_own():
    cleaned, refused = clean_each({"households": "1,200", "other": "13O.5", "remarks": "好"})
    assert cleaned == {"households": 1200, "remarks": "好"}
    assert list(refused) == ["other"]


def test_an_unknown_field_is_still_refused_as_a_whole():
    with pytest.raises(DomainError):
        clean_each({"households": "1", "owner": "x"})
