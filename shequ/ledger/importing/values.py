"""From a source row's cells to the ledger's typed values, with the problems found."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shequ.ledger.fields import AREA_FIELDS, CO_LOCATION_FLAGS, IN_CENTRE_NAMES, LABELS
from shequ.ledger.importing.cells import (
    Parsed,
    cell_text,
    keep_reading,
    parse_number,
    parse_year,
)
from shequ.ledger.importing.reader import SourceRow
from shequ.ledger.ledger_csv import FORMULA_STARTS
from shequ.ledger.permissions import LedgerError
from shequ.ledger.values import MAX_AREA, MAX_HOUSEHOLDS, parse_area, parse_integer

# The names the export writes, and the shorter ones clerks use (the export's full names
# lose their full-width brackets to NFKC, so the short forms carry the match).
SHORT_NAMES = {"day_care": ("日间照料", "养老服务站"), "health_station": ("卫生室",)}
FACILITY_NAMES = {
    facility: (name, *SHORT_NAMES.get(facility, ())) for facility, name in IN_CENTRE_NAMES.items()
}
REMARK_CO_LOCATION = re.compile(r"^(?P<names>.+?)(设|均设|含|位)在便民服务中心(内)?$")
REMARK_OTHER = re.compile(r"^其他用房\s*(?P<area>[\d.,，]+)\s*(㎡|m²|m2|平方米)?$")


@dataclass(slots=True)  # a city's file makes tens of thousands
class CellProblem:
    field: str
    column: str
    message: str


@dataclass(slots=True)  # a city's file makes tens of thousands
class RowValues:
    values: dict[str, Any] = field(default_factory=dict)  # only the fields the file gives
    errors: list[CellProblem] = field(default_factory=list)
    warnings: list[CellProblem] = field(default_factory=list)


def row_values(source: SourceRow) -> RowValues:
    result = RowValues()
    _households(source, result)
    remarks_flags, remarks_other = _remarks(source, result)
    _areas(source, result, remarks_flags)
    if remarks_other is not None and "other" not in source.cells:
        result.values["other"] = remarks_other
    _stated_total(source, result)
    if "compliance_year" in source.cells:
        year, warning = parse_year(source.cells["compliance_year"])
        result.values["compliance_year"] = year
        if warning:
            result.warnings.append(
                CellProblem("compliance_year", source.column("compliance_year"), warning)
            )
    return result


def _households(source: SourceRow, result: RowValues) -> None:
    for name in ("households", "resident_households"):
        if name not in source.cells:
            continue
        raw = source.cells[name]
        # The kept reading first, without a call, as for the areas.
        reading = _COUNT_READINGS.get(raw) if type(raw) in _PLAIN else None
        count, error = reading or count_reading(raw, name)
        if error:
            result.errors.append(CellProblem(name, source.column(name), error))
        else:
            result.values[name] = count


# The readings of cells, kept by their value: a city's file repeats the same few thousand
# figures and marks ("", "/", 120.0). Only readings without an error are kept (an error
# names its column), only of numbers and text (True == 1 and Decimal("2") == 2 would find
# a number's reading), and only up to a bound, so that no file can grow them without end.
_PLAIN = frozenset((float, int, str))
_COUNT_READINGS: dict[object, tuple[int | None, str]] = {}
_AREA_READINGS: dict[object, Parsed] = {}


def count_reading(raw, field: str) -> tuple[int | None, str]:
    """A household count: whole (2,086.0户 is 2086) and within the ledger's limits, or why
    it cannot be read."""
    plain = type(raw) in _PLAIN
    if plain:
        reading = _COUNT_READINGS.get(raw)
        if reading is not None:
            return reading
    if type(raw) is float and raw.is_integer() and abs(raw) <= MAX_HOUSEHOLDS:
        return int(raw), ""  # what the rule below makes of a whole number, sooner
    parsed = parse_number(raw, what=LABELS[field])
    if parsed.error or parsed.co_located:
        return None, parsed.error or f"{LABELS[field]}应为整数"
    try:
        # The ledger's own rule, as the grid applies it; the cell's text in its message.
        reading = (parse_integer(field, parsed.value), "")
    except LedgerError as error:
        return None, error.message.replace(f"“{parsed.value}”", f"“{cell_text(raw)}”")
    return keep_reading(_COUNT_READINGS, raw, reading) if plain else reading


def area_reading(raw, field: str) -> Parsed:
    """An area cell to 0.1 ㎡ and within the ledger's limits (a second decimal is an error,
    not rounded away)."""
    plain = type(raw) in _PLAIN
    if plain:
        reading = _AREA_READINGS.get(raw)
        if reading is not None:
            return reading
    if type(raw) is float:
        reading = _tenths_of(raw)
        if reading is not None:
            return keep_reading(_AREA_READINGS, raw, reading)
    reading = parse_number(raw, what=LABELS[field])
    if reading.error:
        return reading
    if reading.value is not None:
        try:
            reading = Parsed(parse_area(field, reading.value))  # the grid's rule
        except LedgerError as error:
            text = error.message.replace(f"“{reading.value}”", f"“{cell_text(raw)}”")
            return Parsed(error=text)
    return keep_reading(_AREA_READINGS, raw, reading) if plain else reading


def _tenths_of(number: float) -> Parsed | None:
    """576.9 or 150.0 as the rules above read them (a Decimal of the same tenths), found
    from the float's shortest text without rounding or dividing; None for anything else."""
    text = repr(number + 0.0)  # -0.0 as 0.0, as number_reading reads it
    _, dot, decimals = text.partition(".")
    if dot and len(decimals) == 1 and decimals.isdigit() and abs(number) <= MAX_AREA:
        return Parsed(Decimal(text))
    return None


# (field, its co-location flag or None, label), looked up once rather than for every cell.
_AREAS = tuple((name, CO_LOCATION_FLAGS.get(name), LABELS[name]) for name in AREA_FIELDS)


def _areas(source: SourceRow, result: RowValues, remarks_flags: set[str]) -> None:
    values, cells = result.values, source.cells
    for name, flag, label in _AREAS:
        if name not in cells:
            if flag and flag in remarks_flags:
                values[flag], values[name] = True, None
            continue
        raw = cells[name]
        # The kept reading first, without a call: seven areas a row, a city's rows.
        parsed = _AREA_READINGS.get(raw) if type(raw) in _PLAIN else None
        if parsed is None:
            parsed = area_reading(raw, name)
        if parsed.error:
            result.errors.append(CellProblem(name, source.column(name), parsed.error))
        elif parsed.co_located:
            _co_located_area(name, flag, label, source.column(name), result)
        elif flag is None:
            values[name] = parsed.value
        elif flag in remarks_flags and parsed.value:
            message = f"备注写明{label}设在便民服务中心，不应再填写面积（{source.text(name)}）"
            result.errors.append(CellProblem(name, source.column(name), message))
        else:
            values[flag] = flag in remarks_flags
            values[name] = parsed.value


def _co_located_area(name: str, flag: str | None, label: str, column: str, result) -> None:
    """设在便民服务中心 written in an area cell: only a facility that may be there."""
    if flag is None:
        message = f"{label}不能设在便民服务中心，请填写面积"
        result.errors.append(CellProblem(name, column, message))
    else:
        result.values[flag], result.values[name] = True, None


def _remarks(source: SourceRow, result: RowValues) -> tuple[set[str], Decimal | None]:
    """The street's own 备注, exactly as typed, with the parts the export appends (co-located
    facilities, 其他用房) taken back off its end."""
    if "remarks" not in source.cells:
        return set(), None
    raw = source.cells["remarks"]
    text = "" if raw is None else (raw if isinstance(raw, str) else cell_text(raw)).strip()
    if text.startswith("'") and text[1:2] in FORMULA_STARTS:
        text = text[1:]  # the CSV export's guard against formulas
    flags: set[str] = set()
    other = None
    parts = text.split("；") if text else []
    while parts:
        tail = unicodedata.normalize("NFKC", parts[-1]).strip()
        co_located = REMARK_CO_LOCATION.match(tail)
        other_match = REMARK_OTHER.match(tail)
        if co_located and _facility_flags(co_located.group("names")):
            flags |= _facility_flags(co_located.group("names"))
        elif other_match and other is None:
            other = Decimal(re.sub(r"[,，]", "", other_match.group("area")))
        else:
            break
        parts.pop()
    result.values["remarks"] = "；".join(parts)
    return flags, other


def _facility_flags(names: str) -> set[str]:
    return {
        CO_LOCATION_FLAGS[facility]
        for facility, words in FACILITY_NAMES.items()
        if any(word in names for word in words)
    }


def _stated_total(source: SourceRow, result: RowValues) -> None:
    """A stated total larger than its parts puts the difference into 其他, with a warning."""
    if "total" not in source.cells:
        return
    parsed = parse_number(source.cells["total"], what=LABELS["total_area"])
    if parsed.value is None or parsed.error:
        return
    column = source.column("total")
    if abs(parsed.value) > MAX_AREA:  # nor could it be rounded to a tenth
        message = f"总建筑面积数值过大：“{source.text('total')}”"
        result.errors.append(CellProblem("total", column, message))
        return
    parts = sum((result.values.get(n) or Decimal("0") for n in AREA_FIELDS), Decimal("0"))
    stated = parsed.value.quantize(Decimal("0.1"))
    if stated > parts:
        difference = stated - parts
        result.values["other"] = (result.values.get("other") or Decimal("0")) + difference
        result.warnings.append(
            CellProblem(
                "other",
                column,
                f"总建筑面积 {stated}㎡ 大于各项之和 {parts}㎡，差额 {difference}㎡ 计入“其他用房”",
            )
        )
    elif stated < parts:
        result.warnings.append(
            CellProblem(
                "total",
                column,
                f"总建筑面积 {stated}㎡ 小于各项之和 {parts}㎡，已按各项之和计算",
            )
        )


def source_label(source: SourceRow) -> str:
    return source.text("community")
