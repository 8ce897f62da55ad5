"""Formulas in an .xlsx are recomputed, never trusted: the cached value a program wrote
may be 0, and Excel's own may be stale. Simple arithmetic over cells of the same sheet
(+ − × ÷, brackets, SUM) is evaluated; any other formula is reported where it matters."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from shequ.ledger.importing.extent import (
    column_letters,
    column_number,
    formula_tag,
    wide_encoding,
    xlsx_sheet_parts,
)

CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
TOKEN = re.compile(
    r"\s*(SUM\(|\d+(?:\.\d+)?|\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?|[-+*/(),])"
)


class Unsupported(ValueError):
    """Why a formula cannot be recomputed, in Chinese: it is shown after the formula."""


# The formula's own text is already in the message: the reason says what is computed.
BEYOND_ARITHMETIC = "只能核算加减乘除和 SUM"


def sheet_formulas(
    content: bytes, leaving: Collection[str] = ()
) -> dict[str, dict[tuple[int, int], str]]:
    """{sheet name: {(row, column) 0-based: formula text}}, a shared formula's text given
    for every cell that shares it ("" where its master cell is missing); the sheets named
    in `leaving` (known to hold none) are not looked at."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    found = {}
    for name, path in xlsx_sheet_parts(archive).items():
        if name in leaving or not _has_formulas(archive, path):
            continue  # most sheets hold values only: skip the XML parse
        formulas = _formulas_in(archive.read(path))
        if formulas:
            found[name] = formulas
    return found


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]  # transitional and strict OOXML name the cells alike


def _formulas_in(data: bytes) -> dict[tuple[int, int], str]:
    """Every formula of one sheet's XML. Excel stores a formula filled down a column once:
    the first cell holds `<f t="shared" ref="E5:E200" si="0">SUM(F5:K5)</f>`, every other
    cell of the run only `<f t="shared" si="0"/>`; each of those is given the first cell's
    formula moved to it, as Excel computes it."""
    formulas: dict[tuple[int, int], str] = {}
    masters: dict[str, tuple[str, str]] = {}  # si → (formula, its cell)
    followers: list[tuple[tuple[int, int], str]] = []  # (cell, si)
    row = column = -1
    with io.BytesIO(data) as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            local = _local(element.tag)
            if event == "start":
                if local == "row":
                    number = element.get("r")
                    row, column = (int(number) - 1 if number else row + 1), -1
                elif local == "c":
                    # A cell without r="…" is the one after the previous cell of its row.
                    row, column = _position(element.get("r", "")) or (row, column + 1)
                continue
            if local == "c":
                formula = next((child for child in element if _local(child.tag) == "f"), None)
                if formula is not None:
                    shared = formula.get("t") == "shared"
                    if shared and not formula.text:
                        followers.append(((row, column), formula.get("si", "")))
                    else:
                        formulas[(row, column)] = formula.text or ""
                        if shared:
                            masters[formula.get("si", "")] = (formula.text, _reference(row, column))
                element.clear()
            elif local == "row":
                element.clear()
    if followers:
        formulas.update(_shared_formulas(masters, followers))
    return formulas


def _shared_formulas(masters, followers) -> dict[tuple[int, int], str]:
    # openpyxl is imported only for the sheets that share formulas: it takes a tenth of a
    # second to import, more than reading a district's workbook.
    from openpyxl.formula.translate import Translator, TranslatorError

    translators = {}
    moved = {}
    for (row, column), si in followers:
        if si not in masters:
            moved[(row, column)] = ""  # its master cell is missing: nothing to compute
            continue
        if si not in translators:
            text, origin = masters[si]
            translators[si] = Translator(f"={text}", origin=origin)
        try:
            moved[(row, column)] = translators[si].translate_formula(_reference(row, column))[1:]
        except TranslatorError:
            moved[(row, column)] = ""
    return moved


CHUNK = 1 << 20


def _has_formulas(archive: zipfile.ZipFile, path: str) -> bool:
    """Whether the sheet's XML holds a formula, looked for while inflating it a megabyte at
    a time, rather than reading a city's sheet whole and searching it twice."""
    tail = b""
    with archive.open(path) as stream:
        while chunk := stream.read(CHUNK):
            if not tail and wide_encoding(chunk):
                return True  # UTF-16: no byte pattern finds a tag, the XML parser will
            if formula_tag(tail + chunk[:16]) or formula_tag(chunk):
                return True
            tail = chunk[-15:]  # a tag cut between two chunks
    return False


def _position(reference: str) -> tuple[int, int] | None:
    """(row, column) 0-based of a reference such as "E12", or None."""
    match = CELL.match(reference)
    if not match:
        return None
    return int(match.group(2)) - 1, column_number(match.group(1)) - 1


def _reference(row: int, column: int) -> str:
    return f"{column_letters(column + 1)}{row + 1}"


def evaluate(formula: str, value_at, extent: tuple[int, int] | None = None) -> Decimal:
    """The value of `formula`; `value_at(row, column)` gives other cells' values. A range
    is read only within `extent` (rows, columns) where given: the cells beyond are empty,
    and =SUM(A1:XFD1048576) would otherwise visit 17 billion of them."""
    if not formula:
        raise Unsupported("共享公式的首个单元格缺失")
    tokens = TOKEN.findall(formula.upper().replace(" ", ""))
    if "".join(tokens) != formula.upper().replace(" ", ""):
        raise Unsupported(BEYOND_ARITHMETIC)
    parser = _Parser(tokens, value_at, extent)
    result = parser.expression()
    if parser.position != len(tokens):
        raise Unsupported(BEYOND_ARITHMETIC)
    return result


class _Parser:
    def __init__(self, tokens: list[str], value_at, extent: tuple[int, int] | None = None):
        self.tokens, self.position, self.value_at = [t.strip() for t in tokens], 0, value_at
        self.extent = extent

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
            raise Unsupported(BEYOND_ARITHMETIC) from None

    def sum_arguments(self) -> Decimal:
        total = Decimal(0)
        while True:
            token = self.peek()
            if ":" in token or (CELL.match(token) and self._argument_ends()):
                self.take()
                total += self.range(token if ":" in token else f"{token}:{token}")
            else:
                total += self.expression()
            separator = self.take()
            if separator == ")":
                return total
            if separator != ",":
                raise Unsupported("SUM 参数有误")

    def range(self, token: str) -> Decimal:
        start, end = (_position(part.replace("$", "")) for part in token.split(":"))
        last_row, last_column = max(start[0], end[0]), max(start[1], end[1])
        if self.extent:
            last_row = min(last_row, self.extent[0] - 1)
            last_column = min(last_column, self.extent[1] - 1)
        total = Decimal(0)
        for row in range(min(start[0], end[0]), last_row + 1):
            for column in range(min(start[1], end[1]), last_column + 1):
                value = self.value_at(row, column)
                # As Excel's SUM: the text and TRUE/FALSE in the cells it refers to are
                # left out (a figure typed as text, 120㎡, is not added to the total).
                if _is_number(value):
                    total += _decimal(value)
        return total

    def _argument_ends(self) -> bool:
        """Whether the token after the next one closes a SUM argument: SUM(A1, B1) sums
        its cells as a range does."""
        following = self.tokens[self.position + 1] if self.position + 1 < len(self.tokens) else ""
        return following in (",", ")")

    def cell(self, token: str) -> Decimal:
        return self._number(self.value_at(*_position(token.replace("$", ""))))

    @staticmethod
    def _number(value) -> Decimal:
        """A cell in arithmetic (A1+B1), as Excel takes it: blank is 0, TRUE is 1, text
        that is a plain number is that number, any other text is #VALUE!."""
        if value in (None, ""):
            return Decimal(0)
        if isinstance(value, bool):
            return Decimal(int(value))
        if _is_number(value):
            return _decimal(value)
        if isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                number = None
            if number is not None and number.is_finite():
                return number
        raise Unsupported("引用了非数字单元格")


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _decimal(value) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
