"""Whole rows of cells for XlsxWriter, for the workbooks that hold a city.

XlsxWriter spends two calls on a cell: one that checks and stores it, then at close one
that assembles its XML attribute by attribute. A city's ledger has 170,000 cells, so that
was most of `shequ export-ledger`. `RowsWorksheet.write_cells` takes a row's cells in
one call, prepares each value's XML at once, and writes the row in one string at close.

The XML is what XlsxWriter itself writes for those cells, byte for byte: strings go to the
shared string table when written (so their indices do not move), and the formats get their
index numbers at close, in the order XlsxWriter's own cells would give them; each row's
tag is the one XlsxWriter's `_write_row` writes. This reaches into XlsxWriter's private
parts (the cell table, the loop over it and its `spans`, `_write_row`, `_write_cell`, the
row properties, the shared string table, `_get_xf_index`), so it is used only with the
XlsxWriter it was checked against (`CHECKED_XLSXWRITER`, the lock files' version):
`rows_worksheet_class` gives any other version `PublicRowsWorksheet`, the same method on
XlsxWriter's public calls, so that an upgrade is never blocked and never writes wrong
cells. `tests/test_xlsx_rows.py` compares both with XlsxWriter's own worksheet written
cell by cell, part by part.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.worksheet import RowInfo, Worksheet

# The XlsxWriter whose private parts RowsWorksheet was checked against.
CHECKED_XLSXWRITER = "3.3.1"


def rows_worksheet_class() -> type[Worksheet]:
    """The worksheet class for `add_worksheet(worksheet_class=…)` with `write_cells`."""
    if xlsxwriter.__version__ == CHECKED_XLSXWRITER:
        return RowsWorksheet
    return PublicRowsWorksheet


def _check_row(values: Sequence, formats: Sequence) -> None:
    if len(values) != len(formats) or not values:
        raise ValueError("write_cells: one format for each value")
    if None in formats:
        raise ValueError("write_cells: every cell needs a format")


class PublicRowsWorksheet(Worksheet):
    """`write_cells` through XlsxWriter's public calls, one cell at a time: what
    RowsWorksheet writes, at XlsxWriter's own speed, on any version of it."""

    def write_cells(
        self, row: int, values: Sequence, formats: Sequence[Format], height: float | None = None
    ) -> None:
        _check_row(values, formats)
        if self.table.get(row):
            raise ValueError(f"write_cells: row {row} already has cells")
        if height is not None:
            self.set_row(row, height)
        for column, (value, style) in enumerate(zip(values, formats, strict=True)):
            if value is None:
                self.write_blank(row, column, None, style)
            elif isinstance(value, str):
                self.write_string(row, column, value, style)
            else:
                number = float(value)
                if not math.isfinite(number):
                    raise TypeError("NAN/INF not supported in write_number()")
                self.write_number(row, column, number, style)


class _CellsRow:
    """What `write_cells` stores in the first column of its row: the formats, and each
    cell's XML after its format attribute."""

    __slots__ = ("formats", "tails")

    def __init__(self, formats: Sequence[Format], tails: list[str]):
        self.formats = formats
        self.tails = tails


# Stored in the row's last column so that XlsxWriter's dimension and `spans` bookkeeping,
# which looks at the columns of its cell table, sees the row's full width.
_ROW_END = object()


def _number_tail(number: float) -> str:
    if not math.isfinite(number):
        raise TypeError("NAN/INF not supported in write_number()")
    return f"><v>{number:.16G}</v></c>"


def _row_info_key(info: RowInfo) -> tuple:
    return (info.height, info.row_format, info.hidden, info.level, info.collapsed)


class RowsWorksheet(Worksheet):
    """A worksheet that also takes a whole row of cells in one call (`write_cells`).

    Create it with `book.add_worksheet(name, worksheet_class=RowsWorksheet)`. Autofit,
    tables and charts read XlsxWriter's cell table and do not see these rows.
    """

    def __init__(self):
        super().__init__()
        # id(formats) -> (formats, template): holding the formats keeps their id from being
        # reused
        self._row_templates: dict[int, tuple[Sequence[Format], str]] = {}
        self._row_starts: dict[tuple, str] = {}
        self._heights: dict[float, RowInfo] = {}
        # The tails of the numbers seen so far: a city's areas and households repeat (28,500
        # distinct numbers in 126,500 number cells), and formatting a float costs more than
        # looking it up. (Keyed by the float, not by the Decimal: hashing a Decimal costs
        # as much as formatting it.)
        self._number_tails: dict[float, str] = {}

    def write_cells(
        self, row: int, values: Sequence, formats: Sequence[Format], height: float | None = None
    ) -> None:
        """Write `values` from column A on: None as a blank cell, a str as a shared string,
        anything else as a number (`float(value)`), each with its format from `formats`.
        The same cells as `write_blank`, `write_string` and `write_number` one by one, and
        with a `height` the same row as `set_row(row, height)`."""
        _check_row(values, formats)
        last = len(values) - 1
        if self._check_dimensions(row, 0) or self._check_dimensions(row, last):
            raise ValueError(f"write_cells: row {row} is outside the worksheet")
        if self.table.get(row):
            raise ValueError(f"write_cells: row {row} already has cells")
        cells = self.table[row]
        cells[0] = _CellsRow(formats, self._cell_tails(values))
        if last:
            cells[last] = _ROW_END
        if height is not None:
            self._set_height(row, height)

    def _set_height(self, row: int, height: float) -> None:
        # set_row's properties of a row, made by set_row once for each height and shared by
        # the rows of that height (nothing changes them once made): a city's 13,000 rows
        # have two heights.
        info = self._heights.get(height)
        if info is None:
            self.set_row(row, height)
            self._heights[height] = self.row_info[row]
        else:
            self.row_info[row] = info
            self.row_sizes[row] = [info.height, info.hidden]

    def _cell_tails(self, values: Sequence) -> list[str]:
        """Each cell's XML after `<c r=".." s=".."`, as XlsxWriter's `_write_cell` ends it.
        (One loop without a call for blanks and known numbers: 180,000 cells in a city.)"""
        number_tails = self._number_tails
        tails = []
        for value in values:
            if value is None:
                tails.append("/>")
            elif isinstance(value, str):
                tails.append(f' t="s"><v>{self._shared_string_index(value)}</v></c>')
            else:
                number = float(value)
                tails.append(number_tails.get(number) or self._new_number_tail(number))
        return tails

    def _new_number_tail(self, number: float) -> str:
        tail = _number_tail(number)
        if number:  # 0.0 and -0.0 are equal keys but written as "0" and "-0"
            self._number_tails[number] = tail
        return tail

    def _shared_string_index(self, string: str) -> int:
        # Excel's limit of 32,767 UTF-16 units, cut as `write_string` cuts it.
        if len(string) > self.xls_strmax // 2 and _utf16_len(string) > self.xls_strmax:
            string = _utf16_truncate(string, self.xls_strmax)
        return self.str_table._get_shared_string_index(string)

    def _write_rows(self) -> None:
        # XlsxWriter's loop over the rows (Worksheet._write_rows), except that a row of
        # write_cells is written in one string: XlsxWriter's own steps for it (a look at
        # each of its columns, the <row> tag assembled attribute by attribute, a call per
        # cell) cost more than its cells.
        self._calculate_spans()
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = self.table.get(row_num)
            span = self.row_spans.get(row_num // 16)
            info = self.row_info.get(row_num)
            first = cells.get(0) if cells else None
            if first.__class__ is _CellsRow:
                self.fh.write(self._cells_row_xml(row_num, span, info, first))
            elif cells:
                self._write_row(row_num, span, info)
                for col_num in range(self.dim_colmin, self.dim_colmax + 1):
                    if col_num in cells:
                        self._write_cell(row_num, col_num, cells[col_num])
                self._xml_end_tag("row")
            elif info is not None or row_num in self.comments:
                self._write_empty_row(row_num, span, info)

    def _calculate_spans(self) -> None:
        # XlsxWriter's `spans` of each block of 16 rows (its first and last column used),
        # from each row's lowest and highest column rather than a look at every column.
        spans = {}
        low = high = None
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            for used in (self.table.get(row_num), self.comments.get(row_num)):
                if used:
                    low = min(used) if low is None else min(low, *used)
                    high = max(used) if high is None else max(high, *used)
            block_ends = (row_num + 1) % 16 == 0 or row_num == self.dim_rowmax
            if block_ends and low is not None:
                spans[row_num // 16] = f"{low + 1}:{high + 1}"
                low = high = None
        self.row_spans = spans

    def _write_cell(self, row: int, col: int, cell) -> None:
        if cell is not _ROW_END:
            super()._write_cell(row, col, cell)

    def _cells_row_xml(self, row: int, span, info, cell: _CellsRow) -> str:
        number = row + 1
        start = self._row_start(span, info)
        cells = self._row_template(cell.formats).format(number, *cell.tails)
        return f'<row r="{number}"{start}{cells}</row>'

    def _row_start(self, span: str | None, info) -> str:
        """What follows `<row r=".."` in the row's tag, as XlsxWriter's `_write_row` writes
        it (spans, height…), asked of it once for each kind of row."""
        key = (span, None if info is None else _row_info_key(info))
        start = self._row_starts.get(key)
        if start is None:
            written, self.fh = self.fh, io.StringIO()
            try:
                self._write_row(0, span, info)
                start = self._row_starts[key] = self.fh.getvalue().removeprefix('<row r="1"')
            finally:
                self.fh = written
        return start

    def _row_template(self, formats: Sequence[Format]) -> str:
        """`<c r="A{0}" s="7"{1}<c r="B{0}" s="8"{2}…` for a tuple of formats, made once.
        Its formats are numbered here, at close, in column order as XlsxWriter numbers
        them cell by cell, so that they get the numbers they would have had."""
        known = self._row_templates.get(id(formats))
        if known is None:
            template = "".join(
                f'<c r="{xl_col_to_name(column)}{{0}}" s="{style._get_xf_index()}"{{{column + 1}}}'
                for column, style in enumerate(formats)
            )
            known = self._row_templates[id(formats)] = (formats, template)
        return known[1]
