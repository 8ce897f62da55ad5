"""Formulas in an .xlsx are recomputed, never trusted: the cached value a program wrote
may be 0, and Excel's own may be stale. Simple arithmetic over cells of the same sheet
(+ − × ÷, brackets, SUM) is evaluated; any other formula is reported where it matters."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
TOKEN = re.compile(
    r"\s*(SUM\(|\d+(?:\.\d+)?|\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?|[-+*/(),])"
)


class Unsupported(ValueError):
    pass


def sheet_formulas(content: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """{sheet name: {(row, column) 0-based: formula text or "" for a shared formula}}."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    paths = _sheet_paths(archive)
    found = {}
    for name, path in paths.items():
        if not _has_formulas(archive, path):
            continue  # most sheets hold values only: skip the XML parse
        data = archive.read(path)
        formulas = {}
        with io.BytesIO(data) as stream:
            for _, element in ElementTree.iterparse(stream):
                if element.tag == f"{MAIN}c":
                    formula = element.find(f"{MAIN}f")
                    if formula is not None:
                        formulas[_position(element.get("r", ""))] = formula.text or ""
                    element.clear()
        if formulas:
            found[name] = formulas
    return found


FORMULA_TAG = re.compile(rb"<f[ >]")
CHUNK = 1 << 20


def _has_formulas(archive: zipfile.ZipFile, path: str) -> bool:
    """Whether the sheet's XML holds a formula, looked for while inflating it a megabyte at
    a time: a city's sheet is 5 MB of XML, read whole and searched twice it took longer."""
    tail = b""
    with archive.open(path) as stream:
        while chunk := stream.read(CHUNK):
            if FORMULA_TAG.search(tail + chunk[:8]) or FORMULA_TAG.search(chunk):
                return True
            tail = chunk[-3:]  # a tag cut between two chunks
    return False


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PACKAGE_REL}Relationship")}
    paths = {}
    for sheet in book.iter(f"{MAIN}sheet"):
        target = targets.get(sheet.get(f"{REL}id"), "")
        paths[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


def _position(reference: str) -> tuple[int, int]:
    match = CELL.match(reference)
    if not match:
        return (-1, -1)
    return int(match.group(2)) - 1, _column(match.group(1))


def _column(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def evaluate(formula: str, value_at) -> Decimal:
    """The value of `formula`; `value_at(row, column)` gives other cells' values."""
    if not formula:
        raise Unsupported("共享公式")
    tokens = TOKEN.findall(formula.upper().replace(" ", ""))
    if "".join(tokens) != formula.upper().replace(" ", ""):
        raise Unsupported(formula)
    parser = _Parser(tokens, value_at)
    result = parser.expression()
    if parser.position != len(tokens):
        raise Unsupported(formula)
    return result


class _Parser:
    def __init__(self, tokens: list[str], value_at):
        self.tokens, self.position, self.value_at = [t.strip() for t in tokens], 0, value_at

    def peek(self) -> str:
        return self.tokens[self.position] if self.position < len(self.tokens) else ""

    def take(self) -> str:
        token = self.peek()
        self.position += 1
        return token

    def expression(self) -> Decimal:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> Decimal:
        value = self.factor()
        while self.peek() in ("*", "/"):
            operator = self.take()
            other = self.factor()
            if operator == "/" and other == 0:
                raise Unsupported("除以零")
            value = value * other if operator == "*" else value / other
        return value

    def factor(self) -> Decimal:
        token = self.take()
        if token == "-":
            return -self.factor()
        if token == "(":
            value = self.expression()
            if self.take() != ")":
                raise Unsupported("括号不配对")
            return value
        if token == "SUM(":
            return self.sum_arguments()
        if ":" in token:
            raise Unsupported("区域只能用在 SUM 中")
        if CELL.match(token):
            return self.cell(token)
        try:
            return Decimal(token)
        except InvalidOperation:
            raise Unsupported(token) from None

    def sum_arguments(self) -> Decimal:
        total = Decimal(0)
        while True:
            token = self.peek()
            if ":" in token:
                self.take()
                total += self.range(token)
            else:
                total += self.expression()
            separator = self.take()
            if separator == ")":
                return total
            if separator != ",":
                raise Unsupported("SUM 参数有误")

    def range(self, token: str) -> Decimal:
        start, end = (_position(part.replace("$", "")) for part in token.split(":"))
        total = Decimal(0)
        for row in range(min(start[0], end[0]), max(start[0], end[0]) + 1):
            for column in range(min(start[1], end[1]), max(start[1], end[1]) + 1):
                total += self._number(self.value_at(row, column))
        return total

    def cell(self, token: str) -> Decimal:
        return self._number(self.value_at(*_position(token.replace("$", ""))))

    @staticmethod
    def _number(value) -> Decimal:
        if value in (None, ""):
            return Decimal(0)
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise Unsupported("引用了非数字单元格")
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
