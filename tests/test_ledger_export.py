"""The official workbook and the CSV, read back with openpyxl / csv and checked cell by cell."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from shequ.accounts.scope import operator_scope
from shequ.ledger.export import remarks_for
from shequ.ledger.ledger_csv import COLUMNS
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.workbook_xlsx import write_xlsx
from shequ.regions.models import Region
from shequ.workflow.ledger_files import ledger_workbook

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU
from .ledger_helpers import fill_street, open_period

TITLE = "重庆市北碚区城乡社区综合服务设施统计台帐"
SUBMITTED = datetime.datetime(2024, 10, 26, 9, 30, tzinfo=datetime.UTC)
# The notice's wording, broken at word boundaries by the cells' own line breaks.
HEADER = [
    "序号",
    "所在街道\n（乡镇）",
    "社区名称",
    "辖区\n户籍人口\n总户数\n（户）",
    "综合服务\n设施\n总建筑面积\n（㎡）",
    "其中",
    None,
    None,
    None,
    None,
    None,
    "每百户居民\n拥有综合\n服务设施\n面积（㎡）",
    "达标\n年度",
    "备注",
]
SUB_HEADER = [
    "便民服务\n中心",
    "警务室",
    "日间照料\n中心\n（养老\n服务站）",
    "卫生\n服务站",
    "文化\n活动室",
    "菜店\n（平价\n超市）",
]


@pytest.fixture
def period(beibei):
    period = open_period("2024H2")
    for street in Region.objects.filter(level="street").exclude(code__in=[TIANSHENG, CHENGJIANG]):
        fill_street(period, street.code)
    fill_street(period, CHENGJIANG, households=1000, service_center="320.0")
    fill_street(period, TIANSHENG, households=2000, service_center="500.0")
    # The workflow is tested elsewhere: here every street simply counts as approved, 天生街道
    # the last to submit.
    Submission.objects.filter(period=period).update(
        state=Submission.State.APPROVED, submitted_at=SUBMITTED
    )
    Submission.objects.filter(period=period, street__code=TIANSHENG).update(
        submitted_at=SUBMITTED + datetime.timedelta(days=2)
    )
    xinxing = LedgerRow.objects.get(period=period, community__code=XINXINGLU)
    LedgerRow.objects.filter(pk=xinxing.pk).update(
        police_room_in_center=True,
        health_station_in_center=True,
        culture_room=Decimal("60.0"),
        other=Decimal("12.5"),
        total_area=Decimal("572.5"),
        remarks="=1+1",
    )
    return period


def export(period, street=None) -> openpyxl.Workbook:
    buffer = io.BytesIO()
    write_xlsx(ledger_workbook(scope=operator_scope(), period=period, street=street), buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def values(ws, row: int) -> list:
    return [ws.cell(row=row, column=c).value for c in range(1, 15)]


def data_rows(ws) -> list[list]:
    rows, row = [], 5
    while ws.cell(row=row, column=3).value != "合计":
        rows.append(values(ws, row))
        row += 1
    return rows


def test_the_title_unit_and_two_row_header_follow_the_template(period):
    ws = export(period)["城市社区"]
    assert ws["A1"].value == TITLE
    assert ws["A2"].value == "填报单位：北碚区（盖章）"
    assert ws["F2"].value == "报告期：2024年下半年　城市社区"
    # The latest of the streets' submission dates (天生街道's), and the book says so.
    assert ws["K2"].value == "填报日期：2024年10月28日（各街镇最晚上报日期）"
    assert values(ws, 3) == HEADER
    assert values(ws, 4)[5:11] == SUB_HEADER
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {
        "A1:N1",
        "A2:E2",
        "F2:J2",
        "K2:N2",
        "A3:A4",
        "B3:B4",
        "C3:C4",
        "D3:D4",
        "E3:E4",
        "F3:K3",
        "L3:L4",
        "M3:M4",
        "N3:N4",
    } <= merged


def test_both_sheets_exist_and_split_urban_from_rural(period):
    book = export(period)
    assert book.sheetnames == ["城市社区", "农村社区"]
    urban = {r[2] for r in data_rows(book["城市社区"]) if r[0]}
    rural = {r[2] for r in data_rows(book["农村社区"]) if r[0]}
    assert "新星路社区居民委员会" in urban and "运河村村民委员会" in rural
    assert not urban & rural
    assert len(urban) + len(rural) == 192


def test_every_figure_is_a_value_matching_the_rows(period):
    ws = export(period, street=None)["城市社区"]
    rows = {r[2]: r for r in data_rows(ws) if r[0]}
    xinxing = rows["新星路社区居民委员会"]
    assert xinxing[:5] == [1, "天生街道", "新星路社区居民委员会", 2000, 572.5]
    assert xinxing[5:11] == [500.0, None, None, None, 60.0, None]
    assert xinxing[11] == 28.63  # 572.5 ÷ 2000 × 100, two decimals
    assert xinxing[13] == "=1+1；警务室、卫生服务站设在便民服务中心；其他用房 12.5㎡"
    assert ws["N5"].data_type == "s"  # typed text never becomes a formula
    for row in ws.iter_rows(min_row=5):
        assert all(cell.data_type != "f" for cell in row)


def test_district_exports_have_street_subtotals_and_a_closing_total(period):
    ws = export(period)["城市社区"]
    lines = data_rows(ws)
    subtotal = next(r for r in lines if r[2] == "天生街道小计")
    tiansheng = [r for r in lines if r[1] == "天生街道" and r[0]]
    assert subtotal[0] is None and subtotal[3] == sum(r[3] for r in tiansheng)
    assert subtotal[4] == pytest.approx(sum(r[4] for r in tiansheng))
    total_row = len(lines) + 5
    total = values(ws, total_row)
    communities = [r for r in lines if r[0]]
    assert total[2] == "合计" and total[3] == sum(r[3] for r in communities)
    assert total[4] == pytest.approx(sum(r[4] for r in communities))
    assert total[11] == round(total[4] / total[3] * 100, 2)


def test_a_street_export_has_no_subtotals_but_closes_with_the_total(period):
    book = export(period, street=Region.objects.get(code=TIANSHENG))
    ws = book["城市社区"]
    assert ws["A2"].value == "填报单位：天生街道（盖章）"
    assert ws["K2"].value == "填报日期：2024年10月28日"  # its own submission's date
    lines = data_rows(ws)
    assert len(lines) == 10 and not any("小计" in str(r[2]) for r in lines)
    assert values(ws, 15)[2] == "合计"
    assert book.sheetnames == ["城市社区"]  # no villages: no empty 农村社区 sheet
    texts = [c.value for c in ws["A"] if c.value]
    assert "5.本台账没有农村社区，只有城市社区表。" in texts


def test_notes_and_sign_off_lines_follow_the_table(period):
    ws = export(period)["城市社区"]
    texts = [c.value for c in ws["A"] if c.value]
    assert any(str(t).startswith("说明：1.本台账按城市社区和农村社区分别填写") for t in texts)
    assert any(str(t).startswith("2.警务室、日间照料中心（养老服务站）") for t in texts)
    assert any(str(t).startswith("3.菜店（平价超市）是指政府投入建设") for t in texts)
    assert "填表人：" in texts
    row = next(c.row for c in ws["A"] if c.value == "填表人：")
    signed = [c.value for c in ws[row] if c.value]
    assert signed == ["填表人：", "审核人：", "联系电话："]


def test_print_settings_are_a4_landscape_repeated_header_fit_to_width(period):
    ws = export(period)["城市社区"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$3:$4"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # openpyxl leaves fitToWidth unset when it is the default, 1 page wide; the height is
    # more pages than the sheet has rows, so that it never binds (ADR 0042).
    assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight >= ws.max_row
    assert ws["A5"].font.name == "宋体"
    assert ws["A5"].border.left.style == "thin"


def test_unapproved_values_are_marked_in_the_title_line_only(beibei):
    period = open_period("2025H1")
    fill_street(period, TIANSHENG, households=1500, service_center="480.0")
    ws = export(period)["城市社区"]
    assert ws["A1"].value == TITLE + "（未审核）"
    assert all("未审核" not in str(v) for r in data_rows(ws) for v in r)


def test_text_that_looks_like_a_formula_stays_text(period):
    row = LedgerRow.objects.select_related("period", "community", "street").get(
        period=period, community__code="500109001033"
    )
    LedgerRow.objects.filter(pk=row.pk).update(remarks="@SUM(A1:A9)")
    ws = export(period)["城市社区"]
    cell = next(c for c in ws["N"] if c.value and "SUM" in str(c.value))
    assert cell.value == "@SUM(A1:A9)" and cell.data_type == "s"


def test_remarks_combine_the_streets_text_co_location_and_other_space(period):
    row = LedgerRow.objects.get(period=period, community__code=XINXINGLU)
    assert remarks_for(row) == "=1+1；警务室、卫生服务站设在便民服务中心；其他用房 12.5㎡"


def test_the_csv_has_a_bom_chinese_headers_and_safe_text(period, tmp_path):
    path = tmp_path / "ledger.csv"
    call_command(
        "export-ledger",
        "--period",
        "2024H2",
        "--format",
        "csv",
        "-o",
        str(path),
        stdout=io.StringIO(),
    )
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["报告期", "街镇代码", "所在街道（乡镇）"]
    assert "辖区户籍人口总户数" in rows[0]
    assert len(rows) == 193
    xinxing = dict(zip([name for name, _label in COLUMNS], rows[1], strict=True))
    assert xinxing["community_code"] == "\t" + XINXINGLU
    assert xinxing["households"] == "2000" and xinxing["other"] == "12.5"
    assert xinxing["remarks"] == "'=1+1"
    assert xinxing["police_room_in_center"] == "是" and xinxing["approved"] == "是"


def test_the_command_writes_the_workbook(period, tmp_path):
    out = io.StringIO()
    path = tmp_path / "tiansheng.xlsx"
    call_command(
        "export-ledger", "--period", "2024H2", "--street", "天生街道", "-o", str(path), stdout=out
    )
    assert "已导出天生街道2024年下半年台账 10 个社区/村" in out.getvalue()
    assert openpyxl.load_workbook(path)["城市社区"]["A2"].value == "填报单位：天生街道（盖章）"


def test_a_street_user_cannot_export_another_street_from_the_command_line(
    period, tiansheng_editor, tmp_path
):
    with pytest.raises(CommandError, match="找不到街镇“澄江镇”"):
        call_command(
            "export-ledger",
            "--period",
            "2024H2",
            "--street",
            "澄江镇",
            "--as",
            "tiansheng-editor",
            "-o",
            str(tmp_path / "x.xlsx"),
        )


def test_the_download_buttons_serve_the_workbook_within_scope(login, tiansheng_editor, period):
    client = login(tiansheng_editor)
    url = reverse("ledger_xlsx", args=["2024H2"])
    response = client.get(url, {"street": TIANSHENG})
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    names = {c.value for c in book["城市社区"]["C"] if c.value}
    assert "新星路社区居民委员会" in names and "运河社区居民委员会" not in names
    assert client.get(url, {"street": CHENGJIANG}).status_code == 404
    own = openpyxl.load_workbook(io.BytesIO(client.get(url).content))  # no street: its own rows
    assert "运河社区居民委员会" not in {c.value for c in own["城市社区"]["C"] if c.value}


def test_the_csv_download_is_scoped_too(login, xinxinglu_editor, period):
    body = login(xinxinglu_editor).get(reverse("ledger_csv", args=["2024H2"])).content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][3] == "\t" + XINXINGLU
