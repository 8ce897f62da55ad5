"""Turning what a user or a file supplies into typed ledger values, with Chinese messages.

Strict: a figure is either read exactly or refused; nothing is rounded or guessed here.
(The workbook importer reads messy cells into plain text first, then calls these.)
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from shequ.core.errors import DomainError
from shequ.ledger.fields import AREA_FIELDS, CO_LOCATION_FLAGS, INPUT_FIELDS, LABELS

INTEGER_FIELDS = ("households", "resident_households")
FLAG_FIELDS = tuple(CO_LOCATION_FLAGS.values())
MAX_AREA = Decimal("99999999.9")
TENTH = Decimal("0.1")
MAX_HOUSEHOLDS = 10_000_000


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_area(field: str, value: Any) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, Decimal):
        number = value  # read already (an import): the same number as its text would give
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise DomainError(f"{LABELS[field]}应为数字（㎡），不能是“{value}”", field) from None
    if not number.is_finite():
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
    try:
        # An int (an import) needs no text round trip; Decimal(int) is the same number.
        number = Decimal(value) if type(value) is int else Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(f"{LABELS[field]}应为整数，不能是“{value}”", field) from None
    if not number.is_finite() or number != number.to_integral_value():
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
    text = str(value).strip()
    if not (text.isdigit() and len(text) == 4 and 2000 <= int(text) <= 2100):
        raise DomainError(f"达标年度应为四位年份，如 2024，不能是“{value}”", "compliance_year")
    return int(text)


def _parse_text(field: str, value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        # A NUL byte cannot be stored (PostgreSQL refuses it) and is never meant.
        raise DomainError(f"{LABELS[field]}含有不可见的空字符，请重新输入", field=field)
    return text


# The parser of each input field, looked up once per value (an import cleans 170,000).
_PARSERS = {
    **dict.fromkeys(AREA_FIELDS, parse_area),
    **dict.fromkeys(INTEGER_FIELDS, parse_integer),
    **dict.fromkeys(FLAG_FIELDS, parse_flag),
    "compliance_year": lambda field, value: parse_year(value),
    "remarks": _parse_text,
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
