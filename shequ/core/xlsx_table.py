"""One table on one printable sheet: title, a line under it, the header row, the lines,
the sum lines, notes and the sign-off (ADR 0042). The evaluation table, the plans' summary
and the subsidy allocations are written by it; the 统计台帐 has its own two-row header and
shares the measures, page set-up and sign-off (`xlsx_layout`).

Figures are numbers in number formats, dates are date cells in 2026年12月7日 format, sums
are values computed by the caller (never formulas, like every workbook of this system),
and each column is as wide as its widest header line or value, up to a maximum where the
column's text wraps; each row is as high as its wrapped cells need.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from shequ.core.xlsx import values_only_workbook
from shequ.core.xlsx_layout import (
    CELL_PADDING,
    Formats,
    SignOff,
    chinese_date_text,
    excel_date,
    fitting_width,
    merged_text_height,
    print_setup,
    printed_lines,
    row_height,
    widest_line,
    write_sign_off,
)

NOT_APPLICABLE = "—"


@dataclass(frozen=True)
class Column:
    """A column: its header (“\\n” where it breaks, at word boundaries), its kind of cell
    (a key of `xlsx_layout.NUMBER_FORMATS`) and, for text that may run long, the widest
    it grows before its text wraps."""

    header: str
    kind: str
    wrap_at: float | None = None
    minimum: float = 5


@dataclass(frozen=True)
class TableLine:
    """A line's values, one a column: None is an empty cell, a str in a number column is
    a mark (“—”). A sum line (`total`) writes its first value across `label_span`
    columns."""

    values: Sequence
    total: bool = False
    label_span: int = 1


@dataclass
class TableSheet:
    name: str
    title: str
    columns: list[Column]
    lines: list[TableLine]
    subtitle: tuple[str, str] = ("", "")  # left and right of the line under the title
    notes: list[str] = field(default_factory=list)
    sign_off: list[SignOff] = field(default_factory=list)


def cell_text(value, kind: str) -> str:
    """What a cell shows, as its number format shows it (to measure it)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.date):
        return chinese_date_text(value)
    shown = {
        "int": lambda v: f"{v:.0f}",
        "index": lambda v: f"{v:.0f}",
        "area": lambda v: f"{v:.1f}",
        "ratio": lambda v: f"{v:.2f}",
        "money": lambda v: f"{v:.2f}",
        "percent": lambda v: f"{v * 100:.1f}%",
        "points": lambda v: f"{v:+.1f}",
    }.get(kind, str)
    return shown(float(value))


def column_widths(sheet: TableSheet) -> list[float]:
    """Each column as wide as its header's widest line and its widest value (values of
    wrapped columns up to `wrap_at`). A sum line's label spans columns and is left out."""
    widths = []
    for index, column in enumerate(sheet.columns):
        values = [
            cell_text(line.values[index], column.kind)
            for line in sheet.lines
            if not (line.label_span > 1 and index < line.label_span)
        ]
        content = fitting_width(values, column.minimum, column.wrap_at)
        widths.append(max(content, widest_line(column.header) + CELL_PADDING + 0.5))
    return widths


def line_height(line: TableLine, columns: list[Column], widths: list[float]) -> float:
    lines = 1
    for index, (value, column) in enumerate(zip(line.values, columns, strict=True)):
        if line.label_span > 1 and index < line.label_span:
            if index:
                continue
            width = sum(widths[: line.label_span])
        else:
            width = widths[index]
        lines = max(lines, printed_lines(cell_text(value, column.kind), width))
    return row_height(lines)


TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 0, 1, 2


def write_table_workbook(sheets: list[TableSheet], target) -> None:
    book = values_only_workbook(target)
    formats = Formats(book)
    for sheet in sheets:
        _write_sheet(book.add_worksheet(sheet.name), sheet, formats)
    book.close()


def _write_sheet(ws, sheet: TableSheet, formats: Formats) -> None:
    widths = column_widths(sheet)
    last = len(widths) - 1
    for index, width in enumerate(widths):
        ws.set_column(index, index, width)
    ws.set_row(TITLE_ROW, 36)
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last, sheet.title, formats.title)
    _write_subtitle(ws, sheet.subtitle, widths, formats)
    header_lines = max(len(c.header.split("\n")) for c in sheet.columns)
    ws.set_row(HEADER_ROW, row_height(header_lines))
    for index, column in enumerate(sheet.columns):
        ws.write_string(HEADER_ROW, index, column.header, formats.header)
    row = HEADER_ROW + 1
    for line in sheet.lines:
        _write_line(ws, row, line, sheet.columns, widths, formats)
        row += 1
    row += 1  # a blank row before the notes
    for note in sheet.notes:
        ws.set_row(row, merged_text_height(note, widths))
        ws.merge_range(row, 0, row, last, note, formats.note)
        row += 1
    if sheet.sign_off:
        row = write_sign_off(ws, row + 1, sheet.sign_off, widths, formats.sign, formats.sign_date)
    print_setup(ws, widths=widths, title_rows=(HEADER_ROW, HEADER_ROW), last_row=row)
    ws.freeze_panes(HEADER_ROW + 1, 0)


def _write_subtitle(ws, subtitle: tuple[str, str], widths: list[float], formats) -> None:
    left, right = subtitle
    last = len(widths) - 1
    middle = len(widths) // 2
    ws.set_row(SUBTITLE_ROW, 20)
    ws.merge_range(SUBTITLE_ROW, 0, SUBTITLE_ROW, middle - 1, left, formats.line)
    ws.merge_range(SUBTITLE_ROW, middle, SUBTITLE_ROW, last, right, formats.line_right)


def _write_line(ws, row: int, line: TableLine, columns, widths, formats: Formats) -> None:
    ws.set_row(row, line_height(line, columns, widths))
    for index, (value, column) in enumerate(zip(line.values, columns, strict=True)):
        if line.label_span > 1 and index < line.label_span:
            if index == 0:
                style = formats.cell("text", line.total)
                ws.merge_range(row, 0, row, line.label_span - 1, value or "", style)
            continue
        kind = column.kind
        if isinstance(value, str) and kind != "text":
            kind = "center"  # a mark in a number column
        _write_value(ws, row, index, value, formats.cell(kind, line.total))


def _write_value(ws, row: int, column: int, value, style) -> None:
    if value is None:
        ws.write_blank(row, column, None, style)
    elif isinstance(value, str):
        ws.write_string(row, column, value, style)
    elif isinstance(value, datetime.date):
        ws.write_datetime(row, column, excel_date(value), style)
    elif isinstance(value, Decimal | int | float):
        ws.write_number(row, column, float(value), style)
    else:
        raise TypeError(f"a cell holds a text, a number or a date, not {value!r}")
