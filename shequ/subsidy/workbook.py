"""A year's allocations as an .xlsx workbook (ADR 0042): one line per allocation, then the
totals and the budget, the notes and the sign-off.

Values only (no formulas), and typed text is never read as a formula, a number or a link:
a description starting with `=` stays what was typed. Amounts are numbers, 拨付日期 a date.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import BinaryIO

from shequ.core.xlsx_layout import unit_sign_off
from shequ.core.xlsx_table import Column, TableLine, TableSheet, write_table_workbook
from shequ.ledger.export import chinese_date
from shequ.subsidy.models import SubsidyAllocation
from shequ.subsidy.services import BudgetStatus

COLUMNS = [
    Column("序号", "index"),
    Column("街镇", "text", wrap_at=12),
    Column("用途", "text"),
    Column("社区（村）", "text", wrap_at=20),
    Column("措施", "text", wrap_at=30),
    Column("金额\n（万元）", "money"),
    Column("状态", "center"),
    Column("拨付日期", "date"),
    Column("说明", "text", wrap_at=30),
]
LABEL_SPAN = 5  # a total's label spans 序号 … 措施; its amount is under 金额


def allocations_title(unit: str, year: int) -> str:
    return f"{unit}{year}年补助资金安排明细"


def write_allocations_xlsx(
    *,
    unit: str,
    status: BudgetStatus,
    allocations: list[SubsidyAllocation],
    today: datetime.date,
    target: BinaryIO,
) -> None:
    lines = [_line(number, a) for number, a in enumerate(allocations, start=1)]
    sheet = TableSheet(
        name=f"{status.year}年补助资金",
        title=allocations_title(unit, status.year),
        columns=COLUMNS,
        lines=lines + _totals(allocations, status),
        subtitle=(f"填报单位：{unit}", f"截至{chinese_date(today)}"),
        notes=[
            "说明：合计为本表所列各笔之和；年度预算和预算剩余是全年的，不受本表筛选影响。"
            if status.budget is not None
            else "说明：合计为本表所列各笔之和。"
        ],
        sign_off=unit_sign_off(unit, today),
    )
    write_table_workbook([sheet], target)


def _line(number: int, allocation: SubsidyAllocation) -> TableLine:
    measure = allocation.measure
    return TableLine(
        [
            number,
            allocation.street.name,
            allocation.get_purpose_display(),
            allocation.community.name if allocation.community_id else "",
            measure.description if measure is not None else "",
            allocation.amount,
            allocation.get_state_display(),
            allocation.paid_on,
            allocation.notes,
        ]
    )


def _totals(allocations, status: BudgetStatus) -> list[TableLine]:
    """Totals of the lines listed (exact decimals, written as values), then the budget."""
    listed = sum((a.amount for a in allocations), Decimal("0"))
    paid = sum((a.amount for a in allocations if a.is_paid), Decimal("0"))
    sums = [(f"合计（已安排，{len(allocations)}笔）", listed), ("其中已拨付", paid)]
    if status.budget is not None:
        sums += [("年度预算", status.budget), ("预算剩余", status.remaining)]
    blank = [None] * (len(COLUMNS) - LABEL_SPAN - 1)
    return [
        TableLine(
            [label, *[None] * (LABEL_SPAN - 1), amount, *blank], total=True, label_span=LABEL_SPAN
        )
        for label, amount in sums
    ]
