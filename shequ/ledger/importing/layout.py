"""Finding the table in a sheet: the header row(s) under any title, which column holds
what whatever its wording or order, and where the table ends."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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

    def column_of(self, field: str) -> int | None:
        return self.columns.get(field)


def fill_merged(sheet: RawSheet) -> list[list]:
    """Copy each merged range's value into all its cells (a street merged down its rows)."""
    if not sheet.merged:
        return sheet.rows  # nothing to fill: no need to copy a city's rows
    rows = [list(row) for row in sheet.rows]
    for top, left, bottom, right in sheet.merged or []:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            for c in range(left, min(right, len(rows[r]) - 1) + 1):
                rows[r][c] = value
    return rows


def find_layout(rows: list[list]) -> Layout | None:
    """The first row (within the first 30) that names the community column and at least
    two other ledger fields is the header; the row under it joins it when it carries the
    facility names of a two-row header."""
    for index, row in enumerate(rows[:MAX_HEADER_SEARCH]):
        columns = _columns(row)
        if "community" not in columns or len(columns) < 3:
            continue
        header_rows = [index]
        if index + 1 < len(rows) and _is_sub_header(rows[index + 1]):
            header_rows.append(index + 1)
            combined = [f"{_text(a)}{_text(b)}" for a, b in zip(row, rows[index + 1], strict=False)]
            columns = _columns(combined)
        return Layout(header_rows, columns, header_rows[-1] + 1)
    return None


def _text(value) -> str:
    return "" if value is None else str(value)


def _columns(row: list) -> dict[str, int]:
    columns: dict[str, int] = {}
    for position, value in enumerate(row):
        field = field_for_header(value)
        if field and field not in columns:
            columns[field] = position
    return columns


def _is_sub_header(row: list) -> bool:
    fields = {field_for_header(value) for value in row} - {None}
    return bool(fields & {"service_center", "police_room", "day_care"}) and not any(
        map(_is_figure, row)
    )


# A figure written as text, as every cell of a CSV is: 2000, 261.8, 500109001.
FIGURE_TEXT = re.compile(r"\s*[-+]?\d[\d,]*(\.\d+)?\s*")


def _is_figure(value) -> bool:
    """A number, or text that is one: a CSV's data row whose 备注 names a facility (警务室设在
    便民服务中心) is still data, not a second header row."""
    if isinstance(value, str):
        return FIGURE_TEXT.fullmatch(value) is not None
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_end_of_table(row: list) -> bool:
    for value in row:
        if type(value) is float or type(value) is int:
            return False  # a figure (序号, 户数) first: a data row, not a sign-off line
        first = normalize_header(value)
        if first:
            return bool(END_MARKERS.match(first))
    return False
