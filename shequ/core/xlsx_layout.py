"""How every workbook we hand out is laid out on the page (ADR 0042): text widths, column
widths that hold their content, row heights for wrapped text, Chinese dates as date cells,
A4 page set-up with repeated title rows and page numbers, and the sign-off line.

Excel and WPS do not grow a row for wrapped text a program wrote, and a column never grows:
the sizes are computed here, generously, so that nothing is cut off or overprinted in
Excel, WPS or LibreOffice. A column's width is in Excel's units (one Latin digit of the
default font); a Chinese character of 宋体 10.5 takes two.
"""

from __future__ import annotations

import datetime
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BODY_FONT = "宋体"
TITLE_FONT = "方正小标宋简体"
BODY_SIZE = 10.5
# Points a printed line of 宋体 10.5 takes in a cell, and the cell's own margin.
LINE_HEIGHT = 14.0
ROW_PADDING = 4.0
# Room a cell keeps from its borders, in width units (both sides together).
CELL_PADDING = 1.5
CHINESE_DATE = 'yyyy"年"m"月"d"日"'
PAGE_FOOTER = "&C第 &P 页 共 &N 页"
A4 = 9
# Width units an A4 page holds at full size between 1 cm margins; wider tables go landscape.
PORTRAIT_WIDTH = 100
WIDE = "WFA"  # wide, full-width and ambiguous (“—”, “…”, quotes: full width in Chinese fonts)


class _CharacterWidths(dict):
    """Each character's width, found once: a city's names and 备注 run to 260,000
    characters of 1,500 kinds."""

    def __missing__(self, character: str) -> int:
        width = self[character] = 2 if unicodedata.east_asian_width(character) in WIDE else 1
        return width


_CHARACTER_WIDTHS = _CharacterWidths()


def text_width(text: str) -> int:
    """A line's printed width in width units: two a Chinese character, one a Latin one."""
    return sum(map(_CHARACTER_WIDTHS.__getitem__, text))


def widest_line(text: str) -> int:
    return max(map(text_width, text.split("\n")))


def printed_lines(text: str, width: float) -> int:
    """Lines `text` takes in a wrapped cell of column width `width`: its own line breaks,
    and each line filled character by character as Excel wraps Chinese text (a Latin word
    is not broken; one longer than a line is broken where it must)."""
    usable = max(width - CELL_PADDING, 2)
    # A text of up to usable / 2 characters fits on one line whatever its characters: most
    # names and 备注 of a city do, without being measured.
    if 2 * len(text) <= usable:
        return 1
    return sum(_wrapped(line, usable) for line in text.split("\n"))


def _wrapped(line: str, usable: float) -> int:
    lines, filled = 1, 0
    for word in _words(line):
        width = text_width(word)
        if filled + width <= usable:
            filled += width
        elif width <= usable:
            lines, filled = lines + 1, width
        else:  # a word wider than a line: broken at characters
            for character in word:
                step = _CHARACTER_WIDTHS[character]
                if filled + step > usable:
                    lines, filled = lines + 1, 0
                filled += step
    return lines


def _words(line: str) -> Iterable[str]:
    """Excel's wrapping units: each Chinese character on its own, a run of other
    characters with its following space as one word."""
    word = ""
    for character in line:
        if _CHARACTER_WIDTHS[character] == 2:
            if word:
                yield word
                word = ""
            yield character
        else:
            word += character
            if character == " ":
                yield word
                word = ""
    if word:
        yield word


def row_height(lines: int) -> float:
    """Points for `lines` lines, rounded up to whole pixels (¾ point), as the file keeps
    them: a height of 46 would be stored as 45.75."""
    return math.ceil((LINE_HEIGHT * max(lines, 1) + ROW_PADDING) / 0.75) * 0.75


def wrapped_row_height(texts: Iterable[tuple[str, float]]) -> float:
    """The height of a row whose wrapped cells hold (text, column width)."""
    return row_height(max((printed_lines(text, width) for text, width in texts), default=1))


def fitting_width(texts: Iterable[str], minimum: float = 4, maximum: float | None = None) -> float:
    """A column width that holds each text's widest line on one line (up to `maximum`;
    beyond it the column wraps)."""
    width = max((widest_line(t) for t in texts if t), default=0) + CELL_PADDING + 0.5
    width = max(width, minimum)
    return width if maximum is None else min(width, maximum)


def chinese_date_text(day: datetime.date) -> str:
    """What CHINESE_DATE shows: 2026年12月7日."""
    return f"{day.year}年{day.month}月{day.day}日"


def excel_date(day: datetime.date) -> datetime.datetime:
    """A date as XlsxWriter writes a date cell (a datetime at midnight)."""
    return datetime.datetime(day.year, day.month, day.day)


def fits_portrait(widths: Sequence[float]) -> bool:
    return sum(widths) <= PORTRAIT_WIDTH


def print_setup(
    ws,
    *,
    widths: Sequence[float],
    title_rows: tuple[int, int],
    last_row: int,
    landscape: bool | None = None,
) -> None:
    """A4, portrait or landscape as the columns need, fitted to the page's width, the
    table's header rows on every page, “第 1 页 共 3 页” at the foot of each page."""
    if landscape is None:
        landscape = not fits_portrait(widths)
    ws.set_paper(A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.repeat_rows(*title_rows)
    # Fit to the page's width. The height is a number of pages the table cannot reach
    # (a page holds at least a row), not 0 (“as many as needed”): from 0, LibreOffice
    # counts the pages without the repeated title rows and leaves out what runs over —
    # the 农村社区 sheet's 说明 and sign-off were missing from its PDF.
    ws.fit_to_pages(1, last_row + 1)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer(PAGE_FOOTER)
    ws.print_area(0, 0, last_row, len(widths) - 1)


@dataclass(frozen=True)
class SignOff:
    """One item of the sign-off line: a label to fill in by hand, or a label with its
    value (a text, or a date written as a date cell)."""

    label: str
    value: str | datetime.date | None = None
    room: float = 8  # width units left to write in by hand, when it has no value


def unit_sign_off(unit: str, filled_on: datetime.date) -> list[SignOff]:
    """The sign-off of a table a unit hands up: stamped, signed, dated."""
    return [
        SignOff("填报单位（盖章）", unit),
        SignOff("负责人"),
        SignOff("填表人"),
        SignOff("联系电话", room=12),  # eleven digits
        SignOff("填报日期", filled_on),
    ]


def sign_off_text(item: SignOff) -> str:
    value = item.value
    if isinstance(value, datetime.date):
        value = chinese_date_text(value)
    return f"{item.label}：{value or ''}"


def sign_off_need(item: SignOff) -> float:
    """The width an item needs: its text, and room to write in when it has no value."""
    return text_width(sign_off_text(item)) + CELL_PADDING + (0 if item.value else item.room)


def sign_off_rows(items: Sequence[SignOff], widths: Sequence[float]) -> list[list[SignOff]]:
    """The items on one line if they fit the table's width; else what is printed (unit,
    date) on one line and what is written by hand on the next, each line broken again
    where it still does not fit."""
    total = sum(widths)
    if sum(map(sign_off_need, items)) <= total:
        return [list(items)]
    groups = [[i for i in items if i.value], [i for i in items if not i.value]]
    rows: list[list[SignOff]] = []
    for group in filter(None, groups):
        rows.append([])
        used = 0.0
        for item in group:
            need = sign_off_need(item)
            if rows[-1] and used + need > total:
                rows.append([])
                used = 0.0
            rows[-1].append(item)
            used += need
    return rows


def sign_off_spans(items: Sequence[SignOff], widths: Sequence[float]) -> list[tuple[int, int]]:
    """The columns (first, last) each item of a line takes: consecutive runs of columns,
    each at least as wide as its item needs where the columns allow, the room left shared
    out in proportion."""
    needs = [sign_off_need(item) for item in items]
    scale = max(sum(widths) / sum(needs), 1)
    spans, first = [], 0
    for index, need in enumerate(needs):
        later = len(needs) - index - 1
        last, width = first, widths[first]
        while last + 1 < len(widths) - later and width < need * scale - widths[last + 1] / 2:
            last += 1
            width += widths[last]
        if not later:
            last = len(widths) - 1
        spans.append((first, last))
        first = last + 1
    return spans


def write_sign_off(
    ws, row: int, items: Sequence[SignOff], widths: Sequence[float], text_style, date_style
) -> int:
    """The sign-off under a table: each item in its share of the columns; a date as a date
    cell whose format says its label (`填报日期：2026年12月7日`). Returns its last row."""
    for line in sign_off_rows(items, widths):
        ws.set_row(row, 24)
        for item, (first, last) in zip(line, sign_off_spans(line, widths), strict=True):
            if isinstance(item.value, datetime.date):
                value, style = excel_date(item.value), date_style(item.label)
            else:
                value, style = sign_off_text(item), text_style
            if first == last:
                ws.write(row, first, value, style)
            else:
                ws.merge_range(row, first, row, last, value, style)
        row += 1
    return row - 1


def labelled_date_format(label: str) -> str:
    """A date format that writes its label first: `"填报日期："yyyy"年"m"月"d"日"`."""
    return f'"{label}："{CHINESE_DATE}'


def merged_text_height(text: str, widths: Sequence[float]) -> float:
    """A note merged across the table's columns: as many lines as it needs."""
    return wrapped_row_height([(text, sum(widths))])


# The number format of each kind of cell (None: text).
NUMBER_FORMATS = {
    "text": None,
    "center": None,
    "int": "0",
    "index": "0",
    "area": "0.0",
    "ratio": "0.00",
    "money": "0.00",
    "percent": "0.0%",
    "points": "+0.0;-0.0;0.0",
    "date": CHINESE_DATE,
}
CENTERED = {"center", "index", "percent", "points", "date"}
SUM_FILL = "#F2F2F2"


class Formats:
    """The formats of a workbook's cells, made once each: 宋体 10.5 in bordered cells, text
    wrapped, numbers in their number formats, sum lines bold on grey."""

    def __init__(self, book, title_size: float = 18):
        self.book = book
        self._made: dict[tuple, object] = {}
        base = {"font_name": BODY_FONT, "font_size": BODY_SIZE, "valign": "vcenter"}
        self.base = base
        self.title = book.add_format(
            {**base, "font_name": TITLE_FONT, "font_size": title_size, "align": "center"}
        )
        self.line = book.add_format({**base, "font_size": 11})
        self.line_right = book.add_format({**base, "font_size": 11, "align": "right"})
        self.header = book.add_format(
            {
                **base,
                "border": 1,
                "bold": True,
                "align": "center",
                "text_wrap": True,
                "bg_color": SUM_FILL,
            }
        )
        self.note = book.add_format({**base, "font_size": 10, "text_wrap": True, "valign": "top"})
        self.sign = book.add_format({**base, "font_size": 11})

    def cell(self, kind: str, total: bool = False):
        """A table cell of `kind` (a key of NUMBER_FORMATS); `total`: a sum line's."""
        key = (kind, total)
        made = self._made.get(key)
        if made is None:
            spec = {**self.base, "border": 1}
            if kind == "text":
                spec["text_wrap"] = True
            if kind in CENTERED:
                spec["align"] = "center"
            if NUMBER_FORMATS[kind]:
                spec["num_format"] = NUMBER_FORMATS[kind]
            if total:
                spec |= {"bold": True, "bg_color": SUM_FILL}
            made = self._made[key] = self.book.add_format(spec)
        return made

    def sign_date(self, label: str):
        key = ("sign_date", label)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = self.book.add_format(
                {
                    **self.base,
                    "font_size": 11,
                    "num_format": labelled_date_format(label),
                    "align": "left",
                }
            )
        return made
