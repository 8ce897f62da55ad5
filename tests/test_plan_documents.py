"""The plan as a Word document a street signs and hands up (GB/T 9704 layout): each
measure's status and marks, the columns' grid widths, page numbers, dates in 年月日,
the document's properties; a street's plans in one document, scoped like the list."""

import datetime
import io
import re
from decimal import Decimal
from urllib.parse import quote

import docx
import pytest
from django.utils import timezone
from docx.oxml.ns import qn

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope
from shequ.ledger.export import chinese_date
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.rows import rows_bulk_update
from shequ.plans.checks import overdue_measures
from shequ.plans.documents import MEASURE_COLUMNS, gap_row, plan_docx, summary_lines
from shequ.plans.models import Consultation, Measure, Plan
from shequ.workflow.submissions import submission_reopen

from .conftest import make_user
from .ledger_helpers import approve_street, open_period

pytestmark = pytest.mark.django_db

TONGJIAXI = "500109104"
SHORT = {"households": 1000, "service_center": "250.0"}
TODAY = datetime.date(2026, 12, 7)
NOW = datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.UTC)
ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


@pytest.fixture
def plans(beibei):
    approve_street(open_period("2026H1"), TONGJIAXI, **SHORT)
    return list(Plan.objects.filter(street__code=TONGJIAXI).order_by("community__code"))


@pytest.fixture
def plan(plans):
    """Target year 2026; four measures: overdue, done, after the target year, overdue."""
    plan = plans[0]
    assert plan.target_year == 2026
    for description, planned, status in (
        ("改造二楼闲置用房", datetime.date(2026, 6, 30), Measure.Status.IN_PROGRESS),
        ("购买临街商铺", datetime.date(2026, 3, 1), Measure.Status.DONE),
        ("新建社区综合服务用房", datetime.date(2027, 5, 1), Measure.Status.NOT_STARTED),
        ("整合共享小区物业用房", datetime.date(2026, 11, 30), Measure.Status.NOT_STARTED),
    ):
        Measure.objects.create(
            plan=plan,
            method=Measure.Method.RENOVATE,
            description=description,
            planned_area=Decimal("20.0"),
            planned_date=planned,
            status=status,
            actual_date=planned if status == Measure.Status.DONE else None,
        )
    Consultation.objects.create(
        plan=plan,
        held_on=datetime.date(2026, 4, 9),
        who=Consultation.Who.RESIDENTS,
        said="希望增加老年食堂",
        recorded_by="tester",
    )
    return plan


def document_of(plan: Plan, today=TODAY) -> docx.document.Document:
    row = gap_row(plan)
    return docx.Document(io.BytesIO(plan_docx(plan, row, "重庆市北碚区", today=today, now=NOW)))


def measure_rows(document) -> dict[str, list[str]]:
    rows = document.tables[0].rows
    assert [c.text for c in rows[0].cells] == [header for header, _ in MEASURE_COLUMNS]
    return {row.cells[1].text: [c.text for c in row.cells] for row in rows[1:]}


def test_each_measure_shows_its_status_and_marks(plan):
    rows = measure_rows(document_of(plan))
    when = {name: (cells[6], cells[7]) for name, cells in rows.items()}
    assert when["改造二楼闲置用房"] == ("2026年6月30日\n逾期", "进行中")
    assert when["购买临街商铺"] == ("2026年3月1日", "已完成")
    assert when["新建社区综合服务用房"] == ("2027年5月1日\n晚于目标年度", "未开始")
    assert when["整合共享小区物业用房"] == ("2026年11月30日\n逾期", "未开始")


def test_overdue_is_the_apps_rule(plan):
    """The document marks exactly the measures `overdue_measures` finds (the rule of
    the list's 措施逾期 badge), on the day it is made."""
    for today in (datetime.date(2026, 7, 1), TODAY, datetime.date(2027, 6, 1)):
        rows = measure_rows(document_of(plan, today))
        marked = {name for name, cells in rows.items() if "逾期" in cells[6]}
        expected = {m.description for m in overdue_measures(plan, today)}
        assert marked == expected


def test_a_closed_plans_measures_carry_no_marks(plan):
    Plan.objects.filter(pk=plan.pk).update(state=Plan.State.CLOSED)
    plan.refresh_from_db()
    rows = measure_rows(document_of(plan))
    assert not any("\n" in cells[6] for cells in rows.values())


def test_the_grid_gives_the_content_column_the_room(plan):
    table = document_of(plan).tables[0]._tbl
    widths = [int(col.get(qn("w:w"))) for col in table.tblGrid.findall(qn("w:gridCol"))]
    assert len(set(widths)) > 1
    assert widths.index(max(widths)) == 1  # 内容
    assert widths.count(max(widths)) == 1
    assert abs(sum(widths) - 8845) < 10  # the 15.6 cm type area, in twentieths of a point
    assert table.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    # Each cell says the same as its column, and the header row repeats on every page.
    for row in table.tr_lst:
        cells = [int(tc.tcPr.tcW.get(qn("w:w"))) for tc in row.tc_lst]
        assert cells == widths
    assert table.tr_lst[0].trPr.find(qn("w:tblHeader")) is not None


def test_pages_are_numbered_in_the_footer(plan):
    document = document_of(plan)
    section = document.sections[0]
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        xml = footer._element.xml
        assert "PAGE" in "".join(t.text for t in footer._element.iter(qn("w:instrText")))
        assert [e.get(qn("w:fldCharType")) for e in footer._element.iter(qn("w:fldChar"))] == [
            "begin",
            "separate",
            "end",
        ]
        assert footer.paragraphs[0].text.startswith("— ") and footer.paragraphs[0].text.endswith(
            " —"
        )
        assert f'w:val="{side}"' in xml
    assert document.settings.odd_and_even_pages_header_footer


def test_dates_are_written_in_year_month_day(plan):
    document = document_of(plan)
    text = document.element.xml
    assert not ISO_DATE.search(text)
    assert "2026年4月9日" in document.tables[1].rows[1].cells[0].text
    assert chinese_date(datetime.date(2026, 1, 5)) == "2026年1月5日"


def test_the_documents_properties(plan, settings):
    properties = document_of(plan).core_properties
    assert properties.author == "重庆市北碚区民政局"
    assert properties.created == NOW
    assert properties.title == f"{plan.community.name}综合服务设施达标方案"
    assert "python-docx" not in (properties.comments + properties.last_modified_by)


def test_a_reopened_rows_draft_figures_are_not_printed_as_the_approved_ones(plan):
    """Reopened and its 户数 cleared: the facts printed “据2026年上半年审核台账” over the
    draft's figures. They give the plan's gap and say the ledger has no approved figures now."""
    street = Submission.objects.get(period=plan.gap_period, street=plan.street)
    submission_reopen(scope=operator_scope(), submission=street, reason="核对户数")
    row = LedgerRow.objects.get(community=plan.community, period=plan.gap_period)
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(row, {"households": None, "service_center": "900.0"})],
        reason="户数待核",
        action="ledger.test_fill",
    )
    facts = document_of(plan).paragraphs[3].text
    assert "2026年上半年台账现无审核数据（尚未审核或已重新打开）；方案缺口50.0㎡" in facts
    assert "900" not in facts and "None" not in facts and "审核台账，" not in facts


def test_the_summary_gives_the_approved_figures_or_none(plans):
    """The 方案汇总表 said its 户数 and 面积 came from the 审核台账 the gap was computed
    from, and printed a reopened ledger's draft (5 households, 900 m²) beside a 50 m² gap."""
    street = Submission.objects.get(period=plans[0].gap_period, street=plans[0].street)
    approved = summary_lines(Plan.objects.filter(pk=plans[0].pk), TODAY)[0].row
    assert (approved.households, approved.total_area) == (1000, Decimal("250.0"))
    submission_reopen(scope=operator_scope(), submission=street, reason="核对")
    rows = LedgerRow.objects.filter(period=street.period, street=street.street)
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(row, {"households": 5, "service_center": "900.0"}) for row in rows],
        reason="草稿",
        action="ledger.test_fill",
    )
    lines = summary_lines(Plan.objects.filter(street=street.street), TODAY)
    assert lines and all(line.row is None for line in lines)


def test_the_view_writes_the_settings_district(client, plan, district_viewer, settings):
    settings.SHEQU_DISTRICT_NAME = "某某市某某区"
    client.force_login(district_viewer)
    document = docx.Document(io.BytesIO(client.get(f"/plans/{plan.pk}/plan.docx").content))
    assert document.core_properties.author == "某某市某某区民政局"
    assert document.core_properties.created.date() == timezone.now().date()


# ---------------------------------------------------------------- a street's plans


def sections_of(content: bytes) -> list:
    """The body's section properties: N sections, each ending with its sectPr."""
    body = docx.Document(io.BytesIO(content)).element.body
    return list(body.iter(qn("w:sectPr")))


def titles_of(content: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(content))
    return [p.text for p in document.paragraphs if p.text.endswith("综合服务设施达标方案")]


def test_a_streets_plans_in_one_document_each_on_its_own_pages(client, plans, district_viewer):
    client.force_login(district_viewer)
    response = client.get(f"/plans/street.docx?street={TONGJIAXI}")
    assert response.status_code == 200
    today = timezone.localdate()
    name = f"童家溪镇一社区一方案（{chinese_date(today)}）.docx"
    assert quote(name) in response["Content-Disposition"]
    sections = sections_of(response.content)
    assert len(plans) == 5 and len(sections) == 5
    for section in sections:
        kind = section.find(qn("w:type"))
        assert kind is None or kind.get(qn("w:val")) == "nextPage"  # a new page
        assert section.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
    assert titles_of(response.content) == [f"{p.community.name}综合服务设施达标方案" for p in plans]
    # Every section break falls right before the next plan's title.
    document = docx.Document(io.BytesIO(response.content))
    paragraphs = document.paragraphs
    breaks = [
        i for i, p in enumerate(paragraphs) if p._p.pPr is not None and p._p.pPr.sectPr is not None
    ]
    assert len(breaks) == 4
    assert all(paragraphs[i + 1].text.endswith("综合服务设施达标方案") for i in breaks)


def test_the_street_document_follows_the_lists_filters(client, plan, plans, district_viewer):
    client.force_login(district_viewer)
    response = client.get(f"/plans/street.docx?street={TONGJIAXI}&overdue=on")
    assert titles_of(response.content) == [f"{plan.community.name}综合服务设施达标方案"]


def test_the_street_document_is_scoped_like_the_list(client, beibei, plans, tiansheng_editor):
    tongjiaxi_editor = make_user("tongjiaxi-editor", TONGJIAXI, Role.EDITOR)
    community_editor = make_user("community-editor", plans[2].community.code, Role.EDITOR)
    outsider_street = tiansheng_editor

    client.force_login(tongjiaxi_editor)
    assert len(sections_of(client.get("/plans/street.docx").content)) == 5
    assert "下载本街镇方案（Word）" in client.get("/plans/").content.decode()

    client.force_login(community_editor)
    response = client.get("/plans/street.docx")
    assert titles_of(response.content) == [f"{plans[2].community.name}综合服务设施达标方案"]
    assert quote("童家溪镇一社区一方案") in response["Content-Disposition"]

    client.force_login(outsider_street)
    assert client.get(f"/plans/street.docx?street={TONGJIAXI}").status_code == 404
    assert client.get("/plans/street.docx").status_code == 404  # no plans in its street


def test_a_district_user_chooses_the_street(client, plans, district_viewer, outsider):
    client.force_login(district_viewer)
    assert client.get("/plans/street.docx").status_code == 404
    assert "下载本街镇方案（Word）" not in client.get("/plans/").content.decode()
    assert "下载本街镇方案（Word）" in client.get(f"/plans/?street={TONGJIAXI}").content.decode()
    client.force_login(outsider)
    assert client.get("/plans/street.docx").status_code == 404
    client.logout()
    assert client.get("/plans/street.docx").status_code == 302
