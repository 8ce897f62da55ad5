"""From a source row's cells to the ledger's typed values, with the problems found."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shequ.ledger.fields import AREA_FIELDS, CO_LOCATION_FLAGS, IN_CENTRE_NAMES, LABELS
from shequ.ledger.importing.cells import cell_text, parse_number, parse_year
from shequ.ledger.importing.reader import SourceRow
from shequ.ledger.ledger_csv import FORMULA_STARTS

# The names the export writes, and the shorter ones clerks use (the export's full names
# lose their full-width brackets to NFKC, so the short forms carry the match).
SHORT_NAMES = {"day_care": ("日间照料", "养老服务站"), "health_station": ("卫生室",)}
FACILITY_NAMES = {
    facility: (name, *SHORT_NAMES.get(facility, ())) for facility, name in IN_CENTRE_NAMES.items()
}
REMARK_CO_LOCATION = re.compile(r"^(?P<names>.+?)(设|均设|含|位)在便民服务中心(内)?$")
TENTH = Decimal("0.1")
REMARK_OTHER = re.compile(r"^其他用房\s*(?P<area>[\d.,，]+)\s*(㎡|m²|m2|平方米)?$")


@dataclass
class CellProblem:
    field: str
    column: str
    message: str


@dataclass
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
        year, warning = parse_year(source.cells["compliance_year"][0])
        result.values["compliance_year"] = year
        if warning:
            result.warnings.append(
                CellProblem("compliance_year", source.column("compliance_year"), warning)
            )
    return result


def _households(source: SourceRow, result: RowValues) -> None:
    for name in ("households", "resident_households"):
        cell = source.cells.get(name)
        if cell is None:
            continue
        parsed = parse_number(cell[0], what=LABELS[name])
        column = cell[1]
        if parsed.error or parsed.co_located:
            result.errors.append(
                CellProblem(name, column, parsed.error or f"{LABELS[name]}应为整数")
            )
        elif parsed.value is not None and parsed.value != parsed.value.to_integral_value():
            result.errors.append(
                CellProblem(name, column, f"{LABELS[name]}应为整数，不能是“{source.text(name)}”")
            )
        else:
            result.values[name] = None if parsed.value is None else int(parsed.value)


# (field, its co-location flag or None, label), looked up once rather than for every cell.
_AREAS = tuple((name, CO_LOCATION_FLAGS.get(name), LABELS[name]) for name in AREA_FIELDS)


def _areas(source: SourceRow, result: RowValues, remarks_flags: set[str]) -> None:
    values = result.values
    for name, flag, label in _AREAS:
        cell = source.cells.get(name)
        if cell is None:
            if flag and flag in remarks_flags:
                values[flag], values[name] = True, None
            continue
        parsed = parse_number(cell[0], what=label)
        column = cell[1]
        if parsed.error:
            result.errors.append(CellProblem(name, column, parsed.error))
            continue
        if parsed.co_located:
            if not flag:
                result.errors.append(
                    CellProblem(name, column, f"{label}不能设在便民服务中心，请填写面积")
                )
                continue
            values[flag], values[name] = True, None
            continue
        value = rounded = parsed.value
        if value is not None:
            rounded = value.quantize(TENTH)
            if value != rounded:
                result.errors.append(
                    CellProblem(name, column, f"{label}最多保留一位小数：“{source.text(name)}”")
                )
                continue
        if flag:
            in_centre = flag in remarks_flags
            values[flag] = in_centre
            if in_centre and value:
                result.errors.append(
                    CellProblem(
                        name,
                        column,
                        f"备注写明{label}设在便民服务中心，不应再填写面积（{source.text(name)}）",
                    )
                )
                continue
        values[name] = rounded


def _remarks(source: SourceRow, result: RowValues) -> tuple[set[str], Decimal | None]:
    """The street's own 备注, exactly as typed, with the parts the export appends (co-located
    facilities, 其他用房) taken back off its end."""
    if "remarks" not in source.cells:
        return set(), None
    raw = source.cells["remarks"][0]
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
    parsed = parse_number(source.cells["total"][0], what=LABELS["total_area"])
    if parsed.value is None or parsed.error:
        return
    parts = sum((result.values.get(n) or Decimal("0") for n in AREA_FIELDS), Decimal("0"))
    column = source.column("total")
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
    return cell_text(source.cells.get("community", ("", ""))[0])
