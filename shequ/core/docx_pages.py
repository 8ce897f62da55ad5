"""Word documents laid out as 公文 (GB/T 9704): the A4 page and its type area, page
numbers “— 1 —” at the outside of the foot, tables whose grid sets the column widths,
the document's properties. No domain rules: the documents' content is their apps'."""

from __future__ import annotations

import datetime

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from shequ.core.text import document_text

PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE = "宋体", 14  # 4号半角宋体
ONE_CHARACTER = Pt(PAGE_NUMBER_SIZE)


def set_font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    # Word picks Chinese glyphs from the East Asian font, not from `name`.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def a4_portrait(section) -> None:
    """A4 with the 156 × 225 mm type area: top 37 mm, binding side 28 mm."""
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    # The dash line 7 mm under the type area: the foot's line (about 6 mm) ends 22 mm up.
    section.footer_distance = Mm(22)


def page_numbers(document, section) -> None:
    """“— 1 —” (a PAGE field): odd pages on the right, even pages on the left, one
    character in from the type area's edge (GB/T 9704 7.5)."""
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(paragraph, side) -> None:
    paragraph.alignment = side
    layout = paragraph.paragraph_format
    if side == WD_ALIGN_PARAGRAPH.RIGHT:
        layout.right_indent = ONE_CHARACTER
    else:
        layout.left_indent = ONE_CHARACTER
    set_font(paragraph.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    run = paragraph.add_run()
    set_font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    run._element.append(_field_char("begin"))
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    run._element.append(instruction)
    run._element.append(_field_char("separate"))
    run._element.append(_text("1"))
    run._element.append(_field_char("end"))
    set_font(paragraph.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)


def _field_char(kind: str):
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    return element


def _text(value: str):
    element = OxmlElement("w:t")
    element.text = value
    return element


def restart_page_numbers(section) -> None:
    """The section's pages are numbered from 1 (each plan of a batch on its own)."""
    sect_pr = section._sectPr
    number_type = sect_pr.find(qn("w:pgNumType"))
    if number_type is None:
        number_type = OxmlElement("w:pgNumType")
        sect_pr.insert_element_before(
            number_type, "w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg"
        )
    number_type.set(qn("w:start"), "1")


def grid_table(document, widths_cm: list[float]):
    """A bordered table whose columns have `widths_cm`, fixed: Word and LibreOffice lay a
    table out by its grid (`w:tblGrid`), so the widths go there as well as on each cell."""
    table = document.add_table(rows=0, cols=len(widths_cm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_margins(table, Cm(0.1))
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    return table


def _cell_margins(table, side) -> None:
    """Narrow left and right cell margins (Word's are 0.19 cm): a column holds more."""
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), str(int(side.twips)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    properties = table._tbl.tblPr
    properties.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


def add_table_row(table, widths_cm: list[float], *, header: bool = False) -> list:
    """A new row's cells, each as wide as its column; a header row repeats on every page."""
    row = table.add_row()
    if header:
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, width in zip(row.cells, widths_cm, strict=True):
        cell.width = Cm(width)
    return row.cells


def set_properties(document, *, title: str, author: str, now: datetime.datetime) -> None:
    """The document's properties: its title, the issuing body as author, made `now`
    (python-docx's template says “python-docx”, made in 2013)."""
    properties = document.core_properties
    properties.title = document_text(title)
    properties.author = document_text(author)
    properties.last_modified_by = author
    properties.created = properties.modified = _utc(now)
    properties.revision = 1
    properties.comments = ""
    properties.keywords = ""
    properties.subject = ""
    properties.language = "zh-CN"


def _utc(moment: datetime.datetime) -> datetime.datetime:
    """python-docx writes the time as UTC without converting it."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)
