"""Layout helpers of the ledger workbook (the workbook itself: test_ledger_export.py)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.ledger.workbook_xlsx import display_width, printed_lines

texts = st.text(alphabet="社区居民委员会村ab1 　（）、；㎡", max_size=40)


@given(texts, st.integers(min_value=1, max_value=30))
def test_the_one_line_shortcut_agrees_with_measuring(text, width):
    assert printed_lines(text, width) == (math.ceil(display_width(text) / width) or 1)


def test_chinese_characters_are_wider_than_latin_ones():
    assert display_width("新星路社区") == pytest.approx(5 * 1.6)
    assert display_width("ab 1") == 4
    assert printed_lines("新星路社区居民委员会", 8) == 2
