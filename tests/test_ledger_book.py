"""The 统计台帐 says exactly what it means (issue 23, item 1; ADR 0034): every printed
figure recomputed from the database, totals that add up from what is printed, each street's
state and submission date in an unapproved book, 达标年度 only as stated or achieved, one
unit spelling, headers broken at word boundaries; the CSV's Chinese headers and its codes
kept as text, read back by `csv`, by the importer, and in the earlier format."""

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from shequ.accounts.scope import operator_scope
from shequ.compliance.dashboard import community_history
from shequ.core.xlsx_layout import text_width
from shequ.ledger import rules
from shequ.ledger.export import LISTED_FACILITIES
from shequ.ledger.importing.files import read_sheets
from shequ.ledger.ledger_csv import COLUMNS
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.rows import rows_bulk_update
from shequ.ledger.workbook_xlsx import FACILITY_HEADERS, SINGLE_COLUMNS, WIDTHS, write_xlsx
from shequ.plans.models import Plan
from shequ.plans.queries import open_plan_target_years
from shequ.regions.models import Region
from shequ.workflow.ledger_files import ledger_workbook, plan_import, write_csv

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region
from .ledger_helpers import approve_street, fill_street, open_period

STANDARD = Decimal("30")
FIRST_DATA_ROW = 5
AREA_COLUMNS = dict(zip(LISTED_FACILITIES, range(5, 11), strict=True))  # 0-based


def moment(day: int) -> datetime.datetime:
    return datetime.datetime(2026, 4, day, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def period(beibei):
    """An open period: figures varied per street, 其他用房 and a facility in the centre on
    新星路, and the streets in each state (草稿, 已上报, 退回, 已审核)."""
    period = open_period("2026H1")
    streets = list(Region.objects.filter(level="street").order_by("code"))
    for i, street in enumerate(streets):
        center = "400.0" if street.code == CHENGJIANG else f"{200 + 11 * i}.5"
        fill_street(period, street.code, households=1000 + 37 * i, service_center=center)
    LedgerRow.objects.filter(period=period, community__code=XINXINGLU).update(
        police_room_in_center=True, culture_room=Decimal("60.0"), other=Decimal("249.0")
    )
    states = [Submission.State.SUBMITTED, Submission.State.RETURNED, Submission.State.APPROVED]
    for i, street in enumerate(streets):
        if i % 4 == 3:
            continue  # a draft, never submitted
        Submission.objects.filter(period=period, street=street).update(
            state=states[i % 3], submitted_at=moment(10 + i), return_reason="面积有误"
        )
    return period


def book(period, street=None) -> openpyxl.Workbook:
    buffer = io.BytesIO()
    write_xlsx(ledger_workbook(scope=operator_scope(), period=period, street=street), buffer)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def table(ws) -> list[tuple]:
    rows = []
    for cells in ws.iter_rows(min_row=FIRST_DATA_ROW, max_col=14):
        if not any(c.value is not None for c in cells) or str(cells[0].value).startswith("说明"):
            break
        rows.append(cells)
    return rows


def stored_rows(period, **where) -> list[LedgerRow]:
    return list(
        LedgerRow.objects.filter(period=period, **where).select_related("community", "street")
    )


def other_in(remarks: str | None) -> Decimal:
    """其他用房 as a line's 备注 states it (0 when it names none)."""
    found = re.search(r"其他用房 ([\d.]+)㎡", remarks or "")
    return Decimal(found.group(1)) if found else Decimal("0")


def as_decimal(value) -> Decimal:
    return Decimal("0") if value is None else Decimal(str(value))


def assert_line_is(cells, rows: list[LedgerRow]) -> None:
    """A 小计/合计 line against the stored rows it sums, recomputed here from the database,
    and against itself: its printed parts and the 其他用房 its 备注 names make its total."""
    values = [c.value for c in cells]
    sums = rules.sums(rows)
    assert values[3] == sums.households
    assert as_decimal(values[4]) == sums.total
    for name, column in AREA_COLUMNS.items():
        assert as_decimal(values[column]) == sums.areas[name]
    assert as_decimal(values[11]) == rules.rounded_ratio(sums.per_100_households)
    printed = sum((as_decimal(values[c]) for c in AREA_COLUMNS.values()), Decimal("0"))
    assert printed + other_in(values[13]) == as_decimal(values[4])
    compliant = sum(rules.is_compliant(rules.total_area(r), r.households, STANDARD) for r in rows)
    count = rules.ComplianceCount(len(rows), compliant)
    assert values[13].startswith(f"共{len(rows)}个，达标{compliant}个，达标率{count.rate}%")


def test_every_figure_of_the_district_book_is_the_databases(period):
    workbook = book(period)
    assert workbook.sheetnames == ["城市社区", "农村社区"]
    seen = 0
    for ws, klass in ((workbook["城市社区"], "urban"), (workbook["农村社区"], "rural")):
        rows = {
            r.community.name: r for r in stored_rows(period, community__urban_rural_class=klass)
        }
        by_street: dict[str, list] = {}
        lines = table(ws)
        for cells in lines:
            values = [c.value for c in cells]
            if values[0] is None:
                continue
            row = rows[values[2]]
            by_street.setdefault(values[1], []).append(row)
            total = rules.total_area(row)
            assert values[3] == row.households and as_decimal(values[4]) == total
            for name, column in AREA_COLUMNS.items():
                stored = None if rules.is_co_located(row, name) else getattr(row, name)
                assert values[column] == (None if stored is None else float(stored))
            ratio = rules.rounded_ratio(rules.per_100_households(total, row.households))
            assert as_decimal(values[11]) == ratio
            parts = sum((as_decimal(values[c]) for c in AREA_COLUMNS.values()), Decimal("0"))
            assert parts + other_in(values[13]) == total  # adds up from what is printed
            seen += 1
        subtotals = {c[1].value: c for c in lines if str(c[2].value).endswith("小计")}
        assert set(subtotals) == set(by_street)
        for street, street_rows in by_street.items():
            assert_line_is(subtotals[street], street_rows)
        total = next(c for c in lines if c[2].value == "合计")
        assert_line_is(total, list(rows.values()))
    assert seen == LedgerRow.objects.filter(period=period).count()
    grand = table(workbook["农村社区"])[-1]
    assert grand[2].value == "城乡合计"
    assert_line_is(grand, stored_rows(period))
    assert "总面积含其他用房 249.0㎡" in grand[13].value


def test_figures_are_numbers_in_the_templates_formats(period):
    ws = book(period)["城市社区"]
    for cells in table(ws):
        assert all(c.data_type != "f" for c in cells)
        assert cells[3].number_format == "0"
        assert {cells[c].number_format for c in (4, *AREA_COLUMNS.values())} == {"0.0"}
        assert cells[11].number_format == "0.00"
        assert cells[13].alignment.wrap_text  # 备注, a 小计's included
    subtotal = next(c for c in table(ws) if str(c[2].value).endswith("小计"))
    assert subtotal[3].font.bold and subtotal[3].data_type == "n"


def test_an_open_periods_book_says_each_streets_state_and_submission_date(period):
    workbook = book(period)
    ws = workbook["城市社区"]
    assert ws["A1"].value.endswith("（未审核）")
    states = {
        s.street.name: s for s in Submission.objects.filter(period=period).select_related("street")
    }
    lines = [c for sheet in workbook for c in table(sheet) if str(c[2].value).endswith("小计")]
    assert lines
    for cells in lines:
        state = states[cells[1].value]
        remarks = cells[13].value
        if state.submitted_at is None:
            assert remarks.endswith("草稿，未上报")
        else:
            day = state.submitted_at.date()
            label = state.get_state_display()
            assert f"{label}（{day.year}年{day.month}月{day.day}日" in remarks
    latest = max(s.submitted_at for s in states.values() if s.submitted_at).date()
    assert (
        ws["K2"].value
        == f"填报日期：{latest.year}年{latest.month}月{latest.day}日（各街镇最晚上报日期）"
    )


def test_a_street_book_states_its_own_state_in_its_total(period):
    tiansheng = region(TIANSHENG)
    Submission.objects.filter(period=period, street=tiansheng).update(
        state=Submission.State.RETURNED, submitted_at=moment(28)
    )
    ws = book(period, tiansheng)["城市社区"]
    total = table(ws)[-1]
    assert total[2].value == "合计" and total[13].value.endswith("退回（2026年4月28日上报）")
    assert ws["K2"].value == "填报日期：2026年4月28日"
    Submission.objects.filter(period=period, street=tiansheng).update(state="draft")
    ws = book(period, tiansheng)["城市社区"]
    assert ws["K2"].value == "填报日期：未上报"  # a reopened draft: no date dates its figures
    assert table(ws)[-1][13].value.endswith("草稿（2026年4月28日上报后重新打开）")


def test_an_approved_book_has_no_states_and_no_mark(beibei):
    period = open_period("2026H1")
    approve_street(period, TIANSHENG, households=1000, service_center="400.0")
    from shequ.ledger.periods import period_close

    period_close(scope=operator_scope(), period=period)
    ws = book(period.__class__.objects.get(pk=period.pk), region(TIANSHENG))["城市社区"]
    assert not ws["A1"].value.endswith("（未审核）")
    assert table(ws)[-1][13].value == "共10个，达标10个，达标率100.0%"


def test_headers_are_broken_at_word_boundaries_and_every_line_fits(period):
    ws = book(period)["城市社区"]
    for column, text in SINGLE_COLUMNS:
        assert ws.cell(row=3, column=column + 1).value == text
    for column, text in enumerate(FACILITY_HEADERS, start=5):
        assert ws.cell(row=4, column=column + 1).value == text
    for column, text in [*SINGLE_COLUMNS, *enumerate(FACILITY_HEADERS, start=5)]:
        assert "".join(text.split("\n")) in {
            "序号",
            "所在街道（乡镇）",
            "社区名称",
            "辖区户籍人口总户数（户）",
            "综合服务设施总建筑面积（㎡）",
            "每百户居民拥有综合服务设施面积（㎡）",
            "达标年度",
            "备注",
            "便民服务中心",
            "警务室",
            "日间照料中心（养老服务站）",
            "卫生服务站",
            "文化活动室",
            "菜店（平价超市）",
        }
        # Each line fits its column: the cell never breaks it again (便民服务中｜心).
        assert all(text_width(line) <= WIDTHS[column] for line in text.split("\n"))
    assert text_width("计划2027") <= WIDTHS[12]  # a planned year fits 达标年度


def test_the_book_writes_one_unit_spelling(period):
    workbook = book(period)
    texts = [
        str(cell.value)
        for ws in workbook
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert not [t for t in texts if "m²" in t or "m2" in t or "平方米" in t]
    assert any("㎡" in t for t in texts)


def test_notes_say_what_the_totals_include(period):
    ws = book(period)["城市社区"]
    notes = [c.value for c in ws["A"] if isinstance(c.value, str) and c.value[:1] in "说234"]
    assert notes[-1].startswith("4.综合服务设施总建筑面积为“其中”所列六类设施与其他用房面积之和")
    assert "不低于30㎡为达标" in notes[-1]


# ---------------------------------------------------------------- 达标年度 on crafted histories


def set_rows(period, values: dict[str, dict]) -> None:
    rows = {r.community.code: r for r in stored_rows(period, community__code__in=values)}
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(rows[code], v) for code, v in values.items()],
        reason="测试",
        action="ledger.test",
    )


GOOD = {"households": 1000, "service_center": "400.0"}  # 40 m² per 100 households
SHORT = {"households": 1000, "service_center": "250.0"}  # 25
AT_13_65 = {"households": 2000, "service_center": "273.0"}  # 13.65


def street_period(code: str, ledger: dict[str, dict], approved: bool):
    period = open_period(code)
    fill_street(period, TIANSHENG, **SHORT)
    set_rows(period, ledger)
    if approved:  # the workflow is tested elsewhere: the street's ledger simply is approved
        Submission.objects.filter(period=period, street__code=TIANSHENG).update(
            state=Submission.State.APPROVED, submitted_at=moment(20)
        )
    return period


def open_plan(period, code: str, target_year: int) -> None:
    community = region(code)
    Plan.objects.create(
        community=community,
        street=community.parent,
        state=Plan.State.IMPLEMENTING,
        target_year=target_year,
        gap_m2=Decimal("50.0"),
        gap_period=period,
    )


@pytest.fixture
def histories(beibei):
    """天生街道's first seven communities, approved in 2024H1 and 2025H1, now (2026H1, open):
    A compliant since 2024; B since 2025; C compliant in 2024, short since, plan for 2027;
    D at 13.65 m² per 100 households with a plan for 2020 (issue 23's case); E short, 2023
    stated by the street; F compliant only in the unapproved period; G short, no plan."""
    codes = list(
        Region.objects.active()
        .communities()
        .filter(parent__code=TIANSHENG)
        .order_by("code")
        .values_list("code", flat=True)[:7]
    )
    a, b, c, d, e, f, g = codes
    street_period("2024H1", {a: GOOD, b: SHORT, c: GOOD, d: SHORT}, approved=True)
    street_period("2025H1", {a: GOOD, b: GOOD, c: SHORT, d: SHORT}, approved=True)
    now = street_period(
        "2026H1",
        {a: GOOD, b: GOOD, c: SHORT, d: AT_13_65, e: {**SHORT, "compliance_year": 2023}, f: GOOD},
        approved=False,
    )
    open_plan(now, c, 2027)
    open_plan(now, d, 2020)
    open_plan(now, e, 2028)
    expected = {a: 2024, b: 2025, c: "计划2027", d: "计划2020", e: 2023, f: None, g: None}
    return now, expected


def test_compliance_year_is_stated_or_achieved_else_a_marked_plan_year(histories):
    """In .xlsx, in .csv and on the community's page alike."""
    period, expected = histories
    names = {region(code).name: code for code in expected}
    ws = book(period, region(TIANSHENG))["城市社区"]
    in_book = {
        names[cells[2].value]: cells[12].value for cells in table(ws) if cells[2].value in names
    }
    assert in_book == expected
    stream = io.StringIO()
    write_csv(scope=operator_scope(), period=period, street=region(TIANSHENG), stream=stream)
    records = list(csv.DictReader(io.StringIO(stream.getvalue().lstrip("\ufeff"))))
    in_csv = {
        r["社区代码"].strip(): r["达标年度"] for r in records if r["社区代码"].strip() in expected
    }
    assert in_csv == {code: "" if y is None else str(y) for code, y in expected.items()}
    for code, year in expected.items():
        community = region(code)
        history = community_history(community, open_plan_target_years([community.pk]))
        shown = next(h for h in history if h.period == period).compliance_year
        assert str(shown) == ("" if year is None else str(year))


def test_the_13_65_community_reads_as_planned_on_its_page(histories, login, district_admin):
    _period, expected = histories
    code = next(c for c, y in expected.items() if y == "计划2020")
    page = login(district_admin).get(reverse("community_page", args=[code])).content.decode()
    periods = page[page.index('data-testid="periods"') :]
    periods = periods[: periods.index("</table>")]
    # The periods' table shows the plan's year as planned, never as a bare year; the plan's
    # own table above names 2020 as its 目标年度.
    assert "计划2020" in periods and not re.search(r">\s*2020\s*<", periods)


# ---------------------------------------------------------------- the CSV


def exported_csv(period, street=None) -> str:
    stream = io.StringIO()
    write_csv(scope=operator_scope(), period=period, street=street, stream=stream)
    return stream.getvalue()


def test_the_csv_has_chinese_headers_in_the_contracts_order_and_codes_as_text(period):
    text = exported_csv(period)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [label for _name, label in COLUMNS]
    assert rows[0][:6] == [
        "报告期",
        "街镇代码",
        "所在街道（乡镇）",
        "社区代码",
        "社区名称",
        "城乡类别",
    ]
    assert len(rows[0]) == 26 and len(set(rows[0])) == 26  # as before: order and number
    codes = dict(
        LedgerRow.objects.filter(period=period).values_list("community__name", "community__code")
    )
    for row in rows[1:]:
        # A tab before each code keeps it text in Excel and WPS; a reader that trims
        # whitespace (and the importer) reads the code itself.
        assert row[1].startswith("\t") and row[3].startswith("\t")
        assert row[3].strip() == codes[row[4]] and row[1].strip().isdigit()
    assert len(rows) - 1 == len(codes)


def import_plan(period, content: bytes, name: str):
    sheets = read_sheets(content, name)
    return plan_import(scope=operator_scope(), period=period, sheets=sheets, filename=name)


def assert_reads_back_unchanged(plan, count: int) -> None:
    assert not plan.errors.listed, plan.errors.listed[:3]
    assert len(plan.rows) == count
    assert {p.status for p in plan.rows} == {"unchanged"}


def test_the_csv_and_the_book_import_back_unchanged(period):
    count = LedgerRow.objects.filter(period=period).count()
    assert_reads_back_unchanged(import_plan(period, exported_csv(period).encode(), "a.csv"), count)
    buffer = io.BytesIO()
    write_xlsx(ledger_workbook(scope=operator_scope(), period=period), buffer)
    plan = import_plan(period, buffer.getvalue(), "a.xlsx")
    assert_reads_back_unchanged(plan, count)
    # The 城乡合计 is checked against both sheets' rows, and agrees.
    assert not [w for w in plan.warnings.listed if "合计" in w.message]


def earlier_format(text: str) -> str:
    """The CSV as versions before issue 23 wrote it: `period（报告期）` headers, bare codes."""
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"{name}（{label}）" for name, label in COLUMNS])
    for row in lines[1:]:
        writer.writerow([cell.lstrip("\t") for cell in row])
    return out.getvalue()


def test_a_csv_of_an_earlier_version_still_imports(period):
    old = earlier_format(exported_csv(period))
    assert old.splitlines()[0].startswith("\ufeffperiod（报告期）,street_code（街镇代码）")
    assert "\t" not in old
    count = LedgerRow.objects.filter(period=period).count()
    assert_reads_back_unchanged(import_plan(period, old.encode(), "old.csv"), count)
