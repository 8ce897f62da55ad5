"""`RowsWorksheet.write_cells` writes what XlsxWriter's own calls write, part by part; so
does `PublicRowsWorksheet`, the fallback for any other XlsxWriter."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from xlsxwriter.worksheet import Worksheet

from shequ.core import xlsx_rows
from shequ.core.xlsx import values_only_workbook
from shequ.core.xlsx_rows import PublicRowsWorksheet, RowsWorksheet

WIDTH = 5
HEIGHTS = (18, 15, 32, 14.5)  # 15 is XlsxWriter's default: no height is written
# The creation time in docProps/core.xml is the only part that may differ.
CREATED = re.compile(rb"<dcterms:(created|modified)[^<]*</dcterms:\w+>")

values = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.sampled_from(["", " lead", "=1+1", "a&b<c>\"d'", "_x0000_", "\x01", "设在便民服务中心"]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False),
)
rows = st.lists(st.lists(values, min_size=WIDTH, max_size=WIDTH), min_size=1, max_size=20)


def workbook_parts(
    rows: list[list], *, whole_rows: bool, rows_class=RowsWorksheet
) -> dict[str, bytes]:
    """A workbook with a merged title and `rows` below it, cell by cell or row by row."""
    buffer = io.BytesIO()
    book = values_only_workbook(buffer)
    plain = book.add_format({"border": 1})
    styles = [book.add_format({"num_format": "0.0"}), plain, book.add_format({"bold": True})]
    formats = tuple(styles[column % len(styles)] for column in range(WIDTH))
    # the reference is XlsxWriter's own worksheet, written cell by cell
    ws = book.add_worksheet("表", worksheet_class=rows_class if whole_rows else Worksheet)
    ws.merge_range(0, 0, 0, WIDTH - 1, "标题", book.add_format({"align": "center"}))
    for index, row in enumerate(rows, start=1):
        height = HEIGHTS[index % len(HEIGHTS)]
        if whole_rows:
            ws.write_cells(index, row, formats, height=height)
        else:
            ws.set_row(index, height)
            write_one_by_one(ws, index, row, formats)
    below = len(rows) + 2
    ws.write_string(below, 1, "说明", plain)
    ws.set_row(below + 1, 30)  # a row with a height and no cells
    ws.set_row(below + 2, None, plain)  # a row with a format and no cells
    ws.set_row(below + 20, 20, None, {"hidden": True, "level": 1})  # another block of 16
    if whole_rows:
        ws.write_cells(below + 20, rows[0], formats)
    else:
        write_one_by_one(ws, below + 20, rows[0], formats)
    ws.write_string(below + 40, 2, "一格", plain)  # alone in its block of 16 rows
    ws.write_comment(below + 41, 3, "批注")
    book.close()
    with zipfile.ZipFile(buffer) as archive:
        return {name: CREATED.sub(b"", archive.read(name)) for name in archive.namelist()}


def write_one_by_one(ws, row: int, values: list, formats: tuple) -> None:
    for column, (value, style) in enumerate(zip(values, formats, strict=True)):
        if value is None:
            ws.write_blank(row, column, None, style)
        elif isinstance(value, str):
            ws.write_string(row, column, value, style)
        else:
            ws.write_number(row, column, float(value), style)


@given(rows)
def test_whole_rows_are_the_cells_xlsxwriter_writes(rows):
    reference = workbook_parts(rows, whole_rows=False)
    assert workbook_parts(rows, whole_rows=True) == reference
    assert workbook_parts(rows, whole_rows=True, rows_class=PublicRowsWorksheet) == reference


def test_another_xlsxwriter_gets_the_public_fallback(monkeypatch):
    assert xlsx_rows.rows_worksheet_class() is RowsWorksheet
    monkeypatch.setattr(xlsx_rows.xlsxwriter, "__version__", "9.9.9")
    assert xlsx_rows.rows_worksheet_class() is PublicRowsWorksheet


def test_numbers_text_blanks_and_an_over_long_text_match_xlsxwriter():
    rows = [
        [1, "天生街道", "新星路社区", Decimal("2345"), None],
        [Decimal("0.1"), "", "x" * 40_000, -0.0, Decimal("12.50")],
        [None, None, None, None, None],
    ]
    assert workbook_parts(rows, whole_rows=True) == workbook_parts(rows, whole_rows=False)


@pytest.mark.parametrize("rows_class", [RowsWorksheet, PublicRowsWorksheet])
def test_every_cell_needs_a_format_and_a_row_is_written_once(rows_class):
    book = values_only_workbook(io.BytesIO())
    style = book.add_format({"border": 1})
    ws = book.add_worksheet(worksheet_class=rows_class)
    with pytest.raises(ValueError, match="one format for each value"):
        ws.write_cells(0, [1, 2], (style,))
    with pytest.raises(ValueError, match="needs a format"):
        ws.write_cells(0, [1, 2], (style, None))
    ws.write_cells(1, [1, 2], (style, style))
    with pytest.raises(ValueError, match="already has cells"):
        ws.write_cells(1, [3, 4], (style, style))
    with pytest.raises(TypeError, match="NAN/INF"):
        ws.write_cells(2, [float("inf")], (style,))
