"""The problem workbook: the user's own file with every bad cell filled red (warnings
orange) and its messages as a comment, plus a 问题清单 sheet listing them all.

An .xlsx is marked in place (openpyxl keeps its merges, widths, number formats, fonts,
formulas, page set-up and other sheets); a file openpyxl cannot open (.xls, .ods, .csv)
is rebuilt from the values read."""

from __future__ import annotations

import io
from dataclasses import dataclass

from shequ.ledger.fields import LABELS
from shequ.ledger.importing.files import RawSheet
from shequ.ledger.importing.plan import ImportPlan

PROBLEM_SHEET = "问题清单"
PROBLEM_COLUMNS = (("类别", 8), ("工作表", 14), ("行", 6), ("列", 6), ("项目", 22), ("问题", 80))
ERROR_COLOUR, WARNING_COLOUR = "FF9999", "FFD966"
# Starts our part of a cell's comment: a re-uploaded marked file loses the earlier marks
# (they describe a file that has since changed) and keeps the user's own comments.
MARK_HEADING = "【台账导入检查】"
MARK_AUTHOR = "台账导入检查"

# The columns the reader knows besides the ledger's own fields (layout.HEADER_RULES).
_COLUMN_LABELS = {
    "total": "综合服务设施总建筑面积",
    "ratio": "每百户居民拥有综合服务设施面积",
    "street": "所在街道（乡镇）",
    "community": "社区名称",
    "code": "区划代码",
    "number": "序号",
}


def field_label(name: str) -> str:
    """What the user calls a problem's field; blank for one without a name they know."""
    return _COLUMN_LABELS.get(name) or LABELS.get(name, "")


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
    header = tuple(sheet.rows[0][:6]) if sheet.rows else ()
    return sheet.name == PROBLEM_SHEET and header == tuple(t for t, _ in PROBLEM_COLUMNS)


def problem_marks(plan: ImportPlan) -> dict[tuple[str, int, str], Mark]:
    """(sheet, row, column letter) → the mark of that cell: an error wins over a warning,
    and every message is kept. Problems without a cell go to the list only."""
    marks: dict[tuple[str, int, str], Mark] = {}
    for problems, is_error in ((plan.errors, True), (plan.warnings, False)):
        for problem in problems:
            if not problem.row or not problem.column:
                continue
            key = (problem.sheet, problem.row, problem.column)
            earlier = marks.get(key, Mark(False, ()))
            text = f"{'错误' if is_error else '警告'}：{problem.message}"
            marks[key] = Mark(earlier.is_error or is_error, (*earlier.texts, text))
    return marks


def problem_lines(plan: ImportPlan) -> list[tuple[str, str, int | None, str, str, str]]:
    """The 问题清单's rows: 类别、工作表、行、列、项目、问题."""
    return [
        (kind, p.sheet, p.row or None, p.column, field_label(p.field), p.message)
        for problems, kind in ((plan.errors, "错误"), (plan.warnings, "警告"))
        for p in problems
    ]
