"""Word documents laid out as 公文 (GB/T 9704): the A4 page and its type area, page
numbers “— 1 —” at the outside of the foot, tables whose grid sets the column widths,
the document's properties. No domain rules: the documents' content is their apps'."""

from __future__ import annotations

import datetime
import io
import itertools
import math
import unicodedata
import zipfile

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Mm, Pt, Twips
from lxml import etree

from shequ.core.text import document_text

PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE = "宋体", 14  # 4号半角宋体
ONE_CHARACTER = Pt(PAGE_NUMBER_SIZE)
TYPE_AREA_WIDTH, TYPE_AREA_HEIGHT, BOTTOM_MARGIN = Mm(156), Mm(225), Mm(35)
# The standard's grid: 22 lines of 28 characters on the type area. The pitches are
# rounded down so that Word, WPS and LibreOffice all fit the 22nd line and 28th character.
GRID_LINES, GRID_CHARACTERS = 22, 28
GRID_LINE = Twips(math.floor(TYPE_AREA_HEIGHT.twips / GRID_LINES))  # 579 twips, 28.95 pt
GRID_CHARACTER = Emu(TYPE_AREA_WIDTH // GRID_CHARACTERS)  # 5.57 mm, 15.79 pt
# The page number's dashes stand 7 mm under the type area (GB/T 9704 7.5): the foot's
# one line, exactly 4号 high, has its middle (where a dash is drawn) there.
PAGE_NUMBER_DROP = Mm(7)


def set_font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    # Word picks Chinese glyphs from the East Asian font, not from `name`.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def condense(run, amount) -> None:
    """Character spacing narrowed by `amount` (w:spacing in twentieths of a point)."""
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(-round(amount.pt * 20)))
    properties = run._element.get_or_add_rPr()
    properties.insert_element_before(
        spacing, "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u"
    )


def a4_portrait(section) -> None:
    """A4 with the 156 × 225 mm type area: top 37 mm, binding side 28 mm."""
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Emu(BOTTOM_MARGIN - PAGE_NUMBER_DROP - ONE_CHARACTER // 2)


def character_grid(section, *, lines: int, characters: int, font_size: float) -> None:
    """The document grid (w:docGrid, type linesAndChars): `lines` a page, `characters` a
    line. Word counts the character pitch from the default font's size (`font_size`) plus
    charSpace/4096 pt, rounded down here so that the last character still fits."""
    line_pitch = math.floor(TYPE_AREA_HEIGHT.twips / lines)
    pitch = TYPE_AREA_WIDTH.pt / characters
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(line_pitch))
    grid.set(qn("w:charSpace"), str(math.floor((pitch - font_size) * 4096)))


# The elements after w:snapToGrid in a paragraph's properties (the schema's order).
SNAP_TO_GRID_SUCCESSORS = (
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def default_font(document, name: str, size: float) -> None:
    """The document's default font and size, in the defaults (w:docDefaults) and in the
    Normal style alike: Word measures the character grid from one, LibreOffice from the
    other."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault"))
    properties = run_defaults.find(qn("w:rPr"))
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attribute), None)  # a theme font would win over `name`
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), name)
    language = properties.find(qn("w:lang"))
    if language is not None:
        language.set(qn("w:eastAsia"), "zh-CN")
    for tag in ("w:sz", "w:szCs"):
        element = properties.find(qn(tag))
        if element is None:
            element = OxmlElement(tag)
            properties.append(element)
        element.set(qn("w:val"), str(round(size * 2)))
    normal = document.styles["Normal"]
    normal.font.name = name
    normal.font.size = Pt(size)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def no_grid_snap(paragraph) -> None:
    """Lay the paragraph out by its own font (titles, tables, pictures, the foot): the
    character grid is for the body's 3号 text only."""
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    properties = paragraph._p.get_or_add_pPr()
    properties.insert_element_before(snap, *SNAP_TO_GRID_SUCCESSORS)


def text_width(text: str) -> float:
    """Width in characters: a Chinese (full-width) character 1, a digit or letter ½."""
    return sum(1 if unicodedata.east_asian_width(c) in "FW" else 0.5 for c in text)


def balanced_lines(words: list[str], capacity: float) -> list[str]:
    """`words` on as few lines of at most `capacity` characters as will hold them, broken
    only between words, the lines as even as can be (a title that wraps keeps each line's
    sense and a symmetric shape; of equally even ones, the shorter line on top)."""
    count = len(words)
    for lines in range(1, count + 1):
        best = None
        for cuts in itertools.combinations(range(1, count), lines - 1):
            bounds = [0, *cuts, count]
            texts = ["".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
            widths = [text_width(t) for t in texts]
            if max(widths) > capacity:
                continue
            key = (max(widths) - min(widths), widths)
            if best is None or key < best[0]:
                best = (key, texts)
        if best is not None:
            return best[1]
    return ["".join(words)]  # a single word longer than a line: the application breaks it


def declare_font_fallbacks(docx: bytes, fallbacks: dict[str, str]) -> bytes:
    """The font table names each font's fallback (w:altName), used by Word and WPS where
    the font is not installed (仿宋_GB2312 → 仿宋, 方正小标宋简体 → 宋体), and marks it
    Chinese (GB2312 charset)."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    table = etree.fromstring(source.read("word/fontTable.xml"))
    for name, alternative in fallbacks.items():
        font = next((f for f in table.findall(qn("w:font")) if f.get(qn("w:name")) == name), None)
        if font is None:
            font = etree.SubElement(table, qn("w:font"))
            font.set(qn("w:name"), name)
        for tag, value in (("w:altName", alternative), ("w:charset", "86")):
            element = etree.SubElement(font, qn(tag))
            element.set(qn("w:val"), value)
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as output:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/fontTable.xml":
                data = etree.tostring(
                    table, xml_declaration=True, encoding="UTF-8", standalone=True
                )
            output.writestr(item, data)
    return target.getvalue()


def page_numbers(document, section) -> None:
    """“— 1 —” (a PAGE field): odd pages on the right, even pages on the left, one
    character in from the type area's edge (GB/T 9704 7.5)."""
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(paragraph, side) -> None:
    paragraph.alignment = side
    no_grid_snap(paragraph)
    layout = paragraph.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = ONE_CHARACTER
    layout.space_before = layout.space_after = Pt(0)
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
