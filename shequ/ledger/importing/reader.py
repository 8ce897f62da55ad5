"""Turning a sheet into source rows: data rows with their cells by field, and the 合计/小计
rows that will be checked against them."""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from shequ.ledger.importing.cells import cell_text
from shequ.ledger.importing.extent import SUM_CHARACTER, column_letters
from shequ.ledger.importing.files import RawSheet
from shequ.ledger.importing.layout import (
    END_MARKERS,
    MAX_HEADER_SEARCH,
    Layout,
    end_of_table,
    fill_merged,
    find_layout,
    is_figure,
    normalize_header,
)

SUM_WORDS = re.compile(r"合计|小计|总计|累计")
LEADING_FIELDS = ("number", "code", "street", "community")


@functools.cache
def column_letter(index: int) -> str:
    """The letters of the 0-based column `index` (0 → A)."""
    return column_letters(index + 1)


@dataclass(slots=True)
class SourceRow:
    sheet: str
    row: int  # as Excel shows it, 1-based
    cells: dict[str, object]  # field → the cell's value, for the fields the table has
    columns: dict[str, str]  # field → column letter; one dict shared by a table's rows
    kind: str = "data"  # data, subtotal, total
    label: str = ""  # the street a 小计 names, if any

    def text(self, name: str) -> str:
        return cell_text(self.cells[name]) if name in self.cells else ""

    def column(self, name: str) -> str:
        return self.columns.get(name, "")


@dataclass(slots=True)
class Skipped:
    """A row of the sheet that is not imported, and why (in Chinese, for the user)."""

    row: int  # as Excel numbers it, 1-based
    reason: str


@dataclass(slots=True)
class RowProblem:
    """An error the reading itself finds: a row it cannot tell header from data, or data
    where the table has ended."""

    row: int | None
    column: str
    field: str
    message: str


# Why a row is skipped. Every row up to a sheet's last row with content gets one of these
# or is imported: rows_read == imported + len(skipped) (docs/decisions/0020).
BLANK, TITLE, HEADER = "空行", "标题", "表头"
SUBTOTAL, TOTAL = "小计", "合计"
NOTHING = "没有社区名称，也没有数字"
NO_HEADER = "工作表中找不到表头"
REFUSED = "有错误："


def refused(message: str) -> str:
    """The reason of a row refused with an error: the error's own words."""
    return REFUSED + message


@dataclass
class SheetTable:
    """A sheet's table. Its data, 小计 and 合计 rows are read as they are taken from `rows`
    (a country's 600,000 are never all held as source rows); `skipped` and `problems` are
    complete once `rows` is exhausted."""

    sheet: str
    layout: Layout | None
    rows: Iterator[SourceRow]  # data, 小计 and 合计 rows, in the sheet's order
    rows_read: int = 0  # rows up to the last one with content; a trailing blank area is not read
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field → column letter
    # Whether any row's label cells hold 计, as every sum word does: a sheet without one
    # has no 小计/合计 row, and its rows need not be summed.
    may_have_sums: bool = False


def read_table(sheet: RawSheet) -> SheetTable:
    """The sheet's table. Its first rows are read now, to find the header; the others as
    the planner takes them, so that a streamed sheet is never held whole."""
    rows: Iterable[list] = fill_merged(sheet)
    if sheet.holds_sum_character is None:
        rows = list(rows)  # read whole already: looked over for 计 below
    taken = iter(rows)
    head = list(itertools.islice(taken, MAX_HEADER_SEARCH + 1))
    layout = find_layout(head)
    table = SheetTable(sheet.name, layout, iter(()))
    first = sheet.first_row + 1  # Excel's number of the sheet's first row
    if layout is None:
        _account_headerless(itertools.chain(head, taken), first, table)
        return table
    _account_header(head, layout, first, table)
    table.rows_read = _content_end(head[: layout.first_data_row])
    reading = _RowReading(sheet, layout)
    table.columns = reading.columns
    if isinstance(rows, list):
        data_rows = itertools.islice(rows, layout.first_data_row, None)
        table.may_have_sums = any(map(reading.may_be_a_sum, data_rows))
    else:
        table.may_have_sums = bool(sheet.holds_sum_character)
    data = itertools.chain(head[layout.first_data_row :], taken)
    content = _content_rows(data, layout.first_data_row, first, table)
    table.rows = _table_rows(content, reading, table)
    return table


def _content_rows(rows: Iterable[list], start: int, first: int, table: SheetTable):
    """(index, values) of each row with content, counted from `start`. The blank rows
    between them are listed as skipped and `table.rows_read` follows the last of them: a
    sheet's trailing blank area (styled but empty rows) is neither read nor listed."""
    blank = start  # the first blank row not yet listed
    for index, values in enumerate(rows, start):
        if _has_content(values):
            if blank < index:
                table.skipped.extend(Skipped(first + row, BLANK) for row in range(blank, index))
            blank = table.rows_read = index + 1
            yield index, values


def _table_rows(content, reading: _RowReading, table: SheetTable) -> Iterator[SourceRow]:
    skipped = table.skipped
    street = ""
    for index, values in content:
        ending = end_of_table(values)
        source = reading.source_row(values, index)
        if ending and not _is_named_data(source):
            rest = itertools.chain([(index, values)], content)
            _account_after_end(rest, ending, reading, table)
            return
        if source.kind == "data":
            if not source.text("community") and not source.text("code"):
                _account_unnamed(source, table)
                continue
            if "street" in source.cells:
                street = source.text("street") or street  # the street merged down its rows
                source.cells["street"] = street
        else:
            skipped.append(Skipped(source.row, SUBTOTAL if source.kind == "subtotal" else TOTAL))
        yield source


def _content_end(rows: list[list]) -> int:
    """The index after the last row with content."""
    end = len(rows)
    while end and not _has_content(rows[end - 1]):
        end -= 1
    return end


def _account_header(rows: list[list], layout: Layout, first: int, table: SheetTable) -> None:
    """The rows down to the first data row: blank, title, header, or a doubtful row."""
    for index in range(layout.header_rows[0]):
        values = rows[index]
        if not _has_content(values):
            table.skipped.append(Skipped(first + index, BLANK))
        elif looks_like_community_data(values):
            message = (
                "在表头之前，却有社区名称和数字：请把表头放在所有数据之前，"
                "或删除此行（表头应写有“社区名称”“户数”等列名）"
            )
            _refuse(table, first + index, "", "", message)
        else:
            table.skipped.append(Skipped(first + index, TITLE))
    for index in layout.header_rows:
        table.skipped.append(Skipped(first + index, HEADER))
    if layout.doubtful_row is not None:
        message = (
            "无法判断这一行是表头的第二行还是数据：它在“其中”等栏下写有设施名称，又写有"
            "数字或其他文字；请让两行表头的第二行只写设施名称，数据从下一行开始"
        )
        _refuse(table, first + layout.doubtful_row, "", "", message)


def _account_headerless(rows: Iterable[list], first: int, table: SheetTable) -> None:
    """A sheet without a header is not read; rows that look like a community's figures
    make it an error, named once for the sheet, never a silent omission."""
    looking: list[int] = []  # rows (0-based) that look like a community's figures
    filled: list[int] = []  # rows with content
    for index, values in enumerate(rows):
        if _has_content(values):
            filled.append(index)
            if looks_like_community_data(values):
                looking.append(index)
    table.rows_read = filled[-1] + 1 if filled else 0
    if looking:
        where = f"第{first + looking[0]}行" + (f"等 {len(looking)} 行" if len(looking) > 1 else "")
        message = (
            f"找不到表头：{where}有社区名称和数字，但前 {MAX_HEADER_SEARCH} 行中没有一行同时写有"
            "“社区名称”和“户数”“建筑面积”等列名，无法判断各列是什么；请加上表头"
        )
        table.problems.append(RowProblem(first + looking[0], "", "", message))
    data, content = set(looking), set(filled)
    for index in range(table.rows_read):
        if index in data:
            reason = refused(table.problems[-1].message)
        else:
            reason = NO_HEADER if index in content else BLANK
        table.skipped.append(Skipped(first + index, reason))


def _account_after_end(content, reason: str, reading: _RowReading, table: SheetTable) -> None:
    """The rows from 说明 or 填表人 on are notes and sign-off; one that holds a community
    and figures is data left below the table, an error rather than dropped."""
    for index, values in content:
        ending = end_of_table(values)
        if ending:
            reason = ending
            table.skipped.append(Skipped(reading.sheet.first_row + 1 + index, reason))
            continue
        source = reading.source_row(values, index)
        name = source.text("community") or source.text("code")
        if name and not END_MARKERS.match(normalize_header(name)) and _has_figures(source):
            column = source.column("community" if source.text("community") else "code")
            message = f"在“{reason}”之后，却有社区“{name}”和数字：请把这一行移到表格中，或删除"
            _refuse(table, source.row, column, "community", message)
        else:
            table.skipped.append(Skipped(source.row, reason))


def _is_named_data(source: SourceRow) -> bool:
    """A community's row: a name or code and a figure. Its 备注 may start like a note (说明：
    or 注：) and stand first in the row; it is still data, never the end of the table."""
    return (
        source.kind == "data"
        and bool(source.text("community") or source.text("code"))
        and _has_figures(source)
    )


def _account_unnamed(source: SourceRow, table: SheetTable) -> None:
    """A row without a community name or code: skipped when it holds no figure (a 序号 of
    a blank template line, a street's label), an error when it does."""
    if _has_figures(source):
        message = "有数字，但没有社区名称（也没有区划代码）：请填写社区名称，或删除此行"
        _refuse(table, source.row, source.column("community"), "community", message)
    else:
        table.skipped.append(Skipped(source.row, NOTHING))


def _refuse(table: SheetTable, row: int, column: str, field_name: str, message: str) -> None:
    table.problems.append(RowProblem(row, column, field_name, message))
    table.skipped.append(Skipped(row, refused(message)))


# A community's name as written in a cell of its own: it ends as one (a title that merely
# mentions 社区 does not), e.g. 华伟社区, 永远村, 天生社区居民委员会.
COMMUNITY_NAME = re.compile(r"^.{1,20}(社区|村|居委会|村委会|委员会)$")
DIVISION_CODE = re.compile(r"\d{12}")


def looks_like_community_data(values: list) -> bool:
    """Without a header to say which column is which: a community's name (or its 12-digit
    code) and a figure in the same row."""
    named = figures = False
    for value in values:
        text = cell_text(value)
        if not text:
            continue
        if DIVISION_CODE.fullmatch(text):
            named = True
        elif is_figure(value):
            figures = True
        elif COMMUNITY_NAME.match(text):
            named = True
    return named and figures


class _RowReading:
    """What a table's rows share: each field's column, worked out once for all the rows."""

    def __init__(self, sheet: RawSheet, layout: Layout):
        self.sheet = sheet
        self.fields = tuple(layout.columns)
        self.pick = operator.itemgetter(*layout.columns.values())
        self.width = max(layout.columns.values()) + 1
        self.columns = {
            name: column_letter(sheet.first_col + position)
            for name, position in layout.columns.items()
        }
        # Where a 合计/小计 label can be: the leading fields' columns, else the first four.
        leading = [layout.columns[n] for n in LEADING_FIELDS if n in layout.columns]
        self.label_positions = sorted({*leading, 0, 1, 2, 3})

    def source_row(self, values: list, index: int) -> SourceRow:
        if len(values) < self.width:
            values = [*values, *[""] * (self.width - len(values))]
        picked = self.pick(values)
        cells = dict(zip(self.fields, picked if len(self.fields) > 1 else (picked,), strict=True))
        source = SourceRow(self.sheet.name, self.sheet.first_row + index + 1, cells, self.columns)
        if self.may_be_a_sum(values):
            _mark_sum(source, values)
        return source

    def may_be_a_sum(self, values: list) -> bool:
        # Every sum word holds 计, and no other character's NFKC form contains it (checked
        # over all of Unicode by a test): a row without it in its label columns is data,
        # found without normalizing its text. A plain loop: a generator per row cost more
        # than the test itself.
        width = len(values)
        for i in self.label_positions:
            if i < width:
                value = values[i]
                if type(value) is str and SUM_CHARACTER in value:
                    return True
        return False


# The label of a 合计 over every sheet of the book (城乡合计, as the export writes it).
BOOK_TOTAL = "城乡"


def _mark_sum(source: SourceRow, values: list) -> None:
    # The label is looked for in the leading fields' cells, then, in a row naming no
    # community (by name or code), in the first four: a 合计 written in column A of a table
    # whose first column is another field's is still one, while a community's 备注 that
    # mentions a 小计 does not make its row a sum. (Joined, blank leading cells make a
    # string of spaces: that is no label.)
    leading = " ".join(filter(None, (source.text(n) for n in LEADING_FIELDS)))
    match = SUM_WORDS.search(leading)
    if match is None and not (source.text("community") or source.text("code")):
        leading = " ".join(filter(None, (cell_text(v) for v in values[:4])))
        match = SUM_WORDS.search(leading)
    if match:
        source.kind = "total" if match.group() in ("合计", "总计", "累计") else "subtotal"
        before = leading[: match.start()].split()
        label = before[-1] if before else source.text("street")
        # A 合计 written in the street column is no street's name (“合计合计的户数…”).
        source.label = "" if SUM_WORDS.fullmatch(label) else label


def _has_content(values: list) -> bool:
    """Anything a person would see: a number, a date, or text that is not blank."""
    for value in values:
        if type(value) is str:
            if value and cell_text(value):
                return True
        elif value is not None:
            return True
    return False


# The cells that name a row rather than state its figures.
NAMING_FIELDS = frozenset(("number", "code", "street", "community", "remarks"))


def _has_figures(source: SourceRow) -> bool:
    """A figure in a ledger column: a number, or text that reads as one (CSV cells are all
    text); a 序号 alone is not one."""
    return any(
        is_figure(value) for name, value in source.cells.items() if name not in NAMING_FIELDS
    )
