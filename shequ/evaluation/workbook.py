"""The evaluation table as an .xlsx workbook (ADR 0042): one line a street, the district's
合计, what the columns count, and the sign-off. Counts are numbers, rates are numbers in
per cent, and each “a/b” of the report's table is two columns."""

from __future__ import annotations

from shequ.core.xlsx_layout import unit_sign_off
from shequ.core.xlsx_table import NOT_APPLICABLE, Column, TableLine, TableSheet
from shequ.core.xlsx_table import write_table_workbook as write_workbook
from shequ.evaluation.evaluation import Evaluation, Row
from shequ.ledger.export import chinese_date

COLUMNS = [
    Column("街镇", "text", wrap_at=16),
    Column("社区数\n（个）", "int"),
    Column("达标数\n（个）", "int"),
    Column("达标率", "percent"),
    Column("目标\n达标率", "percent"),
    Column("完成\n目标", "center"),
    Column("达标率\n较上年\n（百分点）", "points"),
    Column("销号\n方案\n（个）", "int"),
    Column("实施方案\n计划达标\n社区（个）", "int"),
    Column("其中\n已达标\n（个）", "int"),
    Column("上报\n台账\n（次）", "int"),
    Column("其中\n按时\n（次）", "int"),
    Column("功能设置\n完成度", "percent"),
]
PENDING = "待审核"


def workbook_title(evaluation: Evaluation) -> str:
    return f"{evaluation.region.name}{evaluation.year}年城乡社区综合服务设施建设评估表"


def line_values(row: Row, completeness: dict) -> list:
    """A street's (or the total's) cells: numbers as numbers, “—” where a figure does not
    apply, 待审核 where the street's ledger of the judging period is not approved yet."""
    share = completeness.get(row.code)
    unknown = row.pending
    met = None if row.met is None else ("是" if row.met else "否")
    return [
        row.name,
        row.communities,
        PENDING if unknown else row.compliant,
        PENDING if unknown else _or_dash(row.rate),
        _or_dash(None if row.target is None else float(row.target)),
        PENDING if unknown else _or_dash(met),
        _or_dash(None if row.change_points is None else float(row.change_points)),
        row.closed_plans,
        _or_dash(row.planned),
        _or_dash(row.achieved),
        row.submissions,
        row.on_time,
        _or_dash(None if share is None else float(share)),
    ]


def _or_dash(value):
    return NOT_APPLICABLE if value is None else value


def evaluation_sheet(evaluation: Evaluation, completeness: dict, issuer: str) -> TableSheet:
    lines = [TableLine(line_values(row, completeness)) for row in evaluation.rows]
    total = line_values(evaluation.total, completeness)
    total[0] = "合计"
    lines.append(TableLine(total, total=True))
    return TableSheet(
        name=f"{evaluation.year}年评估",
        title=workbook_title(evaluation),
        columns=COLUMNS,
        lines=lines,
        subtitle=(
            f"评估报告期：{evaluation.period.label}（审核台账）",
            f"方案数截至{chinese_date(evaluation.as_of)}",
        ),
        notes=notes(evaluation),
        sign_off=unit_sign_off(issuer, evaluation.made_on),
    )


def notes(evaluation: Evaluation) -> list[str]:
    standard = f"{evaluation.standard.normalize():f}"
    return [
        f"说明：1. 每百户居民拥有综合服务设施面积不低于{standard}㎡为达标；"
        "合计行的达标率按全部社区计算。",
        "2. 实施方案计划达标社区：街镇本年度实施方案计划达标的社区数；"
        "其中已达标按评估报告期审核台账判断。",
        f"3. 上报台账：本年度两个报告期上报（含审核）的次数。“{NOT_APPLICABLE}”：不适用或尚无数据；"
        f"“{PENDING}”：该街镇台账尚未审核。",
        *_pending_note(evaluation),
    ]


def write_xlsx(evaluation: Evaluation, completeness: dict, issuer: str, target) -> None:
    write_workbook([evaluation_sheet(evaluation, completeness, issuer)], target)


def _pending_note(evaluation: Evaluation) -> list[str]:
    """While the judging period is not all approved, the 合计's 达标数 and 达标率 count
    the approved ledgers only (the streets not yet approved as not compliant): the sheet
    says so, as the page and the report do, and never hands 2.6 % up as the year's."""
    total = evaluation.total
    if total.known:
        return []
    return [
        f"4. {evaluation.period.label}台账尚未全部审核（{total.unit.coverage}），"
        "合计行的达标数和达标率只计已审核台账，尚未审核街镇的社区暂按未达标计，"
        "全部审核后为正式评估结果。"
    ]
