"""The 统计台帐 as a PDF, print-ready for stamping and for upload to an OA system: the
same book as the .xlsx (`workbook_xlsx`), A4 landscape, each sheet from a new page, the
two header rows repeated on every page, 小计/合计/城乡合计 lines in 黑体 on grey, the 说明
and the sign-off line; the vendored Noto fonts embedded (ADR 0041)."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, Spacer, Table, TableStyle

from shequ.core.pdf_pages import (
    HEI,
    SONG,
    TITLE_SONG,
    Margins,
    pdf_bytes,
    register_fonts,
    require_story_glyphs,
)
from shequ.ledger.export import LedgerWorkbook, Line, Sheet
from shequ.ledger.workbook_xlsx import FACILITY_HEADERS, SINGLE_COLUMNS, WIDTHS, cell_values

MARGINS = Margins(top=15 * mm, bottom=22 * mm, left=12 * mm, right=12 * mm)
TABLE_WIDTH = 297 * mm - MARGINS.left - MARGINS.right
COLUMN_WIDTHS = [TABLE_WIDTH * w / sum(WIDTHS) for w in WIDTHS]
SIZE = 8.5
GREY = colors.HexColor("#F2F2F2")

CELL = ParagraphStyle("cell", fontName=SONG, fontSize=SIZE, leading=SIZE * 1.3, wordWrap="CJK")
CENTER = ParagraphStyle("center", parent=CELL, alignment=TA_CENTER)
NUMBER = ParagraphStyle("number", parent=CELL, alignment=TA_RIGHT)
HEAD = ParagraphStyle("head", parent=CENTER, fontName=HEI)
SUM = ParagraphStyle("sum", parent=CELL, fontName=HEI)
SUM_NUMBER = ParagraphStyle("sum_number", parent=NUMBER, fontName=HEI)
TITLE = ParagraphStyle("title", fontName=TITLE_SONG, fontSize=18, leading=26, alignment=TA_CENTER)
LINE_STYLE = ParagraphStyle("line", fontName=SONG, fontSize=10.5, leading=16, alignment=TA_LEFT)
NOTE = ParagraphStyle("note", parent=LINE_STYLE, fontSize=9.5, leading=14)
# The number format of each of the fourteen columns (as the .xlsx's): None for text.
FORMATS = [None, None, None, "0", "0.0", *["0.0"] * 6, "0.00", None, None]


def write_pdf(book: LedgerWorkbook, *, author: str, now: datetime.datetime) -> bytes:
    register_fonts()  # before any Paragraph: it looks its fonts up when made
    story: list = []
    for index, sheet in enumerate(book.sheets):
        if index:
            story.append(PageBreak())
        story += _sheet(book, sheet)
    require_story_glyphs(story)
    return pdf_bytes(
        story,
        title=f"{book.title_line}（{book.period.label}）",
        author=author,
        landscape_pages=True,
        margins=MARGINS,
        now=now,
    )


def _sheet(book: LedgerWorkbook, sheet: Sheet) -> list:
    heading = Table(
        [
            [
                Paragraph(escape(f"填报单位：{book.unit}（盖章）"), LINE_STYLE),
                Paragraph(escape(f"报告期：{book.period.label}　{sheet.name}"), LINE_STYLE),
                Paragraph(escape(book.filled_on_text), _right(LINE_STYLE)),
            ]
        ],
        colWidths=[TABLE_WIDTH * 0.36, TABLE_WIDTH * 0.28, TABLE_WIDTH * 0.36],
    )
    heading.setStyle(_plain())
    story: list = [Paragraph(escape(book.title_line), TITLE), heading, _table(sheet)]
    story.append(Spacer(1, 4 * mm))
    story += [Paragraph(escape(note), NOTE) for note in book.notes]
    story.append(Spacer(1, 6 * mm))
    story.append(_sign_off())
    return story


def _right(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}_right", parent=style, alignment=TA_RIGHT)


def _header_rows() -> list[list]:
    """The notice's two header rows: single columns span both, 其中 spans the six."""
    top: list = [""] * len(WIDTHS)
    bottom: list = [""] * len(WIDTHS)
    for column, text in SINGLE_COLUMNS:
        top[column] = _head(text)
    top[5] = _head("其中")
    for column, text in zip(range(5, 11), FACILITY_HEADERS, strict=True):
        bottom[column] = _head(text)
    return [top, bottom]


def _head(text: str) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), HEAD)


def _table(sheet: Sheet) -> Table:
    rows = _header_rows() + [_cells(line) for line in sheet.lines]
    table = Table(rows, colWidths=COLUMN_WIDTHS, repeatRows=2)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("FONTNAME", (0, 0), (-1, -1), SONG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("BACKGROUND", (0, 0), (-1, 1), GREY),
        ("SPAN", (5, 0), (10, 0)),
        *(("SPAN", (column, 0), (column, 1)) for column, _ in SINGLE_COLUMNS),
    ]
    for index, line in enumerate(sheet.lines, start=2):
        if line.kind != "community":
            style.append(("BACKGROUND", (0, index), (-1, index), GREY))
    table.setStyle(TableStyle(style))
    return table


def _cells(line: Line) -> list[Paragraph]:
    summed = line.kind != "community"
    cells = []
    for column, (value, number_format) in enumerate(zip(cell_values(line), FORMATS, strict=True)):
        text = _formatted(value, number_format)
        if number_format is not None:
            style = SUM_NUMBER if summed else NUMBER
        elif column in (0, 12):
            style = _center(SUM if summed else CENTER)
        else:
            style = SUM if summed else CELL
        cells.append(Paragraph(escape(text), style))
    return cells


def _center(style: ParagraphStyle) -> ParagraphStyle:
    return (
        style
        if style.alignment == TA_CENTER
        else ParagraphStyle(f"{style.name}_center", parent=style, alignment=TA_CENTER)
    )


def _formatted(value, number_format: str | None) -> str:
    """As the .xlsx shows the cell: areas one decimal, the ratio two, counts whole."""
    if value is None:
        return ""
    if number_format is None or not isinstance(value, int | float | Decimal):
        return str(value)
    places = {"0": 0, "0.0": 1, "0.00": 2}[number_format]
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:f}"


def _sign_off() -> Table:
    table = Table(
        [[Paragraph(text, LINE_STYLE) for text in ("填表人：", "审核人：", "联系电话：")]],
        colWidths=[TABLE_WIDTH / 3] * 3,
    )
    table.setStyle(_plain())
    return table


def _plain() -> TableStyle:
    """A borderless layout table (its font set: a table's default is Helvetica, which
    would be named in the file without being embedded)."""
    return TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("FONTNAME", (0, 0), (-1, -1), SONG)])
