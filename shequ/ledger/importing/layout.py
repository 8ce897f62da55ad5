"""Finding the table in a sheet: the header row(s) under any title, which column holds
what whatever its wording or order, and where the table ends."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from shequ.ledger.fields import AREA_FIELDS
from shequ.ledger.importing.cells import parse_number
from shequ.ledger.importing.files import RawSheet

# How a 在中心 flag column names its facility.
IN_CENTRE_HEADERS = {
    "police_room_in_center": "警务",
    "day_care_in_center": "日间照料|养老服务站",
    "health_station_in_center": "卫生服务站|卫生室|卫生站",
    "culture_room_in_center": "文化活动",
}
# Header wording → field, tried in order; the first rule a header text matches wins.
HEADER_RULES: list[tuple[str, re.Pattern]] = [
    ("code", re.compile(r"(统计用)?区划代码|^代码$|社区代码|村(（社区）)?代码")),
    ("number", re.compile(r"^(序号|编号)+$")),
    ("ratio", re.compile(r"每百户")),
    ("resident_households", re.compile(r"常住.*户")),
    ("households", re.compile(r"户数|户籍")),
    ("total", re.compile(r"总建筑面积|总面积|面积合计|建筑面积$|^建筑面积")),
    # A facility's 在中心 flag (the CSV export's 警务室设在便民服务中心 columns): before the
    # facility rules, which its wording matches too.
    *(
        (flag, re.compile(rf"^{flag}\b|({words}).*在便民服务中心(内)?(\(是/否\))?$"))
        for flag, words in IN_CENTRE_HEADERS.items()
    ),
    ("service_center", re.compile(r"便民服务中心")),
    ("police_room", re.compile(r"警务")),
    ("day_care", re.compile(r"日间照料|养老服务站")),
    ("health_station", re.compile(r"卫生服务站|卫生室|卫生站")),
    ("culture_room", re.compile(r"文化活动")),
    ("grocery", re.compile(r"菜店|平价超市")),
    ("other", re.compile(r"其他|其它")),
    ("compliance_year", re.compile(r"达标(年度|年份|时间)")),
    ("remarks", re.compile(r"备注")),
    ("street", re.compile(r"街道|街镇|乡镇|所属街|镇街")),
    ("community", re.compile(r"社区|村|名称")),
]
END_MARKERS = re.compile(r"^(说明|注[:：]|填表人|填报人|审核人|联系电话|负责人|单位负责人|制表)")
MAX_HEADER_SEARCH = 30


def normalize_header(text) -> str:
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"\s+", "", folded)


def field_for_header(text: str) -> str | None:
    header = normalize_header(text)
    if not header:
        return None
    for field, pattern in HEADER_RULES:
        if pattern.search(header):
            return field
    return None


@dataclass
class Layout:
    header_rows: list[int]  # 0-based indexes into sheet.rows
    columns: dict[str, int]  # field → 0-based column
    first_data_row: int
    # The row under a one-row header that could be a second header row as well as data
    # (0-based): neither read nor joined, but refused with an error naming it.
    doubtful_row: int | None = None

    def column_of(self, field: str) -> int | None:
        return self.columns.get(field)


def fill_merged(sheet: RawSheet) -> Iterable[list]:
    """The sheet's rows with each merged range's value copied into all its cells (a street
    merged down its rows), row by row as they are taken. The sheet's own rows are left as
    they were: a row a range covers is copied, the others are given as they are."""
    if not sheet.merged:
        return sheet.rows  # nothing to fill
    return _filled(sheet.rows, sorted(sheet.merged))


def _filled(rows: Iterable[list], merged: list[tuple[int, int, int, int]]) -> Iterator[list]:
    waiting = iter(merged)  # by their top rows
    upcoming = next(waiting, None)
    open_ranges: list[tuple[int, int, int, object]] = []  # (bottom, left, right, value)
    for index, row in enumerate(rows):
        while upcoming is not None and upcoming[0] <= index:
            top, left, bottom, right = upcoming
            if top == index:  # Excel shows its first cell's value in all of it
                open_ranges.append((bottom, left, right, row[left] if left < len(row) else ""))
            upcoming = next(waiting, None)
        if open_ranges:
            open_ranges = [found for found in open_ranges if found[0] >= index]
        if open_ranges:
            row = list(row)
            for _, left, right, value in open_ranges:
                # The whole range, though the row's written cells may end before it (a
                # CSV's or a streamed sheet's rows end at their last cell).
                if len(row) <= right:
                    row.extend([""] * (right + 1 - len(row)))
                row[left : right + 1] = [value] * (right + 1 - left)
        yield row


def find_layout(rows: list[list]) -> Layout | None:
    """The first row (within the first 30) that names the community column and at least
    two other ledger fields, and holds no figure, is the header; the row under it joins it
    when it is the second row of a two-row header (see `row_under_header`)."""
    for index, row in enumerate(rows[:MAX_HEADER_SEARCH]):
        columns = _columns(row)
        if "community" not in columns or len(columns) < 3 or has_figure(row):
            continue
        below = rows[index + 1] if index + 1 < len(rows) else []
        under = row_under_header(row, below)
        if under == SECOND_HEADER:
            # Rows of a CSV or a streamed sheet end at their last cell: the shorter row's
            # missing cells are blank, never the longer row's columns cut off.
            pairs = itertools.zip_longest(row, below, fillvalue="")
            combined = [_joined(above, cell) for above, cell in pairs]
            return Layout([index, index + 1], _columns(combined), index + 2)
        if under == DOUBTFUL:
            return Layout([index], columns, index + 2, doubtful_row=index + 1)
        return Layout([index], columns, index + 1)
    return None


DATA, SECOND_HEADER, DOUBTFUL = "data", "second header", "doubtful"
FACILITY_FIELDS = frozenset(AREA_FIELDS)
# Words a second header row may hold under a group heading besides facility names.
NEUTRAL_LABEL = re.compile(r"^(其中|合计|小计|总计|[(（]?(平方米|平米|㎡|m²|m2|户|个)[)）]?)$")


def row_under_header(header: list, below: list) -> str:
    """Whether the row under a one-row header is the second row of a two-row header, data,
    or doubtful. A second header row names facilities under a group heading (其中) and holds
    nothing else but the header's own cells filled down from merges: no figure, no name, no
    remark. A data row's remark ("警务室设在便民服务中心") names a facility too, but under 备注,
    and CSV figures are text: so a facility's name counts only under a group heading, and
    any other content makes the row data; both at once cannot be told apart."""
    labels = 0
    data = False
    for position, value in enumerate(below):
        text = normalize_header(value)
        if not text:
            continue
        above = header[position] if position < len(header) else None
        if text == normalize_header(above):
            continue  # a heading merged down both rows, filled into each
        if is_figure(value):
            data = True
        elif field_for_header(text) in FACILITY_FIELDS and _is_group_heading(header, position):
            labels += 1
        elif not NEUTRAL_LABEL.match(text):
            data = True
    if not labels:
        return DATA
    return DOUBTFUL if data else SECOND_HEADER


def _is_group_heading(header: list, position: int) -> bool:
    """Whether the header cell over `position` heads a group of columns: 其中 (or a blank),
    or the total's heading merged across the facilities (filled into a neighbour too). A
    total heading over its own column alone heads nothing: 设在便民服务中心 written under
    it is a data row's figure, not a facility's name."""
    above = header[position] if position < len(header) else None
    field = field_for_header(above)
    if field is None:
        return True
    if field != "total":
        return False
    text = normalize_header(above)
    neighbours = (header[i] for i in (position - 1, position + 1) if 0 <= i < len(header))
    return any(normalize_header(cell) == text for cell in neighbours)


def _joined(above, below) -> str:
    top, bottom = _text(above), _text(below)
    return top if not bottom or bottom == top else f"{top}{bottom}"


def is_figure(value) -> bool:
    """A number, or text that reads as one (a CSV's cells are all text): 1200, "1,200户"."""
    if type(value) is bool:
        return False
    if isinstance(value, (int, float, Decimal)):
        return True
    if type(value) is str:
        return parse_number(value, what="").value is not None
    return getattr(value, "formula", None) is not None  # a formula the import cannot compute


def has_figure(values) -> bool:
    return any(is_figure(value) for value in values)


def _text(value) -> str:
    return "" if value is None else str(value)


def _columns(row: list) -> dict[str, int]:
    columns: dict[str, int] = {}
    for position, value in enumerate(row):
        field = field_for_header(value)
        if field and field not in columns:
            columns[field] = position
    return columns


def end_of_table(row: list) -> str | None:
    """What ends the table at this row, as the reason its rows are skipped (说明 or 签字),
    or None: a figure before any text makes a data row, never a sign-off line."""
    for value in row:
        if type(value) is float or type(value) is int:
            return None
        first = normalize_header(value)
        if first:
            match = END_MARKERS.match(first)
            if match is None:
                return None
            return NOTES if match.group().startswith(("说明", "注")) else SIGN_OFF
    return None


NOTES, SIGN_OFF = "说明", "签字"


def is_end_of_table(row: list) -> bool:
    return end_of_table(row) is not None
