"""The problem workbook: the user's own file with every bad cell filled red (warnings
orange) and its messages as a comment, plus a 问题清单 sheet listing them all (all the
plan lists: past its LISTED_PROBLEMS, problems are counted, and the list says how many
were left out, of which fields, and that their cells are not marked).

An .xlsx is marked in place (openpyxl keeps its merges, widths, number formats, fonts,
formulas, page set-up and other sheets); a file openpyxl cannot open (.xls, .ods, .csv)
is rebuilt from the values read."""

from __future__ import annotations

import io
from dataclasses import dataclass

from shequ.ledger.importing.files import RawSheet
from shequ.ledger.importing.plan import ImportPlan
from shequ.ledger.importing.problem_list import field_label, more_problems

PROBLEM_SHEET = "问题清单"
PROBLEM_COLUMNS = (("类别", 8), ("工作表", 14), ("行", 6), ("列", 6), ("项目", 22), ("问题", 80))
ERROR_COLOUR, WARNING_COLOUR = "FF9999", "FFD966"
# Starts our part of a cell's comment: a re-uploaded marked file loses the earlier marks
# (they describe a file that has since changed) and keeps the user's own comments.
MARK_HEADING = "【台账导入检查】"
MARK_AUTHOR = "台账导入检查"


@dataclass(frozen=True)
class Mark:
    is_error: bool
    texts: tuple[str, ...]


def problem_workbook_bytes(content: bytes, sheets: list[RawSheet], plan: ImportPlan) -> bytes:
    """The problem workbook of an upload: `content` marked when it is an .xlsx that
    openpyxl can hold, else a copy rebuilt from `sheets` (the values read from it)."""
    # The writers are imported only when a problem workbook is asked for, not at the start
    # of every import: openpyxl alone took a city's dry run a tenth of a second.
    from shequ.ledger.importing.problems_rebuilt import write_problem_workbook
    from shequ.ledger.importing.problems_xlsx import marked_xlsx, openable_xlsx

    book = openable_xlsx(content)
    if book is not None:
        return marked_xlsx(book, plan)
    buffer = io.BytesIO()
    write_problem_workbook(without_problem_list(sheets), plan, buffer)
    return buffer.getvalue()


def without_problem_list(sheets: list[RawSheet]) -> list[RawSheet]:
    """The sheets of a file without the 问题清单 this module added to it: a marked file sent
    back after its fixes is imported from its own sheets only."""
    return [sheet for sheet in sheets if not _is_problem_list(sheet)]


def _is_problem_list(sheet: RawSheet) -> bool:
    if sheet.name != PROBLEM_SHEET:
        return False
    header = tuple(next(iter(sheet.rows), [])[:6])  # a streamed sheet: its first row only
    return header == tuple(t for t, _ in PROBLEM_COLUMNS)


def problem_marks(plan: ImportPlan) -> dict[tuple[str, int, str], Mark]:
    """(sheet, row, column letter) → the mark of that cell: an error wins over a warning,
    and every listed message is kept. Problems without a cell go to the list only."""
    marks: dict[tuple[str, int, str], Mark] = {}
    for problems, is_error in ((plan.errors.listed, True), (plan.warnings.listed, False)):
        for problem in problems:
            if not problem.row or not problem.column:
                continue
            key = (problem.sheet, problem.row, problem.column)
            earlier = marks.get(key, Mark(False, ()))
            text = f"{'错误' if is_error else '警告'}：{problem.message}"
            marks[key] = Mark(earlier.is_error or is_error, (*earlier.texts, text))
    return marks


def problem_lines(plan: ImportPlan) -> list[tuple[str, str, int | None, str, str, str]]:
    """The 问题清单's rows: 类别、工作表、行、列、项目、问题; first, under the header where
    it is seen on opening, a 说明 line for each severity the plan did not list in full."""
    notes = [("说明", "", None, "", "", note) for note in not_listed_notes(plan)]
    return notes + [
        (kind, p.sheet, p.row or None, p.column, field_label(p.field), p.message)
        for problems, kind in ((plan.errors.listed, "错误"), (plan.warnings.listed, "警告"))
        for p in problems
    ]


def not_listed_notes(plan: ImportPlan) -> list[str]:
    """What the workbook says of the problems counted but not listed: how many, of which
    fields, and that their cells are not marked."""
    notes = []
    if plan.errors.not_listed:
        more = more_problems(plan.errors.not_listed, "错误")
        notes.append(f"{more}，所在单元格也未标出；请先改正本表列出的错误，再重新导入检查其余的。")
    if plan.warnings.not_listed:
        more = more_problems(plan.warnings.not_listed, "警告")
        notes.append(f"{more}，所在单元格也未标出。")
    return notes
