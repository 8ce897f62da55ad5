"""Every row of an imported file accounted for: imported, or skipped with a reason the user
sees; a row with a community and figures never vanishes, and a header that cannot be told
from data is an error."""

import csv
import io
from collections import defaultdict

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.ledger.importing.files import RawSheet
from shequ.ledger.importing.layout import find_layout
from shequ.ledger.importing.report import plan_document
from shequ.ledger.models import LedgerRow
from shequ.workflow.ledger_files import plan_import

from . import import_fixtures
from .conftest import CHENGJIANG
from .import_fixtures import CONTRACT_KEYS, messy_chengjiang, xlsx
from .ledger_helpers import fill_street, open_period

# 歇马街道's twenty communities and villages, as a street clerk writes them.
XIEMA = (
    "华伟社区",
    "解放台社区",
    "红岩社区",
    "小磨滩社区",
    "状元碑社区",
    "三元溪社区",
    "欣和社区",
    "歇马社区",
    "紫云台社区",
    "缙云新居社区",
    "永远村",
    "虎头村",
    "农荣村",
    "东风村",
    "卫星村",
    "小湾村",
    "石盘村",
    "天马村",
    "文凤村",
    "人和村",
)
HEADER = [
    "序号",
    "所在街道（乡镇）",
    "社区名称",
    "辖区户籍人口总户数（户）",
    "综合服务设施总建筑面积（平方米）",
    "便民服务中心",
    "警务室",
    "日间照料中心（养老服务站）",
    "卫生服务站",
    "文化活动室",
    "菜店（平价超市）",
    "每百户居民拥有综合服务设施面积（平方米）",
    "达标年度",
    "备注",
]


@pytest.fixture
def period(beibei):
    return open_period("2026H2")


def xiema_line(number: int, name: str) -> list[str]:
    """One community's row as a CSV holds it: every cell text. Every third seats its police
    room and health station in the centre and says so in 备注 (the remark that names a
    facility, as the first community's does)."""
    households = 900 + 97 * number
    center, day_care, culture = 300 + 10 * number, 60, 80
    in_center = number % 3 == 1
    police, health = (None, None) if in_center else (20, 30)
    grocery = 40 if number % 2 else None
    parts = [center, police, day_care, health, culture, grocery]
    total = sum(part for part in parts if part)
    return [
        str(number),
        "歇马街道",
        name,
        str(households),
        f"{total:.1f}",
        *("" if part is None else str(part) for part in parts),
        f"{total / households * 100:.2f}",
        "2024" if total / households * 100 >= 30 else "",
        "警务室、卫生服务站设在便民服务中心" if in_center else "",
    ]


def xiema_csv(encoding: str, *extra: list[str]) -> bytes:
    buffer = io.StringIO()
    lines = [xiema_line(number, name) for number, name in enumerate(XIEMA, start=1)]
    csv.writer(buffer).writerows([HEADER, *lines, *extra])
    return buffer.getvalue().encode(encoding)


def run_import(tmp_path, content: bytes, *args, name="ledger.xlsx") -> tuple[int, dict]:
    return import_fixtures.run_import(tmp_path, content, "--period", "2026H2", *args, name=name)


def run_import_text(tmp_path, content: bytes, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    out = io.StringIO()
    call_command("import-ledger", str(path), "--period", "2026H2", stdout=out)  # no errors
    return out.getvalue()


def assert_every_row_accounted(document: dict) -> None:
    """The accounting rule: each sheet's rows 1 … rows_read are each either one of the
    document's rows or skipped, once; a row refused with an error carries that error's
    words as its reason."""
    imported = defaultdict(list)
    for row in document["rows"]:
        imported[row["sheet"]].append(row["row"])
    assert sum(sheet["imported"] for sheet in document["sheets"]) == len(document["rows"])
    errors = defaultdict(set)
    for error in document["errors"]:
        errors[error["sheet"]].add(error["message"])
    for sheet in document["sheets"]:
        skipped = [item["row"] for item in sheet["skipped"]]
        assert sheet["imported"] == len(imported[sheet["sheet"]])
        assert sheet["rows_read"] == sheet["imported"] + len(sheet["skipped"])
        assert sorted(imported[sheet["sheet"]] + skipped) == list(range(1, sheet["rows_read"] + 1))
        for item in sheet["skipped"]:
            assert item["reason"]
            if item["reason"].startswith("有错误："):
                assert item["reason"].removeprefix("有错误：") in errors[sheet["sheet"]]


def skipped(document: dict, sheet: str | None = None) -> list[tuple[int, str]]:
    sheets = [s for s in document["sheets"] if sheet is None or s["sheet"] == sheet]
    return [(item["row"], item["reason"]) for s in sheets for item in s["skipped"]]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_a_one_row_header_csv_of_twenty_communities_imports_all_twenty(period, tmp_path, encoding):
    code, document = run_import(tmp_path, xiema_csv(encoding), name="歇马街道台账.csv")
    assert code == 0, document["errors"]
    assert len(document["rows"]) == 20
    first = document["rows"][0]
    assert (first["row"], first["community_name"]) == (2, "华伟社区居民委员会")
    assert first["data"]["households"] == 997 and first["data"]["police_room_in_center"]
    assert [r["row"] for r in document["rows"]] == list(range(2, 22))
    assert document["sheets"] == [
        {
            "sheet": "歇马街道台账",
            "rows_read": 21,
            "imported": 20,
            "skipped": [{"row": 1, "reason": "表头"}],
        }
    ]
    assert_every_row_accounted(document)


def test_the_first_data_row_is_not_taken_for_a_second_header_row():
    rows = [HEADER, xiema_line(1, "华伟社区"), xiema_line(2, "解放台社区")]
    layout = find_layout(rows)
    assert layout.header_rows == [0] and layout.first_data_row == 1
    assert layout.columns["remarks"] == 13 and layout.columns["number"] == 0


def test_a_two_row_header_is_still_joined_when_its_second_row_names_the_facilities(
    period, tmp_path
):
    top = ["序号", "所在街道（乡镇）", "社区名称", "辖区户籍人口总户数（户）"]
    top += ["综合服务设施总建筑面积（平方米）", "其中", "", "", "备注"]
    bottom = ["", "", "", "", "", "便民服务中心", "警务室", "卫生服务站", ""]
    line = ["1", "歇马街道", "华伟社区", "1860", "480", "400", "", "80", "警务室设在便民服务中心"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([top, bottom, line])
    code, document = run_import(tmp_path, buffer.getvalue().encode("gbk"), name="两行表头.csv")
    assert code == 0, document["errors"]
    data = document["rows"][0]["data"]
    assert data["service_center"] == 400 and data["health_station"] == 80
    assert data["police_room_in_center"] is True
    assert skipped(document) == [(1, "表头"), (2, "表头")]


def test_a_row_that_could_be_header_or_data_is_an_error_naming_it(period, tmp_path):
    top = ["序号", "所在街道（乡镇）", "社区名称", "辖区户籍人口总户数（户）", "其中", "", "备注"]
    # The facilities' names typed into the first community's row, under 其中.
    mixed = ["1", "歇马街道", "华伟社区", "1860", "便民服务中心", "警务室", ""]
    line = ["2", "歇马街道", "红岩社区", "1200", "400", "20", ""]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([top, mixed, line])
    code, document = run_import(tmp_path, buffer.getvalue().encode("gbk"), name="混杂.csv")
    assert code == 1
    [error] = [e for e in document["errors"] if e["row"] == 2]
    assert error["sheet"] == "混杂" and "无法判断这一行是表头的第二行还是数据" in error["message"]
    assert [r["community_name"] for r in document["rows"]] == ["红岩社区居民委员会"]
    assert_every_row_accounted(document)


def test_a_clerks_messy_workbook_accounts_for_every_row(period, tmp_path):
    code, document = run_import(tmp_path, messy_chengjiang())
    assert code == 0, document["errors"]
    [sheet] = document["sheets"]
    assert (sheet["sheet"], sheet["rows_read"], sheet["imported"]) == ("Sheet1", 10, 3)
    assert skipped(document) == [
        (1, "标题"),
        (2, "空行"),
        (3, "表头"),
        (7, "小计"),
        (8, "合计"),
        (9, "空行"),
        (10, "签字"),
    ]
    assert_every_row_accounted(document)


@pytest.mark.parametrize("scope", ["street", "district"])
def test_the_systems_own_workbook_accounts_for_every_row(period, tmp_path, scope):
    from shequ.ledger.workbook_xlsx import write_xlsx
    from shequ.workflow.ledger_files import ledger_workbook

    streets = {row.street for row in LedgerRow.objects.filter(period=period)}
    for street in streets:
        fill_street(period, street.code)
    chengjiang = next(street for street in streets if street.code == CHENGJIANG)
    buffer = io.BytesIO()
    street = chengjiang if scope == "street" else None
    write_xlsx(ledger_workbook(scope=operator_scope(), period=period, street=street), buffer)
    code, document = run_import(tmp_path, buffer.getvalue())
    assert code == 0, document["errors"]
    assert len(document["rows"]) == (13 if scope == "street" else 192)
    assert_every_row_accounted(document)
    reasons = {reason for _, reason in skipped(document)}
    assert reasons == {"标题", "表头", "合计", "空行", "说明", "签字"} | (
        {"小计"} if scope == "district" else set()
    )


def test_a_community_with_figures_after_the_notes_is_an_error_not_dropped(period, tmp_path):
    notes = [
        ["说明：1.本台账按城市社区和农村社区分别填写。"],
        ["2.警务室设在便民服务中心的，不再重复填写面积。"],
        ["21", "歇马街道", "龙凤溪社区", "1500", "400", "400"],  # not in the table: below it
        ["填表人：王芳", "", "审核人：", "", "联系电话：68863321"],
    ]
    code, document = run_import(tmp_path, xiema_csv("gbk", *notes), name="歇马街道台账.csv")
    assert code == 1
    [error] = document["errors"]
    assert (error["sheet"], error["row"], error["column"]) == ("歇马街道台账", 24, "C")
    assert error["message"] == (
        "在“说明”之后，却有社区“龙凤溪社区”和数字：请把这一行移到表格中，或删除"
    )
    assert len(document["rows"]) == 20
    assert skipped(document)[1:] == [
        (22, "说明"),
        (23, "说明"),
        (24, "有错误：" + error["message"]),
        (25, "签字"),
    ]
    assert_every_row_accounted(document)


def test_a_sheet_without_a_header_but_with_community_rows_is_an_error(period, tmp_path):
    good = [HEADER, xiema_line(1, "华伟社区")]
    headless = [
        ["歇马街道农村社区综合服务设施台账"],
        ["1", "歇马街道", "永远村", "860", "300"],
        ["2", "歇马街道", "虎头村", "720", "260"],
    ]
    content = xlsx({"城市社区": good, "农村社区": headless})
    code, document = run_import(tmp_path, content)
    assert code == 1
    [error] = document["errors"]
    assert (error["sheet"], error["row"]) == ("农村社区", 2)
    assert error["message"].startswith("找不到表头：第2行等 2 行有社区名称和数字")
    assert skipped(document, "农村社区") == [
        (1, "工作表中找不到表头"),
        (2, "有错误：" + error["message"]),
        (3, "有错误：" + error["message"]),
    ]
    assert_every_row_accounted(document)


def test_a_sheet_of_notes_without_a_header_is_skipped_row_by_row(period, tmp_path):
    content = xlsx(
        {"台账": [HEADER, xiema_line(1, "华伟社区")], "填报说明": [["请按台账填写"], [], ["谢谢"]]}
    )
    code, document = run_import(tmp_path, content)
    assert code == 0, document["errors"]
    assert skipped(document, "填报说明") == [
        (1, "工作表中找不到表头"),
        (2, "空行"),
        (3, "工作表中找不到表头"),
    ]
    assert_every_row_accounted(document)


def test_community_rows_above_the_header_are_an_error(period, tmp_path):
    title = ["歇马街道城乡社区综合服务设施统计台账", "", "", "2026年"]  # a year is no figure here
    above = ["1", "歇马街道", "华伟社区", "1860", "480"]
    content = xlsx({"台账": [title, above, HEADER, xiema_line(2, "红岩社区")]})
    code, document = run_import(tmp_path, content)
    assert code == 1
    [error] = document["errors"]
    assert error["row"] == 2 and error["message"].startswith("在表头之前，却有社区名称和数字")
    assert skipped(document) == [(1, "标题"), (2, "有错误：" + error["message"]), (3, "表头")]
    assert_every_row_accounted(document)


def test_rows_without_a_community_are_skipped_or_refused_by_their_figures(period, tmp_path):
    blank_line = ["21", "歇马街道", "", "", "", "/", "", "", "", "", "", "", "", ""]
    unnamed = ["22", "歇马街道", "", "1,500户", "", "", "", "", "", "", "", "", "", ""]
    code, document = run_import(
        tmp_path, xiema_csv("utf-8", [], blank_line, unnamed), name="歇马.csv"
    )
    assert code == 1
    [error] = document["errors"]
    assert (error["row"], error["column"], error["field"]) == (24, "C", "community")
    assert error["message"] == (
        "有数字，但没有社区名称（也没有区划代码）：请填写社区名称，或删除此行"
    )
    assert skipped(document)[1:] == [
        (22, "空行"),
        (23, "没有社区名称，也没有数字"),
        (24, "有错误：" + error["message"]),
    ]
    assert_every_row_accounted(document)


def test_a_row_the_plan_refuses_is_skipped_with_its_error(period, tmp_path):
    duplicate = xiema_line(21, "华伟社区")
    unknown = xiema_line(22, "龙凤溪社区")
    code, document = run_import(tmp_path, xiema_csv("utf-8", duplicate, unknown), name="歇马.csv")
    assert code == 1
    reasons = dict(skipped(document))
    assert reasons[22] == "有错误：华伟社区居民委员会重复出现（第一次在歇马 第2行）"
    assert reasons[23] == "有错误：歇马街道中找不到社区/村“龙凤溪社区”"
    assert_every_row_accounted(document)


def test_a_trailing_blank_area_is_not_read_or_listed(period):
    rows = [HEADER, xiema_line(1, "华伟社区"), [], ["", None, "  "], *[[""] * 14] * 5000]
    plan = plan_import(
        scope=operator_scope(),
        period=period,
        sheets=[RawSheet("台账", rows)],
        filename="台账.xlsx",
    )
    [sheet] = plan_document(plan)["sheets"]
    assert sheet == {
        "sheet": "台账",
        "rows_read": 2,
        "imported": 1,
        "skipped": [{"row": 1, "reason": "表头"}],
    }


def test_the_documents_keys_and_types_are_the_contracts(period, tmp_path):
    code, document = run_import(tmp_path, messy_chengjiang())
    assert list(document) == list(CONTRACT_KEYS)
    assert document["not_listed"] == []  # nothing left out of a street's few problems
    for sheet in document["sheets"]:
        assert list(sheet) == ["sheet", "rows_read", "imported", "skipped"]
        assert type(sheet["sheet"]) is str
        assert type(sheet["rows_read"]) is int and type(sheet["imported"]) is int
        for item in sheet["skipped"]:
            assert list(item) == ["row", "reason"]
            assert type(item["row"]) is int and type(item["reason"]) is str
    code, refused = run_import(tmp_path, b"", name="empty.csv")
    assert code == 2
    assert list(refused) == list(CONTRACT_KEYS)
    assert refused["sheets"] == [] and refused["not_listed"] == []


def test_the_command_lines_text_gives_one_line_a_sheet(period, tmp_path):
    text = run_import_text(tmp_path, messy_chengjiang(), "台账.xlsx")
    assert (
        "工作表“Sheet1”：读取 10 行，导入 3 行，跳过 7 行"
        "（标题 1，空行 2，表头 1，小计 1，合计 1，签字 1）"
    ) in text.splitlines()


def test_the_preview_page_lists_each_sheets_rows(login, district_admin, period):
    client = login(district_admin)
    content = xiema_csv("gbk", ["填表人：王芳"])
    data = {"file": SimpleUploadedFile("歇马街道台账.csv", content)}
    body = client.post(reverse("ledger_import", args=["2026H2"]), data, follow=True)
    body = body.content.decode()
    table = body[body.index('data-testid="sheets"') : body.index('data-testid="preview-rows"')]
    assert "读取行数" in table and "歇马街道台账" in table
    assert '<td class="num">22</td>' in table and '<td class="num">20</td>' in table
    assert "第1行：表头" in table and "第22行：签字" in table


LINES = st.lists(
    st.sampled_from(["data", "blank", "street label"]), min_size=len(XIEMA), max_size=60
)
# Remarks that name facilities, as streets write them: none may make a row a header.
REMARKS = st.sampled_from(
    [
        "",
        "警务室、卫生服务站设在便民服务中心",
        "文化活动室设在便民服务中心",
        "便民服务中心二楼",
        "日间照料中心（养老服务站）在建",
        "菜店（平价超市）已关闭",
        "其他用房 20㎡",
    ]
)
TWO_ROW_HEADER = [
    [*HEADER[:5], "其中", "", "", "", "", "", *HEADER[11:]],
    ["", "", "", "", "", *HEADER[5:11], "", "", ""],
]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    layout=LINES,
    titles=st.integers(0, 3),
    two_rows=st.booleans(),
    as_numbers=st.booleans(),
    remarks=st.lists(REMARKS, min_size=len(XIEMA), max_size=len(XIEMA)),
    sign_off=st.booleans(),
)
def test_any_arrangement_of_header_blank_and_title_rows_imports_every_community(
    period, layout, titles, two_rows, as_numbers, remarks, sign_off
):
    """Titles above a one- or two-row header, blank rows and street labels between the
    communities, remarks naming facilities, a sign-off below: every community is imported,
    every other row skipped, all counted."""
    lines = []
    for number, (name, remark) in enumerate(zip(XIEMA, remarks, strict=True), start=1):
        line = xiema_line(number, name)
        if not line[-1]:  # a community whose remark seats no facility in the centre
            line[-1] = remark if "设在" not in remark else ""
            if line[-1].startswith("其他用房"):  # 其他 in 备注 is one of the parts
                line[4] = f"{float(line[4]) + 20:.1f}"
        lines.append([float(c) if as_numbers and c.isdigit() else c for c in line])
    header = TWO_ROW_HEADER if two_rows else [HEADER]
    rows = [[f"歇马街道台账（第{n + 1}行标题）"] for n in range(titles)] + header
    pending = iter(lines)
    for kind in layout:
        if kind == "data":
            rows += [line for line in [next(pending, None)] if line is not None]
        else:
            rows.append([] if kind == "blank" else ["", "歇马街道"])
    rows += list(pending)  # the communities the drawn layout had no room for
    if sign_off:
        rows.append(["填表人：王芳", "", "", "联系电话：68863321"])
    plan = plan_import(
        scope=operator_scope(), period=period, sheets=[RawSheet("台账", rows)], filename="x.csv"
    )
    document = plan_document(plan)
    assert document["ok"], document["errors"]
    assert [r["community_name"][:3] for r in document["rows"]] == [n[:3] for n in XIEMA]
    first_header = titles + 1
    headers = [first_header, first_header + 1] if two_rows else [first_header]
    assert [row for row, reason in skipped(document) if reason == "表头"] == headers
    assert_every_row_accounted(document)


def test_the_cli_text_counts_rows_an_error_names_apart(period, tmp_path):
    content = xiema_csv("gbk").replace(b",997,", ",八百,".encode("gbk"), 1)
    path = tmp_path / "xiema.csv"
    path.write_bytes(content)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import-ledger", str(path), "--period", "2026H2", stdout=out)
    assert exit_.value.code == 1
    assert "20 行（新填 19，有变化 0，无变化 0，有错误 1）" in out.getvalue()


def test_a_total_labelled_in_the_street_column_is_named_once(period):
    rows = [
        ["所在街道（乡镇）", "社区名称", "户数", "便民服务中心"],
        ["歇马街道", "华伟社区", 1000, 300],
        ["合计", "", 1500, 300],
    ]
    plan = plan_import(
        scope=operator_scope(), period=period, sheets=[RawSheet("台账", rows)], filename="x.xlsx"
    )
    assert [w.message for w in plan.warnings.listed if w.row == 3] == [
        "合计的户数为 1500，按各行计算应为 1000"
    ]
