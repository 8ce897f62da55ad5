"""The annual evaluation against figures computed here, on crafted data: a street that
meets the target, one that misses it, a year without a target, a street without
communities; the Word report read back with python-docx; the command; scope."""

import datetime
import io
import json
import re

import docx
import openpyxl
import pytest
from django.core.management import call_command

from shequ.accounts.scope import operator_scope
from shequ.evaluation.documents import evaluation_documents
from shequ.evaluation.evaluation import evaluate
from shequ.plans import services
from shequ.regions.levels import Kind, Level
from shequ.regions.models import Region, RegionVersion

from .conftest import PASSWORD, region
from .ledger_helpers import approve_street, open_period, set_target
from .test_plans import MET, SHORT

pytestmark = pytest.mark.django_db

TONGJIAXI, SHIJIALIANG, TIANSHENG = "500109104", "500109108", "500109001"
TODAY = datetime.date(2026, 11, 26)


def _empty_street() -> Region:
    root = region("500109")
    street = Region.objects.create(
        code="500109399",
        name="测试空街道",
        level=Level.STREET,
        parent=root,
        path=f"{root.path}500109399/",
        kind=Kind.SUBDISTRICT,
    )
    RegionVersion.objects.create(
        region=street, name=street.name, parent=root, path=street.path, kind=street.kind
    )
    return street


@pytest.fixture
def two_years(beibei):
    """2025: 童家溪 short (plans drafted); 2026: 童家溪 meets the standard, 施家梁 does not."""
    set_target(2026, share="0.8")
    _empty_street()
    approve_street(open_period("2025H2"), TONGJIAXI, **SHORT)
    approve_street(open_period("2026H2"), TONGJIAXI, **MET)
    approve_street(open_period("2026H2"), SHIJIALIANG, **SHORT)
    return open_period("2026H2")


def row_of(result, code):
    return next(row for row in result.rows if row.code == code)


def test_street_figures_against_a_hand_count(two_years):
    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    assert (result.period.code, result.previous_period.code) == ("2026H2", "2025H2")
    met = row_of(result, TONGJIAXI)
    assert (met.communities, met.compliant, met.rate, met.met) == (5, 5, 1.0, True)
    assert (met.previous_rate, met.change) == (0.0, 1.0)
    assert (met.submissions, met.late) == (1, 1)  # 2026H2 approved after its 30 October deadline
    missed = row_of(result, SHIJIALIANG)
    assert (missed.communities, missed.compliant, missed.met, missed.needed) == (5, 0, False, 4)
    empty = row_of(result, "500109399")
    assert (empty.communities, empty.rate, empty.met) == (0, None, None)
    # Other streets have blank 2026 rows: in the denominator, never compliant; but while
    # their ledgers are not approved, whether a target is met cannot be said.
    assert result.total.communities == 192
    assert result.total.compliant == 5
    unknown = row_of(result, TIANSHENG)
    assert (unknown.known, unknown.met) == (False, None)
    assert (result.total.known, result.total.met) == (False, None)
    assert unknown not in result.missed and missed in result.missed


def test_an_unfinished_year_is_said_so_and_unknown_streets_are_not_failures(
    client, two_years, district_viewer
):
    client.login(username=district_viewer.username, password=PASSWORD)
    page = client.get("/evaluation/?year=2026").content.decode()
    assert "2026年下半年尚未全部审核（已审核 2/18 个街镇，覆盖 10/192 个社区）" in page
    table = page.split('data-testid="evaluation-table"')[1].split("</table>")[0]
    row = table.split("天生街道")[1].split("</tr>")[0]
    cells = re.findall(r"<td>(.*?)</td>", row)
    # 社区数, 达标数, 达标率, 目标, 完成目标, 较上年: unknown, not 0 and not 否.
    assert cells[:6] == ["10", "—", "—", "80.0%", "待审核", "—"]
    assert 'class="table-danger"' not in table.split("天生街道")[0].rsplit("<tr", 1)[1]


def test_plans_closed_in_the_year_are_counted(two_years, district_approver):
    from shequ.accounts.scope import scope_for
    from shequ.plans.models import Plan

    plan = Plan.objects.filter(street__code=TONGJIAXI).first()
    services.plan_close(
        scope=scope_for(district_approver), plan=plan, closed_on=TODAY, note="核查达标"
    )
    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    assert row_of(result, TONGJIAXI).closed_plans == 1
    assert row_of(result, TONGJIAXI).open_plans == 4  # met, waiting for 销号
    assert result.total.closed_plans == 1


def test_a_year_without_a_target(beibei):
    approve_street(open_period("2024H2"), TONGJIAXI, **MET)
    result = evaluate(scope=operator_scope(), year=2024, today=TODAY)
    assert result.target is None
    assert row_of(result, TONGJIAXI).met is None
    documents = evaluation_documents(result)
    assert "本年度未设定目标" in " ".join(documents.as_json()["report"]["overall"])


def test_the_word_report_has_its_sections_and_figures(two_years):
    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    document = docx.Document(io.BytesIO(evaluation_documents(result).docx()))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "北碚区2026年城乡社区\n综合服务设施建设评估报告"
    for heading in ("一、总体情况", "二、各街镇完成情况", "三、存在问题", "四、下一步工作"):
        assert heading in texts
    body = "\n".join(texts)
    assert "共有城乡社区（村）192个" in body
    assert "达到30平方米的5个，达标率2.6%" in body
    # 15 streets have no approved ledger yet: the report does not call the year missed.
    assert "18个街镇中，1个达到年度目标，1个未达到，15个台账尚未审核" in body
    assert (
        "（已审核2/18个街镇，覆盖10/192个社区），是否达到年度目标（80.0%）待全部审核后确定" in body
    )
    assert "施家梁镇达标率0.0%，低于目标80.0个百分点，还需4个社区达标" in body
    # No checklist filled in: every item is missing everywhere, in the notice's order.
    assert "最常缺少的是服务大厅（192个社区）" in body
    table = document.tables[0]
    names = [row.cells[0].text for row in table.rows[1:-1]]
    assert len(names) == 18 and "童家溪镇" in names and "测试空街道" in names
    assert [c.text for c in table.rows[-1].cells][:4] == ["合计", "192", "5", "2.6%"]
    assert table.rows[-1].cells[-1].text == "0.0%"  # checklist completeness
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    title_run = document.paragraphs[0].runs[0]
    assert title_run.font.size.pt == 22
    body_run = document.paragraphs[3].runs[0]
    assert body_run.font.size.pt == 16
    assert (
        body_run._element.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
        )
        == "仿宋_GB2312"
    )


def test_the_command_writes_json_docx_and_xlsx(two_years, tmp_path):
    out = io.StringIO()
    report, table = tmp_path / "r.docx", tmp_path / "t.xlsx"
    call_command(
        "evaluate",
        "--year",
        "2026",
        "-o",
        str(report),
        "--xlsx",
        str(table),
        "--json",
        stdout=out,
    )
    document = json.loads(out.getvalue())
    assert document["total"]["compliant"] == 5 and len(document["streets"]) == 18
    assert report.exists()
    sheet = openpyxl.load_workbook(table).active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["童家溪镇"][1:4] == (5, 5, 1)
    assert rows["合计"][1:3] == (192, 5)


def test_the_page_is_for_district_users(client, two_years, district_viewer, tiansheng_editor):
    client.login(username=tiansheng_editor.username, password=PASSWORD)
    assert client.get("/evaluation/?year=2026").status_code == 403
    assert client.get("/evaluation/report.docx?year=2026").status_code == 403
    client.logout()
    assert client.get("/evaluation/").url.startswith("/accounts/login/")
    client.login(username=district_viewer.username, password=PASSWORD)
    page = client.get("/evaluation/?year=2026").content.decode()
    assert "北碚区2026年城乡社区综合服务设施建设评估报告" in page and "施家梁镇" in page
    response = client.get("/evaluation/report.docx?year=2026")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_workbook_says_its_total_counts_approved_ledgers_only_while_in_progress(two_years):
    # 2 of 18 streets approved: the 合计 reads 5 of 192, 2.6 %. The page and the report say
    # that it covers the approved ledgers only; the workbook handed up did not.
    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    sheet = openpyxl.load_workbook(io.BytesIO(evaluation_documents(result).xlsx())).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row[0]]
    total = next(row for row in rows if row[0] == "合计")
    assert total[1:3] == (192, 5) and total[3] == pytest.approx(5 / 192)
    notes = [row[0] for row in rows if str(row[0]).startswith(("说明", "2.", "3.", "4."))]
    assert notes[-1] == (
        "4. 2026年下半年台账尚未全部审核（已审核 2/18 个街镇，覆盖 10/192 个社区），"
        "合计行的达标数和达标率只计已审核台账，尚未审核街镇的社区暂按未达标计，"
        "全部审核后为正式评估结果。"
    )


def test_a_complete_years_workbook_has_no_such_note(beibei):
    set_target(2026, share="0.8")
    period = open_period("2026H2")
    for street in Region.objects.filter(level=Level.STREET):
        approve_street(period, street.code, **MET)
    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    assert result.total.known
    sheet = openpyxl.load_workbook(io.BytesIO(evaluation_documents(result).xlsx())).active
    assert not any(str(row[0]).startswith("4.") for row in sheet.iter_rows(values_only=True))


def test_no_change_on_last_year_is_said_against_a_year_never_fully_approved(beibei):
    """2025H2 approved for 童家溪 alone (0 of 5 compliant): that is no rate of 2025's to
    compare 2026's with (the report said 较上年提高100.0个百分点). The district's row gives
    none and the report no 较上年; a street whose own 2025 ledger was approved keeps its
    change."""
    set_target(2026, share="0.8")
    approve_street(open_period("2025H2"), TONGJIAXI, **SHORT)
    period = open_period("2026H2")
    for street in Region.objects.filter(level=Level.STREET):
        approve_street(period, street.code, **MET)
    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    assert result.total.known
    assert (result.total.previous_rate, result.total.change) == (None, None)
    assert row_of(result, TONGJIAXI).change == 1.0
    assert row_of(result, SHIJIALIANG).change is None  # no 2025 ledger of its own
    report = "".join(evaluation_documents(result).as_json()["report"]["overall"])
    assert "较上年" not in report


def test_a_street_without_communities_waits_for_no_review(two_years):
    """测试空街道 has no communities: its cells read —, not 待审核, in the report's table,
    the page and the workbook, and the ranking chart leaves it out; 天生街道 is pending."""
    from shequ.evaluation.charts import ranking_chart
    from shequ.evaluation.report import table_cells
    from shequ.evaluation.workbook import line_values

    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    empty, pending = row_of(result, "500109399"), row_of(result, TIANSHENG)
    assert (empty.pending, pending.pending) == (False, True)
    assert "待审核" not in table_cells(empty, {}) and "待审核" in table_cells(pending, {})
    assert "待审核" not in line_values(empty, {}) and "待审核" in line_values(pending, {})
    names = ranking_chart(result).names
    assert "测试空街道" not in names and pending.name in names
