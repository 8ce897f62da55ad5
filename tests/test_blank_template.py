"""The blank import template: the official layout listing the period's communities with
every figure blank; filled in, it imports cleanly; scoped on the page and the CLI."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from shequ.accounts.scope import operator_scope
from shequ.core.actors import Actor
from shequ.core.periods import PeriodCode
from shequ.ledger.blank_template import blank_workbook, write_blank_csv
from shequ.ledger.importing.files import read_sheets
from shequ.ledger.ledger_csv import csv_header
from shequ.ledger.models import LedgerRow
from shequ.ledger.workbook_xlsx import write_xlsx
from shequ.regions import changes
from shequ.regions.levels import UrbanRural
from shequ.workflow.ledger_files import ledger_workbook, plan_import

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region
from .ledger_helpers import fill_street, open_period

FIRST_DATA_ROW = 5  # under the title, 填报单位 and the two header rows
FIGURES = "DEFGHIJKLM"  # 户数 … 达标年度


@pytest.fixture
def period(beibei):
    return open_period("2026H2")


def template(period, street_code: str | None = CHENGJIANG) -> openpyxl.Workbook:
    street = region(street_code) if street_code else None
    buffer = io.BytesIO()
    write_xlsx(blank_workbook(scope=operator_scope(), period=period, street=street), buffer)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def exported(period, street_code: str = CHENGJIANG) -> openpyxl.Workbook:
    buffer = io.BytesIO()
    data = ledger_workbook(scope=operator_scope(), period=period, street=region(street_code))
    write_xlsx(data, buffer)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def table(ws) -> list[tuple]:
    """The sheet's table rows (community, 小计, 合计), A … N, down to the 说明."""
    rows = []
    for values in ws.iter_rows(min_row=FIRST_DATA_ROW, max_col=14, values_only=True):
        if (isinstance(values[0], str) and values[0].startswith("说明")) or not any(values):
            break
        rows.append(values)
    return rows


def no_remarks(rows: list[tuple]) -> bool:
    return all(r[13] in (None, "") for r in rows)


def period_communities(period, street_code: str, klass: str) -> list[str]:
    rows = LedgerRow.objects.filter(
        period=period, street__code=street_code, community__urban_rural_class=klass
    ).order_by("community__code")
    return [row.community.name for row in rows]


def test_the_template_is_the_official_layout_with_the_communities_and_no_figures(period):
    fill_street(period, CHENGJIANG)  # figures in the ledger must not leak into the template
    blank, official = template(period), exported(period)
    assert blank.sheetnames == official.sheetnames == ["城市社区", "农村社区"]
    for name in blank.sheetnames:
        ws, model = blank[name], official[name]
        assert ws["A1"].value == "重庆市北碚区城乡社区综合服务设施统计台帐"
        assert ws["A2"].value == "填报单位：澄江镇（盖章）"
        assert ws["K2"].value == "填报日期：　　　　年　　月　　日"
        for header in (3, 4):
            assert [c.value for c in ws[header]] == [c.value for c in model[header]]
        assert {str(r) for r in ws.merged_cells.ranges} == {
            str(r) for r in model.merged_cells.ranges
        }
        assert [ws.column_dimensions[c].width for c in "ABCDEFGHIJKLMN"] == [
            model.column_dimensions[c].width for c in "ABCDEFGHIJKLMN"
        ]
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        rows, model_rows = table(ws), table(model)
        assert [r[:3] for r in rows] == [r[:3] for r in model_rows]
        assert all(value is None for r in rows for value in r[3:13]) and no_remarks(rows)
        klass = UrbanRural.URBAN if name == "城市社区" else UrbanRural.RURAL
        communities = period_communities(period, CHENGJIANG, klass)
        # The last sheet closes the book with the 城乡合计, blank too.
        closing = ["合计", "城乡合计"] if name == "农村社区" else ["合计"]
        assert [r[2] for r in rows] == [*communities, *closing]
        assert [r[0] for r in rows] == [*range(1, len(communities) + 1), *[None] * len(closing)]


def test_a_district_template_has_each_streets_block_with_a_blank_subtotal(period):
    ws = template(period, street_code=None)["城市社区"]
    rows = table(ws)
    subtotals = [r for r in rows if str(r[2]).endswith("小计")]
    assert "天生街道小计" in [r[2] for r in subtotals] and rows[-1][2] == "合计"
    assert len(subtotals) == len({r[1] for r in rows if r[0] is not None})
    assert all(value is None for r in subtotals for value in r[3:13]) and no_remarks(subtotals)
    assert ws["A2"].value == "填报单位：北碚区（盖章）"
    listed = [r[2] for r in rows if r[0] is not None]
    assert (
        len(listed)
        == LedgerRow.objects.filter(
            period=period, community__urban_rural_class=UrbanRural.URBAN
        ).count()
    )


def fill(book: openpyxl.Workbook) -> dict[str, tuple[int, Decimal, Decimal]]:
    """Types figures into every community row as a clerk would: households, the centre and
    the police room, and the total they make; returns them by community name."""
    typed = {}
    number = 0
    for ws in book.worksheets:
        for line in range(FIRST_DATA_ROW, ws.max_row + 1):
            if not isinstance(ws[f"A{line}"].value, int):
                continue
            number += 1
            households, centre, police = 900 + 10 * number, Decimal(300 + number), Decimal("20.5")
            ws[f"D{line}"] = households
            ws[f"E{line}"] = float(centre + police)
            ws[f"F{line}"] = float(centre)
            ws[f"G{line}"] = float(police)
            typed[ws[f"C{line}"].value] = (households, centre, police)
    return typed


def import_plan(book: openpyxl.Workbook, period, name="模板.xlsx"):
    buffer = io.BytesIO()
    book.save(buffer)
    sheets = read_sheets(buffer.getvalue(), name)
    return plan_import(scope=operator_scope(), period=period, sheets=sheets, filename=name)


@pytest.mark.parametrize("street_code", [CHENGJIANG, None], ids=["street", "district"])
def test_the_template_filled_in_imports_every_row_with_no_problem(period, street_code):
    book = template(period, street_code)
    typed = fill(book)
    plan = import_plan(book, period)
    assert not plan.errors and not plan.warnings  # nothing from the title, sums or notes
    expected = LedgerRow.objects.filter(period=period)
    if street_code:
        expected = expected.filter(street__code=street_code)
    assert len(plan.rows) == expected.count() == len(typed)
    for planned in plan.rows:
        households, centre, police = typed[planned.source.cells["community"]]
        assert planned.status == "new"
        assert planned.values["households"] == households
        assert planned.values["service_center"] == centre
        assert planned.values["police_room"] == police
        assert planned.values["day_care"] is None and planned.values["grocery"] is None
        assert planned.derived.total_area == centre + police


def test_the_template_lists_the_communities_and_names_of_its_period(period):
    """A rename and a new community from 2027H1 on leave 2026H2's template as it was; the
    2027H1 template has both, and each imports into its own period."""
    effective = PeriodCode.parse("2027H1")
    actor = Actor.command_line()
    changes.region_rename(
        actor=actor, region=region(XINXINGLU), name="新星社区居民委员会", effective=effective
    )
    changes.region_create(
        actor=actor,
        parent=region(TIANSHENG),
        code="500109001099",
        name="缙云新城社区居民委员会",
        effective=effective,
    )
    later = open_period("2027H1")
    before, after = template(period, TIANSHENG), template(later, TIANSHENG)
    names_before = [r[2] for r in table(before["城市社区"])]
    names_after = [r[2] for r in table(after["城市社区"])]
    assert "新星路社区居民委员会" in names_before and "新星社区居民委员会" not in names_before
    assert "缙云新城社区居民委员会" not in names_before
    assert {"新星社区居民委员会", "缙云新城社区居民委员会"} <= set(names_after)
    for book, chosen in ((before, period), (after, later)):
        fill(book)
        plan = import_plan(book, chosen)
        assert not plan.errors, plan.errors.listed[:3]
        assert (
            len(plan.rows)
            == LedgerRow.objects.filter(period=chosen, street__code=TIANSHENG).count()
        )


def test_the_blank_csv_lists_the_communities_under_the_exports_header(period):
    stream = io.StringIO()
    count = write_blank_csv(
        scope=operator_scope(), period=period, street=region(TIANSHENG), stream=stream
    )
    rows = list(csv.reader(io.StringIO(stream.getvalue().lstrip("\ufeff"))))
    assert rows[0] == csv_header()
    expected = LedgerRow.objects.filter(period=period, street__code=TIANSHENG)
    assert count == len(rows) - 1 == expected.count()
    codes = sorted(expected.values_list("community__code", flat=True))
    assert [r[3] for r in rows[1:]] == ["\t" + code for code in codes]  # kept as text
    assert all(
        r[:3] == ["2026H2", "\t" + TIANSHENG, "天生街道"] and r[5] == "城市社区" for r in rows[1:]
    )
    assert all(value == "" for r in rows[1:] for value in r[6:])


def run_export(*args) -> str:
    out = io.StringIO()
    call_command("export-ledger", "--period", "2026H2", "--blank", *args, stdout=out)
    return out.getvalue()


def test_the_command_line_writes_the_template_of_a_street(period, tmp_path):
    path = tmp_path / "天生街道模板.xlsx"
    said = run_export("--street", "天生街道", "-o", str(path))
    count = LedgerRow.objects.filter(period=period, street__code=TIANSHENG).count()
    assert f"已生成天生街道2026年下半年空白导入模板（{count} 个社区/村）到 {path}" in said
    book = openpyxl.load_workbook(path)
    rows = table(book["城市社区"])
    assert len([r for r in rows if r[0] is not None]) == count
    assert all(value is None for r in rows for value in r[3:13]) and no_remarks(rows)


def test_the_command_line_without_a_street_covers_the_callers_node(
    period, tmp_path, tiansheng_editor
):
    path = tmp_path / "tiansheng.xlsx"
    said = run_export("--as", "tiansheng-editor", "-o", str(path))
    count = LedgerRow.objects.filter(period=period, street__code=TIANSHENG).count()
    assert f"（{count} 个社区/村）" in said
    streets = {r[1] for r in table(openpyxl.load_workbook(path)["城市社区"]) if r[0]}
    assert streets == {"天生街道"}


def test_the_command_line_writes_a_blank_csv(period, tmp_path):
    path = tmp_path / "模板.csv"
    said = run_export("--street", TIANSHENG, "--format", "csv", "-o", str(path))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0] == csv_header() and len(rows) > 1
    assert f"（{len(rows) - 1} 个社区/村）" in said


def get_template(client, street: str = ""):
    url = reverse("ledger_import_template", args=["2026H2"])
    return client.get(url, {"street": street} if street else {})


def test_a_street_editor_downloads_the_template_of_their_street(login, tiansheng_editor, period):
    response = get_template(login(tiansheng_editor))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book["城市社区"]["A2"].value == "填报单位：天生街道（盖章）"
    listed = [r[2] for r in table(book["城市社区"]) if r[0] is not None]
    assert listed == period_communities(period, TIANSHENG, UrbanRural.URBAN)


def test_another_streets_template_is_not_found(login, chengjiang_editor, tiansheng_editor, period):
    assert get_template(login(chengjiang_editor), TIANSHENG).status_code == 404
    assert get_template(login(tiansheng_editor), CHENGJIANG).status_code == 404
    assert get_template(login(tiansheng_editor), "999999999").status_code == 404


def test_a_district_admin_picks_any_street(login, district_admin, period):
    response = get_template(login(district_admin), CHENGJIANG)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book["农村社区"]["A2"].value == "填报单位：澄江镇（盖章）"


def test_viewers_and_users_without_a_node_get_no_template(login, district_viewer, outsider, period):
    assert get_template(login(district_viewer), TIANSHENG).status_code == 403
    assert get_template(login(outsider), TIANSHENG).status_code == 403


def test_the_import_page_offers_the_template(login, district_admin, tiansheng_editor, period):
    street_page = login(tiansheng_editor).get(reverse("ledger_import", args=["2026H2"]))
    body = street_page.content.decode()
    assert "下载空白导入模板" in body
    assert reverse("ledger_import_template", args=["2026H2"]) in body
    district_page = login(district_admin).get(reverse("ledger_import", args=["2026H2"]))
    body = district_page.content.decode()
    assert 'id="template-street"' in body and f'value="{CHENGJIANG}"' in body


def test_the_blank_csv_filled_in_imports_every_row(period):
    stream = io.StringIO()
    write_blank_csv(scope=operator_scope(), period=period, street=region(TIANSHENG), stream=stream)
    rows = list(csv.reader(io.StringIO(stream.getvalue().lstrip("\ufeff"))))
    header = rows[0]
    households = header.index("辖区户籍人口总户数")
    centre = header.index("便民服务中心")
    for number, row in enumerate(rows[1:], start=1):
        row[households], row[centre] = str(1000 + number), "250.5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    sheets = read_sheets(out.getvalue().encode("utf-8-sig"), "模板.csv")
    plan = plan_import(scope=operator_scope(), period=period, sheets=sheets, filename="模板.csv")
    assert not plan.errors and not plan.warnings
    assert len(plan.rows) == len(rows) - 1
    assert sorted(p.values["households"] for p in plan.rows) == list(
        range(1001, 1001 + len(plan.rows))
    )
    assert {p.values["service_center"] for p in plan.rows} == {Decimal("250.5")}


def test_a_community_editor_gets_only_their_own_row(login, xinxinglu_editor, period):
    response = get_template(login(xinxinglu_editor))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    listed = [r[2] for sheet in book.worksheets for r in table(sheet) if r[0] is not None]
    assert listed == [region(XINXINGLU).name]
    assert get_template(login(xinxinglu_editor), TIANSHENG).status_code == 404
