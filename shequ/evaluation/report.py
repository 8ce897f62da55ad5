"""The evaluation as documents: the Word report laid out per GB/T 9704 (党政机关公文格式)
and the .xlsx table. Every sentence is generated from the evaluation's figures."""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from shequ.compliance.summary import percent
from shequ.core.xlsx import values_only_workbook
from shequ.evaluation.anchor import add_chain_head
from shequ.evaluation.evaluation import Evaluation, Row
from shequ.regions.levels import Level

# GB/T 9704: title 2号小标宋, headings 3号黑体, body 3号仿宋, 22 lines of 28 characters
# on a 156 × 225 mm type area (top margin 37 mm, binding side 28 mm).
TITLE_FONT, HEADING_FONT, BODY_FONT, TABLE_FONT = (
    "方正小标宋简体",
    "黑体",
    "仿宋_GB2312",
    "仿宋_GB2312",
)
TITLE_SIZE, BODY_SIZE, TABLE_SIZE = 22, 16, 9
LINE_PITCH = Pt(28.9)
NUMBERS = "一二三四五六七八九十"


def points(value: float | None) -> str:
    """A difference of rates in percentage points, one decimal."""
    return "—" if value is None else f"{abs(value) * 100:.1f}"


@dataclass
class ReportText:
    """The report's generated sentences, kept apart from the layout (the page shows them
    too, and tests read them)."""

    overall: list[str]
    streets: str
    problems: list[str]
    next_steps: list[str]


def district_short(evaluation: Evaluation) -> str:
    return evaluation.region.name


def report_title(evaluation: Evaluation) -> str:
    return f"{district_short(evaluation)}{evaluation.year}年城乡社区综合服务设施建设评估报告"


def report_text(evaluation: Evaluation) -> ReportText:
    return ReportText(
        overall=_overall(evaluation),
        streets=_streets_sentence(evaluation),
        problems=_problems(evaluation),
        next_steps=_next_steps(evaluation),
    )


def _target_clause(row: Row) -> str:
    if row.target is None:
        return "本年度未设定目标"
    if not row.known:
        return (
            f"（{row.unit.coverage}），是否达到年度目标（{percent(float(row.target))}）"
            "待全部审核后确定"
        )
    if row.met:
        above = (row.rate or 0) - float(row.target)
        return f"达到年度目标（{percent(float(row.target))}），高出 {points(above)} 个百分点"
    gap = float(row.target) - (row.rate or 0)
    return (
        f"未达到年度目标（{percent(float(row.target))}），相差 {points(gap)} 个百分点，"
        f"还需 {row.needed} 个社区达标"
    )


def _change_clause(row: Row) -> str:
    if row.change is None:
        return ""
    if abs(row.change) < 0.0005:
        return "，与上年持平"
    verb = "提高" if row.change > 0 else "下降"
    return f"，较上年{verb} {points(row.change)} 个百分点"


def _overall(e: Evaluation) -> list[str]:
    t, f = e.total, e.total.unit.figures
    first = (
        f"{e.year}年，{district_short(e)}共有城乡社区（村）{t.communities} 个。"
        f"按{e.period.label}审核台账，每百户居民拥有综合服务设施面积达到 "
        f"{e.standard.normalize():f} 平方米的 {t.compliant} 个，达标率 {percent(t.rate)}，"
        f"{_target_clause(t)}{_change_clause(t)}。"
    )
    classes = (
        f"其中城市社区 {f.urban_communities} 个、达标 {f.urban_compliant} 个"
        f"（{percent(f.urban_compliant / f.urban_communities if f.urban_communities else None)}），"
        f"农村社区 {f.rural_communities} 个、达标 {f.rural_compliant} 个"
        f"（{percent(f.rural_compliant / f.rural_communities if f.rural_communities else None)}）。"
    )
    plans = (
        f"全年销号“一社区一方案” {t.closed_plans} 个，截至{e.as_of:%Y年%m月%d日}尚有 "
        f"{t.open_plans} 个方案未销号（其中已到目标年度仍未达标 {t.slipped_plans} 个）。"
    )
    submissions = (
        f"各街镇全年上报台账 {t.submissions} 次，按时 {t.on_time} 次，逾期 {t.late} 次。"
        if t.submissions
        else "全年尚无上报的台账。"
    )
    return [first, classes + plans + submissions]


def _streets_sentence(e: Evaluation) -> str:
    judged = [r for r in e.rows if r.met is not None]
    met = [r for r in judged if r.met]
    waiting = [r for r in e.rows if not r.known and r.communities]
    pending = f"{len(waiting)} 个台账尚未审核，" if waiting else ""
    return (
        f"{len(e.rows)} 个街镇中，{len(met)} 个达到年度目标，"
        f"{len(judged) - len(met)} 个未达到，{pending}各街镇完成情况见下表。"
    )


def _names(rows: list[Row], limit: int = 6) -> str:
    names = "、".join(r.name for r in rows[:limit])
    return names + ("等" if len(rows) > limit else "")


def _problems(e: Evaluation) -> list[str]:
    problems = []
    missed = sorted(e.missed, key=lambda r: r.rate or 0)
    if missed:
        details = "；".join(
            f"{r.name}达标率 {percent(r.rate)}，低于目标 "
            f"{points(float(r.target) - (r.rate or 0))} 个百分点，还需 {r.needed} 个社区达标"
            for r in missed
        )
        problems.append(f"部分街镇未完成年度目标。{details}。")
    overdue = e.extras.get("overdue_measures", 0)
    if e.total.slipped_plans or overdue:
        problems.append(
            f"部分方案推进滞后。截至{e.as_of:%Y年%m月%d日}，有 {e.total.slipped_plans} 个方案"
            f"已到目标年度仍未达标，{overdue} 项措施已过计划完成日期尚未完成。"
        )
    missing = e.extras.get("missing_items") or []
    if missing:
        listed = "、".join(f"{label}（{count} 个社区）" for label, count in missing)
        problems.append(f"便民服务中心功能设置仍有短板，最常缺少的是{listed}。")
    late = [r for r in e.rows if r.late]
    if late:
        problems.append(
            f"台账上报不够及时。{_names(late)}全年共逾期上报 {sum(r.late for r in late)} 次。"
        )
    unfiled = [r for r in e.rows if r.planned and not r.plan_filed]
    if unfiled:
        problems.append(f"{_names(unfiled)}尚未报送本年度实施方案。")
    return problems or ["本年度各项目标均已完成，未发现突出问题。"]


def _next_steps(e: Evaluation) -> list[str]:
    steps = []
    missed = e.missed
    if missed:
        needed = sum(r.needed or 0 for r in missed)
        steps.append(
            f"聚焦未达标社区。督促{_names(missed)}对照目标，按尚缺面积从少到多排序，"
            f"优先推动 {needed} 个缺口较小的社区达标，确保下一年度完成任务。"
        )
    if e.total.open_plans:
        steps.append(
            f"加快“一社区一方案”实施。对尚未销号的 {e.total.open_plans} 个方案逐一研判，"
            "逾期方案重新明确措施、责任单位和完成时限，达标一个、销号一个。"
        )
    missing = e.extras.get("missing_items") or []
    if missing:
        steps.append(
            f"完善便民服务中心功能设置。重点补齐{'、'.join(label for label, _ in missing[:3])}，"
            "推行一室多用，规范悬挂三块牌子和“中国社区”标识。"
        )
    steps.append("严格台账管理。各街镇按时上报、据实填报，区民政局加强审核和实地抽查。")
    return steps


# ---------------------------------------------------------------- the table

TABLE_HEADERS = [
    "街镇",
    "社区数",
    "达标数",
    "达标率",
    "目标",
    "完成目标",
    "较上年（百分点）",
    "销号方案",
    "实施方案 计划/实际",
    "按时上报",
    "功能设置完成度",
]


def _signed_points(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{'+' if value > 0 else ('-' if value < 0 else '')}{points(value)}"


# Each column: how a value reads in the report, and its Excel number format (None: text).
PERCENT, POINTS, COUNT, TEXT = "percent", "points", "count", "text"
NUMBER_FORMATS = {TEXT: "@", COUNT: "0", PERCENT: "0.0%", POINTS: "+0.0;-0.0;0.0"}


def table_values(row: Row, completeness: dict) -> list[tuple[object, str]]:
    """The row's cells as (value, kind): numbers stay numbers for the spreadsheet."""
    share = completeness.get(row.code)
    planned = None if row.planned is None else f"{row.planned}/{_dash(row.achieved)}"
    # A street whose ledger of the judging period is not approved yet is unknown, not 0 %;
    # the total keeps its figures so far, which the report's text qualifies.
    unknown = not row.known and row.unit.level == Level.STREET
    return [
        (row.name, TEXT),
        (row.communities, COUNT),
        (None if unknown else row.compliant, COUNT),
        (None if unknown else row.rate, PERCENT),
        (None if row.target is None else float(row.target), PERCENT),
        ("待审核" if unknown else (None if row.met is None else ("是" if row.met else "否")), TEXT),
        (row.change, POINTS),
        (row.closed_plans, COUNT),
        (planned, TEXT),
        (f"{row.on_time}/{row.submissions}", TEXT),
        (None if share is None else float(share), PERCENT),
    ]


def cell_text(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == PERCENT:
        return percent(value)
    if kind == POINTS:
        return _signed_points(value)
    return str(value)


def table_cells(row: Row, completeness: dict) -> list[str]:
    return [cell_text(value, kind) for value, kind in table_values(row, completeness)]


def _dash(value) -> str:
    return "—" if value is None else str(value)


# ---------------------------------------------------------------- Word


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _body(document, text: str, *, font=BODY_FONT, indent=True, align=None):
    paragraph = document.add_paragraph()
    layout = paragraph.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = LINE_PITCH
    layout.space_before = layout.space_after = Pt(0)
    if indent:
        layout.first_line_indent = Pt(BODY_SIZE * 2)  # two characters
    if align is not None:
        paragraph.alignment = align
    _font(paragraph.add_run(text), font, BODY_SIZE)
    return paragraph


def _page_number_footer(section) -> None:
    """“— 1 —” centred at the foot of every page (GB/T 9704 7.5), 4号宋体."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), "宋体", 14)
    run = paragraph.add_run()
    _font(run, "宋体", 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._element.append(element)
    _font(paragraph.add_run(" —"), "宋体", 14)


def _a4_portrait(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _page_number_footer(section)


def _table(document, rows: list[list[str]], total: list[str]) -> None:
    table = document.add_table(rows=1, cols=len(TABLE_HEADERS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # The type area is 15.6 cm wide; Word and LibreOffice lay columns out by the grid.
    widths = [2.3, 1.1, 1.1, 1.5, 1.4, 1.1, 1.5, 1.1, 1.6, 1.4, 1.5]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for cells, values, font in (
        (table.rows[0].cells, TABLE_HEADERS, HEADING_FONT),
        *((table.add_row().cells, values, TABLE_FONT) for values in rows),
        (table.add_row().cells, total, HEADING_FONT),
    ):
        for cell, text, width in zip(cells, values, widths, strict=True):
            cell.width = Cm(width)
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(paragraph.add_run(text), font, TABLE_SIZE)


def write_docx(evaluation: Evaluation, completeness: dict, issuer: str) -> bytes:
    text = report_text(evaluation)
    document = Document()
    _a4_portrait(document)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(BODY_SIZE)
    _font(title.add_run(report_title(evaluation)), TITLE_FONT, TITLE_SIZE)
    _body(document, "一、总体情况", font=HEADING_FONT)
    for sentence in text.overall:
        _body(document, sentence)
    _body(document, "二、各街镇完成情况", font=HEADING_FONT)
    _body(document, text.streets)
    _table(
        document,
        [table_cells(row, completeness) for row in evaluation.rows],
        ["合计", *table_cells(evaluation.total, completeness)[1:]],
    )
    _body(document, "三、存在问题", font=HEADING_FONT)
    for number, sentence in zip(NUMBERS, text.problems, strict=False):
        _body(document, f"（{number}）{sentence}")
    _body(document, "四、下一步工作", font=HEADING_FONT)
    for number, sentence in zip(NUMBERS, text.next_steps, strict=False):
        _body(document, f"（{number}）{sentence}")
    _body(document, "")
    _body(document, issuer, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    made = evaluation.made_on
    _body(
        document,
        f"{made.year}年{made.month}月{made.day}日",
        indent=False,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
    )
    add_chain_head(document, evaluation.extras)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


# ---------------------------------------------------------------- Excel


def write_xlsx(evaluation: Evaluation, completeness: dict, target) -> None:
    """The same table; rates as numbers formatted as per cent, changes in points."""
    book = values_only_workbook(target)
    sheet = book.add_worksheet(f"{evaluation.year}年评估")
    title = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "text_wrap": 1})
    formats = {
        (kind, bold): book.add_format(
            {"border": 1, "align": "center", "bold": bold, "num_format": number_format}
        )
        for kind, number_format in (
            (TEXT, "@"),
            (COUNT, "0"),
            (PERCENT, "0.0%"),
            (POINTS, "+0.0;-0.0;0.0"),
        )
        for bold in (False, True)
    }
    last = len(TABLE_HEADERS) - 1
    sheet.merge_range(0, 0, 0, last, report_title(evaluation), title)
    sheet.write_row(1, 0, TABLE_HEADERS, head)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, last, 11)
    rows = [(row, False) for row in evaluation.rows] + [(evaluation.total, True)]
    for index, (row, is_total) in enumerate(rows, start=2):
        values = table_values(row, completeness)
        if is_total:
            values[0] = ("合计", TEXT)
        for column, (value, kind) in enumerate(values):
            if kind == POINTS and value is not None:
                value = value * 100  # percentage points
            style = formats[(kind, is_total)]
            if value is None:
                sheet.write_string(index, column, "—", style)
            else:
                sheet.write(index, column, value, style)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    book.close()
