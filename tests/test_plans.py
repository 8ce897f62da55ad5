"""一社区一方案: drafted on approval (once), compared with each approved ledger, edited by
the street, closed (销号) by the district only on a compliant approved ledger."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shequ.accounts.scope import operator_scope, scope_for
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.ledger.rules import ComplianceYear
from shequ.plans import services
from shequ.plans.evidence import MAX_BYTES, evidence_from_upload
from shequ.plans.models import Measure, Plan
from shequ.workflow import measures
from shequ.workflow.submissions import submission_reopen

from .conftest import PASSWORD
from .ledger_helpers import approve_street, open_period, submission

pytestmark = pytest.mark.django_db

TONGJIAXI, TIANSHENG = "500109104", "500109001"
SHORT = {"households": 1000, "service_center": "250.0"}  # 25 m² per 100: 50 m² short
MET = {"households": 1000, "service_center": "320.0"}
TODAY = timezone.localdate()


def plans_of(street_code):
    return Plan.objects.filter(street__code=street_code).order_by("community__code")


def test_approval_drafts_one_plan_per_short_community_and_never_twice(beibei):
    period = open_period("2025H2")
    approve_street(period, TONGJIAXI, **SHORT)
    plans = list(plans_of(TONGJIAXI))
    assert len(plans) == 5
    assert {(p.state, p.gap_m2, p.target_year) for p in plans} == {
        ("drafting", Decimal("50.0"), 2026)
    }
    submission_reopen(
        scope=operator_scope(), submission=submission(period, TONGJIAXI), reason="更正"
    )
    approve_street(period, TONGJIAXI, households=1000, service_center="260.0")
    plans = list(plans_of(TONGJIAXI))
    assert len(plans) == 5
    assert {p.gap_m2 for p in plans} == {Decimal("40.0")}  # the gap follows the new figures


def test_backfilling_an_older_period_drafts_nothing(beibei):
    approve_street(open_period("2026H1"), TONGJIAXI, **MET)
    approve_street(open_period("2025H1"), TONGJIAXI, **SHORT)
    assert not plans_of(TONGJIAXI).exists()


def test_a_plan_is_compared_with_every_new_approved_ledger(beibei):
    approve_street(open_period("2025H1"), TONGJIAXI, **SHORT)
    plan = plans_of(TONGJIAXI).first()
    assert plan.target_year == 2025

    period = open_period("2025H2")
    approve_street(period, TONGJIAXI, households=1000, service_center="260.0")
    plan.refresh_from_db()
    # Second half of the target year and still short: slipped.
    assert (plan.outcome, plan.gap_m2) == ("slipped", Decimal("40.0"))

    services.plan_set_target_year(scope=operator_scope(), plan=plan, year=2026)
    approve_street(open_period("2026H1"), TONGJIAXI, households=1000, service_center="270.0")
    plan.refresh_from_db()
    # The area moved although no measure is complete.
    assert plan.outcome == "changed"

    approve_street(open_period("2026H2"), TONGJIAXI, **MET)
    plan.refresh_from_db()
    assert (plan.outcome, plan.state, plan.gap_m2) == ("met", "pending", Decimal("0.0"))


def test_plan_outcome_on_track_before_the_target_year_ends(beibei):
    approve_street(open_period("2025H1"), TONGJIAXI, **SHORT)
    plan = plans_of(TONGJIAXI).first()
    services.plan_set_target_year(scope=operator_scope(), plan=plan, year=2027)
    approve_street(open_period("2025H2"), TONGJIAXI, **SHORT)
    plan.refresh_from_db()
    assert plan.outcome == "on_track"


def measure_values(**overrides):
    values = {
        "method": Measure.Method.RENOVATE,
        "description": "改造二楼闲置用房",
        "planned_area": Decimal("60.0"),
        "budget": Decimal("12.50"),
        "funding": Measure.Funding.DISTRICT,
        "programme": "老旧小区改造",
        "responsible": "童家溪镇人民政府",
        "planned_date": TODAY + datetime.timedelta(days=30),
        "status": Measure.Status.NOT_STARTED,
        "actual_area": None,
        "actual_date": None,
    }
    return values | overrides


@pytest.fixture
def plan(beibei):
    approve_street(open_period("2026H1"), TONGJIAXI, **SHORT)
    return plans_of(TONGJIAXI).first()


@pytest.fixture
def tongjiaxi_editor(beibei):
    from shequ.accounts.models import Role

    from .conftest import make_user

    return make_user("tongjiaxi-editor", TONGJIAXI, Role.EDITOR)


def test_street_editor_walks_a_plan_to_pending(plan, tongjiaxi_editor):
    scope = scope_for(tongjiaxi_editor)
    with pytest.raises(DomainError, match="至少一项措施"):
        services.plan_start(scope=scope, plan=plan)
    measure = measures.measure_save(scope=scope, plan=plan, values=measure_values())
    services.plan_start(scope=scope, plan=plan)
    with pytest.raises(DomainError, match="未完成的措施"):
        services.plan_request_close(scope=scope, plan=plan)
    with pytest.raises(DomainError, match="实际面积和实际完成日期"):
        measures.measure_save(
            scope=scope, plan=plan, measure=measure, values=measure_values(status="done")
        )
    measures.measure_save(
        scope=scope,
        plan=plan,
        measure=measure,
        values=measure_values(status="done", actual_area=Decimal("62.0"), actual_date=TODAY),
    )
    services.consultation_add(
        scope=scope, plan=plan, held_on=TODAY, who="residents", said="希望增加老年活动室"
    )
    plan = services.plan_request_close(scope=scope, plan=plan)
    assert plan.state == "pending"


def test_who_may_change_a_plan(plan, tiansheng_editor, district_viewer, district_approver):
    with pytest.raises(OutOfScope):
        measures.measure_save(scope=scope_for(tiansheng_editor), plan=plan, values=measure_values())
    with pytest.raises(NotAllowed):
        measures.measure_save(scope=scope_for(district_viewer), plan=plan, values=measure_values())
    with pytest.raises(NotAllowed):
        measures.measure_save(
            scope=scope_for(district_approver), plan=plan, values=measure_values()
        )


def test_close_is_refused_until_an_approved_ledger_shows_compliance(
    plan, district_approver, tongjiaxi_editor
):
    approver = scope_for(district_approver)
    with pytest.raises(DomainError, match="编制中"):
        services.plan_close(scope=approver, plan=plan, closed_on=TODAY, note="已完成")
    measures.measure_save(scope=operator_scope(), plan=plan, values=measure_values())
    plan = services.plan_start(scope=operator_scope(), plan=plan)
    with pytest.raises(DomainError, match="尚未达标，不能销号"):
        services.plan_close(scope=approver, plan=plan, closed_on=TODAY, note="已完成")
    with pytest.raises(NotAllowed):
        services.plan_close(scope=scope_for(tongjiaxi_editor), plan=plan, closed_on=TODAY, note="x")
    approve_street(open_period("2026H2"), TONGJIAXI, **MET)
    plan.refresh_from_db()
    assert plan.state == "pending"
    pdf = SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    closed = services.plan_close(
        scope=approver,
        plan=plan,
        closed_on=TODAY,
        note="经实地核查已达标",
        evidence=evidence_from_upload(pdf),
    )
    assert (closed.state, closed.closed_period.code) == ("closed", "2026H2")
    assert closed.evidence.name.endswith(".pdf") and closed.evidence_name == "验收报告.pdf"
    with pytest.raises(DomainError, match="已销号"):
        measures.measure_save(scope=operator_scope(), plan=closed, values=measure_values())


def test_send_back_needs_a_reason(plan, district_approver):
    approve_street(open_period("2026H2"), TONGJIAXI, **MET)
    plan.refresh_from_db()
    with pytest.raises(DomainError, match="退回原因"):
        services.plan_send_back(scope=scope_for(district_approver), plan=plan, reason=" ")
    plan = services.plan_send_back(scope=scope_for(district_approver), plan=plan, reason="资料不全")
    assert plan.state == "implementing"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.exe", b"MZ\x90\x00", "PDF、JPEG 或 PNG"),
        ("fake.pdf", b"<html>", "PDF、JPEG 或 PNG"),
        ("big.pdf", b"%PDF-" + b"0" * MAX_BYTES, "超过 10 MB"),
    ],
)
def test_evidence_is_checked_by_content_and_size(name, data, message):
    with pytest.raises(DomainError, match=message):
        evidence_from_upload(SimpleUploadedFile(name, data))


def test_a_blank_compliance_year_takes_the_plans_target_year(plan):
    from shequ.workflow.ledger_files import ledger_workbook

    book = ledger_workbook(scope=operator_scope(), period=plan.gap_period)
    years = {line.community: line.compliance_year for sheet in book.sheets for line in sheet.lines}
    assert years[plan.community.name] == ComplianceYear(plan.target_year, planned=True)
    assert str(years[plan.community.name]) == f"计划{plan.target_year}"


# ---------------------------------------------------------------- pages


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_plan_pages_are_scoped(client, plan, tiansheng_editor):
    signed_in(client, tiansheng_editor)
    assert client.get(f"/plans/{plan.pk}/").status_code == 404
    assert client.get(f"/plans/{plan.pk}/evidence/").status_code == 404
    assert plan.community.name not in client.get("/plans/").content.decode()


def test_street_editor_adds_a_measure_on_the_page(client, plan, tongjiaxi_editor):
    signed_in(client, tongjiaxi_editor)
    response = client.post(
        f"/plans/{plan.pk}/",
        {
            "action": "measure",
            "m-method": "new",
            "m-description": "新建社区用房",
            "m-planned_area": "",
            "m-planned_date": "2026-12-31",
            "m-status": "not_started",
        },
    )
    assert "请填写计划面积" in response.content.decode()
    assert not plan.measures.exists()
    response = client.post(
        f"/plans/{plan.pk}/",
        {
            "action": "measure",
            "m-method": "new",
            "m-description": "新建社区用房",
            "m-planned_area": "80",
            "m-planned_date": "2026-12-31",
            "m-status": "not_started",
        },
    )
    assert response.status_code == 302
    assert plan.measures.get().planned_area == Decimal("80.0")
    assert "逾期" not in client.get(f"/plans/{plan.pk}/").content.decode()


def test_the_list_filters_by_state_and_overdue(client, plan, district_viewer):
    Measure.objects.create(
        plan=plan,
        method="new",
        description="已过期的措施",
        planned_area=Decimal("10"),
        planned_date=TODAY - datetime.timedelta(days=3),
    )
    signed_in(client, district_viewer)
    page = client.get("/plans/?overdue=on").content.decode()
    assert plan.community.name in page and "措施逾期" in page
    assert plan.community.name not in client.get("/plans/?state=closed").content.decode()


def test_summary_table_and_word_plan(client, plan, district_viewer):
    import io

    import docx
    import openpyxl

    measures.measure_save(
        scope=operator_scope(),
        plan=plan,
        values=measure_values(description='=HYPERLINK("x")', budget=Decimal("8.25")),
    )
    signed_in(client, district_viewer)
    response = client.get("/plans/summary.xlsx?street=" + TONGJIAXI)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value.startswith("北碚区一社区一方案汇总表")
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert len(rows) == 5
    first = next(r for r in rows if r[2] == plan.community.name)
    assert first[3:11] == (1000, 250, 25, 50, 60, 1, 8.25, 2026)
    assert first[11] == "编制中"

    response = client.get(f"/plans/{plan.pk}/plan.docx")
    document = docx.Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"{plan.community.name}综合服务设施达标方案" in text
    assert "尚缺50.0㎡" in text and "计划于2026年达标" in text  # no spaces (GB/T 9704)
    cells = [c.text for c in document.tables[0].rows[1].cells]
    assert cells[:3] == ["改造", '=HYPERLINK("x")', "60.0"]
    assert client.get("/plans/999999/plan.docx").status_code == 404


def test_a_new_target_year_rejudges_a_slipped_plan(beibei):
    approve_street(open_period("2025H1"), TONGJIAXI, **SHORT)
    approve_street(open_period("2025H2"), TONGJIAXI, **SHORT)
    plan = plans_of(TONGJIAXI).first()
    assert plan.outcome == "slipped"
    plan = services.plan_set_target_year(scope=operator_scope(), plan=plan, year=2027)
    plan.refresh_from_db()
    assert plan.outcome == "on_track"


def test_a_workbook_exported_with_plan_years_imports_unchanged(plan, tmp_path):
    """The export fills blank 达标年度 from the plans; importing it back changes nothing."""
    import io

    from shequ.ledger.workbook_xlsx import write_xlsx
    from shequ.workflow.ledger_files import ledger_workbook

    from .test_ledger_import import run_import

    period = open_period("2026H2")  # carried forward from 2026H1: plans are open
    book = ledger_workbook(scope=operator_scope(), period=period, street=plan.street)
    years = {line.community: line.compliance_year for sheet in book.sheets for line in sheet.lines}
    assert years[plan.community.name] == ComplianceYear(plan.target_year, planned=True)
    buffer = io.BytesIO()
    write_xlsx(book, buffer)
    code, document = run_import(tmp_path, buffer.getvalue(), "--period", "2026H2")
    assert code == 0, document["errors"]
    assert {r["status"] for r in document["rows"]} == {"unchanged"}


def test_open_plans_target_years_are_found_under_a_region(beibei):
    from shequ.plans.queries import open_plan_target_years, open_plan_target_years_within
    from shequ.regions.models import Region

    approve_street(open_period("2026H1"), TONGJIAXI, **SHORT)  # drafts the plans
    plans = list(plans_of(TONGJIAXI))
    expected = {plan.community_id: plan.target_year for plan in plans}
    assert len(expected) >= 2
    street, other = Region.objects.get(code=TONGJIAXI), Region.objects.get(code=TIANSHENG)
    assert open_plan_target_years_within(street) == expected
    assert open_plan_target_years_within(street.parent) == expected
    assert open_plan_target_years_within(other) == {}
    assert open_plan_target_years([plan.community_id for plan in plans]) == expected
    Plan.objects.filter(pk=plans[0].pk).update(state=Plan.State.CLOSED)
    assert plans[0].community_id not in open_plan_target_years_within(street)


def test_an_empty_row_given_its_plans_target_year_keeps_the_blank(beibei, tmp_path):
    """A period opened before the plans were drafted has empty rows. A file that gives a
    blank 达标年度 as the plan's target year (as the export fills it) leaves it blank, as
    for a row carried forward; another year is the street's own."""
    from .import_fixtures import xlsx
    from .test_ledger_import import run_import

    open_period("2026H2")
    approve_street(open_period("2026H1"), TONGJIAXI, **SHORT)  # drafts the plans
    first, second = list(plans_of(TONGJIAXI))[:2]
    header = [
        "所在街道（乡镇）",
        "社区名称",
        "辖区户籍人口总户数（户）",
        "便民服务中心",
        "达标年度",
    ]
    lines = [
        ["童家溪镇", first.community.name, 1000, 250, first.target_year],
        ["童家溪镇", second.community.name, 1000, 250, second.target_year + 1],
    ]
    code, document = run_import(tmp_path, xlsx({"台账": [header, *lines]}), "--period", "2026H2")
    assert code == 0, document["errors"]
    years = {
        r["community_name"]: (r["status"], r["data"]["compliance_year"]) for r in document["rows"]
    }
    assert years[first.community.name] == ("new", None)
    assert years[second.community.name] == ("new", second.target_year + 1)


def test_a_planned_year_reads_the_same_in_the_workbook_the_csv_and_on_screen(
    plan, tmp_path, client, district_viewer
):
    """达标年度 of a community still short is its plan's year marked 计划, never a bare year
    that reads as achieved; both files import back unchanged (issue 22, item 7)."""
    import io

    import openpyxl

    from shequ.ledger.workbook_xlsx import write_xlsx
    from shequ.workflow.ledger_files import ledger_workbook, write_csv

    from .import_fixtures import run_import

    period = open_period("2026H2")  # carried forward from 2026H1: plans are open
    planned = f"计划{plan.target_year}"
    buffer = io.BytesIO()
    write_xlsx(ledger_workbook(scope=operator_scope(), period=period, street=plan.street), buffer)
    sheet_cells = [
        cell.value
        for ws in openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).worksheets
        for row in ws.iter_rows()
        for cell in row
    ]
    assert planned in sheet_cells and plan.target_year not in sheet_cells
    text = io.StringIO()
    write_csv(scope=operator_scope(), period=period, street=plan.street, stream=text)
    line = next(x for x in text.getvalue().splitlines() if plan.community.name in x)
    assert f",{planned}," in line
    for name, content in (("台账.xlsx", buffer.getvalue()), ("台账.csv", text.getvalue().encode())):
        code, document = run_import(tmp_path, content, "--period", "2026H2", name=name)
        assert code == 0, document["errors"]
        assert {r["status"] for r in document["rows"]} == {"unchanged"}, name
    client.login(username=district_viewer.username, password=PASSWORD)
    page = client.get(f"/communities/{plan.community.code}/").content.decode()
    assert planned in page
