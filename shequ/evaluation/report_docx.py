"""The evaluation report as a Word document laid out as a 公文 (GB/T 9704-2012): title in
2号小标宋 broken between words, 一级标题 黑体, 二级标题 楷体, body 3号仿宋 on a grid of
22 lines × 28 characters, the table's header row repeated on each page, charts as
pictures, 署名 and 成文日期 placed as the standard says (ADR 0041)."""

from __future__ import annotations

import datetime
import io

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from shequ.core.docx_pages import (
    GRID_CHARACTER,
    GRID_LINE,
    a4_portrait,
    add_table_row,
    balanced_lines,
    character_grid,
    condense,
    declare_font_fallbacks,
    default_font,
    grid_table,
    no_grid_snap,
    page_numbers,
    set_font,
    set_properties,
    text_width,
)
from shequ.core.text import document_text
from shequ.evaluation.anchor import add_chain_head
from shequ.evaluation.chart_images import ChartImage, caption_line
from shequ.evaluation.evaluation import Evaluation
from shequ.evaluation.report import (
    NUMBERS,
    PRINTED_HEADERS,
    ReportText,
    report_text,
    report_title,
    run_in_heading,
    table_cells,
)
from shequ.ledger.export import chinese_date

# The fonts the standard names, as government offices have them installed; each with the
# fallback Word and WPS use where it is missing (the font table's altName).
TITLE_FONT, HEADING_FONT, SUBHEADING_FONT, BODY_FONT = (
    "方正小标宋简体",
    "黑体",
    "楷体_GB2312",
    "仿宋_GB2312",
)
FALLBACKS = {TITLE_FONT: "宋体", HEADING_FONT: "SimHei", SUBHEADING_FONT: "楷体", BODY_FONT: "仿宋"}
TITLE_SIZE, BODY_SIZE, TABLE_SIZE, CAPTION_SIZE = 22, 16, 9, 14  # 2号, 3号, 小五, 4号
LINE_CHARACTERS = 28
TITLE_CHARACTERS = 20  # 156 mm at 22 pt a character
# The table's columns (cm), 15.6 cm in all: each as wide as its widest line of 小五 text.
TABLE_WIDTHS = [2.1, 1.2, 1.2, 1.5, 1.3, 1.2, 1.8, 1.1, 1.7, 1.1, 1.4]
CHART_WIDTH = Cm(15.0)


def write_docx(
    evaluation: Evaluation,
    completeness: dict,
    issuer: str,
    *,
    now: datetime.datetime,
    charts: list[ChartImage] | None = None,
) -> bytes:
    """The report; `charts`: the trend first, then the ranking."""
    text = report_text(evaluation)
    charts = list(charts or [])
    document = Document()
    title = report_title(evaluation)
    set_properties(document, title=title, author=issuer, now=now)
    _page_setup(document)
    _title(document, title_words(evaluation))
    _heading(document, "一、总体情况")
    for sentence in text.overall:
        _body(document, sentence)
    _charts(document, charts[:1], first_number=1)
    _heading(document, "二、各街镇完成情况")
    _body(document, text.streets)
    _table(document, evaluation, completeness)
    _charts(document, charts[1:], first_number=2)
    _items(document, "三、存在问题", text.problems)
    _items(document, "四、下一步工作", text.next_steps)
    _signature(document, issuer, chinese_date(evaluation.made_on))
    add_chain_head(document, evaluation.extras)
    return declare_font_fallbacks(_saved(document), FALLBACKS)


def _saved(document) -> bytes:
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def _page_setup(document) -> None:
    """A4, the type area, 22 × 28 grid, “— 1 —” outside; the default text 3号仿宋 (Word
    measures the character grid from the default font's size)."""
    section = document.sections[0]
    a4_portrait(section)
    character_grid(section, lines=22, characters=LINE_CHARACTERS, font_size=BODY_SIZE)
    page_numbers(document, section)
    default_font(document, BODY_FONT, BODY_SIZE)


def title_words(evaluation: Evaluation) -> list[str]:
    """The title in the pieces it may be broken between (never inside one)."""
    return [
        evaluation.region.name,
        f"{evaluation.year}年",
        "城乡社区",
        "综合服务设施",
        "建设",
        "评估报告",
    ]


def _title(document, words: list[str]) -> None:
    """2号小标宋, centred; lines broken between words and as even as they can be; one
    blank line under it."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _on_grid(paragraph)
    no_grid_snap(paragraph)
    lines = balanced_lines(words, TITLE_CHARACTERS)
    for index, line in enumerate(lines):
        run = paragraph.add_run(document_text(line))
        set_font(run, TITLE_FONT, TITLE_SIZE)
        if index < len(lines) - 1:
            run.add_break()
    _body(document, "", indent=False)


def _on_grid(paragraph) -> None:
    """Exactly one grid line a line, nothing before or after: 22 lines a page."""
    layout = paragraph.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = GRID_LINE
    layout.space_before = layout.space_after = Pt(0)


def _body(document, text: str, *, indent: bool = True):
    """A paragraph of 3号仿宋, its first line two characters in, justified."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _on_grid(paragraph)
    if indent:
        _indent_characters(paragraph, first_line=2)
    if text:
        _grid_text(paragraph, text, BODY_FONT)
    return paragraph


def _grid_text(paragraph, text: str, font: str) -> None:
    """A run of 3号 text on the grid. The standard's 3号 is 15.75 pt, Word's 16 pt: the
    run is condensed by ¼ pt so that each character fits its 15.79 pt cell in every
    application (LibreOffice gives a wider character two cells; Word squeezes it)."""
    run = paragraph.add_run(document_text(text))
    set_font(run, font, BODY_SIZE)
    condense(run, Pt(0.25))


def _indent_characters(paragraph, *, first_line: float = 0, left: float = 0) -> None:
    """Indents in characters of the grid (w:firstLineChars / w:leftChars, which Word and
    WPS use) and the same in twips (what other readers use)."""
    layout = paragraph.paragraph_format
    if first_line:
        layout.first_line_indent = GRID_CHARACTER * first_line
    if left:
        layout.left_indent = GRID_CHARACTER * left
    indent = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if first_line:
        indent.set(qn("w:firstLineChars"), str(round(first_line * 100)))
    if left:
        indent.set(qn("w:leftChars"), str(round(left * 100)))


def _heading(document, text: str) -> None:
    """一级标题: 3号黑体, two characters in, kept with what follows."""
    paragraph = document.add_paragraph()
    _on_grid(paragraph)
    _indent_characters(paragraph, first_line=2)
    paragraph.paragraph_format.keep_with_next = True
    _grid_text(paragraph, text, HEADING_FONT)


def _items(document, heading: str, items: list[str]) -> None:
    """Numbered items （一）（二）…: the opening sentence is the 二级标题 in 楷体."""
    _heading(document, heading)
    for number, item in zip(NUMBERS, items, strict=False):
        head, rest = run_in_heading(item)
        paragraph = _body(document, "")
        _grid_text(paragraph, f"（{number}）{head}", SUBHEADING_FONT)
        _grid_text(paragraph, rest, BODY_FONT)


def _table(document, evaluation: Evaluation, completeness: dict) -> None:
    """Streets and the total; the header row repeats on every page the table runs to."""
    table = grid_table(document, TABLE_WIDTHS)
    rows = [table_cells(row, completeness) for row in evaluation.rows]
    total = ["合计", *table_cells(evaluation.total, completeness)[1:]]
    _table_row(table, PRINTED_HEADERS, HEADING_FONT, header=True)
    for cells in rows:
        _table_row(table, cells, BODY_FONT)
    _table_row(table, total, HEADING_FONT)


def _table_row(table, values: list[str], font: str, *, header: bool = False) -> None:
    cells = add_table_row(table, TABLE_WIDTHS, header=header)
    for cell, value in zip(cells, values, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        no_grid_snap(paragraph)
        layout = paragraph.paragraph_format
        layout.line_spacing = 1.0
        layout.space_before = layout.space_after = Pt(0)
        layout.first_line_indent = Pt(0)
        lines = value.split("\n")
        for index, line in enumerate(lines):
            run = paragraph.add_run(document_text(line))
            set_font(run, font, TABLE_SIZE)
            if index < len(lines) - 1:
                run.add_break()
    if not header:
        row = table.rows[-1]._tr.get_or_add_trPr()
        row.append(OxmlElement("w:cantSplit"))


def _charts(document, charts: list[ChartImage], *, first_number: int) -> None:
    """Each chart centred on its own line, its caption (图N) under it, kept together; a
    chart not drawn leaves its caption saying why."""
    for number, image in enumerate(charts, start=first_number):
        if image.png is not None:
            picture = document.add_paragraph()
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            no_grid_snap(picture)
            picture.paragraph_format.keep_with_next = True
            picture.paragraph_format.space_before = Pt(6)
            picture.add_run().add_picture(io.BytesIO(image.png), width=CHART_WIDTH)
        label = document.add_paragraph()
        label.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _on_grid(label)
        set_font(label.add_run(caption_line(number, image)), HEADING_FONT, CAPTION_SIZE)


def signature_indents(issuer: str, date: str) -> tuple[float, float]:
    """Where 署名 and 成文日期 start, in characters from the left of the type area (GB/T
    9704 7.3.5.2, without a seal): the 署名 ends two characters in from the right; the date
    starts two characters to the right of the 署名's first character; when the date would
    then run past two characters from the right, both move left so that it does not."""
    ends_at = LINE_CHARACTERS - 2
    issuer_start = ends_at - max(text_width(issuer), text_width(date) + 2)
    return issuer_start, issuer_start + 2


def _signature(document, issuer: str, date: str) -> None:
    """One blank line under the text, then the 署名 and the date under it."""
    _body(document, "", indent=False)
    issuer_at, date_at = signature_indents(issuer, date)
    for text, at in ((issuer, issuer_at), (date, date_at)):
        paragraph = _body(document, "", indent=False)
        _indent_characters(paragraph, left=at)
        # By the font's own widths (half-width digits), not a grid cell a digit.
        no_grid_snap(paragraph)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        paragraph.paragraph_format.keep_with_next = text == issuer
        _grid_text(paragraph, text, BODY_FONT)


__all__ = ["ReportText", "signature_indents", "title_words", "write_docx"]
