"""The evaluation's words and table: the report's sentences, the table's cells, and the
.xlsx table. Every sentence is generated from the evaluation's figures; the Word and PDF
layouts (GB/T 9704) are `report_docx` and `report_pdf`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from shequ.compliance.summary import percent, points_between
from shequ.evaluation.evaluation import Evaluation, Row
from shequ.ledger.export import chinese_date

NUMBERS = "一二三四五六七八九十"


def points(value: Decimal | None) -> str:
    """A difference of rates in percentage points, as `points_between` gives it."""
    return "—" if value is None else str(abs(value))


def _short_by(gap: Decimal) -> str:
    """相差 … 个百分点 of a rate below its target, which may read as the target itself
    (79.96 % reads 80.0%): then the gap is under a tenth of a point, not none."""
    return "不足0.1" if gap <= 0 else points(gap)


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


# A space between a Chinese character and a figure, either way round (“2/18 个”).
_SPACED = re.compile(r"(?<=[\u4e00-\u9fff]) +(?=[0-9])|(?<=[0-9%]) +(?=[\u4e00-\u9fff])")


def tight(text: str) -> str:
    """Without spaces between Chinese and figures (GB/T 9704: “192个”, not “192 个”);
    for phrases shared with the pages, which keep their spacing."""
    return _SPACED.sub("", text)


def _target_clause(row: Row) -> str:
    if row.target is None:
        return "本年度未设定目标"
    if not row.known:
        return (
            f"（{tight(row.unit.coverage)}），是否达到年度目标（{percent(float(row.target))}）"
            "待全部审核后确定"
        )
    target = float(row.target)
    if row.met:
        above = points_between(row.rate or 0, target)
        reached = f"达到年度目标（{percent(target)}）"
        return f"{reached}，高出{points(above)}个百分点" if above > 0 else reached
    gap = points_between(target, row.rate or 0)
    return (
        f"未达到年度目标（{percent(target)}），相差{_short_by(gap)}个百分点，"
        f"还需{row.needed}个社区达标"
    )


def _change_clause(row: Row) -> str:
    change = row.change_points
    if change is None:
        return ""
    if change == 0:  # the two years' rates read alike
        return "，与上年持平"
    verb = "提高" if change > 0 else "下降"
    return f"，较上年{verb}{points(change)}个百分点"


def _overall(e: Evaluation) -> list[str]:
    t, f = e.total, e.total.unit.figures
    first = (
        f"{e.year}年，{district_short(e)}共有城乡社区（村）{t.communities}个。"
        f"按{e.period.label}审核台账，每百户居民拥有综合服务设施面积达到"
        f"{e.standard.normalize():f}平方米的{t.compliant}个，达标率{percent(t.rate)}，"
        f"{_target_clause(t)}{_change_clause(t)}。"
    )
    classes = (
        f"其中城市社区{f.urban_communities}个、达标{f.urban_compliant}个"
        f"（{percent(f.urban_compliant / f.urban_communities if f.urban_communities else None)}），"
        f"农村社区{f.rural_communities}个、达标{f.rural_compliant}个"
        f"（{percent(f.rural_compliant / f.rural_communities if f.rural_communities else None)}）。"
    )
    plans = (
        f"全年销号“一社区一方案”{t.closed_plans}个，截至{chinese_date(e.as_of)}尚有"
        f"{t.open_plans}个方案未销号（其中已到目标年度仍未达标{t.slipped_plans}个）。"
    )
    submissions = (
        f"各街镇全年上报台账{t.submissions}次，按时{t.on_time}次，逾期{t.late}次。"
        if t.submissions
        else "全年尚无上报的台账。"
    )
    return [first, classes + plans + _planned_sentence(t) + submissions]


def _planned_sentence(total: Row) -> str:
    """What the table's 计划本年达标社区 column counts: communities, not plans filed."""
    if not total.planned:
        return ""
    achieved = "达标情况待审核" if total.achieved is None else f"已达标{total.achieved}个"
    return f"各街镇年度实施方案计划本年达标的社区{total.planned}个，{achieved}。"


def _streets_sentence(e: Evaluation) -> str:
    judged = [r for r in e.rows if r.met is not None]
    met = [r for r in judged if r.met]
    waiting = [r for r in e.rows if r.pending]
    pending = f"{len(waiting)}个台账尚未审核，" if waiting else ""
    return (
        f"{len(e.rows)}个街镇中，{len(met)}个达到年度目标，"
        f"{len(judged) - len(met)}个未达到，{pending}各街镇完成情况见下表。"
    )


def _names(rows: list[Row], limit: int = 6) -> str:
    names = "、".join(r.name for r in rows[:limit])
    return names + ("等" if len(rows) > limit else "")


def _problems(e: Evaluation) -> list[str]:
    """Each problem opens with one short sentence, its heading (GB/T 9704's second level,
    set in 楷体 in the documents: `run_in_heading`), then the details."""
    problems = []
    missed = sorted(e.missed, key=lambda r: r.rate or 0)
    if missed:
        details = "；".join(
            f"{r.name}达标率{percent(r.rate)}，低于目标"
            f"{_short_by(points_between(float(r.target), r.rate or 0))}个百分点，"
            f"还需{r.needed}个社区达标"
            for r in missed
        )
        problems.append(f"部分街镇未完成年度目标。{details}。")
    overdue = e.extras.get("overdue_measures", 0)
    if e.total.slipped_plans or overdue:
        problems.append(
            f"部分方案推进滞后。截至{chinese_date(e.as_of)}，有{e.total.slipped_plans}个方案"
            f"已到目标年度仍未达标，{overdue}项措施已过计划完成日期尚未完成。"
        )
    missing = e.extras.get("missing_items") or []
    if missing:
        listed = "、".join(f"{label}（{count}个社区）" for label, count in missing)
        problems.append(f"便民服务中心功能设置仍有短板。最常缺少的是{listed}。")
    late = [r for r in e.rows if r.late]
    if late:
        problems.append(
            f"台账上报不够及时。{_names(late)}全年共逾期上报{sum(r.late for r in late)}次。"
        )
    unfiled = [r for r in e.rows if r.planned and not r.plan_filed]
    if unfiled:
        problems.append(f"年度实施方案报送不全。{_names(unfiled)}尚未报送本年度实施方案。")
    return problems or ["本年度各项目标均已完成，未发现突出问题。"]


def _next_steps(e: Evaluation) -> list[str]:
    steps = []
    missed = e.missed
    if missed:
        needed = sum(r.needed or 0 for r in missed)
        steps.append(
            f"聚焦未达标社区。督促{_names(missed)}对照目标，按尚缺面积从少到多排序，"
            f"优先推动{needed}个缺口较小的社区达标，确保下一年度完成任务。"
        )
    if e.total.open_plans:
        steps.append(
            f"加快“一社区一方案”实施。对尚未销号的{e.total.open_plans}个方案逐一研判，"
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


def run_in_heading(item: str) -> tuple[str, str]:
    """An item's opening sentence (its heading) and the rest; ("", item) when the item is
    one sentence only."""
    end = item.find("。")
    if end == -1 or end == len(item) - 1:
        return "", item
    return item[: end + 1], item[end + 1 :]


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
    "计划本年达标社区（计划/已达标）",
    "按时上报",
    "功能设置完成度",
]

# The same headers broken between words, for the printed table's narrow columns.
PRINTED_HEADERS = [
    "街镇",
    "社区数",
    "达标数",
    "达标率",
    "目标",
    "完成\n目标",
    "较上年\n（百分点）",
    "销号\n方案",
    "计划本年\n达标社区\n计划/达标",
    "按时\n上报",
    "功能\n设置\n完成度",
]


def _signed_points(value: Decimal | None) -> str:
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
    # The total keeps its figures so far while streets are pending, which the report's
    # text qualifies.
    unknown = row.pending
    return [
        (row.name, TEXT),
        (row.communities, COUNT),
        (None if unknown else row.compliant, COUNT),
        (None if unknown else row.rate, PERCENT),
        (None if row.target is None else float(row.target), PERCENT),
        ("待审核" if unknown else (None if row.met is None else ("是" if row.met else "否")), TEXT),
        (row.change_points, POINTS),
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
