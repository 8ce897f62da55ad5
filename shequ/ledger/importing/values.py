"""From a source row's cells to the ledger's typed values, with the problems found."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shequ.core.errors import DomainError
from shequ.ledger.fields import (
    AREA_FIELDS,
    CO_LOCATION_FLAGS,
    IN_CENTRE_NAMES,
    INPUT_FIELDS,
    LABELS,
)
from shequ.ledger.importing.cells import (
    NONE_MARKS,
    Parsed,
    cell_text,
    keep_reading,
    parse_number,
    parse_year,
)
from shequ.ledger.importing.reader import SourceRow
from shequ.ledger.remarks import SEPARATOR, unguard_formula, workbook_remarks
from shequ.ledger.rules import co_located_fields, total_area
from shequ.ledger.values import (
    MAX_AREA,
    MAX_HOUSEHOLDS,
    TENTH,
    parse_area,
    parse_integer,
    parse_text,
)

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


def row_values(source: SourceRow, stored: Any = None) -> RowValues:
    """The values the row states. Every field the file can state is set, blank included:
    nothing of `stored` (the period's row) lingers where the file has a say, and `stored`
    only settles what the file's own text leaves open (see `_remarks`) and the parts a
    total is checked against where the file has no column for them."""
    shape = table_shape(source.columns)
    result = RowValues()
    _households(source, result)
    remarks_flags, remarks_other = _remarks(source, result, shape, stored)
    stated_flags = _flag_cells(source, result, shape)
    _areas(source, result, remarks_flags, stated_flags, shape)
    _other(source, result, shape, remarks_other)
    _stated_total(source, result, stored)
    if "compliance_year" in source.cells:
        year, warning = parse_year(source.cells["compliance_year"])
        result.values["compliance_year"] = year
        if warning:
            result.warnings.append(
                CellProblem("compliance_year", source.column("compliance_year"), warning)
            )
    return result


@dataclass(frozen=True, slots=True)
class TableShape:
    """What a table's columns let its rows state, worked out once for all its rows."""

    flag_columns: tuple[str, ...]  # 在中心 flags with a column of their own
    remark_flags: bool  # 备注 read for “…设在便民服务中心” (no flag column)
    remark_other: bool  # 备注 read for “其他用房 xx㎡” (no 其他 column)
    other_stated: bool  # 其他 is set from the file on every row
    kept: tuple[str, ...]  # input fields the file cannot state: the stored values stay


LISTED_FACILITIES = tuple(name for name in AREA_FIELDS if name != "other")


def table_shape(columns: dict[str, str]) -> TableShape:
    """The shape of the table whose rows share `columns` (one dict for a table's rows)."""
    kept = _SHAPES.get(id(columns))
    if kept is not None and kept[0] is columns:
        return kept[1]
    shape = _shape_of(columns)
    if len(_SHAPES) >= 1000:
        _SHAPES.clear()  # a bound, so that no run grows it without end
    _SHAPES[id(columns)] = (columns, shape)
    return shape


_SHAPES: dict[int, tuple[dict, TableShape]] = {}


def _shape_of(columns: dict[str, str]) -> TableShape:
    flag_columns = tuple(flag for flag in CO_LOCATION_FLAGS.values() if flag in columns)
    remarks = "remarks" in columns
    remark_flags = remarks and not flag_columns
    # 其他 is stated by its own column, by a total (其他 is what the total leaves over), by
    # 备注 (where the notice's template puts it), or by the template's six facility
    # columns, which leave no other place for it.
    other_stated = (
        remarks
        or "other" in columns
        or "total" in columns
        or all(name in columns for name in LISTED_FACILITIES)
    )
    kept = tuple(
        name for name in INPUT_FIELDS if not _stated(name, columns, remark_flags, other_stated)
    )
    remark_other = remarks and "other" not in columns
    return TableShape(flag_columns, remark_flags, remark_other, other_stated, kept)


# flag → its facility
CO_LOCATED_AREAS = {flag: name for name, flag in CO_LOCATION_FLAGS.items()}


def _stated(name: str, columns: dict[str, str], remark_flags: bool, other_stated: bool) -> bool:
    if name == "other":
        return other_stated
    facility = CO_LOCATED_AREAS.get(name)
    if facility is not None:
        # A flag is stated by its own column, by its facility's area column (a figure
        # there says it is not in the centre; 设在便民服务中心 says it is) or by 备注.
        return name in columns or facility in columns or remark_flags
    return name in columns


def kept_fields(columns: dict[str, str]) -> tuple[str, ...]:
    """The input fields a table has no way to state: an import keeps their stored values."""
    return table_shape(columns).kept


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
    except DomainError as error:
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
        except DomainError as error:
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


def _areas(
    source: SourceRow,
    result: RowValues,
    remarks_flags: set[str],
    stated_flags: dict[str, bool | None],
    shape: TableShape,
) -> None:
    """The areas the file has columns for, and every flag it states: by its own column, by
    设在便民服务中心 in its area cell, by 备注, or (a figure or a blank in its area cell)
    as not in the centre."""
    values, cells = result.values, source.cells
    for name, flag, label in _AREAS:
        # Inline, not a call: four flags a row, a city's rows.
        if flag is None:
            inside = False
        elif flag in stated_flags:
            inside = bool(stated_flags[flag])
        else:
            inside = flag in remarks_flags
        if name not in cells:
            if flag and (flag in stated_flags or shape.remark_flags):
                values[flag] = inside
                if inside:
                    values[name] = None  # not entered again: the notice's rule
            continue
        raw = cells[name]
        # The kept reading first, without a call: seven areas a row, a city's rows.
        parsed = _AREA_READINGS.get(raw) if type(raw) in _PLAIN else None
        if parsed is None:
            parsed = area_reading(raw, name)
        if parsed.error:
            result.errors.append(CellProblem(name, source.column(name), parsed.error))
        elif parsed.co_located:
            _co_located_area(name, flag, label, source, stated_flags, result)
        elif flag is None:
            values[name] = parsed.value
        elif inside and parsed.value:
            result.errors.append(
                CellProblem(name, source.column(name), _seated_twice(flag, label, source, name))
            )
        else:
            values[flag] = inside
            values[name] = parsed.value


def _seated_twice(flag: str, label: str, source: SourceRow, name: str) -> str:
    where = f"“{LABELS[flag]}”列" if flag in source.cells else "备注"
    return f"{where}写明{label}设在便民服务中心，不应再填写面积（{source.text(name)}）"


def _co_located_area(
    name: str,
    flag: str | None,
    label: str,
    source: SourceRow,
    stated_flags: dict[str, bool | None],
    result: RowValues,
) -> None:
    """设在便民服务中心 written in an area cell: only a facility that may be there, and not
    where the facility's own flag column says 否."""
    column = source.column(name)
    if flag is None:
        message = f"{label}不能设在便民服务中心，请填写面积"
        result.errors.append(CellProblem(name, column, message))
    elif stated_flags.get(flag) is False:
        message = f"{label}写明设在便民服务中心，但“{LABELS[flag]}”列为“否”"
        result.errors.append(CellProblem(name, column, message))
    else:
        result.values[flag], result.values[name] = True, None


_NO_FLAGS: dict[str, bool | None] = {}
_NO_REMARK_FLAGS: frozenset[str] = frozenset()
YES_MARKS = {"是", "√", "✓", "✔", "1", "TRUE", "True", "true", "Y", "y", "YES", "yes", "Yes"}
NO_MARKS = {"否", "×", "✗", "0", "FALSE", "False", "false", "N", "n", "NO", "no", "No"}


def _flag_cells(source: SourceRow, result: RowValues, shape: TableShape) -> dict[str, bool | None]:
    """The flags the file has columns for: 是 / 否, or None for a blank cell (not in the
    centre, unless the area cell says it is)."""
    if not shape.flag_columns:
        return _NO_FLAGS  # read only: most files have no flag columns
    stated: dict[str, bool | None] = {}
    for flag in shape.flag_columns:
        raw = source.cells[flag]
        if type(raw) is bool:
            stated[flag] = raw
            continue
        text = cell_text(raw)
        if text in YES_MARKS:
            stated[flag] = True
        elif text in NO_MARKS:
            stated[flag] = False
        elif text in NONE_MARKS:
            stated[flag] = None
        else:
            message = f"{LABELS[flag]}应填“是”或“否”，不能是“{text}”"
            result.errors.append(CellProblem(flag, source.column(flag), message))
    return stated


def _remarks(
    source: SourceRow, result: RowValues, shape: TableShape, stored: Any
) -> tuple[set[str], Decimal | None]:
    """The street's own 备注, exactly as typed; where the file has no column for them, the
    parts the export appends (co-located facilities, 其他用房) taken back off its end."""
    if "remarks" not in source.cells:
        return set(), None
    raw = source.cells["remarks"]
    if raw == "" or raw is None:  # most rows: nothing to read or take apart
        result.values["remarks"] = ""
        return _NO_REMARK_FLAGS, None
    text = raw.strip() if type(raw) is str else cell_text(raw)
    if not (shape.remark_flags or shape.remark_other):
        result.values["remarks"] = _own_remarks(source, result, unguard_formula(text))
        return set(), None
    own, flags, other = _split_remarks(unguard_formula(text), shape)
    if stored is not None and shape.remark_flags and shape.remark_other:
        own, flags, other = _settled_by_stored(text, (own, flags, other), stored)
    result.values["remarks"] = _own_remarks(source, result, own)
    return flags, other


def _own_remarks(source: SourceRow, result: RowValues, own: str) -> str:
    """The street's 备注 under the text policy (core.text), as the grid takes them: too
    long is an error in the 备注 cell, pasted control characters are normalised."""
    try:
        return parse_text("remarks", own)
    except DomainError as error:
        result.errors.append(CellProblem("remarks", source.column("remarks"), error.message))
        return own


def _split_remarks(text: str, shape: TableShape) -> tuple[str, set[str], Decimal | None]:
    flags: set[str] = set()
    other = None
    parts = text.split(SEPARATOR) if text else []
    while parts:
        tail = unicodedata.normalize("NFKC", parts[-1]).strip()
        co_located = REMARK_CO_LOCATION.match(tail) if shape.remark_flags else None
        other_match = REMARK_OTHER.match(tail) if shape.remark_other else None
        named = _facility_flags(co_located.group("names")) if co_located else None
        if named:
            flags |= named
        elif other_match and other is None:
            other = Decimal(re.sub(r"[,，]", "", other_match.group("area")))
        else:
            break
        parts.pop()
    return SEPARATOR.join(parts), flags, other


def _settled_by_stored(text: str, reading: tuple, stored: Any) -> tuple:
    """备注 that the export writes alike for two rows (a street's own text ending in
    “警务室设在便民服务中心”, or the flag itself) is read as the stored row where the text
    is exactly what the export writes for it: the file states nothing else."""
    own, flags, other = reading
    if not flags and other is None:
        # Nothing taken off its end, so the text ends in no part the export writes: the
        # stored row, had it been written so, would have had none either.
        return reading
    inside = co_located_fields(stored)
    stored_flags = {CO_LOCATION_FLAGS[name] for name in inside}
    if own == stored.remarks and flags == stored_flags and other == stored.other:
        return reading
    if text != workbook_remarks(stored.remarks, inside, stored.other):
        return reading
    return stored.remarks, stored_flags, stored.other


def _facility_flags(names: str) -> set[str]:
    return {
        CO_LOCATION_FLAGS[facility]
        for facility, words in FACILITY_NAMES.items()
        if any(word in names for word in words)
    }


def _other(
    source: SourceRow, result: RowValues, shape: TableShape, remarks_other: Decimal | None
) -> None:
    """其他 where the file has no 其他 column: as 备注 states it, else none wherever the file
    states it at all (a carried-forward 其他 never lingers)."""
    if "other" in source.cells or not shape.other_stated:
        return  # read from its column (or refused there), or kept and said so
    result.values["other"] = remarks_other


def _stated_total(source: SourceRow, result: RowValues, stored: Any) -> None:
    """The file's total is the row's total: what it leaves over the parts is 其他 (a
    warning), and a total below the parts is an error."""
    if "total" not in source.cells:
        return
    column = source.column("total")
    parsed = parse_number(source.cells["total"], what=LABELS["total_area"])
    stated = _total_reading(parsed, source.text("total"), column, result)
    if stated is None or (result.errors and any(p.field in _COUNTED for p in result.errors)):
        return  # no total, or parts not read: nothing to weigh it against
    parts = _counted_parts(result.values, stored)
    difference = stated - parts
    if difference > 0:
        other = (result.values.get("other") or Decimal("0")) + difference
        if other > MAX_AREA:
            message = f"总建筑面积 {stated}㎡ 比各项之和多出 {difference}㎡，超出“其他用房”的上限"
            result.errors.append(CellProblem("total", column, message))
            return
        result.values["other"] = other
        result.warnings.append(
            CellProblem(
                "other",
                column,
                f"总建筑面积 {stated}㎡ 大于各项之和 {parts}㎡，差额 {difference}㎡ 计入“其他用房”",
            )
        )
    elif difference < 0:
        result.errors.append(
            CellProblem(
                "total",
                column,
                f"总建筑面积 {stated}㎡ 小于各项之和 {parts}㎡，请核对总面积或各项面积",
            )
        )


# The largest total the seven parts can make up.
MAX_TOTAL = MAX_AREA * len(AREA_FIELDS)
_COUNTED = frozenset((*AREA_FIELDS, *CO_LOCATION_FLAGS.values()))


def _total_reading(parsed: Parsed, text: str, column: str, result: RowValues) -> Decimal | None:
    """A stated total, or None (blank, or refused with an error naming its cell)."""
    label = LABELS["total_area"]
    message = ""
    if parsed.error:
        message = parsed.error
    elif parsed.co_located:
        message = f"{label}应为数字，不能是“{text}”"
    elif parsed.value is None:
        return None
    elif abs(parsed.value) > MAX_TOTAL:  # nor could it be rounded to a tenth
        message = f"总建筑面积数值过大：“{text}”"
    elif parsed.value != parsed.value.quantize(TENTH):
        message = f"{label}最多保留一位小数：“{text}”"
    if message:
        result.errors.append(CellProblem("total", column, message))
        return None
    return parsed.value.quantize(TENTH)


def _counted_parts(values: dict[str, Any], stored: Any) -> Decimal:
    """The areas as the ledger's rule totals them (`rules.total_area`: a facility in the
    centre counts zero); an area or flag the file has no column for counts as stored (and
    is named as kept)."""
    return total_area(_AsImported(values, stored))


class _AsImported:
    """The row as the import would store it, read as attributes: the file's values over
    the stored row's."""

    def __init__(self, values: dict[str, Any], stored: Any):
        self.values, self.stored = values, stored

    def __getattr__(self, name: str):
        if name in self.values:
            return self.values[name]
        return getattr(self.stored, name, None)
