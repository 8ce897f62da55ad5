"""Turning a sheet into source rows: data rows with their cells by field, and the 合计/小计
rows that will be checked against them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

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


@dataclass
class SourceRow:
    sheet: str
    row: int  # as Excel shows it, 1-based
    cells: dict[str, tuple[object, str]] = field(default_factory=dict)  # field → (value, column)
    kind: str = "data"  # data, subtotal, total
    label: str = ""  # the street a 小计 names, if any

    def text(self, name: str) -> str:
        return cell_text(self.cells[name][0]) if name in self.cells else ""

    def column(self, name: str) -> str:
        return self.cells[name][1] if name in self.cells else ""


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
    # Each field's column and its letter, worked out once for all the rows.
    columns = [
        (name, position, column_letter(sheet.first_col + position))
        for name, position in layout.columns.items()
    ]
    found: list[SourceRow] = []
    street = ""
    for index in range(layout.first_data_row, len(rows)):
        values = rows[index]
        if not any(cell_text(v) for v in values):
            continue
        if is_end_of_table(values):
            break
        source = _source_row(sheet, columns, values, index)
        if source.kind == "data":
            if not source.text("community") and not _has_figures(source):
                continue
            if "street" in layout.columns:
                street = source.text("street") or street
                source.cells["street"] = (street, column_letter(layout.columns["street"]))
        found.append(source)
    return SheetTable(sheet.name, layout, found)


def _source_row(
    sheet: RawSheet, columns: list[tuple[str, int, str]], values: list, index: int
) -> SourceRow:
    width = len(values)
    cells = {
        name: (values[position] if position < width else "", letter)
        for name, position, letter in columns
    }
    source = SourceRow(sheet=sheet.name, row=sheet.first_row + index + 1, cells=cells)
    leading = " ".join(source.text(n) for n in LEADING_FIELDS) or " ".join(
        cell_text(v) for v in values[:4]
    )
    match = SUM_WORDS.search(leading)
    if match:
        source.kind = "total" if match.group() in ("合计", "总计", "累计") else "subtotal"
        before = leading[: match.start()].split()
        source.label = before[-1] if before else source.text("street")
    return source


def _has_figures(source: SourceRow) -> bool:
    return any(
        isinstance(value, (int, float)) and not isinstance(value, bool)
        for value, _ in source.cells.values()
    )
