"""Lay the official ledger workbook out as the notice's attachment: title, 填报单位 line,
two-row merged header, 城市社区 and 农村社区 sheets, 小计/合计/城乡合计, the 说明 notes and
the sign-off line; A4 landscape, header rows repeated, fit to width. Values only, never
formulas, and no typed text ever becomes one. Header texts break at word boundaries (their
own line breaks, each line fitting its column), never where the column happens to end."""

from __future__ import annotations

import operator
from typing import BinaryIO

from shequ.core.xlsx import values_only_workbook
from shequ.core.xlsx_layout import (
    LINE_HEIGHT,
    Formats,
    SignOff,
    merged_text_height,
    print_setup,
    printed_lines,
    row_height,
    write_sign_off,
)
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
# line of a header fits its column (`xlsx_layout.text_width`).
WIDTHS = [4.5, 9, 20, 8.5, 10.5, 9, 7, 8.5, 8, 8, 8, 10.5, 9, 28]
WRAPPED_COLUMNS = (1, 2, 13)
# The notice's sign-off, under the 说明 (填报单位 and 填报日期 are on the line above the table).
SIGN_OFF = (SignOff("填表人"), SignOff("审核人"), SignOff("联系电话", room=12))


def write_xlsx(workbook_data: LedgerWorkbook, target: str | BinaryIO) -> None:
    book = values_only_workbook(target)
    styles = _styles(book)
    for sheet in workbook_data.sheets:
        ws = book.add_worksheet(sheet.name, worksheet_class=rows_worksheet_class())
        _write_sheet(ws, sheet, workbook_data, styles)
    book.close()


def _styles(book) -> dict:
    formats = Formats(book, title_size=20)
    styles = {
        "formats": formats,
        "title": formats.title,
        "unit": formats.line,
        "unit_right": formats.line_right,
        "header": formats.header,
        "note": formats.note,
        "sign": formats.sign,
        **{kind: formats.cell(kind) for kind in ("text", "center", "int", "area", "ratio")},
        **{
            f"sum_{kind}": formats.cell(kind, total=True)
            for kind in ("text", "int", "area", "ratio")
        },
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
    last_row = _write_notes_and_sign_off(ws, row + 1, data.notes, styles)
    print_setup(
        ws, widths=WIDTHS, title_rows=(HEADER_TOP, HEADER_BOTTOM), last_row=last_row, landscape=True
    )
    ws.freeze_panes(FIRST_DATA_ROW, 3)


def _write_header(ws, styles: dict) -> None:
    ws.set_row(HEADER_TOP, 20)
    ws.set_row(HEADER_BOTTOM, LINE_HEIGHT * 4 + 6)  # 日间照料中心（养老服务站）: four lines
    for column, text in SINGLE_COLUMNS:
        ws.merge_range(HEADER_TOP, column, HEADER_BOTTOM, column, text, styles["header"])
    ws.merge_range(HEADER_TOP, 5, HEADER_TOP, 10, "其中", styles["header"])
    for column, text in zip(FACILITY_COLUMNS, FACILITY_HEADERS, strict=True):
        ws.write_string(HEADER_BOTTOM, column, text, styles["header"])


def line_height(line: Line) -> float:
    """Excel does not grow rows for wrapped text written by a program: size them here."""
    texts = (line.street, line.community, line.remarks)
    lines = max(
        printed_lines(text, WIDTHS[c]) for c, text in zip(WRAPPED_COLUMNS, texts, strict=True)
    )
    return row_height(lines)


_listed_facilities = operator.itemgetter(*LISTED_FACILITIES)


def _write_line(
    ws: RowsWorksheet | PublicRowsWorksheet, row: int, line: Line, styles: dict
) -> None:
    formats = styles["sum_cells" if line.kind != "community" else "cells"]
    ws.write_cells(row, cell_values(line), formats, height=line_height(line))


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


def _write_notes_and_sign_off(ws, row: int, notes: list[str], styles: dict) -> int:
    for offset, note in enumerate(notes):
        ws.set_row(row + offset, merged_text_height(note, WIDTHS))
        ws.merge_range(row + offset, 0, row + offset, LAST_COL, note, styles["note"])
    return write_sign_off(
        ws, row + len(notes) + 1, SIGN_OFF, WIDTHS, styles["sign"], styles["formats"].sign_date
    )
