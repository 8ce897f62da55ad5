"""The plans' documents: the 一社区一方案 summary table (.xlsx) that goes up to the
district, and one community's plan as a Word document to print and sign."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from shequ.compliance.targets import standard_for_year
from shequ.core.xlsx import values_only_workbook
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow
from shequ.plans.checks import overdue_measures, planned_total
from shequ.plans.models import Plan

# ---------------------------------------------------------------- summary table


@dataclass
class SummaryLine:
    plan: Plan
    row: LedgerRow | None  # the row the gap was computed from
    planned: Decimal
    budget: Decimal
    overdue: int


SUMMARY_HEADERS = [
    ("序号", 5),
    ("街道（乡镇）", 11),
    ("社区（村）", 22),
    ("户籍户数", 9),
    ("现有面积（㎡）", 10),
    ("每百户面积（㎡）", 10),
    ("缺口面积（㎡）", 10),
    ("措施计划面积（㎡）", 11),
    ("措施数", 7),
    ("预算（万元）", 10),
    ("目标年度", 8),
    ("方案状态", 8),
    ("对照最新审核数", 16),
    ("逾期措施", 8),
]


def summary_lines(plans, today: datetime.date) -> list[SummaryLine]:
    plans = list(
        plans.select_related("community", "street", "gap_period").prefetch_related("measures")
    )
    rows = {
        (r.community_id, r.period_id): r
        for r in LedgerRow.objects.filter(
            community_id__in=[p.community_id for p in plans],
            period_id__in={p.gap_period_id for p in plans},
        )
    }
    return [
        SummaryLine(
            plan,
            rows.get((plan.community_id, plan.gap_period_id)),
            planned_total(plan),
            sum((m.budget or Decimal(0) for m in plan.measures.all()), Decimal("0.00")),
            len(overdue_measures(plan, today)),
        )
        for plan in plans
    ]


def write_summary_xlsx(title: str, lines: list[SummaryLine], target) -> None:
    """One sheet, A4 landscape, values only (typed text never becomes a formula)."""
    book = values_only_workbook(target)
    sheet = book.add_worksheet("一社区一方案")
    styles = {
        "title": book.add_format({"bold": True, "font_size": 16, "align": "center"}),
        "head": book.add_format(
            {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": 1}
        ),
        "text": book.add_format({"border": 1, "valign": "vcenter", "text_wrap": 1}),
        "area": book.add_format({"border": 1, "num_format": "0.0"}),
        "ratio": book.add_format({"border": 1, "num_format": "0.00"}),
        "money": book.add_format({"border": 1, "num_format": "0.00"}),
        "int": book.add_format({"border": 1, "num_format": "0"}),
    }
    last = len(SUMMARY_HEADERS) - 1
    sheet.merge_range(0, 0, 0, last, title, styles["title"])
    for column, (header, width) in enumerate(SUMMARY_HEADERS):
        sheet.write(1, column, header, styles["head"])
        sheet.set_column(column, column, width)
    for index, line in enumerate(lines, start=1):
        _write_summary_line(sheet, index + 1, index, line, styles)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.repeat_rows(1)
    sheet.fit_to_pages(1, 0)
    book.close()


def _write_summary_line(sheet, row: int, number: int, line: SummaryLine, styles) -> None:
    plan, ledger = line.plan, line.row
    ratio = (
        rules.rounded_ratio(rules.per_100_households(ledger.total_area, ledger.households))
        if ledger
        else None
    )
    values = [
        (number, "int"),
        (plan.street.name, "text"),
        (plan.community.name, "text"),
        (ledger.households if ledger else None, "int"),
        (ledger.total_area if ledger else None, "area"),
        (ratio, "ratio"),
        (plan.gap_m2, "area"),
        (line.planned, "area"),
        (len(plan.measures.all()), "int"),
        (line.budget, "money"),
        (plan.target_year, "int"),
        (plan.get_state_display(), "text"),
        (plan.get_outcome_display() if plan.outcome else "—", "text"),
        (line.overdue or "", "int"),
    ]
    for column, (value, style) in enumerate(values):
        if isinstance(value, Decimal):
            value = float(value)
        if value is None or value == "":
            sheet.write_blank(row, column, None, styles[style])
        else:
            sheet.write(row, column, value, styles[style])


# ---------------------------------------------------------------- one plan in Word

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    # Word picks Chinese glyphs from the East Asian font, not from `name`.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(document, text: str, *, font=BODY_FONT, size=14, bold=False, center=False):
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), font, size, bold)
    return paragraph


def _table(document, headers: list[str], rows: list[list[str]], widths: list[float]):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text, width in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = Cm(width)
        _font(cell.paragraphs[0].add_run(text), HEADING_FONT, 10.5)
    for values in rows:
        cells = table.add_row().cells
        for cell, text, width in zip(cells, values, widths, strict=True):
            cell.width = Cm(width)
            _font(cell.paragraphs[0].add_run(text), BODY_FONT, 10.5)
    return table


def _text(value, suffix: str = "") -> str:
    return "—" if value is None or value == "" else f"{value}{suffix}"


def plan_docx(plan: Plan, row: LedgerRow | None, district_name: str) -> bytes:
    """The plan as the community and street sign it: facts, measures, consultations."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)

    _paragraph(
        document,
        f"{plan.community.name}综合服务设施达标方案",
        font=TITLE_FONT,
        size=22,
        center=True,
    )
    _paragraph(document, "（一社区一方案）", size=16, center=True)
    _paragraph(document, "一、基本情况", font=HEADING_FONT, size=16)
    _paragraph(document, _facts(plan, row, district_name))
    _paragraph(document, "二、建设措施", font=HEADING_FONT, size=16)
    _table(
        document,
        ["方式", "内容", "计划面积（㎡）", "预算（万元）", "资金来源", "责任单位", "计划完成"],
        [
            [
                m.get_method_display(),
                m.description,
                _text(m.planned_area),
                _text(m.budget),
                _text(m.get_funding_display()),
                _text(m.responsible),
                f"{m.planned_date:%Y-%m-%d}",
            ]
            for m in plan.measures.all()
        ],
        [1.6, 4.6, 2, 1.8, 2, 2.4, 2],
    )
    _paragraph(
        document, f"措施计划面积合计 {planned_total(plan)}㎡，缺口 {plan.gap_m2}㎡。", size=14
    )
    _paragraph(document, "三、征求意见情况", font=HEADING_FONT, size=16)
    consultations = list(plan.consultations.all())
    if consultations:
        _table(
            document,
            ["日期", "对象", "主要意见", "据此作出的修改"],
            [
                [f"{c.held_on:%Y-%m-%d}", c.get_who_display(), c.said, _text(c.changed)]
                for c in consultations
            ],
            [2.2, 3.2, 5.5, 5.5],
        )
    else:
        _paragraph(document, "尚未记录征求意见情况。")
    _paragraph(document, "")
    for line in ("社区（村）负责人（签字）：", "街道（乡镇）审核意见（盖章）：", "日期："):
        _paragraph(document, line)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def _facts(plan: Plan, row: LedgerRow | None, district_name: str) -> str:
    where = f"{district_name}{plan.street.name}{plan.community.name}"
    if row is None:
        return f"{where}尚无已审核台账数据。目标年度 {plan.target_year} 年。"
    ratio = rules.display_ratio(rules.per_100_households(row.total_area, row.households))
    standard = standard_for_year(plan.gap_period.year)
    return (
        f"{where}辖区户籍人口 {row.households} 户，据{plan.gap_period.label}审核台账，"
        f"综合服务设施总建筑面积 {row.total_area}㎡，每百户居民拥有 {ratio}㎡，"
        f"距每百户 {standard:g}㎡ 的标准尚缺 {plan.gap_m2}㎡，计划于 {plan.target_year} 年达标。"
        f"方案状态：{plan.get_state_display()}。"
    )
