"""Reading one cell as streets write it: numbers as text with full-width digits, thousands
separators and units; marks for "none"; phrases that put a facility in the service centre."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import NamedTuple

from shequ.ledger.rules import PLANNED_MARK
from shequ.ledger.values import NONE_MARKS, normalized_text, number_in_text

CO_LOCATED = re.compile(r"(设|含|建|位)?在便民服务中心(内|里)?")
YEAR = re.compile(r"(\d{4})(\.0+)?\s*年?(度)?")
# A plan's target year as the export marks it (计划2027): not a year the street stated.
PLANNED_YEAR = re.compile(PLANNED_MARK + r"\s*(\d{4})\s*年?(度)?")


class Parsed(NamedTuple):
    # A named tuple, not a dataclass: a city file makes 100,000 of them.
    value: Decimal | None = None
    co_located: bool = False
    error: str = ""


def cell_text(value) -> str:
    """Any cell value as the text a person sees, normalized (full-width → half-width)."""
    if type(value) is str:  # the common case first
        return normalized_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        # 2086.0 as 2086, as Excel shows it; 1e+300 as such, not as 301 digits.
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return normalized_text(str(value))


# A city's file repeats the same few thousand figures (120.0, 2086.0…): each number
# cell's reading is kept, up to a bound so that no file can grow it without end.
_NUMBER_READINGS: dict[float, Parsed] = {}
READINGS_LIMIT = 100_000


def keep_reading(readings: dict, raw, reading):
    """Keep `reading` as the reading of `raw` while `readings` is under the bound."""
    if len(readings) < READINGS_LIMIT:
        readings[raw] = reading
    return reading


def parse_number(value, *, what: str) -> Parsed:
    """A figure: 1,234.5㎡ → 1234.5, ３２０户 → 320; `/`, `—`, `无`, blank → none; the
    phrase 设在便民服务中心 → co-located."""
    if type(value) is float or type(value) is int:  # most cells: the checks below, sooner
        return number_reading(value)
    if isinstance(value, Decimal):  # a recomputed formula
        return Parsed(value=Decimal(format(value.quantize(Decimal("0.000001")).normalize(), "f")))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Excel stores 254.2 as 254.20000000000002 after arithmetic: drop the binary noise.
        return Parsed(value=Decimal(repr(round(float(value), 6))))
    if getattr(value, "formula", None) is not None:
        return Parsed(error=f"{what}是公式“{value}”，无法核算（{value.reason}），请改为数值")
    text = cell_text(value)
    if text in NONE_MARKS:
        return Parsed()
    if CO_LOCATED.search(text):
        return Parsed(co_located=True)
    number = number_in_text(text)
    if number is None:
        return Parsed(error=f"{what}应为数字，不能是“{text}”")
    return Parsed(value=number)


def number_reading(value: float | int) -> Parsed:
    """A number cell as an exact Decimal (the same for 1 and 1.0, which compare equal)."""
    reading = _NUMBER_READINGS.get(value)
    if reading is None:
        # Excel stores 254.2 as 254.20000000000002 after arithmetic: drop the binary noise.
        # + 0.0: a signed zero (-0.0) reads as 0.0, as it is equal to it and kept as it.
        reading = Parsed(Decimal(repr(round(float(value) + 0.0, 6))))
        keep_reading(_NUMBER_READINGS, value, reading)
    return reading


def parse_year(value) -> tuple[int | None, str]:
    """达标年度: 2027, 2027年, 2027.0 → 2027; a planned year (计划2027) → None, the plan keeps
    it; anything else → (None, a warning)."""
    whole = type(value) is int or (type(value) is float and value.is_integer())
    if whole and 2000 <= value <= 2100:  # a year typed as a number: no text to read
        return int(value), ""
    text = cell_text(value)
    if text in NONE_MARKS:
        return None, ""
    match = YEAR.fullmatch(text)
    if match and 2000 <= int(match.group(1)) <= 2100:
        return int(match.group(1)), ""
    if PLANNED_YEAR.fullmatch(text):
        return None, ""
    return None, f"达标年度“{text}”不是年份，未导入"
