"""Turning a sheet into source rows: data rows with their cells by field, and the 合计/小计
rows that will be checked against them."""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass

from shequ.ledger.importing.cells import cell_text
from shequ.ledger.importing.files import RawSheet
from shequ.ledger.importing.layout import Layout, fill_merged, find_layout, is_end_of_table

SUM_WORDS = re.compile(r"合计|小计|总计|累计")
LEADING_FIELDS = ("number", "code", "street", "community")


@functools.cache
def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(slots=True)
class SourceRow:
    sheet: str
    row: int  # as Excel shows it, 1-based
    cells: dict[str, object]  # field → the cell's value, for the fields the table has
    columns: dict[str, str]  # field → column letter; one dict shared by a table's rows
    kind: str = "data"  # data, subtotal, total
    label: str = ""  # the street a 小计 names, if any

    def text(self, name: str) -> str:
        return cell_text(self.cells[name]) if name in self.cells else ""

    def column(self, name: str) -> str:
        return self.columns.get(name, "")


@dataclass
class SheetTable:
    sheet: str
    layout: Layout | None
    rows: list[SourceRow]


def read_table(sheet: RawSheet) -> SheetTable:
    rows = fill_merged(sheet)
    layout = find_layout(rows)
    if layout is None:
        return SheetTable(sheet.name, None, [])
    reading = _RowReading(sheet, layout)
    found: list[SourceRow] = []
    street = ""
    for index in range(layout.first_data_row, len(rows)):
        values = rows[index]
        if not _has_content(values):
            continue
        if is_end_of_table(values):
            break
        source = reading.source_row(values, index)
        if source.kind == "data":
            if not source.text("community") and not _has_figures(source):
                continue
            if "street" in source.cells:
                street = source.text("street") or street  # the street merged down its rows
                source.cells["street"] = street
        found.append(source)
    return SheetTable(sheet.name, layout, found)


class _RowReading:
    """What a table's rows share: each field's column, worked out once for all the rows."""

    def __init__(self, sheet: RawSheet, layout: Layout):
        self.sheet = sheet
        self.fields = tuple(layout.columns)
        self.pick = operator.itemgetter(*layout.columns.values())
        self.width = max(layout.columns.values()) + 1
        self.columns = {
            name: column_letter(sheet.first_col + position)
            for name, position in layout.columns.items()
        }
        # Where a 合计/小计 label can be: the leading fields' columns, else the first four.
        leading = [layout.columns[n] for n in LEADING_FIELDS if n in layout.columns]
        self.label_positions = sorted({*leading, 0, 1, 2, 3})

    def source_row(self, values: list, index: int) -> SourceRow:
        if len(values) < self.width:
            values = [*values, *[""] * (self.width - len(values))]
        picked = self.pick(values)
        cells = dict(zip(self.fields, picked if len(self.fields) > 1 else (picked,), strict=True))
        source = SourceRow(self.sheet.name, self.sheet.first_row + index + 1, cells, self.columns)
        if self._may_be_a_sum(values):
            _mark_sum(source, values)
        return source

    def _may_be_a_sum(self, values: list) -> bool:
        # Every sum word holds 计, and no other character's NFKC form contains it (checked
        # over all of Unicode by a test): a row without it in its label columns is data,
        # found without normalizing its text. A plain loop: a generator per row cost more
        # than the test itself.
        width = len(values)
        for i in self.label_positions:
            if i < width:
                value = values[i]
                if type(value) is str and SUM_CHARACTER in value:
                    return True
        return False


SUM_CHARACTER = "计"


def _mark_sum(source: SourceRow, values: list) -> None:
    leading = " ".join(source.text(n) for n in LEADING_FIELDS) or " ".join(
        cell_text(v) for v in values[:4]
    )
    match = SUM_WORDS.search(leading)
    if match:
        source.kind = "total" if match.group() in ("合计", "总计", "累计") else "subtotal"
        before = leading[: match.start()].split()
        source.label = before[-1] if before else source.text("street")


def _has_content(values: list) -> bool:
    """Anything a person would see: a number, a date, or text that is not blank."""
    for value in values:
        if type(value) is str:
            if value and cell_text(value):
                return True
        elif value is not None:
            return True
    return False


def _has_figures(source: SourceRow) -> bool:
    return any(
        isinstance(value, (int, float)) and not isinstance(value, bool)
        for value in source.cells.values()
    )
