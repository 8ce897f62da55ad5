"""A large .xlsx sheet read as a stream of rows (issue 26), never held whole.

calamine builds a whole sheet before giving its first row: a country's 600,000 rows take
776 MB to read, and the peak grows with the file. A sheet larger than the command line's
`SizeLimits.stream_from` (16 MB of XML; a city's 11,270 rows are about 5 MB, which calamine
reads faster than Python could) is read here instead, a megabyte at a time, each row given
as it is parsed, with the values calamine gives for the same cells (a property test
compares the two over generated workbooks). What is kept is small: the shared strings
(packed, as UTF-8 in one buffer) and each style's date kind. The sheet's merged ranges,
which Excel writes after the cells, were noted by the extent scan (`extent.PlainSheet`).

Only sheets the extent scan found written the usual way (`<c r="E12"`, UTF-8) and holding
no formula are streamed: a formula may need any cell of the sheet to be recomputed, so a
sheet with formulas is read whole by calamine as before.
"""

from __future__ import annotations

import datetime
import math
import re
import zipfile
from array import array
from collections.abc import Generator, Iterator

from shequ.ledger.importing.extent import (
    CHUNK,
    SUM_CHARACTER,
    column_number,
    member,
    xlsx_workbook_path,
)

# A cell as Excel, WPS and XlsxWriter write it; the common contents get groups of their
# own so that most cells need no second look.
CELL = re.compile(
    rb'<c r="([A-Z]+)([0-9]+)"([^>]*?)'
    rb"(?:/>|>(?:<v>([^<]+)</v>|<is><t>([^<]+)</t></is>|(.*?))</c>)",
    re.S,
)
ATTRIBUTE = re.compile(rb'\s([\w:]+)\s*=\s*"([^"]*)"')
VALUE = re.compile(rb"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
INLINE = re.compile(rb"<is(?:\s[^>]*)?>(.*?)</is>", re.S)
PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
TEXT = re.compile(rb"<t(\s[^>]*)?(?:/>|>(.*?)</t>)", re.S)
SHARED_STRING = re.compile(rb"<si(?:\s[^>]*)?(?:/>|>(.*?)</si>)", re.S)
# What makes an inline string's text more than its bytes: an entity, a line end to make
# \n, an escape, or a run or kept spaces (those come in other groups of CELL anyway).
PLAIN_TEXT_EXCEPTIONS = re.compile(rb"[&\r]|_x00")
ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));")
ESCAPE = re.compile(r"_x00([0-9a-fA-F]{2})_")
ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
XML_BLANKS = " \t\r\n"


class StreamUnreadable(ValueError):
    """The sheet's XML says something the streamed read cannot follow; the message is the
    reason in Chinese."""


WORKBOOK_PROPERTIES = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*>")


class StreamedBook:
    """What every streamed sheet of a workbook reads its cells with: the shared strings,
    each style's date kind, and whether its dates count from 1904."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        workbook = xlsx_workbook_path(archive) or "xl/workbook.xml"
        folder = workbook.rpartition("/")[0] + "/" if "/" in workbook else ""
        self.strings = SharedStrings(archive, member(archive, folder + "sharedStrings.xml"))
        self.kinds = style_kinds(archive, member(archive, folder + "styles.xml"))
        found = WORKBOOK_PROPERTIES.search(archive.read(workbook))
        date1904 = dict(ATTRIBUTE.findall(found.group())).get(b"date1904") if found else None
        self.is_1904 = date1904 in (b"1", b"true")

    def sheet(self, name: str, part: str) -> SheetRows:
        """The rows of the sheet in `part`."""
        return SheetRows(self.archive, part, name, self.strings, self.kinds, self.is_1904)


def whole_elements(archive: zipfile.ZipFile, part: str, end_tag: bytes) -> Iterator[bytes]:
    """The part's XML a megabyte at a time, each piece ending after an element's `end_tag`
    (a sheet's </row>, a shared string's </si>), so that no element is cut in two."""
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            data = tail + chunk
            cut = data.rfind(end_tag)
            if cut < 0:
                tail = data
                continue
            cut += len(end_tag)
            yield data[:cut]
            tail = data[cut:]
    if tail:
        yield tail


class SharedStrings:
    """The workbook's shared strings, packed: one buffer of UTF-8 and their offsets (a
    country's file names 600,000 communities and their codes; as Python strings they would
    take 100 MB)."""

    def __init__(self, archive: zipfile.ZipFile, part: str | None):
        self.text = bytearray()
        self.ends = array("Q")
        if part is not None:
            for data in whole_elements(archive, part, b"</si>"):
                for content in SHARED_STRING.findall(data):
                    self.text += rich_text(content).encode()
                    self.ends.append(len(self.text))
        self.holds_sum_character = SUM_CHARACTER.encode() in self.text

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self.ends):
            raise StreamUnreadable("单元格引用的共享文本不存在，文件已损坏")
        start = self.ends[index - 1] if index else 0
        return self.text[start : self.ends[index]].decode()


def rich_text(content: bytes) -> str:
    """The text of a shared or inline string: its <t>, or its runs' <t> joined, without the
    phonetic guide (<rPh>) Japanese files carry."""
    if b"<rPh" in content:
        content = PHONETIC.sub(b"", content)
    return "".join(_run_text(attributes, text) for attributes, text in TEXT.findall(content))


def _run_text(attributes: bytes, raw: bytes) -> str:
    text = xml_text(raw)
    if b'xml:space="preserve"' not in attributes:
        text = text.strip(XML_BLANKS)
    return ESCAPE.sub(_escaped, text) if "_x00" in text else text


def xml_text(raw: bytes) -> str:
    """Character data as an XML parser gives it: line ends made \\n, entities replaced."""
    text = raw.decode()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ENTITY.sub(_entity, text) if "&" in text else text


def _entity(match: re.Match) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return ENTITIES[named]
    return chr(int(decimal) if decimal else int(hexadecimal, 16))


def _escaped(match: re.Match) -> str:
    return chr(int(match.group(1), 16))


# ---------------------------------------------------------------- dates

DATE, DURATION = "date", "duration"
BUILTIN_DATES = {**dict.fromkeys((*range(14, 23), 45, 47), DATE), 46: DURATION}
NUMBER_FORMAT = re.compile(rb"<numFmt\s[^>]*>")
CELL_FORMATS = re.compile(rb"<cellXfs\b[^>]*>(.*?)</cellXfs>", re.S)
CELL_FORMAT = re.compile(rb"<xf\b[^>]*>")
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
DAYS_1900_TO_1904 = 1462
DAY = 86_400_000  # milliseconds


def style_kinds(archive: zipfile.ZipFile, part: str | None) -> list[str | None]:
    """Each cell style's kind of number, DATE, DURATION or None, as calamine decides it:
    by the style's number format, a built-in one by its id, a custom one by its code."""
    if part is None:
        return []
    styles = archive.read(part)
    codes = {}
    for tag in NUMBER_FORMAT.findall(styles):
        attributes = dict(ATTRIBUTE.findall(tag))
        if b"numFmtId" in attributes and b"formatCode" in attributes:
            codes[attributes[b"numFmtId"]] = xml_text(attributes[b"formatCode"])
    kinds: list[str | None] = []
    for block in CELL_FORMATS.findall(styles)[:1]:
        for tag in CELL_FORMAT.findall(block):
            number_format = dict(ATTRIBUTE.findall(tag)).get(b"numFmtId")
            if number_format is None:
                kinds.append(None)
            elif number_format in codes:
                kinds.append(custom_format_kind(codes[number_format]))
            else:
                number = number_format.decode()
                kinds.append(BUILTIN_DATES.get(int(number)) if number.isdigit() else None)
    return kinds


def custom_format_kind(code: str) -> str | None:
    """DATE, DURATION or None for a number format's code: its first section holds a date
    or time letter outside quotes, brackets and escapes; [h], [m] or [s] make a duration."""
    escaped = quoted = am_pm = hms = False
    brackets = 0
    previous = " "
    for character in code:
        if escaped:
            escaped = False
        elif character in "_\\*":
            escaped = True
        elif quoted:
            quoted = character != '"'
        elif character == '"':
            quoted = True
        elif character == ";":
            return None
        elif character == "[":
            brackets += 1
        elif character == "]":
            if brackets == 1 and hms:
                return DURATION
            brackets = max(brackets - 1, 0)
        elif brackets == 0 and not am_pm and character in "aA":
            am_pm = True
        elif brackets == 0 and character in ("pm/PM" if am_pm else "dmhysDMHYS"):
            return DATE
        elif not (hms and character.lower() == previous.lower()):
            hms = previous == "[" and character in "mhsMHS"
        previous = character
    return None


def date_value(number: float, kind: str, is_1904: bool):
    """A dated number as python-calamine gives it: a timedelta for a duration, a time
    below 1, a date when whole, else a datetime; the number itself beyond year 9999."""
    if kind == DURATION:
        try:
            return datetime.timedelta(milliseconds=_rounded(number * DAY))
        except OverflowError:  # beyond a million years: python-calamine refuses the sheet
            return number
    days = number + DAYS_1900_TO_1904 if is_1904 else number
    days = days if days >= 60 else days + 1  # Excel counts a 29 February 1900
    milliseconds = _rounded(days * DAY)
    if number < 1:  # a time of day, whatever the year (which may be before Python's first)
        return (datetime.datetime.min + datetime.timedelta(milliseconds=milliseconds % DAY)).time()
    try:
        moment = EXCEL_EPOCH + datetime.timedelta(milliseconds=milliseconds)
    except OverflowError:  # beyond Python's years 1 to 9999, as python-calamine gives it
        return number
    return moment.date() if number == int(number) else moment


def _rounded(value: float) -> int:
    """`value` rounded half away from zero, as Rust rounds (Python's round() goes to even)."""
    whole = math.floor(abs(value))
    if abs(value) - whole >= 0.5:
        whole += 1
    return int(math.copysign(whole, value))


def iso_value(text: str):
    """A cell of type d (an ISO 8601 date, time or both) as python-calamine gives it."""
    try:
        if "T" in text:
            return datetime.datetime.fromisoformat(text)
        if ":" in text:
            return datetime.time.fromisoformat(text)
        return datetime.date.fromisoformat(text)
    except ValueError:
        return text


# ---------------------------------------------------------------- rows


# A cell without a value (calamine keeps none for it): read as "", but no row is made for it.
EMPTY = object()


class SheetRows:
    """The rows of one streamed sheet from row 1, each a list of values from column A
    (str, float, bool, date, "" for an empty cell), as calamine's `to_python` gives them."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        part: str,
        name: str,
        strings: SharedStrings,
        kinds: list[str | None],
        is_1904: bool,
    ):
        self.archive, self.part, self.name = archive, part, name
        self.strings, self.kinds, self.is_1904 = strings, kinds, is_1904
        self.columns: dict[bytes, int] = {}
        self.attributes: dict[bytes, tuple[int | None, bytes | None]] = {}
        # The attribute texts of cells holding a number that is no date (" s=\"3\"", "").
        self.plain_numbers: set[bytes] = set()

    def __iter__(self) -> Iterator[list]:
        at = 0  # rows given so far
        row: list = []
        stored = False  # whether the row has a cell calamine keeps (one with a value)
        number = b""
        columns, numbers = self.columns, self.plain_numbers
        for data in whole_elements(self.archive, self.part, b"</row>"):
            for letters, digits, attributes, value, inline, other in CELL.findall(data):
                if digits != number:
                    if stored:
                        at = yield from self._rows_up_to(at, int(number) - 1)
                        yield row
                        at += 1
                    number, row, stored = digits, [], False
                column = columns.get(letters)
                if column is None:
                    column = self._column(letters)
                # Most cells are a plain number or a plain inline string: read here, with
                # the checks that make them so; any other through _value.
                if value and attributes in numbers and _plain_number(value):
                    try:
                        cell = float(value)
                    except ValueError:  # text in a cell of no type: calamine gives it as such
                        cell = self._value(attributes, value, inline, other)
                elif inline and not PLAIN_TEXT_EXCEPTIONS.search(inline):
                    cell = inline.decode().strip(XML_BLANKS)
                else:
                    cell = self._value(attributes, value, inline, other)
                if cell is EMPTY:
                    cell = ""
                else:
                    stored = True
                if column == len(row):
                    row.append(cell)
                else:
                    _place(row, column, cell)
        if stored:
            yield from self._rows_up_to(at, int(number) - 1)
            yield row

    def _rows_up_to(self, at: int, index: int) -> Generator[list, None, int]:
        """Empty rows for those before row `index` (0-based) with no value, `at` rows
        having been given: calamine's sheet ends at the last row with a value, so rows
        of empty cells (styled but blank) count only when a row with a value follows."""
        if index < at:
            raise StreamUnreadable(
                f"工作表“{self.name}”中第{index + 1}行写在了后面的行之后，"
                "请用 Excel 或 WPS 另存后再导入"
            )
        while at < index:
            yield []
            at += 1
        return at

    def _column(self, letters: bytes) -> int:
        column = self.columns.get(letters)
        if column is None:
            column = self.columns[letters] = column_number(letters.decode()) - 1
        return column

    def _value(self, attributes: bytes, value: bytes, inline: bytes, other: bytes):
        style, kind = self._attributes(attributes)
        if value:
            return self._typed(style, kind, value)
        if inline:
            return _run_text(b"", inline)
        if other:
            return self._other(style, kind, other)
        return EMPTY  # a cell closed at once: a style without a value

    def _attributes(self, attributes: bytes) -> tuple[int | None, bytes | None]:
        known = self.attributes.get(attributes)
        if known is None:
            found = dict(ATTRIBUTE.findall(attributes))
            style = found.get(b"s")
            known = (int(style) if style and style.isdigit() else None, found.get(b"t"))
            self.attributes[attributes] = known
            if known[1] in (None, b"n") and self._date_kind(known[0]) is None:
                self.plain_numbers.add(attributes)
        return known

    def _date_kind(self, style: int | None) -> str | None:
        return self.kinds[style] if style is not None and style < len(self.kinds) else None

    def _typed(self, style: int | None, kind: bytes | None, value: bytes):
        if kind is None or kind == b"n":
            return self._number(style, kind, value)
        if kind == b"s":
            if not value.isdigit():
                raise StreamUnreadable("单元格引用的共享文本不存在，文件已损坏")
            return self.strings[int(value)]
        if kind == b"str":
            return xml_text(value)
        if kind == b"b":
            return value != b"0"
        if kind == b"d":
            return iso_value(xml_text(value))
        if kind == b"e":
            return ""  # python-calamine gives an error cell as empty; calamine keeps it
        if kind == b"inlineStr":
            return EMPTY  # its <v> is ignored: the text is in <is>
        raise StreamUnreadable(f"工作表“{self.name}”中有无法识别的单元格类型，文件可能已损坏")

    def _number(self, style: int | None, kind: bytes | None, value: bytes):
        try:
            if not _plain_number(value):
                raise ValueError("not a number as Excel writes one")
            number = float(value)
        except ValueError:
            if kind is None:
                return value.decode()
            raise StreamUnreadable(
                f"工作表“{self.name}”中有无法识别的数字“{value[:20].decode(errors='replace')}”，"
                "文件可能已损坏"
            ) from None
        date = self._date_kind(style)
        return number if date is None else date_value(number, date, self.is_1904)

    def _other(self, style: int | None, kind: bytes | None, content: bytes):
        """A cell's content in any other spelling: runs, kept spaces, an empty <v>."""
        found = INLINE.search(content)
        if found:  # calamine reads an <is> whatever the cell's type says
            return rich_text(found.group(1))
        found = VALUE.search(content)
        if found is None or kind == b"inlineStr":
            return EMPTY
        if found.group(1):
            return self._typed(style, kind, found.group(1))
        return "" if kind in (b"str", b"d") else EMPTY  # text, even empty, is kept


def _plain_number(value: bytes) -> bool:
    """Whether `value` holds none of what Python's float() reads but calamine's does not:
    digits grouped by underscores, blanks around them."""
    return b"_" not in value and value[0] > 32 and value[-1] > 32


def _place(row: list, column: int, cell) -> None:
    """`cell` into `row` at `column`, after blanks for the cells not written; a cell
    written again replaces the first."""
    if len(row) < column:
        row.extend([""] * (column - len(row)))
    if column < len(row):
        row[column] = cell
    else:
        row.append(cell)
