"""The evaluation report as a PDF, print-ready for stamping and for upload to an OA
system: the Word report's content and GB/T 9704 layout (A4, 37/35/28/26 mm, 22 lines of
3号 a page, “— 1 —” outside), the vendored Noto fonts embedded (ADR 0041)."""

from __future__ import annotations

import datetime
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm, mm
from reportlab.platypus import Image, KeepTogether, Paragraph, Spacer, Table, TableStyle

from shequ.core.docx_pages import balanced_lines
from shequ.core.pdf_pages import (
    HEI,
    SONG,
    TITLE_SONG,
    pdf_bytes,
    register_fonts,
    require_story_glyphs,
)
from shequ.evaluation.anchor import chain_head_of
from shequ.evaluation.chart_images import ChartImage, caption_line
from shequ.evaluation.evaluation import Evaluation
from shequ.evaluation.report import (
    NUMBERS,
    PRINTED_HEADERS,
    report_text,
    report_title,
    run_in_heading,
    table_cells,
)
from shequ.evaluation.report_docx import (
    TABLE_WIDTHS,
    TITLE_CHARACTERS,
    signature_indents,
    title_words,
)
from shequ.ledger.export import chinese_date

# The standard's 3号 is 15.75 pt (Word rounds it to 16): 28 of them fill the 156 mm line.
BODY_SIZE, TITLE_SIZE, TABLE_SIZE = 15.75, 22, 9
LINE = 225 * mm / 22  # 22 lines a page
CHARACTER = 156 * mm / 28  # 28 characters a line

BODY = ParagraphStyle(
    "body",
    fontName=SONG,
    fontSize=BODY_SIZE,
    leading=LINE,
    firstLineIndent=2 * CHARACTER,
    alignment=TA_JUSTIFY,
    wordWrap="CJK",
)
HEADING = ParagraphStyle("heading", parent=BODY, fontName=HEI, keepWithNext=True)
TITLE = ParagraphStyle(
    "title",
    parent=BODY,
    fontName=TITLE_SONG,
    fontSize=TITLE_SIZE,
    alignment=TA_CENTER,
    firstLineIndent=0,
)
CAPTION = ParagraphStyle(
    "caption", parent=BODY, fontName=HEI, fontSize=14, alignment=TA_CENTER, firstLineIndent=0
)
CELL = ParagraphStyle(
    "cell",
    fontName=SONG,
    fontSize=TABLE_SIZE,
    leading=TABLE_SIZE * 1.25,
    alignment=TA_CENTER,
    wordWrap="CJK",
)
HEAD_CELL = ParagraphStyle("head_cell", parent=CELL, fontName=HEI)
HEAD_NOTE = ParagraphStyle("head_note", parent=CELL, alignment=TA_LEFT)
SIGNATURE = ParagraphStyle("signature", parent=BODY, firstLineIndent=0, alignment=TA_LEFT)


def _text(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def write_pdf(
    evaluation: Evaluation,
    completeness: dict,
    issuer: str,
    *,
    now: datetime.datetime,
    charts: list[ChartImage],
) -> bytes:
    register_fonts()  # before any Paragraph: it looks its fonts up when made
    text = report_text(evaluation)
    title = report_title(evaluation)
    story: list = []
    story += _title(title_words(evaluation))
    story.append(Paragraph("一、总体情况", HEADING))
    story += [Paragraph(_text(s), BODY) for s in text.overall]
    story += _charts(charts[:1], first_number=1)
    story.append(Paragraph("二、各街镇完成情况", HEADING))
    story.append(Paragraph(_text(text.streets), BODY))
    story.append(_table(evaluation, completeness))
    story += _charts(charts[1:], first_number=2)
    story += _items("三、存在问题", text.problems)
    story += _items("四、下一步工作", text.next_steps)
    story += _signature(issuer, chinese_date(evaluation.made_on))
    story += _chain_head(chain_head_of(evaluation.extras))
    require_story_glyphs(story)
    return pdf_bytes(story, title=title, author=issuer, now=now)


def _title(words: list[str]) -> list:
    lines = balanced_lines(words, TITLE_CHARACTERS)
    return [Paragraph("<br/>".join(escape(line) for line in lines), TITLE), Spacer(1, LINE)]


def _items(heading: str, items: list[str]) -> list:
    """（一）… with the opening sentence as the 二级标题 (楷体 in Word; the PDF has no free
    楷体 and sets it in 黑体, as a visible level)."""
    story = [Paragraph(heading, HEADING)]
    for number, item in zip(NUMBERS, items, strict=False):
        head, rest = run_in_heading(item)
        story.append(
            Paragraph(f'<font name="{HEI}">（{number}）{escape(head)}</font>{escape(rest)}', BODY)
        )
    return story


def _table(evaluation: Evaluation, completeness: dict) -> Table:
    rows = [[Paragraph(_text(h), HEAD_CELL) for h in PRINTED_HEADERS]]
    for row in evaluation.rows:
        rows.append([Paragraph(_text(c), CELL) for c in table_cells(row, completeness)])
    total = ["合计", *table_cells(evaluation.total, completeness)[1:]]
    rows.append([Paragraph(_text(c), HEAD_CELL) for c in total])
    table = Table(rows, colWidths=[w * cm for w in TABLE_WIDTHS], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("FONTNAME", (0, 0), (-1, -1), SONG),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _charts(charts: list[ChartImage], *, first_number: int) -> list:
    story = []
    for number, chart in enumerate(charts, start=first_number):
        caption = Paragraph(escape(caption_line(number, chart)), CAPTION)
        if chart.png is None:
            # Its caption names characters the fonts lack: the whole PDF is refused
            # (require_story_glyphs), as for a name in the table.
            story.append(KeepTogether([Spacer(1, 4), caption]))
            continue
        image = Image(io.BytesIO(chart.png))
        scale = 15 * cm / image.imageWidth
        image.drawWidth, image.drawHeight = 15 * cm, image.imageHeight * scale
        story.append(KeepTogether([Spacer(1, 4), image, caption]))
    return story


def _signature(issuer: str, date: str) -> list:
    issuer_at, date_at = signature_indents(issuer, date)
    lines = [
        Paragraph(escape(issuer), _indented(issuer_at)),
        Paragraph(escape(date), _indented(date_at)),
    ]
    return [KeepTogether([Spacer(1, LINE), *lines])]


def _chain_head(line: str) -> list:
    """The ledger's chain head, small, under the date: a stamped copy anchors it (ADR 0039)."""
    return [Spacer(1, LINE / 2), Paragraph(escape(line), HEAD_NOTE)] if line else []


def _indented(characters: float) -> ParagraphStyle:
    return ParagraphStyle(f"at{characters}", parent=SIGNATURE, leftIndent=characters * CHARACTER)
