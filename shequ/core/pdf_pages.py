"""PDF documents with the vendored Chinese fonts embedded (ReportLab embeds a TrueType
font as subsets, FontFile2): A4 pages with the GB/T 9704 type area and “— 1 —” page
numbers at the outside of the foot. No domain rules (ADR 0041)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Preformatted, Table
from reportlab.platypus.flowables import DDIndenter

from shequ.core.errors import DomainError
from shequ.core.fonts import SANS, SERIF, SERIF_BOLD, missing_characters

# ReportLab's names for the fonts: 宋体/仿宋 (body), 小标宋 (titles), 黑体 (headings).
SONG, TITLE_SONG, HEI = "NotoSerifSC", "NotoSerifSC-Bold", "NotoSansSC"
PAGE_NUMBER_SIZE = 14  # 4号
PAGE_NUMBER_DROP = 7 * mm  # the dashes 7 mm under the type area


_FILES = {SONG: SERIF, TITLE_SONG: SERIF_BOLD, HEI: SANS}


@cache
def register_fonts() -> None:
    for name, path in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
        # Each a family of its own: a paragraph never asks for a bold or italic face.
        pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)


def require_glyphs(text: str, font: str = SONG) -> None:
    """Refuses text that the embedded font cannot draw: a PDF must never show an empty
    box where a character of a name stood (the Word and Excel files have no such limit)."""
    missing = missing_characters(text, _FILES[font])
    if missing:
        raise DomainError(
            f"PDF 字体缺少以下字符：{'、'.join(missing)}，请下载 Word 或 Excel 文件",
            field="pdf",
        )


def require_story_glyphs(story: list) -> None:
    """`require_glyphs` on every text the story prints, at any depth: paragraphs, a
    table's cells (strings, paragraphs, lists of flowables, tables in tables), and what
    KeepTogether, KeepInFrame and lists hold. The three subsets keep the same characters,
    so one font's check is every font's."""
    for text in _texts(story):
        require_glyphs(text)


def _texts(item) -> Iterator[str]:
    if isinstance(item, str):
        yield item
    elif isinstance(item, Paragraph):
        yield item.text
        if item.bulletText:
            yield item.bulletText
    elif isinstance(item, Preformatted):
        yield from item.lines
    elif isinstance(item, Table):
        for row in item._cellvalues:
            yield from _texts(row)
    elif isinstance(item, DDIndenter):  # a list's item, indented (it has a bullet)
        yield from _texts(item._flowable)
    elif isinstance(item, list | tuple):
        for part in item:
            yield from _texts(part)
    else:
        # KeepTogether, KeepInFrame, ImageAndFlowables, ListFlowable (its items, indented,
        # once laid out): _content; ListItem: _flowables. Spacers, images and page breaks
        # have neither, and print no text.
        for contents in ("_content", "_flowables"):
            yield from _texts(getattr(item, contents, ()))


@dataclass
class Margins:
    top: float
    bottom: float
    left: float
    right: float


# GB/T 9704: the 156 × 225 mm type area on A4 portrait.
GBT9704 = Margins(top=37 * mm, bottom=35 * mm, left=28 * mm, right=26 * mm)


def pdf_bytes(
    story: list,
    *,
    title: str,
    author: str,
    landscape_pages: bool = False,
    margins: Margins = GBT9704,
    now: datetime.datetime | None = None,
) -> bytes:
    """The story laid out on A4 (portrait or landscape) with the page numbers; the
    document's title and author set, its creation time `now`."""
    register_fonts()
    size = landscape(A4) if landscape_pages else A4
    stream = io.BytesIO()
    document = BaseDocTemplate(
        stream,
        pagesize=size,
        leftMargin=margins.left,
        rightMargin=margins.right,
        topMargin=margins.top,
        bottomMargin=margins.bottom,
        title=title,
        author=author,
        creator=author,
        producer="shequ",
        subject=title,
        lang="zh-CN",
        invariant=False,
        # Every font in the file embedded: not even the canvas's default Helvetica.
        initialFontName=SONG,
        initialFontSize=10.5,
    )
    frame = Frame(
        margins.left,
        margins.bottom,
        size[0] - margins.left - margins.right,
        size[1] - margins.top - margins.bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=_page_number(margins))]
    )
    document.build(story)
    return stream.getvalue()


def _page_number(margins: Margins):
    """“— N —” in 4号宋体, its dashes 7 mm under the type area; odd pages on the right,
    even pages on the left, one character in from the type area's edge (GB/T 9704 7.5)."""

    def draw(canvas, document) -> None:
        number = canvas.getPageNumber()
        text = f"— {number} —"
        canvas.saveState()
        canvas.setFont(SONG, PAGE_NUMBER_SIZE)
        # The dash sits about a third of the size above the baseline.
        baseline = margins.bottom - PAGE_NUMBER_DROP - PAGE_NUMBER_SIZE * 0.33
        one_character = PAGE_NUMBER_SIZE
        if number % 2:
            right = document.pagesize[0] - margins.right - one_character
            canvas.drawRightString(right, baseline, text)
        else:
            canvas.drawString(margins.left + one_character, baseline, text)
        canvas.restoreState()

    return draw
