"""The problem workbook: the street's own .xlsx with its problem cells marked and a 问题清单
sheet, everything else of the file kept; other formats rebuilt; from the page and the CLI."""

import io
import json

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl.comments import Comment
from openpyxl.styles import Font

from shequ.accounts.scope import operator_scope
from shequ.ledger.fields import LABELS
from shequ.ledger.importing.files import read_sheets
from shequ.ledger.importing.problems import (
    ERROR_COLOUR,
    MARK_HEADING,
    WARNING_COLOUR,
    field_label,
    problem_workbook_bytes,
    without_problem_list,
)
from shequ.ledger.models import Period
from shequ.workflow.ledger_files import plan_import

from .ledger_helpers import open_period

KNOWN_LABELS = {*LABELS.values(), "综合服务设施总建筑面积", "所在街道（乡镇）", "社区名称", ""}


@pytest.fixture
def period(beibei):
    return open_period("2026H2")


def clerks_workbook(street="澄江镇") -> bytes:
    """A street's own workbook as Excel keeps it: a merged title, the street merged down its
    rows, widths, a number format, a bold header, a formula, a comment of the clerk's, A4
    landscape page set-up, and a second sheet of notes with its own merge and width."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "台账"
    ws["A1"] = "澄江镇城乡社区综合服务设施统计台账"
    ws.merge_cells("A1:E1")
    header = ["所在街道（乡镇）", "社区名称", "辖区户籍人口总户数", "便民服务中心", "总建筑面积"]
    for column, text in enumerate(header, start=1):
        ws.cell(2, column, text).font = Font(bold=True, name="宋体")
    rows = [
        ("澄江路社区", 1000, 400.5),
        ("运河村", "八百", 300),  # households as words: an error at C4
        ("运河社区", 2000, 100),  # a centre under 200 ㎡: a warning at D5
    ]
    for offset, (community, households, centre) in enumerate(rows):
        line = 3 + offset
        ws.cell(line, 1, street if offset == 0 else None)
        ws.cell(line, 2, community)
        ws.cell(line, 3, households)
        ws.cell(line, 4, centre).number_format = "0.0"
        ws.cell(line, 5, f"=D{line}")
    ws.merge_cells("A3:A5")
    ws["C4"].comment = Comment("村里报的原话", "村会计")
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 13.5
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_title_rows = "2:2"
    notes = book.create_sheet("填表说明")
    notes["A1"] = "户数按公安户籍口径"
    notes.merge_cells("A1:D1")
    notes.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def marked(content: bytes, name="台账.xlsx"):
    """The plan of importing `content` into 2026H2, and its problem workbook as read back."""
    sheets = without_problem_list(read_sheets(content, name))
    period = Period.objects.get(code="2026H2")
    plan = plan_import(scope=operator_scope(), period=period, sheets=sheets, filename=name)
    data = problem_workbook_bytes(content, sheets, plan)
    return plan, openpyxl.load_workbook(io.BytesIO(data))


def listed(book) -> list[tuple]:
    return list(book["问题清单"].iter_rows(min_row=2, values_only=True))


def fill_of(cell) -> str:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else ""


def test_the_users_own_workbook_is_marked_and_keeps_everything_else(period):
    original = openpyxl.load_workbook(io.BytesIO(clerks_workbook()))
    plan, book = marked(clerks_workbook())
    assert book.sheetnames == ["台账", "填表说明", "问题清单"]
    ws, before = book["台账"], original["台账"]
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:E1", "A3:A5"}
    assert ws.column_dimensions["B"].width == 24 and ws.column_dimensions["C"].width == 13.5
    assert [ws.cell(r, 4).number_format for r in (3, 4, 5)] == ["0.0"] * 3
    assert ws["A2"].font.b and ws["A2"].font.name == "宋体"
    assert ws["E3"].value == "=D3" and ws["E5"].value == "=D5"  # formulas stay formulas
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == before.print_title_rows
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        [c.value for c in row] for row in before.iter_rows()
    ]
    notes = book["填表说明"]
    assert notes["A1"].value == "户数按公安户籍口径"
    assert {str(r) for r in notes.merged_cells.ranges} == {"A1:D1"}
    assert notes.column_dimensions["A"].width == 40
    assert any("辖区户籍人口总户数应为数字" in p.message for p in plan.errors.listed)


def test_problem_cells_carry_a_fill_and_their_messages_under_the_clerks_comment(period):
    _, book = marked(clerks_workbook())
    ws = book["台账"]
    error, warning = ws["C4"], ws["D5"]
    assert fill_of(error) == ERROR_COLOUR
    assert error.comment.text.startswith("村里报的原话")  # the clerk's own note stays first
    assert "错误：辖区户籍人口总户数应为数字" in error.comment.text
    assert fill_of(warning) == WARNING_COLOUR
    assert "警告：便民服务中心面积为 100.0㎡" in warning.comment.text
    assert fill_of(ws["C3"]) == "" and ws["C3"].comment is None  # a good cell is left alone


def test_the_problem_list_names_every_problem_in_chinese(period):
    plan, book = marked(clerks_workbook())
    rows = listed(book)
    assert [r[0] for r in rows] == ["错误"] * plan.errors.total + ["警告"] * plan.warnings.total
    expected = [
        (p.sheet, p.row, p.column, field_label(p.field), p.message)
        for p in [*plan.errors.listed, *plan.warnings.listed]
    ]
    assert [tuple(r[1:]) for r in rows] == [
        (s, row, col or None, label or None, m) for s, row, col, label, m in expected
    ]
    assert ("错误", "台账", 4, "C", "辖区户籍人口总户数") in [r[:5] for r in rows]
    assert all((r[4] or "") in KNOWN_LABELS for r in rows)  # never households or total


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("households", "辖区户籍人口总户数"),
        ("total", "综合服务设施总建筑面积"),
        ("street", "所在街道（乡镇）"),
        ("community", "社区名称"),
        ("code", "区划代码"),
        ("ratio", "每百户居民拥有综合服务设施面积"),
        ("other", "其他用房"),
        ("", ""),
        ("something_new", ""),
    ],
)
def test_a_problems_field_is_given_by_its_chinese_name(field, label):
    assert field_label(field) == label


def test_a_problem_inside_a_merged_range_is_marked_on_its_first_cell(period):
    _, book = marked(clerks_workbook(street="不存在镇"))
    first = book["台账"]["A3"]
    assert fill_of(first) == ERROR_COLOUR
    text = first.comment.text
    assert "找不到街镇“不存在镇”" in text
    assert "第4行：错误：" in text and "第5行：错误：" in text


def test_a_marked_file_sent_back_is_marked_afresh(period):
    """The 问题清单 is replaced, not added again; a fixed cell loses its mark and keeps the
    clerk's comment; the list sheet is not read as ledger rows."""
    _, book = marked(clerks_workbook())
    book["台账"]["C4"] = 800
    buffer = io.BytesIO()
    book.save(buffer)
    plan, again = marked(buffer.getvalue())
    assert again.sheetnames == ["台账", "填表说明", "问题清单"]
    fixed = again["台账"]["C4"]
    assert fill_of(fixed) == "" and fixed.comment.text == "村里报的原话"
    warning = again["台账"]["D5"]
    assert fill_of(warning) == WARNING_COLOUR
    assert warning.comment.text.count(MARK_HEADING) == 1
    assert warning.comment.text.count("便民服务中心面积为 100.0㎡") == 1
    assert plan.ok and len(plan.rows) == 3
    assert {p.sheet for p in [*plan.errors.listed, *plan.warnings.listed]} == {"台账"}


def test_a_csv_is_rebuilt_with_the_problem_cells_marked(period):
    content = "街镇,社区名称,户数,便民服务中心\n澄江镇,运河村,八百,300\n".encode()
    plan, book = marked(content, name="运河.csv")
    assert book.sheetnames == ["运河", "问题清单"]
    cell = book["运河"]["C2"]
    assert cell.value == "八百" and fill_of(cell) == ERROR_COLOUR
    assert "辖区户籍人口总户数应为数字" in cell.comment.text
    assert listed(book)[0][:5] == ("错误", "运河", 2, "C", "辖区户籍人口总户数")
    assert len(listed(book)) == len(plan.errors.listed) + len(plan.warnings.listed)


def test_text_that_looks_like_a_formula_stays_text_in_the_list(period):
    content = "街镇,社区名称,户数,便民服务中心\n=1+1,运河村,800,300\n".encode()
    _, book = marked(content, name="公式.csv")
    assert book["问题清单"]["F2"].data_type == "s"


def run_cli(path, out, *args):
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(
            "import-ledger",
            str(path),
            "--period",
            "2026H2",
            "--problems",
            str(out),
            *args,
            stdout=stdout,
            stderr=stderr,
        )
    except SystemExit as exit_:
        code = exit_.code
    return code, stdout.getvalue(), stderr.getvalue()


def test_the_command_line_writes_the_marked_workbook_and_says_where(period, tmp_path):
    source, out = tmp_path / "澄江镇.xlsx", tmp_path / "问题.xlsx"
    source.write_bytes(clerks_workbook())
    code, stdout, _ = run_cli(source, out)
    assert code == 1
    book = openpyxl.load_workbook(out)
    errors = sum(1 for line in listed(book) if line[0] == "错误")
    warnings = len(listed(book)) - errors
    assert f"问题标注文件（{errors} 个错误、{warnings} 个警告）已写到 {out}" in stdout
    assert book.sheetnames == ["台账", "填表说明", "问题清单"]
    assert fill_of(book["台账"]["C4"]) == ERROR_COLOUR


def test_under_json_the_workbook_is_announced_on_stderr(period, tmp_path):
    source, out = tmp_path / "澄江镇.xlsx", tmp_path / "问题.xlsx"
    source.write_bytes(clerks_workbook())
    code, stdout, stderr = run_cli(source, out, "--json")
    assert code == 1
    document = json.loads(stdout)  # nothing else on stdout
    assert document["ok"] is False
    assert f"已写到 {out}" in stderr
    assert out.exists()


def test_a_clean_file_still_gets_its_workbook_with_the_warnings(period, tmp_path):
    content = "街镇,社区名称,户数,便民服务中心\n澄江镇,运河村,800,150\n".encode()
    source, out = tmp_path / "运河.csv", tmp_path / "问题.xlsx"
    source.write_bytes(content)
    code, _, _ = run_cli(source, out)
    assert code == 0
    book = openpyxl.load_workbook(out)
    assert fill_of(book["运河"]["D2"]) == WARNING_COLOUR
    assert [r[0] for r in listed(book)] == ["警告"]


def test_a_refused_file_writes_no_workbook(period, tmp_path):
    source, out = tmp_path / "a.pdf", tmp_path / "问题.xlsx"
    source.write_bytes(b"%PDF-1.7")
    code, _, stderr = run_cli(source, out)
    assert code == 2 and "文件被拒收" in stderr
    assert not out.exists()


def test_the_page_serves_the_users_own_workbook_marked(login, district_admin, period):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(district_admin)
    response = client.post(
        reverse("ledger_import", args=["2026H2"]),
        {"file": SimpleUploadedFile("澄江镇.xlsx", clerks_workbook())},
        follow=True,
    )
    token = response.resolver_match.kwargs["token"]
    download = client.get(reverse("ledger_import_problems", args=["2026H2", token]))
    assert download.status_code == 200
    assert (
        "%EF%BC%88%E9%97%AE%E9%A2%98%E6%B8%85%E5%8D%95%EF%BC%89.xlsx"
        in (download["Content-Disposition"])
    )  # 澄江镇（问题清单）.xlsx
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    assert book.sheetnames == ["台账", "填表说明", "问题清单"]
    assert book["台账"].column_dimensions["B"].width == 24
    assert fill_of(book["台账"]["C4"]) == ERROR_COLOUR


def test_sheets_too_large_to_hold_are_rebuilt_from_their_values(period, monkeypatch):
    monkeypatch.setattr("shequ.ledger.importing.problems_xlsx.MAX_MARKED_SHEETS_XML", 100)
    plan, book = marked(clerks_workbook())
    assert book.sheetnames == ["台账", "填表说明", "问题清单"]
    ws = book["台账"]
    assert ws.column_dimensions["B"].width != 24  # a copy, not the user's file
    assert ws["E3"].value == 400.5  # the formula's value, as read
    assert fill_of(ws["C4"]) == ERROR_COLOUR and "应为数字" in ws["C4"].comment.text
    assert len(listed(book)) == len(plan.errors.listed) + len(plan.warnings.listed)


def test_earlier_marks_are_cleared_through_the_public_api_too():
    """The marks of a re-upload are found in openpyxl's table of cells, or, should a later
    openpyxl keep its cells otherwise, by walking the sheet with iter_rows()."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    from shequ.ledger.importing import problems_xlsx

    ws = openpyxl.Workbook().active
    ws["A1"] = "社区名称"
    ws["B2"].comment = Comment(f"我的批注\n\n{problems_xlsx.MARK_HEADING}\n错误：旧的", "王芳")
    ws["B2"].fill = PatternFill("solid", fgColor=problems_xlsx.ERROR_COLOUR)

    class WithoutCellTable:  # only the public API
        def iter_rows(self):
            return ws.iter_rows()

    assert {c.coordinate for c in problems_xlsx._cells_held(ws)} == {"A1", "B2"}
    assert [c.coordinate for c in problems_xlsx._cells_held(WithoutCellTable())] == [
        "A1",
        "B1",
        "A2",
        "B2",
    ]
    problems_xlsx._clear_earlier_marks(WithoutCellTable())
    assert ws["B2"].comment.text == "我的批注" and ws["B2"].fill.fill_type is None
