"""Lay the official ledger workbook out as the notice's attachment: title, 填报单位 line,
two-row merged header, 城市社区 and 农村社区 sheets, 小计/合计/城乡合计, the 说明 notes and
the sign-off line; A4 landscape, header rows repeated, fit to width. Values only, never
formulas, and no typed text ever becomes one. Header texts break at word boundaries (their
own line breaks, each line fitting its column), never where the column happens to end."""

from __future__ import annotations

import math
import operator
import unicodedata
from typing import BinaryIO

from shequ.core.xlsx import values_only_workbook
from shequ.core.xlsx_rows import PublicRowsWorksheet, RowsWorksheet, rows_worksheet_class
from shequ.ledger.export import LISTED_FACILITIES, UNIT, LedgerWorkbook, Line, Sheet

LAST_COL = 13  # A … N
HEADER_TOP, HEADER_BOTTOM = 2, 3
FIRST_DATA_ROW = 4
SINGLE_COLUMNS = [  # (column, header) of the columns that span both header rows
    (0, "序号"),
    (1, "所在街道\n（乡镇）"),
    (2, "社区名称"),
    (3, "辖区\n户籍人口\n总户数\n（户）"),
    (4, f"综合服务\n设施\n总建筑面积\n（{UNIT}）"),
    (11, f"每百户居民\n拥有综合\n服务设施\n面积（{UNIT}）"),
    (12, "达标\n年度"),
    (13, "备注"),
]
FACILITY_COLUMNS = range(5, 11)
# The six facilities under 其中, in the fields' order (LISTED_FACILITIES).
FACILITY_HEADERS = (
    "便民服务\n中心",
    "警务室",
    "日间照料\n中心\n（养老\n服务站）",
    "卫生\n服务站",
    "文化\n活动室",
    "菜店\n（平价\n超市）",
)
# Column widths in Excel's units (about one Latin digit; a Chinese character takes two),
# chosen so that the fourteen columns fit an A4 landscape page at nearly full size and each
# line of a header fits its column (`header_width`).
WIDTHS = [4.5, 9, 20, 8.5, 10.5, 9, 7, 8.5, 8, 8, 8, 10.5, 9, 28]
WRAPPED_COLUMNS = (1, 2, 13)
LINE_HEIGHT = 14.0
BODY_FONT = "宋体"
TITLE_FONT = "方正小标宋简体"


def write_xlsx(workbook_data: LedgerWorkbook, target: str | BinaryIO) -> None:
    book = values_only_workbook(target)
    styles = _styles(book)
    for sheet in workbook_data.sheets:
        ws = book.add_worksheet(sheet.name, worksheet_class=rows_worksheet_class())
        _write_sheet(ws, sheet, workbook_data, styles)
    book.close()


def _styles(book) -> dict:
    base = {"font_name": BODY_FONT, "font_size": 10.5, "valign": "vcenter"}
    cell = {**base, "border": 1}

    def style(**extra):
        return book.add_format({**cell, **extra})

    styles = {
        "title": book.add_format(
            {**base, "font_name": TITLE_FONT, "font_size": 20, "align": "center"}
        ),
        "unit": book.add_format({**base, "font_size": 11}),
        "unit_right": book.add_format({**base, "font_size": 11, "align": "right"}),
        "header": style(bold=True, align="center", text_wrap=True, bg_color="#F2F2F2"),
        "text": style(text_wrap=True),
        "center": style(align="center"),
        "int": style(num_format="0"),
        "area": style(num_format="0.0"),
        "ratio": style(num_format="0.00"),
        "sum_text": style(bold=True, bg_color="#F2F2F2", text_wrap=True),
        "sum_int": style(bold=True, bg_color="#F2F2F2", num_format="0"),
        "sum_area": style(bold=True, bg_color="#F2F2F2", num_format="0.0"),
        "sum_ratio": style(bold=True, bg_color="#F2F2F2", num_format="0.00"),
        "note": book.add_format({**base, "font_size": 10, "text_wrap": True, "valign": "top"}),
        "sign": book.add_format({**base, "font_size": 11}),
    }
    styles["cells"] = _line_formats(styles, "center", "text", "int", "area", "ratio")
    styles["sum_cells"] = _line_formats(
        styles, "sum_text", "sum_text", "sum_int", "sum_area", "sum_ratio"
    )
    return styles


def _line_formats(styles: dict, center: str, text: str, integer: str, area: str, ratio: str):
    """The format of each of a line's fourteen cells, A … N."""
    return (
        styles[center],  # 序号
        styles[text],  # 所在街道（乡镇）
        styles[text],  # 社区名称
        styles[integer],  # 户数
        styles[area],  # 总面积
        *[styles[area]] * len(FACILITY_COLUMNS),
        styles[ratio],  # 每百户面积
        styles[center],  # 达标年度
        styles[text],  # 备注
    )


def _write_sheet(ws, sheet: Sheet, data: LedgerWorkbook, styles: dict) -> None:
    for column, width in enumerate(WIDTHS):
        ws.set_column(column, column, width)
    ws.set_row(0, 36)
    ws.merge_range(0, 0, 0, LAST_COL, data.title_line, styles["title"])
    ws.merge_range(1, 0, 1, 4, f"填报单位：{data.unit}（盖章）", styles["unit"])
    ws.merge_range(1, 5, 1, 9, f"报告期：{data.period.label}　{sheet.name}", styles["unit"])
    ws.merge_range(1, 10, 1, LAST_COL, data.filled_on_text, styles["unit_right"])
    _write_header(ws, styles)
    row = FIRST_DATA_ROW
    for line in sheet.lines:
        _write_line(ws, row, line, styles)
        row += 1
    _write_notes_and_sign_off(ws, row + 1, data.notes, styles)
    _print_setup(ws, last_row=row + 1 + len(data.notes) + 2)


def _write_header(ws, styles: dict) -> None:
    ws.set_row(HEADER_TOP, 20)
    ws.set_row(HEADER_BOTTOM, LINE_HEIGHT * 4 + 6)  # 日间照料中心（养老服务站）: four lines
    for column, text in SINGLE_COLUMNS:
        ws.merge_range(HEADER_TOP, column, HEADER_BOTTOM, column, text, styles["header"])
    ws.merge_range(HEADER_TOP, 5, HEADER_TOP, 10, "其中", styles["header"])
    for column, text in zip(FACILITY_COLUMNS, FACILITY_HEADERS, strict=True):
        ws.write_string(HEADER_BOTTOM, column, text, styles["header"])


def header_width(text: str) -> int:
    """A header line's width in Excel's units, counted generously (a Chinese character of
    bold 宋体 10.5 as two digits): a line that fits by this measure is never broken."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class _CharacterWidths(dict):
    """Each character's width, found once: a city's names and 备注 run to 260,000
    characters of 1,500 kinds."""

    def __missing__(self, character: str) -> float:
        width = self[character] = 1.6 if unicodedata.east_asian_width(character) in "WF" else 1
        return width


_CHARACTER_WIDTHS = _CharacterWidths()


def display_width(text: str) -> float:
    """Width in Excel's units: a Chinese character of 宋体 10.5 takes about one and a half."""
    return sum(map(_CHARACTER_WIDTHS.__getitem__, text))


# (column, characters a printed line of it holds) of the wrapped columns
_WRAP_WIDTHS = tuple((c, max(WIDTHS[c] - 1, 1)) for c in WRAPPED_COLUMNS)


def row_height(line: Line) -> float:
    """Excel does not grow rows for wrapped text written by a program: size them here."""
    texts = {1: line.street, 2: line.community, 13: line.remarks}
    lines = max(printed_lines(texts[c], width) for c, width in _WRAP_WIDTHS)
    return LINE_HEIGHT * lines + 4


def printed_lines(text: str, width: int) -> int:
    # No character is wider than 1.6, so a text of up to width / 2 characters fits on one
    # line without measuring it: most names and 备注 of a city do.
    if 2 * len(text) <= width:
        return 1
    return math.ceil(display_width(text) / width) or 1


_listed_facilities = operator.itemgetter(*LISTED_FACILITIES)


def _write_line(
    ws: RowsWorksheet | PublicRowsWorksheet, row: int, line: Line, styles: dict
) -> None:
    formats = styles["sum_cells" if line.kind != "community" else "cells"]
    ws.write_cells(row, cell_values(line), formats, height=row_height(line))


def cell_values(line: Line) -> list:
    """The fourteen cells of a line, A … N (None: a blank cell with its border)."""
    return [
        line.number,
        line.street,
        line.community,
        line.households,
        line.total,
        *_listed_facilities(line.facilities),
        line.ratio,
        line.compliance_year.cell if line.compliance_year else None,
        line.remarks,
    ]


def _write_notes_and_sign_off(ws, row: int, notes: list[str], styles: dict) -> None:
    for offset, note in enumerate(notes):
        ws.set_row(row + offset, note_height(note))
        ws.merge_range(row + offset, 0, row + offset, LAST_COL, note, styles["note"])
    sign = row + len(notes) + 1
    ws.set_row(sign, 24)
    ws.merge_range(sign, 0, sign, 4, "填表人：", styles["sign"])
    ws.merge_range(sign, 5, sign, 8, "审核人：", styles["sign"])
    ws.merge_range(sign, 9, sign, LAST_COL, "联系电话：", styles["sign"])


def note_height(note: str) -> float:
    """A 说明 line across the table's width, at 10 points: as many lines as it needs."""
    lines = math.ceil(header_width(note) / (sum(WIDTHS) - 2)) or 1
    return LINE_HEIGHT * lines + 4


def _print_setup(ws, last_row: int) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.repeat_rows(HEADER_TOP, HEADER_BOTTOM)
    ws.fit_to_pages(1, 0)  # fit to width, as many pages down as needed
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.print_area(0, 0, last_row, LAST_COL)
    ws.freeze_panes(FIRST_DATA_ROW, 3)
