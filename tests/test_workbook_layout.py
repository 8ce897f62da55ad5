"""Workbooks that print (issue 23, item 4; ADR 0042): the evaluation table, the plans'
summary and the subsidy allocations hold numbers as numbers and dates as date cells, every
figure recomputed from the database and every 合计 the sum of its lines; each column holds
its content, wrapped cells have rows high enough, and every sheet prints on A4 with its
header repeated, page numbers and a sign-off. The measures are shared with the 统计台帐."""

import datetime
import io
import math
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.core.xlsx_layout import (
    CELL_PADDING,
    CHINESE_DATE,
    LINE_HEIGHT,
    PAGE_FOOTER,
    SignOff,
    fits_portrait,
    fitting_width,
    printed_lines,
    row_height,
    sign_off_need,
    sign_off_rows,
    sign_off_spans,
    text_width,
    unit_sign_off,
)
from shequ.core.xlsx_table import Column, TableLine, TableSheet, write_table_workbook
from shequ.evaluation.documents import evaluation_documents
from shequ.evaluation.evaluation import evaluate
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.rows import rows_bulk_update
from shequ.ledger.workbook_xlsx import WIDTHS, write_xlsx
from shequ.plans.models import Plan
from shequ.regions.models import Region
from shequ.subsidy import services
from shequ.subsidy.models import SubsidyAllocation
from shequ.workflow.ledger_files import ledger_workbook
from shequ.workflow.submissions import submission_reopen

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU
from .ledger_helpers import fill_street, open_period, street_rows
from .test_evaluation import two_years  # noqa: F401 (a fixture)
from .test_plan_list import TONGJIAXI, plans  # noqa: F401 (a fixture)
from .test_subsidy import allocate, budget, measure  # noqa: F401 (fixtures)

HEADER_ROW = 3  # 1-based: title, the line under it, the header
KINDS = {  # number format -> how the cell shows its value
    "0": lambda v: f"{v:.0f}",
    "0.0": lambda v: f"{v:.1f}",
    "0.00": lambda v: f"{v:.2f}",
    "0.0%": lambda v: f"{v * 100:.1f}%",
    "+0.0;-0.0;0.0": lambda v: f"{v:+.1f}",
}


def load(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def shown(cell) -> str:
    """A cell's text as its number format prints it."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return KINDS[cell.number_format](value)
    return str(value)


def column_widths(ws) -> list[float]:
    """Each column's width (a file may give consecutive columns of one width in one
    <col> element, which openpyxl keeps under the first column's letter)."""
    widths = [None] * ws.max_column
    for dimension in ws.column_dimensions.values():
        for column in range(dimension.min, min(dimension.max, ws.max_column) + 1):
            widths[column - 1] = dimension.width
    return widths


def merged_width(ws, cell, widths: list[float]) -> float:
    """The width a cell prints in: its column's, or its merged range's."""
    for merged in ws.merged_cells.ranges:
        if cell.coordinate in merged:
            return sum(widths[merged.min_col - 1 : merged.max_col])
    return widths[cell.column - 1]


def assert_prints(ws, header_row: int = HEADER_ROW) -> None:
    """Nothing cut off or overprinted, and the page set up to print and sign."""
    widths = column_widths(ws)
    for line in ws[header_row]:
        for part in str(line.value or "").split("\n"):
            assert text_width(part) + CELL_PADDING <= widths[line.column - 1], (part, line)
    for row in ws.iter_rows(min_row=header_row + 1):
        height = ws.row_dimensions[row[0].row].height
        for cell in row:
            text = shown(cell)
            if not text:  # blank, or covered by a merged range
                continue
            width = merged_width(ws, cell, widths)
            if cell.alignment.wrap_text:
                assert height >= row_height(printed_lines(text, width)), (cell, text)
            else:  # a number, a date, a mark or a sign-off: on one line, within its column
                assert text_width(text) + CELL_PADDING <= width + 0.01, (cell, text, width)
                assert height is None or height >= LINE_HEIGHT
    setup = ws.page_setup
    assert setup.paperSize == 9
    assert setup.orientation == ("portrait" if fits_portrait(widths) else "landscape")
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert setup.fitToWidth in (1, None) and setup.fitToHeight >= ws.max_row
    assert ws.print_title_rows == f"${header_row}:${header_row}"
    assert ws.oddFooter.center.text == PAGE_FOOTER.removeprefix("&C")
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text


def assert_signed(ws, unit: str, day: datetime.date) -> None:
    texts = [c.value for row in ws.iter_rows(min_row=HEADER_ROW + 1) for c in row]
    for label in (f"填报单位（盖章）：{unit}", "负责人：", "填表人：", "联系电话："):
        assert label in texts
    [date_cell] = [
        c
        for row in ws.iter_rows(min_row=HEADER_ROW + 1)
        for c in row
        if c.number_format.startswith('"填报日期：')
    ]
    assert date_cell.value == datetime.datetime.combine(day, datetime.time())
    assert date_cell.number_format == f'"填报日期："{CHINESE_DATE}'


def table_rows(ws, first_label: str = "合计") -> tuple[list[tuple], list[tuple]]:
    """(lines, sum lines) of a table sheet, as cells."""
    lines, sums = [], []
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        first = row[0].value
        if isinstance(first, int):
            lines.append(row)
        elif isinstance(first, str) and (first.startswith(first_label) or row[0].font.b):
            sums.append(row)
        elif first is None and lines:
            break
    return lines, sums


def per_100(row: LedgerRow) -> Decimal:
    return rules.per_100_households(row.total_area, row.households)


def assert_numeric(cells) -> None:
    for cell in cells:
        assert cell.data_type == "n" and not isinstance(cell.value, str), cell


# ---------------------------------------------------------------- the evaluation


def test_the_evaluation_table_holds_numbers_recomputed_from_the_database(two_years):  # noqa: F811
    documents = evaluation_documents(evaluate(scope=operator_scope(), year=2026))
    ws = load(documents.xlsx()).active
    assert_prints(ws)
    assert_signed(ws, documents.issuer, documents.evaluation.made_on)
    header = [c.value for c in ws[HEADER_ROW]]
    assert "实施方案\n计划达标\n社区（个）" in header and "其中\n按时\n（次）" in header
    rows = {r[0].value: r for r in ws.iter_rows(min_row=HEADER_ROW + 1) if r[0].value}
    period = two_years
    for street in Region.objects.filter(level="street", code__in=[TONGJIAXI, "500109116"]):
        cells = rows[street.name]
        ledger = LedgerRow.objects.filter(period=period, community__path__startswith=street.path)
        compliant = sum(rules.is_compliant(r.total_area, r.households, Decimal(30)) for r in ledger)
        submitted = Submission.objects.filter(
            street=street, period__ordinal__in=(2026 * 2, 2026 * 2 + 1), submitted_at__isnull=False
        )
        assert cells[1].value == ledger.count()
        if cells[2].value != "待审核":
            assert cells[2].value == compliant
            assert cells[3].value == pytest.approx(compliant / ledger.count())
        assert (cells[10].value, cells[11].value) == (
            submitted.count(),
            submitted.filter(late=False).count(),
        )
    lines = [rows[r.name] for r in documents.evaluation.rows]
    total = rows["合计"]
    for column in (1, 7, 8, 9, 10, 11):  # the counts that add up
        assert_numeric(
            [line[column] for line in lines if line[column].value != "—"] + [total[column]]
        )
        assert total[column].value == sum(
            line[column].value for line in lines if isinstance(line[column].value, int | float)
        )
    # The old table's text pairs are gone: no “8/4”, no “32/34”.
    assert not any("/" in str(c.value) for r in lines for c in r[1:])
    assert total[3].number_format == "0.0%"
    changes = [line[6] for line in [*lines, total] if line[6].value != "—"]
    assert changes and all(c.number_format == "+0.0;-0.0;0.0" for c in changes)


# ---------------------------------------------------------------- the plans' summary


def test_the_plan_summary_sums_its_lines_and_recomputes_from_the_database(
    login,
    district_viewer,
    plans,  # noqa: F811
):
    response = login(district_viewer).get(f"/plans/summary.xlsx?street={TONGJIAXI}&state=all")
    ws = load(response.content).active
    assert_prints(ws)
    assert_signed(ws, "北碚区", timezone.localdate())
    lines, sums = table_rows(ws)
    assert len(lines) == 5 and len(sums) == 1
    for line in lines:
        plan = Plan.objects.get(community__name=line[2].value, street__code=TONGJIAXI)
        ledger = LedgerRow.objects.get(community=plan.community, period=plan.gap_period)
        measures = list(plan.measures.all())
        expected = [
            ledger.households,
            float(ledger.total_area),
            float(
                rules.rounded_ratio(rules.per_100_households(ledger.total_area, ledger.households))
            ),
            float(plan.gap_m2),
            float(sum((m.planned_area or 0 for m in measures), Decimal(0))),
            len(measures),
            float(sum((m.budget or 0 for m in measures), Decimal(0))),
            plan.target_year,
        ]
        assert [c.value for c in line[3:11]] == pytest.approx(expected)
        assert_numeric(line[3:11])
        assert line[11].value == plan.get_state_display()
    [total] = sums
    assert total[0].value == "合计（5个方案）"
    for column in (3, 4, 6, 7, 8, 9, 13):
        assert_numeric([total[column]])
        assert total[column].value == pytest.approx(sum(line[column].value for line in lines))
    households, area = total[3].value, total[4].value
    assert total[5].value == pytest.approx(round(area * 100 / households, 2))


def test_the_plan_summary_prints_no_draft_figures_of_a_reopened_ledger(
    login,
    district_viewer,
    plans,  # noqa: F811
):
    """A plan whose ledger was reopened and a 户数 cleared: its figures are a draft, not the
    审核台账's the summary says they are; every line and the 合计 read “—”, no crash."""
    period = Plan.objects.filter(street__code=TONGJIAXI).first().gap_period
    street = Submission.objects.get(period=period, street__code=TONGJIAXI)
    submission_reopen(scope=operator_scope(), submission=street, reason="核对户数")
    cleared, *others = street_rows(period, TONGJIAXI)
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(cleared, {"households": None})],
        reason="户数待核",
        action="ledger.test_fill",
    )
    response = login(district_viewer).get(f"/plans/summary.xlsx?street={TONGJIAXI}&state=all")
    assert response.status_code == 200
    lines, [total] = table_rows(load(response.content).active)
    assert len(lines) == 1 + len(others)
    for line in lines:
        assert [cell.value for cell in line[3:6]] == ["—", "—", "—"]
    assert [cell.value for cell in total[3:6]] == ["—", "—", "—"]


# ---------------------------------------------------------------- the subsidy


def test_the_subsidy_workbook_writes_amounts_as_numbers_and_paid_on_as_dates(
    client,
    budget,  # noqa: F811
    district_viewer,
):
    allocate(TIANSHENG, "100.10", notes="天生街道便民服务中心改造")
    paid = allocate(CHENGJIANG, "20.25").allocation
    day = datetime.date(2025, 12, 7)
    services.allocation_mark_paid(scope=operator_scope(), allocation=paid, paid_on=day)
    client.force_login(district_viewer)
    ws = load(client.get("/subsidy/export.xlsx?year=2025").content).active
    assert_prints(ws)
    assert_signed(ws, "重庆市北碚区", timezone.localdate())
    lines, sums = table_rows(ws)
    stored = list(SubsidyAllocation.objects.filter(year=2025).order_by("street__code", "pk"))
    assert [line[5].value for line in lines] == [float(a.amount) for a in stored]
    assert_numeric([line[5] for line in lines])
    dated = next(line for line in lines if line[1].value == "澄江镇")
    assert dated[7].value == datetime.datetime(2025, 12, 7)
    assert dated[7].is_date and dated[7].number_format == CHINESE_DATE
    assert {line[7].value for line in lines if line[1].value == "天生街道"} == {None}
    totals = {row[0].value: row[5].value for row in sums}
    assert totals["合计（已安排，2笔）"] == pytest.approx(sum(line[5].value for line in lines))
    assert totals["其中已拨付"] == 20.25
    assert totals["年度预算"] - totals["合计（已安排，2笔）"] == pytest.approx(totals["预算剩余"])


# ---------------------------------------------------------------- the 统计台帐


def test_the_ledger_rows_are_high_enough_for_chinese_text_at_two_units(beibei):
    """A 备注 of 28 Chinese characters needs three lines of a 28-wide column in Excel (a
    character takes two units); the book measured 1.6 and gave it two."""
    period = open_period("2026H1")
    fill_street(period, TIANSHENG, households=1000, service_center="300.0")
    remarks = "警务室、卫生服务站设在便民服务中心；其他用房在社区二楼东侧"
    LedgerRow.objects.filter(period=period, community__code=XINXINGLU).update(remarks=remarks)
    buffer = io.BytesIO()
    write_xlsx(ledger_workbook(scope=operator_scope(), period=period), buffer)
    ws = load(buffer.getvalue())["城市社区"]
    row = next(r for r in ws.iter_rows(min_row=5) if str(r[13].value).startswith(remarks))
    lines = math.ceil(text_width(row[13].value) / (WIDTHS[13] - CELL_PADDING))
    assert ws.row_dimensions[row[0].row].height >= row_height(lines) >= row_height(3)
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"


# ---------------------------------------------------------------- the shared measures

names = st.text(
    alphabet="社区居民委员会村镇街道北碚天生abcXYZ019 （）、；㎡—", min_size=0, max_size=80
)


@given(names, st.floats(min_value=5, max_value=60))
def test_a_wrapped_text_never_gets_fewer_lines_than_its_width_needs(text, width):
    for line in text.split("\n"):
        assert printed_lines(line, width) >= math.ceil(text_width(line) / (width - CELL_PADDING))
    assert printed_lines(text, fitting_width([text])) == 1


@given(st.lists(st.floats(min_value=3, max_value=30), min_size=5, max_size=16), names)
def test_the_sign_off_spans_every_column_once_in_order(widths, unit):
    items = unit_sign_off(unit.strip() or "北碚区", datetime.date(2026, 12, 7))
    rows = sign_off_rows(items, widths)
    assert sorted(i.label for row in rows for i in row) == sorted(i.label for i in items)
    for row in rows:
        spans = sign_off_spans(row, widths)
        covered = [c for first, last in spans for c in range(first, last + 1)]
        assert covered == list(range(len(widths)))
    assert sign_off_rows(items, [sum(map(sign_off_need, items))]) == [items]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            names,
            names,
            st.decimals(min_value=0, max_value=10**6, places=2),
            st.dates(min_value=datetime.date(2000, 1, 1)),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_table_prints_its_texts_whole(lines):
    columns = [
        Column("序号", "index"),
        Column("名称", "text", wrap_at=20),
        Column("说明", "text", wrap_at=30),
        Column("金额\n（万元）", "money"),
        Column("日期", "date"),
    ]
    table = [TableLine([i, a, b, amount, day]) for i, (a, b, amount, day) in enumerate(lines, 1)]
    total = sum((amount for _, _, amount, _ in lines), Decimal(0))
    table.append(TableLine(["合计", None, None, total, None], total=True, label_span=3))
    sheet = TableSheet(
        "表",
        "标题",
        columns,
        table,
        notes=["说明：" + "很长的说明" * 20],
        sign_off=unit_sign_off("北碚区", datetime.date(2026, 12, 7)),
    )
    buffer = io.BytesIO()
    write_table_workbook([sheet], buffer)
    ws = load(buffer.getvalue()).active
    assert_prints(ws)
    rows, sums = table_rows(ws)
    assert [r[3].value for r in rows] == [float(amount) for _, _, amount, _ in lines]
    assert sums[0][3].value == pytest.approx(float(total))
    assert all(r[4].is_date and r[4].number_format == CHINESE_DATE for r in rows)


def test_a_sign_off_that_does_not_fit_puts_what_is_printed_first():
    items = unit_sign_off("重庆市北碚区天生街道办事处", datetime.date(2026, 12, 7))
    rows = sign_off_rows(items, [10] * 8)
    assert [item.label for item in rows[0]] == ["填报单位（盖章）", "填报日期"]
    assert all(not item.value for row in rows[1:] for item in row)
    assert SignOff("联系电话", room=12) in items
