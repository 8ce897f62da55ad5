"""Turning what a user or a file supplies into typed ledger values, with Chinese messages.

Strict: a figure is either read exactly or refused; nothing is rounded or guessed here.
(The workbook importer reads messy cells into plain text first, then calls these.)
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from shequ.core.errors import DomainError
from shequ.core.text import NOTE, text_clean
from shequ.ledger.fields import AREA_FIELDS, CO_LOCATION_FLAGS, INPUT_FIELDS, LABELS

INTEGER_FIELDS = ("households", "resident_households")
FLAG_FIELDS = tuple(CO_LOCATION_FLAGS.values())
MAX_AREA = Decimal("99999999.9")
TENTH = Decimal("0.1")
MAX_HOUSEHOLDS = 10_000_000


# What streets write for "none", in a workbook's cell and in the grid alike.
NONE_MARKS = {"", "/", "／", "—", "——", "-", "－", "无", "没有", "暂无", "空", "\\"}
# Units a figure may carry, the longest first: 平方米 before 米 would ever be tried.
UNITS = ("平方米", "平米", "㎡", "m²", "m2", "M2", "户", "个", "年")
SEPARATORS = re.compile(r"[,，\s]")


def normalized_text(text: str) -> str:
    """Text as typed or stored, full-width forms made half-width (６６．８ → 66.8)."""
    return unicodedata.normalize("NFKC", text).strip()


def number_in_text(text: str) -> Decimal | None:
    """The figure in normalized text as streets write it (1,082.2 · 66.8㎡ · 320户), or
    None when it holds no number. The one reading of a typed figure: the grid, the API
    and the workbook importer all come here."""
    stripped = SEPARATORS.sub("", text)
    for unit in UNITS:
        stripped = stripped.removesuffix(unit)
    try:
        number = Decimal(stripped)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and normalized_text(value) in NONE_MARKS)


def _typed_number(value: Any) -> Decimal | None:
    """A value given as a number, or the figure its text states (None if it states none)."""
    if isinstance(value, Decimal):
        return value  # read already (an import): the same number as its text would give
    if type(value) is int:
        return Decimal(value)  # no text round trip; Decimal(int) is the same number
    return number_in_text(normalized_text(str(value)))


def parse_area(field: str, value: Any) -> Decimal | None:
    if _blank(value):
        return None
    number = _typed_number(value)
    if number is None or not number.is_finite():
        raise DomainError(f"{LABELS[field]}应为数字（㎡），不能是“{value}”", field)
    # The size first: 1e300 cannot even be rounded to a tenth (Decimal's 28 digits).
    if abs(number) > MAX_AREA:
        raise DomainError(f"{LABELS[field]}数值过大：“{value}”", field)
    rounded = number.quantize(TENTH)
    if number != rounded:
        raise DomainError(f"{LABELS[field]}最多保留一位小数：“{value}”", field)
    return rounded


def parse_integer(field: str, value: Any) -> int | None:
    if _blank(value):
        return None
    number = _typed_number(value)
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise DomainError(f"{LABELS[field]}应为整数，不能是“{value}”", field)
    if abs(number) > MAX_HOUSEHOLDS:
        raise DomainError(f"{LABELS[field]}数值过大：“{value}”", field)
    return int(number)


def parse_flag(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in ("", "0", "false", "no", "off", "否"):
        return False
    if text in ("1", "true", "yes", "on", "是"):
        return True
    raise DomainError(f"{LABELS[field]}应为“是”或“否”", field)


def parse_year(value: Any) -> int | None:
    if _blank(value):
        return None
    text = normalized_text(str(value)).removesuffix("年度").removesuffix("年")
    if not (text.isascii() and text.isdigit() and len(text) == 4 and 2000 <= int(text) <= 2100):
        raise DomainError(f"达标年度应为四位年份，如 2024，不能是“{value}”", "compliance_year")
    return int(text)


def parse_text(field: str, value: Any) -> str:
    # The text policy (core.text): the grid, the API and each cell of an import alike.
    return text_clean(value, label=LABELS[field], field=field, max_length=NOTE, multiline=True)


# The parser of each input field, looked up once per value (an import cleans 170,000).
_PARSERS = {
    **dict.fromkeys(AREA_FIELDS, parse_area),
    **dict.fromkeys(INTEGER_FIELDS, parse_integer),
    **dict.fromkeys(FLAG_FIELDS, parse_flag),
    "compliance_year": lambda field, value: parse_year(value),
    "remarks": parse_text,
}
assert set(_PARSERS) == set(INPUT_FIELDS)


def clean_values(changes: dict[str, Any]) -> dict[str, Any]:
    """Typed values for the given input fields; unknown fields are refused by name."""
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        parse = _PARSERS.get(field)
        if parse is None:
            raise DomainError(f"未知字段“{field}”", field)
        cleaned[field] = parse(field, value)
    return cleaned


def clean_each(changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Each field read on its own: the typed values of those that read, and the message of
    each that does not, by field. A grid row keeps the cells that read when one of them is
    refused; unknown fields are still refused as a whole, as by `clean_values`."""
    cleaned: dict[str, Any] = {}
    refused: dict[str, str] = {}
    for field, value in changes.items():
        try:
            cleaned.update(clean_values({field: value}))
        except DomainError as error:
            if field not in _PARSERS:
                raise
            refused[field] = error.message
    return cleaned, refused
