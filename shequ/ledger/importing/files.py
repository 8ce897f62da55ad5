"""Opening what streets upload: .xlsx, .xls, .ods and text (.csv, or Excel's and WPS's
"Unicode 文本") in UTF-8 with or without BOM, GBK/GB18030 or UTF-16 with BOM, separated by
commas or tabs. Anything that is not a spreadsheet, is encrypted, corrupt, too large, a zip
bomb or a sheet reaching too far is refused before any sheet is loaded, with the reason in
Chinese."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import zipfile
import zlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from xml.etree import ElementTree

import python_calamine

from shequ.core.collection import without_cycle_search
from shequ.ledger.importing.extent import (
    SUM_CHARACTER,
    Extent,
    ExtentUnreadable,
    PlainSheet,
    ods_extents,
    xls_extents,
    xlsx_extents,
    xlsx_sheet_parts,
    xlsx_workbook_path,
)
from shequ.ledger.importing.formulas import Unsupported, evaluate, sheet_formulas
from shequ.ledger.importing.xlsx_stream import SheetRows, StreamedBook, StreamUnreadable

log = logging.getLogger("shequ.import")

MB = 1024 * 1024
MAX_RATIO = 100  # uncompressed ÷ compressed, for any part
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls, and encrypted .xlsx
ZIP_SIGNATURE = b"PK\x03\x04"


@dataclass(frozen=True)
class SizeLimits:
    file_bytes: int  # the file as given
    inflated_bytes: int  # all the parts of an .xlsx, uncompressed
    # One sheet's rectangle from A1 to its farthest cell, as the reader materialises it:
    # about 45 bytes a cell when empty (calamine's cell and the list's slot), some 100 with
    # a value. The cells bound is what holds the memory; rows and columns name the limit.
    sheet_rows: int = 50_000
    sheet_columns: int = 200
    sheet_cells: int = 2_000_000
    # An .xlsx sheet whose XML is larger than this is read a row at a time as it is
    # planned (`xlsx_stream`), never held whole; None: every sheet is read whole.
    stream_from: int | None = None


# What a street may upload through the pages: a sheet of 2 million cells is under 250 MB
# in a worker (a city's 11,270 rows of 14 columns are 160,000 cells). The page keeps a
# file's every row to show them, so no sheet is streamed.
UPLOAD_LIMITS = SizeLimits(file_bytes=25 * MB, inflated_bytes=200 * MB)
# The command line reads a file its operator chose, up to a country's (600,000 rows are
# about 40 MB, 300 MB inflated, 8.4 million cells in 14 columns; the official layout's 16
# columns would be 9.6 million); the zip-bomb ratio still applies. 16 million cells are
# under 1.6 GB even when every one holds a value: Excel's own last row is allowed, not
# Excel's 16,384 columns.
COMMAND_LINE_LIMITS = SizeLimits(
    file_bytes=512 * MB,
    inflated_bytes=4096 * MB,
    sheet_rows=1_048_576,
    sheet_columns=1_000,
    sheet_cells=16_000_000,
    stream_from=16 * MB,
)


class FileKind(Enum):
    PACKAGE = "package"  # .xlsx or .ods: a zip package
    XLS = "xls"
    TEXT = "text"


class FileRefused(Exception):
    """The file cannot be read at all (exit status 2)."""


@dataclass
class RawSheet:
    """A sheet's cells as values (str, float, int, bool, date or ""), with where it starts,
    so that row numbers and column letters can be given as Excel shows them. `rows` is a
    list, or for a large .xlsx sheet read from the command line, `StreamedRows`, read
    again from the file each time it is iterated."""

    name: str
    rows: Iterable[list]
    first_row: int = 0  # 0-based index of the first row in the sheet
    first_col: int = 0
    merged: list[tuple[int, int, int, int]] | None = None  # (top, left, bottom, right), 0-based
    # Whether 计 (in every 小计/合计 word) may be in its cells; None: look at the rows.
    holds_sum_character: bool | None = None


def read_named_file(path: Path) -> list[RawSheet]:
    """The sheets of a file named on the command line (`import-ledger FILE`), within the
    command line's limits. A streamed sheet is read from the file again as it is planned:
    a country's 40 MB are not held meanwhile."""
    named = NamedFile.of(path)
    return read_sheets(_file_bytes(path), path.name, COMMAND_LINE_LIMITS, named)


@dataclass(frozen=True)
class NamedFile:
    """A file named on the command line, as it was before it was read."""

    path: Path
    size: int
    modified: int  # st_mtime_ns

    @classmethod
    def of(cls, path: Path) -> NamedFile | None:
        try:
            status = path.stat()
        except OSError:
            return None  # reading it says why
        return cls(path, status.st_size, status.st_mtime_ns)

    def reopened(self) -> zipfile.ZipFile:
        """The file as a zip package, refused if it has changed since it was read."""
        self.check()
        return zipfile.ZipFile(self.path)

    def check(self) -> None:
        """Refuse the file if it has changed (or gone) since it was read."""
        try:
            status = self.path.stat()
            changed = (status.st_size, status.st_mtime_ns) != (self.size, self.modified)
        except OSError:
            changed = True
        if changed:
            raise FileRefused(f"文件 {self.path.name} 在导入过程中被修改了，请改好保存后重新导入")


def _file_bytes(path: Path) -> bytes:
    """A file that cannot be read is refused with the reason in Chinese (the operating
    system's own words are English: they go to the log)."""
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise FileRefused(f"找不到文件：{path}") from error
    except IsADirectoryError as error:
        raise FileRefused(f"{path} 是文件夹，不是文件") from error
    except PermissionError as error:
        raise FileRefused(f"没有读取文件的权限：{path}") from error
    except OSError as error:
        log.warning("cannot read %s: %s", path, error)
        raise FileRefused(f"无法读取文件 {path}") from error


@without_cycle_search  # a sheet's cells are lists of values: nothing for it to find
def read_sheets(
    content: bytes,
    filename: str,
    limits: SizeLimits = UPLOAD_LIMITS,
    named: NamedFile | None = None,
) -> list[RawSheet]:
    """The file's sheets; those streamed are read from `named`, where `content` came
    from, if it is given (else `content` is kept for them)."""
    kind, extents = inspect_file(content, filename, limits)
    if kind is FileKind.TEXT:
        return [_text_sheet(content, Path(filename).stem or "CSV", limits)]
    if kind is FileKind.XLS:
        return _read_with_calamine(content)
    sheets = _read_with_calamine(content, instead=_streamed_sheets(content, extents, limits, named))
    # The extent scan has looked for formulas in every plainly written sheet already.
    without = {e.sheet for e in extents if e.plain is not None and not e.plain.formulas}
    _recompute_formulas(content, sheets, leaving=without)
    return sheets


def check_file(content: bytes, filename: str, limits: SizeLimits = UPLOAD_LIMITS) -> FileKind:
    """What kind of file `content` is, once it has passed every check that can be made
    without loading a sheet: size, zip bomb, encryption, and each sheet's extent. The
    upload page calls it before it keeps the file."""
    return inspect_file(content, filename, limits)[0]


def inspect_file(
    content: bytes, filename: str, limits: SizeLimits = UPLOAD_LIMITS
) -> tuple[FileKind, list[Extent]]:
    """`check_file`'s kind, with the extents of the sheets it checked."""
    if len(content) > limits.file_bytes:
        raise FileRefused(
            f"文件大小 {len(content) / MB:.1f} MB，超过 {limits.file_bytes // MB} MB 的上限"
        )
    if not content:
        raise FileRefused("文件是空的")
    if content.startswith(ZIP_SIGNATURE):
        extents = _zip_extents(content, limits)
        _check_extents(extents, limits)
        return FileKind.PACKAGE, extents
    if content.startswith(OLE_SIGNATURE):
        if _is_encrypted_ooxml(content):
            raise FileRefused("文件已加密（设置了打开密码），请去掉密码后再导入")
        extents = _unless_unreadable(xls_extents, content)
        _check_extents(extents, limits)
        return FileKind.XLS, extents
    if Path(filename).suffix.lower() in (".csv", ".txt") or _looks_like_text(content):
        return FileKind.TEXT, []
    raise FileRefused("不是 Excel、WPS 表格或 CSV 文件，无法读取")


def _zip_extents(content: bytes, limits: SizeLimits) -> list[Extent]:
    """The extent of every sheet calamine could read from this package. It tries the
    workbook as .xlsx first, then .xlsb, then .ods: each that the package holds is bounded."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as error:
        raise FileRefused("文件已损坏，无法打开") from error
    with archive:
        _check_zip(archive, limits)
        names = set(archive.namelist())
        if any(name.lower().endswith("workbook.bin") for name in names):
            raise FileRefused(
                "不支持 Excel 二进制工作簿（.xlsb），请在 Excel 中另存为 .xlsx 后再导入"
            )
        extents = []
        if "content.xml" in names:
            extents += _unless_unreadable(ods_extents, archive)
        if _unless_unreadable(xlsx_workbook_path, archive):
            extents += _unless_unreadable(xlsx_extents, archive)
        elif "content.xml" not in names:
            raise FileRefused("不是 Excel 或 WPS 表格文件（压缩包内容不对）")
        return extents


# A part that does not inflate: a bad checksum, damaged deflate data, a cut end, a method
# or an encryption zipfile does not know.
PART_FAILURES = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)


def _unless_unreadable(read_extents, source):
    try:
        return read_extents(source)
    except ExtentUnreadable as error:
        raise FileRefused(str(error)) from error
    except PART_FAILURES as error:
        log.warning("unreadable part: %r", error)
        raise FileRefused("文件已损坏，无法打开") from error


def _check_extents(extents: list[Extent], limits: SizeLimits) -> None:
    for extent in extents:
        if (
            extent.rows > limits.sheet_rows
            or extent.columns > limits.sheet_columns
            or extent.cells > limits.sheet_cells
        ):
            raise FileRefused(
                f"工作表“{extent.sheet}”的范围是 {extent.reference}"
                f"（{extent.rows} 行 × {extent.columns} 列），超过导入的上限"
                f"（每个工作表最多 {limits.sheet_rows} 行、{limits.sheet_columns} 列、"
                f"共 {limits.sheet_cells // 10000} 万个单元格）。"
                "请删去表格以外多余的行、列和远处误填的单元格后再导入"
            )


def _check_zip(archive: zipfile.ZipFile, limits: SizeLimits) -> None:
    members = archive.infolist()
    total = 0
    for member in members:
        total += member.file_size
        compressed = max(member.compress_size, 1)
        if member.file_size / compressed > MAX_RATIO and member.file_size > 1024 * 1024:
            raise FileRefused(
                f"文件中的 {member.filename} 压缩比超过 {MAX_RATIO}:1，可能是恶意文件，已拒绝"
            )
    if total > limits.inflated_bytes:
        raise FileRefused(
            f"文件解压后 {total / MB:.0f} MB，超过 {limits.inflated_bytes // MB} MB 的上限"
        )
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names and "mimetype" not in names:
        raise FileRefused("不是 Excel 或 WPS 表格文件（压缩包内容不对）")


@dataclass(frozen=True)
class UncheckedFormula:
    """A formula the importer cannot recompute: its cached value is not used."""

    formula: str
    reason: str

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else "（共享公式）"


def _recompute_formulas(
    content: bytes, sheets: list[RawSheet], leaving: Collection[str] = ()
) -> None:
    try:
        formulas = sheet_formulas(content, leaving)
    except ExtentUnreadable as error:
        raise FileRefused(str(error)) from error
    except (*PART_FAILURES, ElementTree.ParseError, KeyError, ValueError) as error:
        # Their cached values are never taken instead: they may be 0 or stale.
        log.warning("unreadable formulas: %r", error)
        raise FileRefused(
            "文件中的公式无法读取，文件可能已损坏；请用 Excel 或 WPS 另存后再导入"
        ) from error
    for sheet in sheets:
        cells = formulas.get(sheet.name)
        if cells:
            _recompute_sheet(sheet, cells)


# Cells one sheet's formulas may read in all. A 合计 row over a country's 600,000 rows and
# 14 columns reads 8.4 million; a file whose formulas would keep the reader busy for
# minutes has its remaining formulas reported instead.
MAX_FORMULA_READS = 20_000_000


def _recompute_sheet(sheet: RawSheet, formulas: dict[tuple[int, int], str]) -> None:
    rows = sheet.rows
    done: dict[tuple[int, int], object] = {}
    busy: set[tuple[int, int]] = set()
    extent = (
        max(len(rows), max(row for row, _ in formulas) + 1),
        max(max(map(len, rows), default=0), max(column for _, column in formulas) + 1),
    )
    reads = 0

    def value_at(row: int, column: int):
        nonlocal reads
        reads += 1
        if reads > MAX_FORMULA_READS:
            raise Unsupported("公式引用的单元格过多")
        key = (row, column)
        if key in formulas:
            return compute(key)
        if 0 <= row < len(rows) and 0 <= column < len(rows[row]):
            return rows[row][column]
        return None

    def compute(key):
        if key in done:
            result = done[key]
        elif key in busy:
            raise Unsupported("循环引用")
        else:
            busy.add(key)
            try:
                result = evaluate(formulas[key], value_at, extent)
            except Unsupported as error:
                result = UncheckedFormula(formulas[key], str(error))
            except ArithmeticError:  # decimal's own words are English
                result = UncheckedFormula(formulas[key], "计算结果超出范围")
            busy.discard(key)
            done[key] = result
        if isinstance(result, UncheckedFormula):
            raise Unsupported("引用了无法核算的公式")
        return result

    for row, column in formulas:
        if row < 0 or column < 0:
            continue
        _make_room(rows, row, column)
        try:
            rows[row][column] = compute((row, column))
        except Unsupported as error:
            rows[row][column] = done.get((row, column)) or UncheckedFormula(
                formulas[(row, column)], str(error)
            )


def _make_room(rows: list[list], row: int, column: int) -> None:
    """Room for a formula's cell that calamine left out: it stops at the last cell with a
    cached value, and a file may store formulas without one."""
    while len(rows) <= row:
        rows.append([])
    if len(rows[row]) <= column:
        rows[row].extend([""] * (column + 1 - len(rows[row])))


def _is_encrypted_ooxml(content: bytes) -> bool:
    # An encrypted .xlsx is an OLE container holding these streams (UTF-16 names).
    return "EncryptionInfo".encode("utf-16-le") in content[:65536] or (
        "EncryptedPackage".encode("utf-16-le") in content
    )


def _read_with_calamine(
    content: bytes, instead: dict[str, RawSheet] | None = None
) -> list[RawSheet]:
    """Every sheet, in the workbook's order, as calamine reads it, or as `instead` gives it
    (a streamed sheet); calamine's refusals, in English, are logged and told to the user
    in Chinese."""
    instead = instead or {}
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        names = book.sheet_names
    except BaseException as error:
        _refuse_reader_failure(error, "")
    return [instead[name] if name in instead else _read_sheet(book, name) for name in names]


def _streamed_sheets(
    content: bytes, extents: list[Extent], limits: SizeLimits, named: NamedFile | None
) -> dict:
    """{name: sheet} of the .xlsx sheets read as streams: larger than `limits.stream_from`,
    written plainly and holding no formula (which may need any cell of the sheet)."""
    plain = {e.sheet: e.plain for e in extents if e.plain is not None and not e.plain.formulas}
    if limits.stream_from is None or not plain:
        return {}
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        parts = {
            name: part
            for name, part in xlsx_sheet_parts(archive).items()
            if name in plain and archive.getinfo(part).file_size > limits.stream_from
        }
        if not parts:
            return {}
        if named is not None:
            archive = named.reopened()  # the same package, read from the file as needed
        book = StreamedBook(archive)
        return {
            name: _streamed_sheet(book, name, part, plain[name], named)
            for name, part in parts.items()
        }
    except (*PART_FAILURES, StreamUnreadable, UnicodeDecodeError) as error:
        raise _stream_refusal(error) from error


def _streamed_sheet(
    book: StreamedBook, name: str, part: str, plain: PlainSheet, named: NamedFile | None
) -> RawSheet:
    return RawSheet(
        name,
        StreamedRows(book.sheet(name, part), named),
        merged=plain.merged,
        holds_sum_character=plain.holds_sum_character or book.strings.holds_sum_character,
    )


@dataclass(frozen=True)
class StreamedRows:
    """A streamed sheet's rows; a failure met while reading them is a refusal of the file,
    as it would have been had the sheet been read whole before planning."""

    rows: SheetRows
    named: NamedFile | None = None  # the file they are read from again, if named

    def __iter__(self) -> Iterator[list]:
        if self.named is not None:
            self.named.check()
        try:
            yield from self.rows
        except (*PART_FAILURES, StreamUnreadable, UnicodeDecodeError) as error:
            if self.named is not None:
                self.named.check()  # a file changed meanwhile is not said to be damaged
            raise _stream_refusal(error) from error


def _stream_refusal(error: BaseException) -> FileRefused:
    if isinstance(error, StreamUnreadable):
        return FileRefused(str(error))
    if isinstance(error, UnicodeDecodeError):
        return FileRefused("文件中有无法识别的文字（不是 UTF-8 编码），文件可能已损坏")
    log.warning("unreadable part: %r", error)
    return FileRefused("文件已损坏，无法打开")


def _read_sheet(book, name: str) -> RawSheet:
    try:
        sheet = book.get_sheet_by_name(name)
        merged = [
            (top, left, bottom, right)
            for (top, left), (bottom, right) in (sheet.merged_cell_ranges or [])
        ]
        # Without skipping, rows[0] is the sheet's row 1 and cells[0] its column A.
        return RawSheet(name, sheet.to_python(skip_empty_area=False), 0, 0, merged)
    except BaseException as error:
        _refuse_reader_failure(error, name)


def _refuse_reader_failure(error: BaseException, sheet: str):
    """Raise FileRefused for a failure of the reader, in Chinese; anything else (an
    interrupt, the process exiting) goes on as it was."""
    # A panic in calamine's Rust code surfaces as pyo3's PanicException, which derives
    # from BaseException so that `except Exception` lets it through.
    if not isinstance(error, Exception) and type(error).__name__ != "PanicException":
        raise error
    log.warning("calamine refused sheet %r: %r", sheet, error)
    where = f"工作表“{sheet}”" if sheet else "文件"
    if isinstance(error, python_calamine.PasswordError):
        reason = "文件已加密（设置了打开密码），请去掉密码后再导入"
    elif isinstance(error, MemoryError):
        reason = f"{where}的内容太多，读取时内存不足"
    else:
        reason = (
            f"{where}已损坏或格式不受支持，无法读取；请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
        )
    raise FileRefused(reason) from error


# Byte-order marks, looked for first: a UTF-16 file is full of NUL bytes and would not look
# like text at all. Excel's and WPS's "Unicode 文本" is UTF-16 LE with its mark.
TEXT_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def _looks_like_text(content: bytes) -> bool:
    if any(content.startswith(mark) for mark, _, _ in TEXT_MARKS):
        return True
    sample = content[:4096]
    return b"\x00" not in sample and (b"," in sample or b"\t" in sample)


def decode_text(content: bytes) -> str:
    """By its byte-order mark (UTF-8 or UTF-16), else UTF-8, else GB18030 (which covers
    GBK), as Chinese Excel and WPS save text."""
    for mark, encoding, label in TEXT_MARKS:
        if content.startswith(mark):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError as error:
                raise FileRefused(
                    f"文件开头标明是 {label} 编码，但第 {_line_of(content, error.start)} 行"
                    f"附近的内容不是 {label} 编码，无法读取"
                ) from error
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused("CSV 文件的编码无法识别，请另存为 UTF-8 或 GBK 编码")


def _line_of(content: bytes, offset: int) -> int:
    """The line at byte `offset`, counted in the file's UTF-16 code units where it has them."""
    newline = "\n".encode("utf-16-le") if content.startswith(codecs.BOM_UTF16_LE) else None
    if content.startswith(codecs.BOM_UTF16_BE):
        newline = "\n".encode("utf-16-be")
    return content[:offset].count(newline or b"\n") + 1


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their ends, as a file gives them to the csv module (a StringIO
    would copy a country's text at four bytes a character)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _text_sheet(content: bytes, name: str, limits: SizeLimits) -> RawSheet:
    """A text file's one sheet. One larger than `limits.stream_from` keeps its text only,
    its rows parsed as they are taken (a country's 600,000 as lists would be 600 MB)."""
    rows = TextRows.of(decode_text(content))
    if limits.stream_from is not None and len(content) > limits.stream_from:
        return RawSheet(name, rows, holds_sum_character=SUM_CHARACTER in rows.text)
    return RawSheet(name, list(rows))


@dataclass(frozen=True)
class TextRows:
    """A text file's rows, separated by commas or, where it has more of them, tabs."""

    text: str
    dialect: type[csv.Dialect]

    @classmethod
    def of(cls, text: str) -> TextRows:
        return cls(text, csv.excel_tab if text.count("\t") > text.count(",") else csv.excel)

    def __iter__(self) -> Iterator[list]:
        reader = csv.reader(_lines(self.text), self.dialect)
        try:
            yield from reader
        except csv.Error as error:  # a field beyond the csv module's size limit, …
            log.warning("unreadable CSV line %s: %s", reader.line_num, error)
            raise FileRefused(f"CSV 文件第 {reader.line_num} 行的格式有误，无法读取") from error
