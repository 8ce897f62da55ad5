"""Opening what streets upload: .xlsx, .xls, .ods and .csv (UTF-8 with or without BOM, or
GBK). Anything that is not a spreadsheet, is encrypted, corrupt, too large or a zip bomb is
refused before it is inflated."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import python_calamine

from shequ.ledger.importing.formulas import Unsupported, evaluate, sheet_formulas

MB = 1024 * 1024
MAX_RATIO = 100  # uncompressed ÷ compressed, for any part
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls, and encrypted .xlsx
ZIP_SIGNATURE = b"PK\x03\x04"


@dataclass(frozen=True)
class SizeLimits:
    file_bytes: int  # the file as given
    inflated_bytes: int  # all the parts of an .xlsx, uncompressed


# What a street may upload through the pages.
UPLOAD_LIMITS = SizeLimits(file_bytes=25 * MB, inflated_bytes=200 * MB)
# The command line reads a file its operator chose, up to a country's (600,000 rows are
# about 40 MB, 300 MB inflated); the zip-bomb ratio still applies.
COMMAND_LINE_LIMITS = SizeLimits(file_bytes=512 * MB, inflated_bytes=4096 * MB)


class FileRefused(Exception):
    """The file cannot be read at all (exit status 2)."""


@dataclass
class RawSheet:
    """A sheet's cells as values (str, float, int, bool, date or ""), with where it starts,
    so that row numbers and column letters can be given as Excel shows them."""

    name: str
    rows: list[list]
    first_row: int = 0  # 0-based index of rows[0] in the sheet
    first_col: int = 0
    merged: list[tuple[int, int, int, int]] | None = None  # (top, left, bottom, right), 0-based


def read_named_file(path: Path) -> list[RawSheet]:
    """The sheets of a file named on the command line (`import-ledger FILE`, and its early
    read), within the command line's limits."""
    return read_sheets(_file_bytes(path), path.name, COMMAND_LINE_LIMITS)


def _file_bytes(path: Path) -> bytes:
    """A file that cannot be read is refused with the reason in Chinese (the operating
    system's own words are English)."""
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise FileRefused(f"找不到文件：{path}") from error
    except IsADirectoryError as error:
        raise FileRefused(f"{path} 是文件夹，不是文件") from error
    except PermissionError as error:
        raise FileRefused(f"没有读取文件的权限：{path}") from error
    except OSError as error:
        raise FileRefused(f"无法读取文件 {path}（{error.strerror or error}）") from error


def read_sheets(
    content: bytes, filename: str, limits: SizeLimits = UPLOAD_LIMITS
) -> list[RawSheet]:
    if len(content) > limits.file_bytes:
        raise FileRefused(
            f"文件大小 {len(content) / MB:.1f} MB，超过 {limits.file_bytes // MB} MB 的上限"
        )
    if not content:
        raise FileRefused("文件是空的")
    suffix = Path(filename).suffix.lower()
    if content.startswith(ZIP_SIGNATURE):
        _check_zip(content, limits)
        sheets = _read_with_calamine(content)
        _recompute_formulas(content, sheets)
        return sheets
    if content.startswith(OLE_SIGNATURE):
        if _is_encrypted_ooxml(content):
            raise FileRefused("文件已加密（设置了打开密码），请去掉密码后再导入")
        return _read_with_calamine(content)
    if suffix in (".csv", ".txt") or _looks_like_text(content):
        return [RawSheet(name=Path(filename).stem or "CSV", rows=_read_csv(content))]
    raise FileRefused("不是 Excel、WPS 表格或 CSV 文件，无法读取")


def _check_zip(content: bytes, limits: SizeLimits) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise FileRefused("文件已损坏，无法打开") from error
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


def _recompute_formulas(content: bytes, sheets: list[RawSheet]) -> None:
    try:
        formulas = sheet_formulas(content)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError):
        return  # calamine read it; without readable formulas its values stand
    for sheet in sheets:
        cells = formulas.get(sheet.name)
        if cells:
            _recompute_sheet(sheet, cells)


def _recompute_sheet(sheet: RawSheet, formulas: dict[tuple[int, int], str]) -> None:
    rows = sheet.rows
    done: dict[tuple[int, int], object] = {}
    busy: set[tuple[int, int]] = set()

    def value_at(row: int, column: int):
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
                result = evaluate(formulas[key], value_at)
            except (Unsupported, ArithmeticError) as error:
                result = UncheckedFormula(formulas[key], str(error))
            busy.discard(key)
            done[key] = result
        if isinstance(result, UncheckedFormula):
            raise Unsupported("引用了无法核算的公式")
        return result

    for row, column in formulas:
        if 0 <= row < len(rows) and 0 <= column < len(rows[row]):
            try:
                rows[row][column] = compute((row, column))
            except Unsupported as error:
                rows[row][column] = done.get((row, column)) or UncheckedFormula(
                    formulas[(row, column)], str(error)
                )


def _is_encrypted_ooxml(content: bytes) -> bool:
    # An encrypted .xlsx is an OLE container holding these streams (UTF-16 names).
    return "EncryptionInfo".encode("utf-16-le") in content[:65536] or (
        "EncryptedPackage".encode("utf-16-le") in content
    )


def _read_with_calamine(content: bytes) -> list[RawSheet]:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            merged = [
                (top, left, bottom, right)
                for (top, left), (bottom, right) in (sheet.merged_cell_ranges or [])
            ]
            # Without skipping, rows[0] is the sheet's row 1 and cells[0] its column A.
            sheets.append(RawSheet(name, sheet.to_python(skip_empty_area=False), 0, 0, merged))
        return sheets
    except python_calamine.PasswordError as error:
        raise FileRefused("文件已加密（设置了打开密码），请去掉密码后再导入") from error
    except (python_calamine.CalamineError, ValueError, OSError) as error:
        raise FileRefused(f"文件已损坏或格式不受支持：{error}") from error


def _looks_like_text(content: bytes) -> bool:
    sample = content[:4096]
    return b"\x00" not in sample and (b"," in sample or b"\t" in sample)


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (which covers GBK), as Chinese Excel saves."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused("CSV 文件的编码无法识别，请另存为 UTF-8 或 GBK 编码")


def _read_csv(content: bytes) -> list[list]:
    import csv

    text = decode_text(content)
    dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]
