"""The problem workbook of an upload openpyxl cannot open (.xls, .ods, .csv): a copy
rebuilt from the values read, with the problem cells marked and a 问题清单 sheet."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import BinaryIO

from shequ.core.xlsx import values_only_workbook
from shequ.ledger.importing.files import RawSheet
from shequ.ledger.importing.plan import ImportPlan
from shequ.ledger.importing.problems import (
    ERROR_COLOUR,
    PROBLEM_COLUMNS,
    PROBLEM_SHEET,
    WARNING_COLOUR,
    problem_lines,
    problem_marks,
)
from shequ.ledger.importing.reader import column_letter


def write_problem_workbook(sheets: list[RawSheet], plan: ImportPlan, target: BinaryIO) -> None:
    book = values_only_workbook(target)
    error_style = book.add_format({"bg_color": f"#{ERROR_COLOUR}", "border": 1})
    warning_style = book.add_format({"bg_color": f"#{WARNING_COLOUR}"})
    marks = problem_marks(plan)
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name[:31])
        for r, values in enumerate(sheet.rows):
            for c, value in enumerate(values):
                key = (sheet.name, sheet.first_row + r + 1, column_letter(c + sheet.first_col))
                mark = marks.get(key)
                style = None
                if mark:
                    style = error_style if mark.is_error else warning_style
                _write(ws, r, c, value, style)
                if mark:
                    ws.write_comment(r, c, "\n".join(mark.texts), {"x_scale": 2, "y_scale": 1.5})
    _problem_list(book, plan)
    book.close()


def _write(ws, row: int, column: int, value, style) -> None:
    if value is None or value == "":
        if style is not None:
            ws.write_blank(row, column, None, style)
        return
    if isinstance(value, bool):
        ws.write_boolean(row, column, value, style)
    elif isinstance(value, (int, float, Decimal)):  # Decimal: a recomputed formula
        ws.write_number(row, column, value, style)
    elif isinstance(value, (datetime.date, datetime.datetime)):
        ws.write_string(row, column, value.isoformat(), style)
    else:
        ws.write_string(row, column, str(value), style)


def _problem_list(book, plan: ImportPlan) -> None:
    ws = book.add_worksheet(PROBLEM_SHEET)
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    for column, (title, width) in enumerate(PROBLEM_COLUMNS):
        ws.write_string(0, column, title, bold)
        ws.set_column(column, column, width)
    for line, values in enumerate(problem_lines(plan), start=1):
        for column, value in enumerate(values):
            if isinstance(value, int):
                ws.write_number(line, column, value)
            elif value:
                ws.write_string(line, column, value)
    ws.freeze_panes(1, 0)
