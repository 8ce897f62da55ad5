"""A year's allocations as an .xlsx workbook: one line per allocation, then the totals.

Values only (no formulas), and typed text is never read as a formula, a number or a link:
a description starting with `=` stays what was typed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import BinaryIO

from shequ.core.xlsx import values_only_workbook
from shequ.subsidy.models import SubsidyAllocation
from shequ.subsidy.services import BudgetStatus

HEADER = (
    ("序号", 6),
    ("街镇", 14),
    ("用途", 18),
    ("社区（村）", 22),
    ("措施", 36),
    ("金额（万元）", 13),
    ("状态", 8),
    ("拨付日期", 12),
    ("说明", 36),
)
AMOUNT_COLUMN = 5


def write_allocations_xlsx(
    *, title: str, status: BudgetStatus, allocations: list[SubsidyAllocation], target: BinaryIO
) -> None:
    book = values_only_workbook(target)
    styles = _styles(book)
    sheet = book.add_worksheet(f"{status.year}年补助资金")
    sheet.merge_range(0, 0, 0, len(HEADER) - 1, title, styles["title"])
    for column, (label, width) in enumerate(HEADER):
        sheet.write_string(1, column, label, styles["header"])
        sheet.set_column(column, column, width)
    row = 2
    for number, allocation in enumerate(allocations, start=1):
        _write_line(sheet, row, number, allocation, styles)
        row += 1
    _write_totals(sheet, row, allocations, status, styles)
    sheet.freeze_panes(2, 0)
    sheet.repeat_rows(1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    book.close()


def _styles(book) -> dict:
    border = {"border": 1, "valign": "vcenter"}
    return {
        "title": book.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "header": book.add_format({**border, "bold": True, "bg_color": "#EEF2F7"}),
        "text": book.add_format({**border, "text_wrap": True}),
        "money": book.add_format({**border, "num_format": "0.00"}),
        "total": book.add_format({**border, "bold": True}),
        "total_money": book.add_format({**border, "bold": True, "num_format": "0.00"}),
    }


def _write_line(sheet, row: int, number: int, allocation: SubsidyAllocation, styles) -> None:
    measure = allocation.measure
    texts = [
        allocation.street.name,
        allocation.get_purpose_display(),
        allocation.community.name if allocation.community_id else "",
        measure.description if measure is not None else "",
    ]
    sheet.write_number(row, 0, number, styles["text"])
    for column, text in enumerate(texts, start=1):
        sheet.write_string(row, column, text, styles["text"])
    sheet.write_number(row, AMOUNT_COLUMN, float(allocation.amount), styles["money"])
    sheet.write_string(row, 6, allocation.get_state_display(), styles["text"])
    paid_on = allocation.paid_on.isoformat() if allocation.paid_on else ""
    sheet.write_string(row, 7, paid_on, styles["text"])
    sheet.write_string(row, 8, allocation.notes, styles["text"])


def _write_totals(sheet, row: int, allocations, status: BudgetStatus, styles) -> None:
    """Totals of the lines listed (exact decimals, written as values), then the budget."""
    listed = sum((a.amount for a in allocations), Decimal("0"))
    paid = sum((a.amount for a in allocations if a.is_paid), Decimal("0"))
    lines = [("合计（已安排）", listed), ("其中已拨付", paid)]
    if status.budget is not None:
        lines += [("年度预算", status.budget), ("预算剩余", status.remaining)]
    for offset, (label, amount) in enumerate(lines):
        sheet.merge_range(row + offset, 0, row + offset, AMOUNT_COLUMN - 1, label, styles["total"])
        sheet.write_number(row + offset, AMOUNT_COLUMN, float(amount), styles["total_money"])
