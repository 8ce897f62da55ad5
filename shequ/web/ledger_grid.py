"""What the street's grid shows: each row's cells with last approved values, findings and
derived figures, and the subtotals. Presentation only; every judgement comes from rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shequ.ledger import lineage, rules
from shequ.ledger.fields import AREA_FIELDS, CO_LOCATION_FLAGS, LABELS
from shequ.ledger.models import LedgerRow
from shequ.regions.levels import UrbanRural

# The editable number columns, in the order Excel users paste them.
GRID_NUMBER_FIELDS = ("households", *AREA_FIELDS)
GRID_FIELDS = (*GRID_NUMBER_FIELDS, *CO_LOCATION_FLAGS.values(), "compliance_year", "remarks")
SHORT_LABELS = {
    "households": "户籍户数",
    "service_center": "便民服务中心",
    "police_room": "警务室",
    "day_care": "日间照料中心",
    "health_station": "卫生服务站",
    "culture_room": "文化活动室",
    "grocery": "菜店（平价超市）",
    "other": "其他用房",
}


@dataclass
class Cell:
    field: str
    value: Any
    previous: Any
    flag: str | None = None
    flagged: bool = False
    errors: list[str] = field(default_factory=list)
    since_return: bool = False  # changed since the ledger was returned
    returned: Any = None  # its value as returned, where since_return

    @property
    def spoken(self) -> str:
        """The field's name as a screen reader says it after the community's name:
        新星路社区 便民服务中心面积."""
        return LABELS[self.field] + ("面积" if self.field in AREA_FIELDS else "")

    @property
    def flag_spoken(self) -> str:
        return LABELS[self.flag] if self.flag else ""

    @property
    def returned_shown(self) -> str:
        return shown_value(_typed(self.returned)) or "空"

    @property
    def changed(self) -> bool:
        return self.previous is not None and _same(self.value) != _same(self.previous)

    @property
    def shown(self) -> str:
        return shown_value(self.value)

    @property
    def previous_shown(self) -> str:
        return shown_value(self.previous)


def _typed(value):
    """A value as the audit log keeps it (a Decimal as text) back as the grid shows it."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


def _same(value):
    return value if value not in ("", None) else None


def shown_value(value) -> str:
    """A stored value as the grid's input shows it (areas with their tenth: 150.0)."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    return str(value)


@dataclass
class GridRow:
    row: LedgerRow
    cells: list[Cell]
    derived: rules.Derived
    findings: list[rules.Finding]
    editable: bool
    year_cell: Cell
    error_message: str = ""
    # The predecessors behind the row's 上期 figures, after a merge, split or recode.
    origin: lineage.Origin | None = None

    @property
    def ratio(self) -> str:
        return rules.display_ratio(self.derived.per_100_households)

    @property
    def warnings(self) -> list[rules.Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def errors(self) -> list[rules.Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warning_items(self) -> list[tuple[rules.Finding, str]]:
        """Each warning with the comment written for it so far."""
        return [(w, self.row.warning_comments.get(w.code, "")) for w in self.warnings]

    @property
    def row_errors(self) -> list[rules.Finding]:
        """Errors not shown beside a number cell (those are shown in their cell)."""
        return [f for f in self.errors if f.field not in (*GRID_NUMBER_FIELDS, "compliance_year")]

    @property
    def has_notes(self) -> bool:
        return bool(self.warnings or self.row_errors or self.error_message)


def grid_row(
    row: LedgerRow,
    previous: LedgerRow | None,
    limits: rules.Thresholds,
    *,
    editable: bool,
    year: int,
    refused: dict[str, str] | None = None,
) -> GridRow:
    """One row of the grid. `refused` holds the message of each value just refused, by
    field ("" for the row as a whole): shown beside its cell, or under the row."""
    origin = previous.origin if previous is not None else None
    findings = rules.validate(
        row, previous=previous, period_year=year, limits=limits, origin=origin
    )
    by_field: dict[str, list[str]] = {}
    for finding in findings:
        if finding.is_error:
            by_field.setdefault(finding.field, []).append(finding.message)
    row_messages = []
    for field_name, message in (refused or {}).items():
        if field_name in (*GRID_NUMBER_FIELDS, "compliance_year"):
            by_field.setdefault(field_name, []).insert(0, f"{message}（未保存）")
        else:
            row_messages.append(message)
    error_message = "；".join(row_messages)
    cells = []
    for name in GRID_NUMBER_FIELDS:
        flag = CO_LOCATION_FLAGS.get(name)
        cells.append(
            Cell(
                field=name,
                value=getattr(row, name),
                previous=getattr(previous, name) if previous else None,
                flag=flag,
                flagged=bool(flag and getattr(row, flag)),
                errors=by_field.get(name, []),
            )
        )
    year_cell = Cell(
        "compliance_year",
        row.compliance_year,
        None,
        errors=by_field.get("compliance_year", []),
    )
    return GridRow(
        row,
        cells,
        rules.derive(row, limits.standard),
        findings,
        editable,
        year_cell,
        error_message,
        origin,
    )


def mark_returned(item: GridRow, returned: dict[str, Any]) -> None:
    """Mark the cells of `item` changed since its ledger's return, with their value as
    returned (`ledger.since_return`), for the review."""
    for cell in (*item.cells, item.year_cell):
        if cell.field in returned:
            cell.since_return, cell.returned = True, returned[cell.field]


@dataclass
class Subtotal:
    label: str
    communities: int
    compliant: int
    sums: rules.Sums

    @property
    def households(self) -> int:
        return self.sums.households

    @property
    def areas(self) -> dict[str, Decimal]:
        return self.sums.areas

    @property
    def total(self) -> Decimal:
        return self.sums.total

    @property
    def ratio(self) -> str:
        return rules.display_ratio(self.sums.per_100_households)


def subtotal(label: str, rows: list[GridRow]) -> Subtotal:
    return Subtotal(
        label=label,
        communities=len(rows),
        compliant=sum(1 for r in rows if r.derived.compliant),
        sums=rules.sums([r.row for r in rows]),
    )


def split_by_class(rows: list[GridRow]) -> list[tuple[str, str, list[GridRow]]]:
    """城市社区 and 农村社区 apart, as the ledger template has them."""
    return [
        (klass, label, [r for r in rows if r.row.community.urban_rural_class == klass])
        for klass, label in UrbanRural.choices
    ]


def said(value) -> str:
    """A ledger value as a sentence says it: 空 for nothing, 是/否 for a tick."""
    if value is None or value == "":
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def cell_anchor(row_id: int | None, field_name: str) -> str:
    """The id of the grid's input for a row's field, or of the row where the field has no
    input of its own (a page's list of problems leads there)."""
    if row_id is None:
        return ""
    return f"in-{row_id}-{field_name}" if field_name in GRID_FIELDS else f"row-{row_id}"


def linked_problems(blockers) -> list[dict[str, str]]:
    """Blockers as (text, anchor) pairs, for a list whose items lead to their cells."""
    return [{"text": str(b), "anchor": cell_anchor(b.row_id, b.field)} for b in blockers]


def column_headers() -> list[tuple[str, str]]:
    return [(name, SHORT_LABELS[name]) for name in GRID_NUMBER_FIELDS]


def field_label(name: str) -> str:
    return LABELS.get(name, name)
