"""How far each sheet of a workbook reaches, read before any sheet is loaded.

python-calamine builds a sheet as one rectangle from its first to its farthest cell, and the
reader turns it into Python lists from A1: a 1.5 KB .xlsx with a cell at XFD1048576 asks for
17 billion cells and the process aborts. Here each sheet's extent is read from the file's
structure while streaming it (the sheet XML of an .xlsx, content.xml of an .ods, the records
of an .xls), never holding a whole part as a tree, so that a sheet too large is refused
before calamine is asked for it. The extent is counted generously (a declared size, a cell
without a value, content calamine might skip all count) so that it is never smaller than
what calamine allocates.
"""

from __future__ import annotations

import logging
import operator
import posixpath
import re
import struct
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

import olefile

log = logging.getLogger("shequ.import")

CHUNK = 1 << 20  # bytes of a part inflated at a time


@dataclass(frozen=True)
class Extent:
    """A sheet's rectangle from A1 to its farthest row and column (1-based counts)."""

    sheet: str
    rows: int
    columns: int
    # What the scan saw of a sheet whose every cell is written `<c r="E12"` in UTF-8, as
    # Excel, WPS and XlsxWriter write them: such a sheet may be read as a stream.
    plain: PlainSheet | None = None

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    @property
    def reference(self) -> str:
        if not self.rows or not self.columns:
            return "A1"
        return f"A1:{column_letters(self.columns)}{self.rows}"


@dataclass(frozen=True)
class PlainSheet:
    """What the extent scan notes of a plainly written sheet on its way through the cells,
    for reading the sheet as a stream (`xlsx_stream`) without another pass."""

    formulas: bool  # a formula may read any cell: such a sheet is read whole
    merged: list[tuple[int, int, int, int]]  # (top, left, bottom, right), 0-based
    holds_sum_character: bool  # 计, as every 小计/合计 word holds, in its XML


class ExtentUnreadable(ValueError):
    """The file's structure cannot be followed far enough to bound it; the message is the
    reason in Chinese, naming the sheet where one is known."""


def column_letters(number: int) -> str:
    """The letters of the 1-based column `number` (1 → A, 16384 → XFD)."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_number(letters: str) -> int:
    """The 1-based column of `letters` (A → 1); any number of letters, as a file may say."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


CELL_REFERENCE = re.compile(r"\$?([A-Za-z]+)\$?([0-9]+)")


def _cell_reference(reference: str, sheet: str) -> tuple[int, int]:
    """(row, column), both 1-based, of a reference such as "E12"."""
    match = CELL_REFERENCE.fullmatch(reference.strip())
    if not match:
        raise ExtentUnreadable(
            f"工作表“{sheet}”中有无法识别的单元格位置“{reference[:20]}”，文件已损坏"
        )
    return int(match.group(2)), column_number(match.group(1))


def _local(name: str) -> str:
    """An element's or attribute's name without its prefix: calamine matches them so."""
    return name.rpartition(":")[2]


def _parse_xml(stream, parser, what: str) -> None:
    try:
        parser.ParseFile(stream)
    except expat.ExpatError as error:
        log.warning("unreadable XML in %s: %s", what, error)
        raise ExtentUnreadable(f"{what}的内容不是完整的表格数据，文件已损坏") from error


def _start_elements(archive: zipfile.ZipFile, path: str, what: str, handler) -> None:
    """Stream the XML part `path`, calling `handler(name, attributes)` for each element."""
    parser = expat.ParserCreate()
    parser.StartElementHandler = handler
    with archive.open(path) as stream:
        _parse_xml(stream, parser, what)


# ---------------------------------------------------------------- .xlsx


PACKAGE_RELATIONSHIPS = "_rels/.rels"
OFFICE_DOCUMENT = "/relationships/officeDocument"


def xlsx_workbook_path(archive: zipfile.ZipFile) -> str | None:
    """The workbook part as calamine finds it (the package's officeDocument relationship,
    else xl/workbook.xml), or None when the archive has none."""
    path = "xl/workbook.xml"
    if member(archive, PACKAGE_RELATIONSHIPS):
        targets = []

        def relationship(name, attributes):
            if _local(name) == "Relationship" and attributes.get("Type", "").endswith(
                OFFICE_DOCUMENT
            ):
                targets.append(attributes.get("Target", ""))

        package = member(archive, PACKAGE_RELATIONSHIPS)
        _start_elements(archive, package, "文件的目录", relationship)
        if targets and targets[0]:
            path = targets[0].lstrip("/")
    return member(archive, path)


def xlsx_sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: the archive member holding its XML}, resolved as calamine resolves them.
    A sheet whose part is missing is refused: there would be nothing to bound."""
    workbook = xlsx_workbook_path(archive)
    if workbook is None:
        return {}
    folder = workbook.rpartition("/")[0] + "/" if "/" in workbook else ""
    sheets: list[tuple[str, str]] = []
    targets: dict[str, str] = {}

    def sheet(name, attributes):
        if _local(name) == "sheet":
            identity = next((v for k, v in attributes.items() if k.endswith(":id")), "")
            sheets.append((attributes.get("name", ""), identity))

    def relationship(name, attributes):
        if _local(name) == "Relationship":
            targets[attributes.get("Id", "")] = attributes.get("Target", "")

    _start_elements(archive, workbook, "工作簿目录", sheet)
    relationships = member(archive, f"{folder}_rels/workbook.xml.rels")
    if relationships:
        _start_elements(archive, relationships, "工作簿目录", relationship)
    parts = {}
    for name, identity in sheets:
        target = targets.get(identity, "")
        path = target[1:] if target.startswith("/") else posixpath.normpath(folder + target)
        found = member(archive, path) if target else None
        if found is None:
            raise ExtentUnreadable(f"工作表“{name}”的内容在文件中找不到，文件已损坏")
        parts[name] = found
    return parts


def member(archive: zipfile.ZipFile, path: str) -> str | None:
    """The member named `path`, matched without regard to case or slashes as zip readers do."""
    names = archive.namelist()
    if path in names:
        return path
    wanted = path.replace("\\", "/").lower()
    return next((n for n in names if n.replace("\\", "/").lower() == wanted), None)


def xlsx_extents(archive: zipfile.ZipFile) -> list[Extent]:
    return [
        _xlsx_sheet_extent(archive, name, part) for name, part in xlsx_sheet_parts(archive).items()
    ]


def _xlsx_sheet_extent(archive: zipfile.ZipFile, sheet: str, part: str) -> Extent:
    with archive.open(part) as stream:
        found = _written_cells_extent(stream)
    if found is None:  # cells without r="…", prefixed tags or comments: follow the XML
        rows, columns = _streamed_cells_extent(archive, part, sheet)
        return Extent(sheet, rows, columns)
    return Extent(sheet, *found)


# Cells as Excel, WPS and XlsxWriter write them: `<c r="E12"` first. Two regular
# expressions a megabyte at a time read them, where an XML parser calling back into Python
# for every element took longer than the workbook's whole read. Any other spelling of a
# cell falls back to that parser.
WRITTEN_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"')
OTHER_CELL = re.compile(rb"<c[\t\n\r/>]")
PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s/>]")
# Calamine reads the dimension before the cells: it is in the first megabyte.
DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*?ref="([^"]*)"')
MERGE = re.compile(rb'<mergeCell\s[^>]*?ref="([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?"')
FORMULA_TAG = re.compile(rb"<f[ >/]")
PREFIXED_FORMULA_TAG = re.compile(rb"<[A-Za-z_][\w.-]*:f[ >/]")
# Every 小计/合计 word holds 计 (`reader.SUM_WORDS`); no other character's NFKC form does.
SUM_CHARACTER = "计"


_first, _second = operator.itemgetter(0), operator.itemgetter(1)


def _written_cells_extent(stream) -> tuple[int, int, PlainSheet] | None:
    """(rows, columns) from the <dimension> and every cell's r="…", with what was noted on
    the way, or None when some cell is written otherwise."""
    rows = columns = 0
    letters: set[bytes] = set()
    formulas = holds_sum_character = False
    merged: list[tuple[int, int, int, int]] = []
    for index, data in enumerate(_tag_aligned_chunks(stream)):
        if index == 0 and wide_encoding(data):
            return None
        cells = WRITTEN_CELL.findall(data)
        if data.count(b"<c ") != len(cells) or _other_cells(data):
            return None
        if cells:
            # Through C-level maps: a city's sheet has 160,000 cells.
            letters.update(map(_first, cells))
            rows = max(rows, max(map(int, set(map(_second, cells)))))
        formulas = formulas or formula_tag(data)
        holds_sum_character = holds_sum_character or SUM_CHARACTER.encode() in data
        if b"<mergeCell" in data:
            merged += map(_merged_range, MERGE.findall(data))
        if index == 0 and (declared := DIMENSION.search(data)):
            try:
                last = declared.group(1).decode().split(":")[-1]
                last_row, last_column = _cell_reference(last, "")
            except (ExtentUnreadable, UnicodeDecodeError):
                continue  # calamine ignores a dimension it cannot read; so do the cells here
            rows, columns = max(rows, last_row), max(columns, last_column)
    if letters:
        columns = max(columns, max(column_number(c.decode()) for c in letters))
    return rows, columns, PlainSheet(formulas, merged, holds_sum_character)


def formula_tag(data: bytes) -> bool:
    """Whether `data`, whole tags of a sheet's XML, holds a formula's tag."""
    # The prefixed spelling only where ":f" occurs: searched for at every "<", it took
    # longer than the sheet's whole read.
    return bool(FORMULA_TAG.search(data)) or (
        b":f" in data and bool(PREFIXED_FORMULA_TAG.search(data))
    )


def _merged_range(reference: tuple[bytes, bytes, bytes, bytes]) -> tuple[int, int, int, int]:
    left, top, right, bottom = reference
    first = (int(top) - 1, column_number(left.decode()) - 1)
    last = (int(bottom) - 1, column_number(right.decode()) - 1) if right else first
    return (*first, *last)


def wide_encoding(data: bytes) -> bool:
    """Whether the XML is written in UTF-16 (a byte-order mark, or NUL bytes between its
    first characters), where no byte pattern finds a tag."""
    return data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:64]


def _other_cells(data: bytes) -> bool:
    # The prefixed spelling is looked for only where ":c" occurs at all: searched for at
    # every "<", it took as long as reading every cell.
    return bool(OTHER_CELL.search(data)) or (b":c" in data and bool(PREFIXED_CELL.search(data)))


def _tag_aligned_chunks(stream):
    """The part a megabyte at a time, each piece cut before its last "<" so that no tag is
    split between two pieces."""
    tail = b""
    while chunk := stream.read(CHUNK):
        data = tail + chunk
        cut = data.rfind(b"<")
        if cut > 0:
            yield data[:cut]
            tail = data[cut:]
        elif cut == 0 and len(data) < 4 * CHUNK:
            tail = data  # one tag so far: wait for its end
        else:
            yield data  # no tag to split, or a tag longer than any cell's
            tail = b""
    if tail:
        yield tail


def _streamed_cells_extent(archive: zipfile.ZipFile, part: str, sheet: str) -> tuple[int, int]:
    """(rows, columns) by following the XML: a cell without r="…" is the one after the
    previous cell of its row, a row without r="…" the one after the previous row."""
    at = {"row": 0, "column": 0}
    reach = {"rows": 0, "columns": 0}

    def element(name, attributes):
        local = _local(name)
        if local == "c":
            reference = attributes.get("r")
            if reference:
                at["row"], at["column"] = _cell_reference(reference, sheet)
            else:
                at["column"] += 1
            reach["rows"] = max(reach["rows"], at["row"])
            reach["columns"] = max(reach["columns"], at["column"])
        elif local == "row":
            number = attributes.get("r")
            if number and not (number.isascii() and number.isdigit()):
                raise ExtentUnreadable(
                    f"工作表“{sheet}”中有无法识别的行号“{number[:20]}”，文件已损坏"
                )
            at["row"] = int(number) if number else at["row"] + 1
            at["column"] = 0
        elif local == "dimension" and attributes.get("ref"):
            try:
                rows, columns = _cell_reference(attributes["ref"].split(":")[-1], sheet)
            except ExtentUnreadable:
                return
            reach["rows"] = max(reach["rows"], rows)
            reach["columns"] = max(reach["columns"], columns)

    _start_elements(archive, part, f"工作表“{sheet}”", element)
    return reach["rows"], reach["columns"]


# ---------------------------------------------------------------- .ods

# A cell's value or formula: calamine reads a cell with none of these as empty.
ODS_CONTENT = frozenset(
    ("value-type", "value", "string-value", "date-value", "time-value", "boolean-value", "formula")
)
ODS_CELLS = frozenset(("table-cell", "covered-table-cell"))


def ods_extents(archive: zipfile.ZipFile) -> list[Extent]:
    """Each table's extent counting repeats only where they repeat content: LibreOffice
    writes the empty rest of a sheet as rows repeated to row 1,048,576, which calamine
    drops, while repeated cells with content are all materialised."""
    tables = _OdsTables()
    parser = expat.ParserCreate()
    parser.StartElementHandler = tables.start
    parser.EndElementHandler = tables.end
    parser.CharacterDataHandler = tables.text
    with archive.open("content.xml") as stream:
        _parse_xml(stream, parser, "表格内容")
    return tables.extents


class _OdsTables:
    def __init__(self) -> None:
        self.extents: list[Extent] = []
        self.sheet = ""
        self.rows = self.columns = 0  # the current table's reach
        self.row = 0  # rows before the current one
        self.row_repeat = 1
        self.column = 0  # columns before the current cell
        self.row_reach = 0  # the current row's last column with content
        self.cell_repeat = 0  # > 0 inside a cell
        self.cell_depth = 0  # elements open inside the current cell
        self.cell_content = False

    def start(self, name: str, attributes: dict) -> None:
        local = _local(name)
        if self.cell_repeat:
            self.cell_depth += 1
            self.cell_content = True  # a paragraph, an annotation, …: counted as content
        elif local in ODS_CELLS:
            self.cell_repeat = self._repeat(attributes, "number-columns-repeated")
            self.cell_content = any(_local(key) in ODS_CONTENT for key in attributes)
        elif local == "table-row":
            self.row_repeat = self._repeat(attributes, "number-rows-repeated")
            self.column = self.row_reach = 0
        elif local == "table":
            self.sheet = next((v for k, v in attributes.items() if _local(k) == "name"), "")
            self.rows = self.columns = self.row = 0

    def end(self, name: str) -> None:
        if self.cell_repeat and self.cell_depth:
            self.cell_depth -= 1
            return
        local = _local(name)
        if self.cell_repeat and local in ODS_CELLS:
            self.column += self.cell_repeat
            if self.cell_content:
                self.row_reach = self.column
            self.cell_repeat = 0
        elif local == "table-row":
            self.row += self.row_repeat
            if self.row_reach:
                self.rows = self.row
                self.columns = max(self.columns, self.row_reach)
        elif local == "table":
            self.extents.append(Extent(self.sheet, self.rows, self.columns))

    def text(self, data: str) -> None:
        if self.cell_repeat and data.strip():
            self.cell_content = True

    def _repeat(self, attributes: dict, local: str) -> int:
        for key, value in attributes.items():
            if _local(key) == local:
                if not (value.isascii() and value.isdigit()) or int(value) < 1:
                    raise ExtentUnreadable(
                        f"工作表“{self.sheet}”中的重复次数“{value[:20]}”无法识别，文件已损坏"
                    )
                return int(value)
        return 1


# ---------------------------------------------------------------- .xls

BOF, EOF, BOUNDSHEET, DIMENSIONS, FILEPASS = 0x0809, 0x000A, 0x0085, 0x0200, 0x002F
# Records that start with the cell's row and column (BIFF5 and BIFF8): NUMBER, LABEL,
# LABELSST, RK, BLANK, BOOLERR, FORMULA, RSTRING; MULRK and MULBLANK end with their last column.
CELL_RECORDS = frozenset((0x0203, 0x0204, 0x00FD, 0x027E, 0x0201, 0x0205, 0x0006, 0x00D6))
MULTIPLE_CELL_RECORDS = frozenset((0x00BD, 0x00BE))
ENCRYPTED = "文件已加密（设置了打开密码），请去掉密码后再导入"


def xls_extents(content: bytes) -> list[Extent]:
    """Each worksheet's extent from its DIMENSIONS record and its cells' rows and columns
    (calamine reserves the DIMENSIONS rectangle before reading a cell)."""
    stream = _workbook_stream(content)
    return [_xls_sheet_extent(stream, name, offset) for name, offset in _bound_sheets(stream)]


def _workbook_stream(content: bytes) -> bytes:
    try:
        with olefile.OleFileIO(content) as container:
            name = next((n for n in ("Workbook", "Book") if container.exists(n)), None)
            if name is None:
                raise ExtentUnreadable("不是 Excel 文件（文件中没有工作簿），无法读取")
            return container.openstream(name).read()
    except ExtentUnreadable:
        raise
    except Exception as error:  # olefile's refusals of a damaged container are of many kinds
        log.warning("unreadable OLE container: %r", error)
        raise ExtentUnreadable("文件已损坏，无法打开") from error


def _records(stream: bytes, position: int):
    """(type, body) of each BIFF record from `position` to the end of the stream."""
    while position + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, position)
        yield kind, stream[position + 4 : position + 4 + size]
        position += 4 + size


def _bound_sheets(stream: bytes) -> list[tuple[str, int]]:
    """(name, offset of its records) of each sheet listed in the workbook's globals."""
    records = _records(stream, 0)
    first = next(records, (None, b""))
    if first[0] != BOF or len(first[1]) < 2:
        raise ExtentUnreadable("不是能读取的 Excel 文件（.xls 只支持 Excel 95 及以后的格式）")
    biff8 = struct.unpack_from("<H", first[1])[0] == 0x0600
    sheets = []
    for kind, body in records:
        if kind == FILEPASS:
            raise ExtentUnreadable(ENCRYPTED)
        if kind == BOUNDSHEET and len(body) >= 7:
            sheets.append((_sheet_name(body, biff8), struct.unpack_from("<I", body)[0]))
        elif kind == EOF:
            break
    return sheets


def _sheet_name(body: bytes, biff8: bool) -> str:
    length = body[6]
    if not biff8:
        return body[7 : 7 + length].decode("gbk", errors="replace")
    wide = len(body) > 7 and body[7] & 1
    text = body[8 : 8 + length * (2 if wide else 1)]
    return text.decode("utf-16-le" if wide else "latin-1", errors="replace")


HEADER = struct.Struct("<HH")  # a record's type and size; a cell's row and column
BIFF8_DIMENSIONS = struct.Struct("<4xI2xH")  # rows in 32 bits
BIFF5_DIMENSIONS = struct.Struct("<2xH2xH")
LAST_COLUMN = struct.Struct("<H")


def _xls_sheet_extent(stream: bytes, sheet: str, offset: int) -> Extent:
    """One pass over the sheet's records, unpacking in place with nothing called per cell
    that need not be: a city's 160,000 cells took three times calamine's whole read when
    each record was sliced out and compared with max()."""
    if offset >= len(stream):
        raise ExtentUnreadable(f"工作表“{sheet}”的位置超出了文件，文件已损坏")
    unpack, cells = HEADER.unpack_from, CELL_RECORDS
    rows = columns = 0
    position, end = offset, len(stream) - 4
    while position <= end:
        kind, size = unpack(stream, position)
        body = position + 4
        position = body + size
        if kind in cells:  # a body shorter than 4 bytes reads the next record's: counted too
            row, column = unpack(stream, body) if body <= end else (0, 0)
            if row >= rows:
                rows = row + 1
            if column >= columns:
                columns = column + 1
        elif kind in MULTIPLE_CELL_RECORDS and size >= 6 and position <= end + 4:
            row = LAST_COLUMN.unpack_from(stream, body)[0]
            last = LAST_COLUMN.unpack_from(stream, position - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, last + 1)
        elif kind == DIMENSIONS and size >= 10 and position <= end + 4:
            # Both give the row and the column after the last.
            layout = BIFF8_DIMENSIONS if size >= 14 else BIFF5_DIMENSIONS
            last_row, last_column = layout.unpack_from(stream, body)
            rows, columns = max(rows, last_row), max(columns, last_column)
        elif kind == EOF:
            break
    return Extent(sheet, rows, columns)
