"""The problem workbook: a copy of the upload with every bad cell filled red (warnings
orange) and its message as a comment, plus a 问题清单 sheet listing them all."""

from __future__ import annotations

import datetime
from typing import BinaryIO

from shequ.core.xlsx import values_only_workbook
from shequ.ledger.importing.files import RawSheet
from shequ.ledger.importing.plan import ImportPlan, Problem

PROBLEM_SHEET = "问题清单"


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def write_problem_workbook(sheets: list[RawSheet], plan: ImportPlan, target: BinaryIO) -> None:
    book = values_only_workbook(target)
    error_style = book.add_format({"bg_color": "#FF9999", "border": 1, "border_color": "#C00000"})
    warning_style = book.add_format({"bg_color": "#FFD966"})
    marks = _marks(plan)
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name[:31])
        for r, values in enumerate(sheet.rows):
            for c, value in enumerate(values):
                key = (sheet.name, sheet.first_row + r + 1, c + sheet.first_col)
                mark = marks.get(key)
                style = None
                if mark:
                    style = error_style if mark[0] else warning_style
                _write(ws, r, c, value, style)
                if mark:
                    ws.write_comment(r, c, "\n".join(mark[1]), {"x_scale": 2, "y_scale": 1.5})
    _problem_list(book, plan)
    book.close()


def _marks(plan: ImportPlan) -> dict[tuple, tuple[bool, list[str]]]:
    marks: dict[tuple, tuple[bool, list[str]]] = {}
    for problems, is_error in ((plan.errors, True), (plan.warnings, False)):
        for problem in problems:
            if not problem.row or not problem.column:
                continue
            key = (problem.sheet, problem.row, _column_index(problem.column))
            was_error, texts = marks.get(key, (False, []))
            label = "错误" if is_error else "警告"
            marks[key] = (was_error or is_error, [*texts, f"{label}：{problem.message}"])
    return marks


def _write(ws, row: int, column: int, value, style) -> None:
    if value is None or value == "":
        if style is not None:
            ws.write_blank(row, column, None, style)
        return
    if isinstance(value, bool):
        ws.write_boolean(row, column, value, style)
    elif isinstance(value, (int, float)):
        ws.write_number(row, column, value, style)
    elif isinstance(value, (datetime.date, datetime.datetime)):
        ws.write_string(row, column, value.isoformat(), style)
    else:
        ws.write_string(row, column, str(value), style)


def _problem_list(book, plan: ImportPlan) -> None:
    ws = book.add_worksheet(PROBLEM_SHEET)
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    for column, (title, width) in enumerate(
        [("类别", 8), ("工作表", 14), ("行", 6), ("列", 6), ("项目", 18), ("问题", 80)]
    ):
        ws.write_string(0, column, title, bold)
        ws.set_column(column, column, width)
    line = 1
    for problems, label in ((plan.errors, "错误"), (plan.warnings, "警告")):
        for problem in problems:
            _problem_row(ws, line, label, problem)
            line += 1


def _problem_row(ws, line: int, label: str, problem: Problem) -> None:
    ws.write_string(line, 0, label)
    ws.write_string(line, 1, problem.sheet)
    if problem.row:
        ws.write_number(line, 2, problem.row)
    ws.write_string(line, 3, problem.column)
    ws.write_string(line, 4, problem.field)
    ws.write_string(line, 5, problem.message)
