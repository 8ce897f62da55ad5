"""The problem workbook of an .xlsx upload: the user's own workbook, opened by openpyxl
(which keeps its merges, widths, number formats, fonts, formulas, page set-up and other
sheets), with the problem cells marked and a 问题清单 sheet added."""

from __future__ import annotations

import io
import zipfile

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from shequ.ledger.importing.plan import ImportPlan
from shequ.ledger.importing.problems import (
    ERROR_COLOUR,
    MARK_AUTHOR,
    MARK_HEADING,
    PROBLEM_COLUMNS,
    PROBLEM_SHEET,
    WARNING_COLOUR,
    Mark,
    problem_lines,
    problem_marks,
)

# openpyxl holds a workbook in about 14 times its sheets' XML (a city's ledger, 4.6 MB of
# it, took 60 MB). Larger sheets (over five cities) are rebuilt from their values instead
# of marked, so that the download stays well inside a web worker's memory.
MAX_MARKED_SHEETS_XML = 24 * 1024 * 1024


def openable_xlsx(content: bytes):
    """The upload as an openpyxl workbook, or None: not an .xlsx (an .ods is a zip with a
    mimetype part instead), sheets too large to hold as openpyxl's cell objects, or a file
    calamine read but openpyxl cannot."""
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        parts = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in {part.filename for part in parts}:
        return None
    sheets_xml = sum(p.file_size for p in parts if p.filename.startswith("xl/worksheets/"))
    if sheets_xml > MAX_MARKED_SHEETS_XML:
        return None
    try:
        # Not data_only: the user's formulas stay formulas (Excel and WPS compute them
        # again on opening, as openpyxl asks them to).
        return openpyxl.load_workbook(io.BytesIO(content), data_only=False, rich_text=True)
    except Exception:  # openpyxl's refusals are of many kinds; the rebuilt copy always works
        return None


def marked_xlsx(book, plan: ImportPlan) -> bytes:
    """The user's workbook with the plan's problems marked and listed."""
    if PROBLEM_SHEET in book.sheetnames:
        del book[PROBLEM_SHEET]
    for ws in book.worksheets:
        _clear_earlier_marks(ws)
    for (sheet, row, column), mark in problem_marks(plan).items():
        if sheet in book.sheetnames:
            _mark_cell(book[sheet], row, column, mark)
    _add_problem_list(book, plan)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _clear_earlier_marks(ws) -> None:
    for cell in _cells_held(ws):
        comment = cell.comment
        if comment is None or MARK_HEADING not in comment.text:
            continue
        own = comment.text.split(MARK_HEADING, 1)[0].strip()
        cell.comment = Comment(own, comment.author) if own else None
        if _our_fill(cell.fill):
            cell.fill = PatternFill(fill_type=None)


def _cells_held(ws) -> list:
    """The cells the file holds, from openpyxl's own table of them where it has one:
    iter_rows() makes every empty cell of the sheet's extent (up to the upload limit's two
    million) just to find a few comments. iter_rows() is the public fallback, should a
    later openpyxl keep its cells otherwise."""
    held = getattr(ws, "_cells", None)
    if isinstance(held, dict):
        return list(held.values())
    return [cell for row in ws.iter_rows() for cell in row]


def _our_fill(fill) -> bool:
    colour = getattr(fill.fgColor, "rgb", None)
    return (
        fill.fill_type == "solid"
        and isinstance(colour, str)
        and colour[-6:]
        in (
            ERROR_COLOUR,
            WARNING_COLOUR,
        )
    )


def _mark_cell(ws, row: int, column: str, mark: Mark) -> None:
    cell = ws[f"{column}{row}"]
    texts = list(mark.texts)
    merged = _merged_range_of(ws, cell.coordinate)
    if merged is not None:  # only a merged range's first cell shows a fill or a comment
        cell = ws.cell(merged.min_row, merged.min_col)
        texts = [f"第{row}行：{text}" for text in texts]
    cell.fill = PatternFill("solid", fgColor=ERROR_COLOUR if mark.is_error else WARNING_COLOUR)
    cell.comment = _comment(cell.comment, texts)


def _merged_range_of(ws, coordinate: str):
    for merged in ws.merged_cells.ranges:
        if coordinate in merged and coordinate != merged.start_cell.coordinate:
            return merged
    return None


def _comment(existing: Comment | None, texts: list[str]) -> Comment:
    """Our messages under the cell's own comment (and under what a merged range's other
    rows put there), never instead of it."""
    ours = "\n".join(texts)
    if existing is not None and existing.text.strip():
        text = existing.text.rstrip()
        text = f"{text}\n{ours}" if MARK_HEADING in text else f"{text}\n\n{MARK_HEADING}\n{ours}"
        author = existing.author or MARK_AUTHOR
    else:
        text, author = f"{MARK_HEADING}\n{ours}", MARK_AUTHOR
    comment = Comment(text, author)
    comment.width, comment.height = 320, 40 + 18 * text.count("\n")
    return comment


def _add_problem_list(book, plan: ImportPlan) -> None:
    ws = book.create_sheet(PROBLEM_SHEET)
    bold = Font(bold=True)
    grey = PatternFill("solid", fgColor="F2F2F2")
    for index, (title, width) in enumerate(PROBLEM_COLUMNS, start=1):
        cell = ws.cell(1, index, title)
        cell.font, cell.fill = bold, grey
        ws.column_dimensions[cell.column_letter].width = width
    for line, values in enumerate(problem_lines(plan), start=2):
        for index, value in enumerate(values, start=1):
            _plain_cell(ws, line, index, value)
    ws.freeze_panes = "A2"


def _plain_cell(ws, row: int, column: int, value) -> None:
    """A value as it is: text that starts with "=" stays text, never a formula."""
    if value is None or value == "":
        return
    cell = ws.cell(row, column, value)
    if isinstance(value, str):
        cell.data_type = "s"
