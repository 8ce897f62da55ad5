"""The plans' documents: the 一社区一方案 summary table (.xlsx) that goes up to the
district, and one community's plan as a Word document to print and sign."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Pt

from shequ.compliance.targets import standard_for_year
from shequ.core.docx_pages import (
    a4_portrait,
    add_table_row,
    grid_table,
    page_numbers,
    restart_page_numbers,
    set_font,
    set_properties,
)
from shequ.core.text import document_text
from shequ.core.xlsx_layout import unit_sign_off
from shequ.core.xlsx_table import (
    NOT_APPLICABLE,
    Column,
    TableLine,
    TableSheet,
    write_table_workbook,
)
from shequ.ledger import rules
from shequ.ledger.export import chinese_date
from shequ.ledger.models import LedgerRow
from shequ.plans.checks import measure_marks, overdue_measures, planned_total
from shequ.plans.models import Plan

# ---------------------------------------------------------------- summary table


@dataclass
class SummaryLine:
    plan: Plan
    row: LedgerRow | None  # the row the gap was computed from
    planned: Decimal
    budget: Decimal
    overdue: int


SUMMARY_COLUMNS = [
    Column("序号", "index"),
    Column("街道\n（乡镇）", "text", wrap_at=12),
    Column("社区（村）", "text", wrap_at=28),
    Column("户籍\n户数", "int"),
    Column("现有\n面积\n（㎡）", "area"),
    Column("每百户\n面积\n（㎡）", "ratio"),
    Column("缺口\n面积\n（㎡）", "area"),
    Column("措施\n计划面积\n（㎡）", "area"),
    Column("措施数\n（项）", "int"),
    Column("预算\n（万元）", "money"),
    Column("目标\n年度", "int"),
    Column("方案\n状态", "text", wrap_at=10),
    Column("对照最新\n审核数", "text", wrap_at=14),
    Column("逾期\n措施\n（项）", "int"),
]


def summary_lines(plans, today: datetime.date) -> list[SummaryLine]:
    plans = list(
        plans.select_related("community", "street", "gap_period").prefetch_related("measures")
    )
    rows = _gap_rows(plans)
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


def _gap_rows(plans: list[Plan]) -> dict[tuple[int, int], LedgerRow]:
    """The approved ledger rows the plans' gaps were computed from, by (community,
    period). A row whose ledger has been reopened since is left out: its figures are a
    draft, and printed beside the gap as the 审核台账's they would say what nobody
    approved."""
    return {
        (r.community_id, r.period_id): r
        for r in LedgerRow.objects.filter(
            community_id__in=[p.community_id for p in plans],
            period_id__in={p.gap_period_id for p in plans},
        ).approved()
    }


def gap_row(plan: Plan) -> LedgerRow | None:
    """The approved row one plan's gap was computed from (`_gap_rows` of one plan)."""
    return _gap_rows([plan]).get((plan.community_id, plan.gap_period_id))


def summary_title(unit: str) -> str:
    return f"{unit}一社区一方案汇总表"


def write_summary_xlsx(unit: str, lines: list[SummaryLine], today: datetime.date, target) -> None:
    """One sheet, a line a plan and their 合计, fitted to A4 (ADR 0042)."""
    sheet = TableSheet(
        name="一社区一方案",
        title=summary_title(unit),
        columns=SUMMARY_COLUMNS,
        lines=[TableLine(_summary_values(number, line)) for number, line in enumerate(lines, 1)],
        subtitle=(f"填报单位：{unit}", f"截至{chinese_date(today)}"),
        notes=[
            "说明：1. 户籍户数、现有面积和每百户面积取自方案计算缺口所依据的审核台账；"
            f"“{NOT_APPLICABLE}”表示尚无该期审核台账（或该期台账已重新打开，尚待重新审核）。"
            "合计行的每百户面积按合计的面积和户数计算。",
            "2. 逾期措施：已过计划完成日期仍未完成的措施项数。",
        ],
        sign_off=unit_sign_off(unit, today),
    )
    sheet.lines.append(TableLine(_summary_total(lines), total=True, label_span=3))
    write_table_workbook([sheet], target)


def _ratio(area: Decimal | None, households: int | None):
    if area is None or not households:
        return NOT_APPLICABLE
    return rules.rounded_ratio(rules.per_100_households(area, households))


def _summary_values(number: int, line: SummaryLine) -> list:
    plan, ledger = line.plan, line.row
    return [
        number,
        plan.street.name,
        plan.community.name,
        ledger.households if ledger else NOT_APPLICABLE,
        ledger.total_area if ledger else NOT_APPLICABLE,
        _ratio(ledger.total_area, ledger.households) if ledger else NOT_APPLICABLE,
        plan.gap_m2,
        line.planned,
        len(plan.measures.all()),
        line.budget,
        plan.target_year,
        plan.get_state_display(),
        plan.get_outcome_display() if plan.outcome else NOT_APPLICABLE,
        line.overdue,
    ]


def _summary_total(lines: list[SummaryLine]) -> list:
    """The 合计: sums of the lines' figures. Households, area and ratio are the ledger's
    小计 of the lines' rows (`rules.sums`): a row whose 户数 is blank adds no households
    but its area, and then the ratio is not given (—)."""
    rows = [line.row for line in lines if line.row is not None]
    ledger = rules.sums(rows)
    ratio = rules.rounded_ratio(ledger.per_100_households)
    return [
        f"合计（{len(lines)}个方案）",
        None,
        None,
        ledger.households if rows else NOT_APPLICABLE,
        ledger.total if rows else NOT_APPLICABLE,
        NOT_APPLICABLE if ratio is None else ratio,
        sum((line.plan.gap_m2 for line in lines), Decimal("0.0")),
        sum((line.planned for line in lines), Decimal("0.0")),
        sum(len(line.plan.measures.all()) for line in lines),
        sum((line.budget for line in lines), Decimal("0.00")),
        None,
        None,
        None,
        sum(line.overdue for line in lines),
    ]


# ---------------------------------------------------------------- plans in Word

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"
TABLE_SIZE = 9  # 小五: the measures' eight columns on the 15.6 cm type area

# Header and width (cm) of each column, 15.6 cm in all: 内容 gets the room; the others
# wrap at word boundaries (方式 and 资金来源 two characters a line: 项目/配套, 上级/项目/
# 资金; 责任单位 four: 童家溪镇/人民政府) and keep a date (2026年12月31日), a mark
# (晚于目标年度) and a status (进行中) on one line. A header's "\n" breaks it.
MEASURE_COLUMNS = [
    ("方式", 1.1),
    ("内容", 4.5),
    ("计划\n面积\n（㎡）", 1.4),
    ("预算\n（万元）", 1.5),
    ("资金\n来源", 1.1),
    ("责任单位", 1.7),
    ("计划完成", 2.9),
    ("进度", 1.4),
]
CONSULTATION_COLUMNS = [
    ("日期", 2.7),
    ("对象", 2.3),
    ("主要意见", 5.3),
    ("据此作出的修改", 5.3),
]
SIGNATURES = (
    "社区（村）负责人（签字）：",
    "街道（乡镇）审核意见（盖章）：",
    "日期：　　年　　月　　日",
)


@dataclass(frozen=True)
class PlanPaper:
    """One plan as a document shows it, with the approved row its gap came from."""

    plan: Plan
    row: LedgerRow | None


def plan_papers(plans) -> list[PlanPaper]:
    """`plans` (a queryset, in the order given) with their measures, consultations and
    rows, in a handful of queries."""
    plans = list(
        plans.select_related("community", "street", "gap_period").prefetch_related(
            "measures", "consultations"
        )
    )
    rows = _gap_rows(plans)
    return [PlanPaper(p, rows.get((p.community_id, p.gap_period_id))) for p in plans]


def bureau_name(district_name: str) -> str:
    """The document's author: the district's civil-affairs bureau."""
    return f"{district_name}民政局"


def plan_title(plan: Plan) -> str:
    return f"{plan.community.name}综合服务设施达标方案"


def plan_docx(
    plan: Plan,
    row: LedgerRow | None,
    district_name: str,
    *,
    today: datetime.date,
    now: datetime.datetime,
) -> bytes:
    """One plan as the community and street sign it: facts, measures, consultations."""
    return plans_docx(
        [PlanPaper(plan, row)], district_name, title=plan_title(plan), today=today, now=now
    )


def plans_docx(
    papers: list[PlanPaper],
    district_name: str,
    *,
    title: str,
    today: datetime.date,
    now: datetime.datetime,
) -> bytes:
    """The plans in one document, each in its own section: on a new page, its pages
    numbered from 1, so that each can be signed and handed up on its own."""
    document = Document()
    set_properties(document, title=title, author=bureau_name(district_name), now=now)
    first = document.sections[0]
    a4_portrait(first)
    page_numbers(document, first)
    restart_page_numbers(first)
    for index, paper in enumerate(papers):
        if index:
            document.add_section(WD_SECTION.NEW_PAGE)  # a copy: same page, same footers
        _write_plan(document, paper, district_name, today)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def _write_plan(document, paper: PlanPaper, district_name: str, today: datetime.date) -> None:
    plan = paper.plan
    _paragraph(document, plan_title(plan), font=TITLE_FONT, size=22, center=True)
    _paragraph(document, "（一社区一方案）", size=16, center=True)
    _heading(document, "一、基本情况")
    _paragraph(document, _facts(plan, paper.row, district_name))
    _heading(document, "二、建设措施")
    measures = list(plan.measures.all())
    if measures:
        _table(document, MEASURE_COLUMNS, [_measure_cells(plan, m, today) for m in measures])
    else:
        _paragraph(document, "尚未确定建设措施。")
    total = _paragraph(document, f"措施计划面积合计{planned_total(plan)}㎡，缺口{plan.gap_m2}㎡。")
    total.paragraph_format.space_before = Pt(6)
    _heading(document, "三、征求意见情况")
    consultations = list(plan.consultations.all())
    if consultations:
        table = _table(
            document, CONSULTATION_COLUMNS, [_consultation_cells(c) for c in consultations]
        )
        last = [cell.paragraphs[-1] for cell in table.rows[-1].cells]
    else:
        last = [_paragraph(document, "尚未记录征求意见情况。")]
    for paragraph in last:  # the signatures never stand alone on a page
        paragraph.paragraph_format.keep_with_next = True
    # The signatures stay together, and with the plan's last lines.
    for line in ("", *SIGNATURES):
        _paragraph(document, line).paragraph_format.keep_with_next = line != SIGNATURES[-1]


def _heading(document, text: str) -> None:
    """一、 in 黑体, never alone at the foot of a page."""
    _paragraph(document, text, font=HEADING_FONT, size=16).paragraph_format.keep_with_next = True


def _paragraph(document, text: str, *, font=BODY_FONT, size=14, bold=False, center=False):
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(paragraph.add_run(document_text(text)), font, size, bold)
    return paragraph


# A cell: its text, and the marks written in bold under it, one a line.
Cell = tuple[str, list[str]]


def _measure_cells(plan: Plan, measure, today: datetime.date) -> list[Cell]:
    plain = [
        measure.get_method_display(),
        measure.description,
        _text(measure.planned_area),
        _text(measure.budget),
        _text(measure.get_funding_display()),
        _text(measure.responsible),
    ]
    return [
        *((text, []) for text in plain),
        (chinese_date(measure.planned_date), measure_marks(plan, measure, today)),
        (measure.get_status_display(), []),
    ]


def _consultation_cells(consultation) -> list[Cell]:
    return [
        (chinese_date(consultation.held_on), []),
        (consultation.get_who_display(), []),
        (consultation.said, []),
        (_text(consultation.changed), []),
    ]


def _table(document, columns: list[tuple[str, float]], rows: list[list[Cell]]):
    widths = [width for _, width in columns]
    table = grid_table(document, widths)
    for cell, (header, _) in zip(add_table_row(table, widths, header=True), columns, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _lines(cell.paragraphs[0], header.split("\n"), HEADING_FONT)
    for values in rows:
        for cell, (text, marks) in zip(add_table_row(table, widths), values, strict=True):
            _cell(cell.paragraphs[0], text, marks)
    return table


def _cell(paragraph, text: str, marks: list[str]) -> None:
    set_font(paragraph.add_run(document_text(text)), BODY_FONT, TABLE_SIZE)
    _lines(paragraph, marks, HEADING_FONT, bold=True, first_break=True)


def _lines(paragraph, lines: list[str], font: str, *, bold=False, first_break=False) -> None:
    """`lines` in one paragraph, each after a line break (the first too if `first_break`)."""
    for index, line in enumerate(lines):
        run = paragraph.add_run()
        if index or first_break:
            run.add_break(WD_BREAK.LINE)
        run.add_text(document_text(line))
        set_font(run, font, TABLE_SIZE, bold=bold)


def _text(value, suffix: str = "") -> str:
    return "—" if value is None or value == "" else f"{value}{suffix}"


def _facts(plan: Plan, row: LedgerRow | None, district_name: str) -> str:
    where = f"{district_name}{plan.street.name}{plan.community.name}"
    if row is None:
        # No approved row (its ledger reopened since, say): the gap as the plan keeps it,
        # never the draft's figures as the 审核台账's.
        return (
            f"{where}{plan.gap_period.label}台账现无审核数据（尚未审核或已重新打开）；"
            f"方案缺口{plan.gap_m2}㎡，目标年度{plan.target_year}年。"
            f"方案状态：{plan.get_state_display()}。"
        )
    # Never “None户”: a row without 户数 says so, and has no ratio.
    households = "户数尚未填写" if row.households is None else f"{row.households}户"
    ratio = rules.per_100_households(row.total_area, row.households)
    per_100 = "" if ratio is None else f"每百户居民拥有{rules.display_ratio(ratio)}㎡，"
    standard = standard_for_year(plan.gap_period.year)
    return (
        f"{where}辖区户籍人口{households}，据{plan.gap_period.label}审核台账，"
        f"综合服务设施总建筑面积{row.total_area}㎡，{per_100}"
        f"距每百户{standard:g}㎡的标准尚缺{plan.gap_m2}㎡，计划于{plan.target_year}年达标。"
        f"方案状态：{plan.get_state_display()}。"
    )
