"""The ledger's rules, in one place: area, ratio, compliance, shortfall, 达标年度, validation.

Everything that judges a row calls these functions; nothing recomputes them. Arithmetic is
exact (Decimal): compliance compares total × 100 with standard × households, so that
29.995 m² per 100 households is not compliant even though it displays as 30.00.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, NamedTuple, Protocol

from django.db.models import F, Q
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual

from shequ.core.settings_store import settings_get_many
from shequ.ledger.fields import AREA_FIELDS, CO_LOCATION_FLAGS, LABELS

if TYPE_CHECKING:
    # For the type checker only (typing has TypeIs from Python 3.13): importing it at run
    # time cost every verb's start-up more than the rules' own module.
    from typing_extensions import TypeIs

ZERO = Decimal("0.0")
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Thresholds:
    """The standard and the validation thresholds; administrators may change them."""

    standard: Decimal = Decimal("30")  # m² per 100 households
    households_change: Decimal = Decimal("0.20")  # warn above this relative change
    ratio_max: Decimal = Decimal("300")  # warn above: likely a unit slip
    center_min: Decimal = Decimal("200")  # warn below: 便民服务中心 too small

    SETTING_KEYS = {
        "standard": "ledger.standard",
        "households_change": "ledger.households_change",
        "ratio_max": "ledger.ratio_max",
        "center_min": "ledger.center_min",
    }


def thresholds(standard: Decimal | None = None) -> Thresholds:
    """The thresholds in force: stored settings over the defaults, with `standard` (the
    year's m² per 100 households, which the compliance targets keep: pass
    `compliance.targets.thresholds_for(year)` from above) where one is given."""
    stored = settings_get_many(Thresholds.SETTING_KEYS.values())
    limits = Thresholds(
        **{
            name: Decimal(str(stored[key]))
            for name, key in Thresholds.SETTING_KEYS.items()
            if stored.get(key) is not None
        }
    )
    return limits if standard is None else replace(limits, standard=standard)


class RowInputs(Protocol):
    """What the rules read of a row: the input fields (`fields.INPUT_FIELDS` but 备注),
    read only, so that a model's fields, a record's slots and plain attributes all satisfy
    it. Types only: no row is checked or wrapped at run time (a city's import reads every
    row through these functions); mypy holds each kind of row the rules are given to it
    in tests/typing_row_inputs.py."""

    @property
    def households(self) -> int | None: ...
    @property
    def resident_households(self) -> int | None: ...
    @property
    def service_center(self) -> Decimal | None: ...
    @property
    def police_room(self) -> Decimal | None: ...
    @property
    def day_care(self) -> Decimal | None: ...
    @property
    def health_station(self) -> Decimal | None: ...
    @property
    def culture_room(self) -> Decimal | None: ...
    @property
    def grocery(self) -> Decimal | None: ...
    @property
    def other(self) -> Decimal | None: ...
    @property
    def police_room_in_center(self) -> bool: ...
    @property
    def day_care_in_center(self) -> bool: ...
    @property
    def health_station_in_center(self) -> bool: ...
    @property
    def culture_room_in_center(self) -> bool: ...
    @property
    def compliance_year(self) -> int | None: ...


# ---------------------------------------------------------------- arithmetic


def is_co_located(values: RowInputs, field: str) -> bool:
    flag = CO_LOCATION_FLAGS.get(field)
    return bool(flag and getattr(values, flag))


def co_located_fields(values: RowInputs) -> tuple[str, ...]:
    """The facilities set in the 便民服务中心, in the fields' order (is_co_located of each
    in one call, for the loops over every row of a city)."""
    return tuple(field for field, flag in CO_LOCATION_FLAGS.items() if getattr(values, flag))


# (area field, its co-location flag or None): the loops over every row of a city read
# this tuple rather than look each flag up again.
_AREAS_AND_FLAGS = tuple((field, CO_LOCATION_FLAGS.get(field)) for field in AREA_FIELDS)


def total_area(values: RowInputs) -> Decimal:
    """Sum of the areas entered; a facility set in the 便民服务中心 counts zero."""
    total = ZERO
    for field, flag in _AREAS_AND_FLAGS:
        area = getattr(values, field)
        if area is not None and not (flag and getattr(values, flag)):
            total += area
    return total


def has_valid_households(households: int | None) -> TypeIs[int]:
    return households is not None and households > 0


_areas_of = operator.attrgetter(*AREA_FIELDS)


def is_unfilled(row: RowInputs) -> bool:
    """Never filled in: no households and no area (a flag alone is not a figure)."""
    return row.households is None and _areas_of(row).count(None) == len(AREA_FIELDS)


def per_100_households(total: Decimal, households: int | None) -> Decimal | None:
    """m² per 100 households, unrounded; None when households are missing or not positive."""
    if not has_valid_households(households):
        return None
    return total * 100 / Decimal(households)


def rounded_ratio(ratio: Decimal | None) -> Decimal | None:
    """Two decimals, half up, for display and print only: never compare the rounded value."""
    return None if ratio is None else ratio.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def display_ratio(ratio: Decimal | None) -> str:
    rounded = rounded_ratio(ratio)
    return "" if rounded is None else str(rounded)


def is_compliant(total: Decimal, households: int | None, standard: Decimal) -> bool:
    """total ÷ households × 100 ≥ standard, compared exactly."""
    return has_valid_households(households) and total * 100 >= standard * households


def shortfall(total: Decimal, households: int | None, standard: Decimal) -> Decimal | None:
    """m² still needed to reach the standard, rounded up to 0.1 so that adding it complies."""
    if not has_valid_households(households):
        return None
    gap = standard * households / 100 - total
    if gap <= 0:
        return ZERO
    return gap.quantize(TENTH, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class Sums:
    """Column sums of several rows, for 小计 and 合计."""

    households: int
    areas: dict[str, Decimal]
    total: Decimal
    # Rows whose area counts but whose 户数 is blank or 0: their area is in `total`, their
    # households nowhere, so a ratio of the sums would be too high.
    area_without_households: int = 0

    @property
    def per_100_households(self) -> Decimal | None:
        """The ratio of the sums (never an average of the rows' ratios); None while a row
        adds area without households (`area_without_households`)."""
        if self.area_without_households:
            return None
        return per_100_households(self.total, self.households)


def sums(rows: Iterable[RowInputs]) -> Sums:
    """Households with a valid count, each area as it counts (co-located facilities zero),
    and the total."""
    households = 0
    unmatched = 0
    areas = dict.fromkeys(AREA_FIELDS, ZERO)
    for row in rows:  # one pass: a city's workbook sums 11,000 rows for its 合计
        row_area = ZERO
        for field, flag in _AREAS_AND_FLAGS:
            area = getattr(row, field)
            if area is not None and not (flag and getattr(row, flag)):
                areas[field] += area
                row_area += area
        if has_valid_households(row.households):
            households += row.households
        elif row_area:
            unmatched += 1
    # The same addends as the rows' totals added up, and Decimal sums are exact.
    total = sum(areas.values(), ZERO)
    return Sums(households, areas, total, area_without_households=unmatched)


def sums_of(parts: list[Sums]) -> Sums:
    """The sums of several groups' sums (a 合计 of its 小计): the same as `sums` of all
    their rows, as Decimal addition is exact, without reading every row again."""
    areas = {field: sum((part.areas[field] for part in parts), ZERO) for field in AREA_FIELDS}
    return Sums(
        households=sum(part.households for part in parts),
        areas=areas,
        total=sum(areas.values(), ZERO),
        area_without_households=sum(part.area_without_households for part in parts),
    )


@dataclass(frozen=True)
class ComplianceCount:
    """达标数 of a 小计 or 合计: how many communities it covers and how many of them meet the
    standard (`is_compliant`, exactly); 达标率 is their ratio."""

    communities: int
    compliant: int

    @property
    def rate(self) -> Decimal | None:
        """达标率 in per cent, one decimal, half up: for print only, as `rounded_ratio`."""
        if not self.communities:
            return None
        return (Decimal(100 * self.compliant) / self.communities).quantize(
            TENTH, rounding=ROUND_HALF_UP
        )


def compliance_count(judged: Iterable[bool]) -> ComplianceCount:
    """The count of communities each judged compliant or not (by `is_compliant`)."""
    flags = list(judged)
    return ComplianceCount(communities=len(flags), compliant=sum(flags))


def compliance_counts_of(parts: Iterable[ComplianceCount]) -> ComplianceCount:
    """A 合计's count from its 小计s' counts."""
    parts = list(parts)
    return ComplianceCount(
        communities=sum(p.communities for p in parts),
        compliant=sum(p.compliant for p in parts),
    )


def compliant_condition(standard: Decimal, prefix: str = "") -> Q:
    """The compliance rule as a database condition, for aggregates (same rule as above)."""
    households, total = F(f"{prefix}households"), F(f"{prefix}total_area")
    return GreaterThan(households, 0) & GreaterThanOrEqual(total * 100, households * standard)


class Derived(NamedTuple):
    """What the rules make of a row. A named tuple (immutable, and quick to make for each of
    a city's rows); the shortfall is worked out only when asked, which an import never does."""

    total_area: Decimal
    per_100_households: Decimal | None
    compliant: bool
    households: int | None
    standard: Decimal

    @property
    def shortfall(self) -> Decimal | None:
        return shortfall(self.total_area, self.households, self.standard)


def derive(values: RowInputs, standard: Decimal) -> Derived:
    total = total_area(values)
    households = values.households
    return Derived(
        total_area=total,
        per_100_households=per_100_households(total, households),
        compliant=is_compliant(total, households, standard),
        households=households,
        standard=standard,
    )


@dataclass(frozen=True)
class ComplianceYear:
    """达标年度 as shown: a year stated or achieved, or a plan's target year marked as
    planned (计划2027), so that a year not yet reached never reads as achieved."""

    year: int | None
    planned: bool = False

    def __str__(self) -> str:
        if self.year is None:
            return ""
        return f"{PLANNED_MARK}{self.year}" if self.planned else str(self.year)

    @property
    def cell(self) -> int | str | None:
        """In a workbook: a stated or achieved year as a number, a planned one as text."""
        return str(self) if self.planned else self.year


# A planned year is written after this mark; the import reads such a cell as no stated year.
PLANNED_MARK = "计划"


def filled_compliance_year(
    stated: int | None,
    *,
    compliant: bool,
    first_compliant_year: int | None,
    plan_target_year: int | None,
) -> ComplianceYear:
    """达标年度 as the street states it; where blank, the year the community first met the
    standard on approved data if it meets it now, or else its plan's target year, marked
    as planned."""
    if stated:
        return ComplianceYear(stated)
    if compliant:
        return ComplianceYear(first_compliant_year)
    return ComplianceYear(plan_target_year, planned=plan_target_year is not None)


# ---------------------------------------------------------------- validation

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    code: str  # stable: warning comments are keyed by it
    field: str
    severity: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def _m2(value: Decimal) -> str:
    return f"{value.quantize(TENTH, rounding=ROUND_HALF_UP)}㎡"


class Origin(Protocol):
    """What stands behind a successor's previous figures (`ledger.lineage.Origin`)."""

    @property
    def kind(self) -> str: ...  # "merge", "split" or "rename" (regions.models.Succession)

    @property
    def note(self) -> str: ...

    @property
    def left_out(self) -> tuple[str, ...]: ...  # predecessors with no approved figures


def validate(
    values: RowInputs,
    *,
    previous: RowInputs | None,
    period_year: int,
    limits: Thresholds,
    in_street: bool = True,
    derived: Derived | None = None,
    origin: Origin | None = None,
) -> list[Finding]:
    """Errors (block submission) and warnings (need a comment) for one row.

    `previous` is the community's last approved row, if any (its predecessors' where it
    succeeded others: `origin`). `derived` is `derive(values, limits.standard)` where the
    caller has it already (an import checks a city's rows and need not divide each one
    twice).
    """
    if derived is None:
        derived = derive(values, limits.standard)
    if origin is not None and origin.kind == "split":
        # The old community's whole is a reference, not a figure the part changed from.
        previous = None
    return [
        *_errors(values, in_street),
        *_succession_warnings(values, origin),
        *_warnings(values, previous, period_year, limits, derived),
    ]


def _succession_warnings(values: RowInputs, origin: Origin | None) -> list[Finding]:
    """A merged community's carried figures wait for the street to confirm them (a
    comment), and where a predecessor had no approved figures to carry, to add its part;
    a split part shows its old whole until its own figures are filled in."""
    if origin is None or origin.kind == "rename":
        return []
    if origin.kind == "split":
        if values.households is not None:
            return []
        message = f"{origin.note}；请按拆分后的辖区填写本期数据"
        return [Finding("succession_split", "households", WARNING, message)]
    if origin.left_out:
        message = f"{origin.note}。请按合并后的辖区补齐并核实本期数据，并在说明中写明已核实"
    else:
        message = f"{origin.note}。请核实本期数据，并在说明中写明已核实"
    return [Finding("succession_merge", "households", WARNING, message)]


def _errors(values: RowInputs, in_street: bool) -> list[Finding]:
    found = []
    if not in_street:
        found.append(Finding("outside_street", "community", ERROR, "该社区/村不属于本街镇"))
    if values.households is None:
        found.append(Finding("households_missing", "households", ERROR, "请填写辖区户籍人口总户数"))
    elif values.households <= 0:
        found.append(
            Finding("households_not_positive", "households", ERROR, "辖区户籍人口总户数必须大于 0")
        )
    if values.resident_households is not None and values.resident_households < 0:
        found.append(
            Finding("resident_negative", "resident_households", ERROR, "常住户数不能为负数")
        )
    for field, flag in _AREAS_AND_FLAGS:
        area = getattr(values, field)
        if area is None:
            continue
        if area < 0:
            found.append(
                Finding(f"negative:{field}", field, ERROR, f"{LABELS[field]}面积不能为负数")
            )
        if flag and getattr(values, flag) and area != 0:  # as is_co_located, for every row
            found.append(
                Finding(
                    f"co_located:{field}",
                    field,
                    ERROR,
                    f"{LABELS[field]}已勾选设在便民服务中心，不再重复填写面积",
                )
            )
    return found


def _warnings(
    values: RowInputs, previous: RowInputs | None, year: int, limits: Thresholds, derived: Derived
) -> list[Finding]:
    found = []
    total = derived.total_area
    if previous is not None and has_valid_households(previous.households):
        found += _change_warnings(values, previous, previous.households, total, limits)
    ratio = derived.per_100_households
    if ratio is not None and ratio > limits.ratio_max:
        found.append(
            Finding(
                "ratio_high",
                "households",
                WARNING,
                f"每百户面积 {display_ratio(ratio)}㎡，超过 {limits.ratio_max}，"
                "请核对户数和面积的单位",
            )
        )
    center = values.service_center
    if center is None or center < limits.center_min:
        shown = "未填写" if center is None else f"为 {_m2(center)}"
        found.append(
            Finding(
                "center_small",
                "service_center",
                WARNING,
                f"便民服务中心面积{shown}，不足 {limits.center_min}㎡",
            )
        )
    contradiction = _compliance_year_contradiction(values, derived.compliant, year, limits.standard)
    if contradiction:
        found.append(Finding("compliance_year", "compliance_year", WARNING, contradiction))
    return found


def _change_warnings(
    values: RowInputs, previous: RowInputs, before: int, total: Decimal, limits: Thresholds
) -> list[Finding]:
    """`before` is the previous row's households, a valid count."""
    found = []
    households = values.households
    if has_valid_households(households):
        change = Decimal(abs(households - before)) / Decimal(before)
        if change > limits.households_change:
            percent = (change * 100).quantize(TENTH, rounding=ROUND_HALF_UP)
            found.append(
                Finding(
                    "households_changed",
                    "households",
                    WARNING,
                    f"户数比上期（{before}户）变化 {percent}%，超过 "
                    f"{(limits.households_change * 100).normalize():f}%",
                )
            )
    previous_total = total_area(previous)
    if total < previous_total:
        found.append(
            Finding(
                "total_fell",
                "service_center",
                WARNING,
                f"总面积比上期（{_m2(previous_total)}）减少了 {_m2(previous_total - total)}",
            )
        )
    return found


def _compliance_year_contradiction(
    values: RowInputs, compliant: bool, year: int, standard: Decimal
) -> str:
    stated = values.compliance_year
    if not stated or not has_valid_households(values.households):
        return ""
    if stated <= year and not compliant:
        return f"达标年度填为{stated}年，但本期每百户面积未达到 {standard}㎡"
    if stated > year and compliant:
        return f"本期已达标，达标年度却填为{stated}年"
    return ""


def blocking(findings: list[Finding], comments: dict[str, str]) -> list[Finding]:
    """What stops a submission: every error, and every warning without a comment."""
    return [f for f in findings if f.is_error or not (comments.get(f.code) or "").strip()]
