"""The import's problems capped in memory (issue 26): the first LISTED_PROBLEMS of each
severity listed, the rest counted by field; any error, listed or not, still refuses the
whole file, every row an error names is still marked, and every count shown is the real
one."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from unittest import mock

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.core.models import AuditEvent
from shequ.ledger.importing import problem_list
from shequ.ledger.importing.files import read_sheets
from shequ.ledger.importing.problem_list import (
    NotListed,
    Problem,
    ProblemList,
    more_problems,
    not_listed_items,
)
from shequ.ledger.importing.problems import problem_workbook_bytes
from shequ.ledger.models import LedgerRow
from shequ.web import import_views
from shequ.workflow.ledger_files import plan_import

from .conftest import CHENGJIANG
from .import_fixtures import CONTRACT_KEYS, run_import, xlsx
from .ledger_helpers import open_period

HEADER = ["所在街道（乡镇）", "社区名称", "辖区户籍人口总户数", "便民服务中心", "备注"]


@pytest.fixture
def period(beibei):
    return open_period("2026H2")


def capped(limit: int):
    """LISTED_PROBLEMS patched to `limit`, so that a test past the cap stays small."""
    return mock.patch.object(problem_list, "LISTED_PROBLEMS", limit)


# --- The list itself -------------------------------------------------------------------

FIELDS = ["", "households", "service_center", "community", "total"]
problems = st.lists(
    st.builds(
        Problem,
        sheet=st.sampled_from(["台账", "Sheet2"]),
        row=st.one_of(st.none(), st.integers(1, 8)),
        column=st.sampled_from(["", "B", "C"]),
        field=st.sampled_from(FIELDS),
        message=st.text("错误值行列", min_size=1, max_size=4),
    ),
    max_size=30,
)


@given(added=problems, limit=st.integers(0, 12))
def test_the_first_problems_are_listed_in_order_and_the_rest_counted_by_field(added, limit):
    with capped(limit):
        kept = ProblemList()
        for problem in added:
            kept.add(problem)
    assert kept.listed == added[:limit]
    assert kept.not_listed == Counter(p.field for p in added[limit:])
    assert len(kept.listed) + kept.not_listed.total() == kept.total == len(added)
    assert bool(kept) == bool(added)
    for first in range(len(added) + 2):  # a page shows the first few of the listed ones
        shown = min(first, len(kept.listed))
        assert kept.kinds_after(first) == Counter(p.field for p in added[shown:])
    firsts: dict = {}
    for problem in added:
        firsts.setdefault((problem.sheet, problem.row), problem.message)
    for (sheet, row), message in firsts.items():
        assert kept.names_row(sheet, row) and kept.first_message(sheet, row) == message
    assert not kept.names_row("没有的表", 1) and kept.first_message("没有的表", 1) is None


def test_not_listed_items_give_errors_first_then_the_most_then_by_field():
    errors, warnings = ProblemList(), ProblemList()
    with capped(1):
        for name in ["households", "total", "total", "households", "", "remarks"]:
            errors.add(Problem("台账", 2, "C", name, "错"))
        for name in ["other", "other", "total"]:
            warnings.add(Problem("台账", 3, "D", name, "警"))
    # The first of each is listed; the rest are counted.
    assert not_listed_items(errors, warnings) == [
        NotListed("error", "total", 2),
        NotListed("error", "", 1),
        NotListed("error", "households", 1),
        NotListed("error", "remarks", 1),
        NotListed("warning", "other", 1),
        NotListed("warning", "total", 1),
    ]
    assert not_listed_items(ProblemList(), ProblemList()) == []


def test_the_problems_left_out_are_said_in_chinese_with_each_fields_name():
    kinds = Counter({"households": 1210, "service_center": 3000, "": 5})
    assert more_problems(kinds, "错误") == (
        "另有 4,215 个错误未逐条列出（便民服务中心 3,000 个、辖区户籍人口总户数 1,210 个、"
        "整行或整表 5 个）"
    )
    assert more_problems(Counter(), "错误") == ""


# --- A real import past the cap --------------------------------------------------------


@dataclass
class GeneratedFile:
    """A street's file of known rows: some fine, some with a bad cell, some naming a
    community the street does not have."""

    rows: list[list]
    bad_rows: set[int]  # Excel rows of a community with a bad cell
    unknown: dict[int, str]  # Excel row → the unknown name written there

    def content(self) -> bytes:
        return xlsx({"台账": [HEADER, *self.rows]})


BAD_CELLS = {
    "fine": (2000, 500),
    "households": ("八百", 500),
    "centre": (2000, "很大"),
    "both": ("八百", "很大"),
}


@st.composite
def generated_files(draw, communities: list[str]) -> GeneratedFile:
    bad = draw(st.lists(st.sampled_from(["households", "centre", "both"]), min_size=2, max_size=8))
    fine = draw(st.integers(0, len(communities) - len(bad)))
    unknown = draw(st.integers(2, 10))
    kinds = draw(st.permutations(bad + ["fine"] * fine + ["unknown"] * unknown))
    names = iter(draw(st.permutations(communities)))
    rows, bad_rows, unknowns = [], set(), {}
    for index, kind in enumerate(kinds):
        line = index + 2  # under the header
        if kind == "unknown":
            name = f"无此{index}号社区"
            unknowns[line] = name
            rows.append(["澄江镇", name, 1000, 300, ""])
            continue
        households, centre = BAD_CELLS[kind]
        rows.append(["澄江镇", next(names), households, centre, ""])
        if kind != "fine":
            bad_rows.add(line)
    return GeneratedFile(rows, bad_rows, unknowns)


CAP = 3


def street_communities(period) -> list[str]:
    rows = LedgerRow.objects.filter(period=period, street__code=CHENGJIANG)
    return sorted(rows.values_list("community__name", flat=True))


def run_text(tmp_path, content: bytes) -> tuple[int, str]:
    path = tmp_path / "台账.xlsx"
    path.write_bytes(content)
    out, code = io.StringIO(), 0
    try:
        call_command("import-ledger", str(path), "--period", "2026H2", "--apply", stdout=out)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue()


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_file_with_more_errors_than_the_cap_is_refused_and_every_count_is_real(
    period, tmp_path, data
):
    generated = data.draw(generated_files(street_communities(period)))
    content = generated.content()
    _, full = run_import(tmp_path, content, "--period", "2026H2")  # under the real cap
    real_errors, real_warnings = full["errors"], full["warnings"]
    assert len(real_errors) > CAP and full["not_listed"] == []
    with capped(CAP):
        code, document = run_import(tmp_path, content, "--period", "2026H2", "--apply")
        text_code, text = run_text(tmp_path, content)
    # All or nothing: errors past the list refuse the file as the listed ones do.
    assert code == text_code == 1 and document["ok"] is False
    assert not LedgerRow.objects.filter(period=period, households__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="ledger.import").exists()
    assert list(document) == list(CONTRACT_KEYS)
    # The first problems listed in full, the rest counted by field: the real numbers.
    assert document["errors"] == real_errors[:CAP]
    assert document["warnings"] == real_warnings[:CAP]
    counted = {(i["severity"], i["field"]): i["count"] for i in document["not_listed"]}
    for severity, real in (("error", real_errors), ("warning", real_warnings)):
        left_out = Counter(p["field"] for p in real[CAP:])
        assert {f: n for (s, f), n in counted.items() if s == severity} == dict(left_out)
    listed_and_counted = len(document["errors"]) + sum(
        i["count"] for i in document["not_listed"] if i["severity"] == "error"
    )
    assert listed_and_counted == len(real_errors)
    # Every row accounted for as without the cap: a refused row's reason is its own error.
    assert document["rows"] == full["rows"] and document["sheets"] == full["sheets"]
    skipped = {item["row"]: item["reason"] for item in document["sheets"][0]["skipped"]}
    for line, name in generated.unknown.items():
        assert skipped[line] == f"有错误：澄江镇中找不到社区/村“{name}”"
    # The text's totals are the real ones, and every row an error names is counted there.
    first = text.splitlines()[0]
    assert f"有错误 {len(generated.bad_rows)}）" in first
    assert f"错误 {len(real_errors)} 个，警告 {len(real_warnings)} 个" in first
    errors_left = len(real_errors) - CAP
    assert f"另有 {errors_left:,} 个错误未逐条列出（" in text
    assert sum(line.startswith("错误 ") for line in text.splitlines()) == CAP


def test_every_row_an_error_names_is_marked_past_the_cap(period):
    rows = [["澄江镇", name, "八百", 300, ""] for name in street_communities(period)]
    sheets = read_sheets(xlsx({"台账": [HEADER, *rows]}), "台账.xlsx")
    with capped(2):
        plan = plan_import(scope=operator_scope(), period=period, sheets=sheets, filename="f")
    assert plan.errors.not_listed and not plan.ok
    assert all(erroneous for _, erroneous in plan.rows_marked())
    assert plan.status_counts()["error"] == len(rows)


# --- What people read ------------------------------------------------------------------


def unknown_rows(count: int) -> bytes:
    rows = [["澄江镇", f"无此{n}号社区", 1000, 300, ""] for n in range(count)]
    return xlsx({"台账": [HEADER, *rows]})


def upload(client, content: bytes):
    data = {"file": SimpleUploadedFile("台账.xlsx", content)}
    return client.post(reverse("ledger_import", args=["2026H2"]), data, follow=True)


def errors_alert(body: str) -> str:
    start = body.index('data-testid="errors"')
    return body[start : body.index("</div>", body.index("</ul>", start))]


def test_the_preview_lists_200_errors_and_says_how_many_more_and_where(
    login, district_admin, period
):
    body = upload(login(district_admin), unknown_rows(230)).content.decode()
    assert "错误 230 个</span>" in body
    alert = errors_alert(body)
    assert alert.count("<li>") == import_views.SHOWN_ON_PAGE == 200
    assert "第201行" in alert and "第202行" not in alert  # the first 200, in order
    assert (
        "另有 30 个错误未在此列出（社区名称 30 个），请下载问题标注文件查看："
        "其中逐条列出全部错误，并标出所在单元格。"
    ) in alert
    assert 'data-testid="errors-not-shown"' in alert and 'data-testid="problems"' in body


def test_the_preview_says_which_errors_only_the_count_holds(login, district_admin, period):
    with capped(210):
        body = upload(login(district_admin), unknown_rows(230)).content.decode()
    alert = errors_alert(body)
    assert "错误 230 个</span>" in body and alert.count("<li>") == 200
    assert (
        "另有 30 个错误未在此列出（社区名称 30 个）。问题标注文件逐条列出前 210 个错误"
        "并标出所在单元格，其余 20 个只计了数。请先改正列出的错误，再重新上传检查其余的。"
    ) in alert


def test_a_page_of_few_problems_has_no_remainder_line(login, district_admin, period):
    body = upload(login(district_admin), unknown_rows(3)).content.decode()
    assert "错误 3 个</span>" in body and errors_alert(body).count("<li>") == 3
    assert "not-shown" not in body


def test_warnings_past_the_page_are_counted_under_their_list():
    warnings = ProblemList()
    for row in range(250):
        warnings.add(Problem("台账", row + 2, "D", "service_center", "面积偏小"))
    shown = import_views._on_page(warnings, "警告")
    assert len(shown["shown"]) == 200 and shown["shown"][0].row == 2
    assert shown["not_shown"] == (
        "另有 50 个警告未在此列出（便民服务中心 50 个），请下载问题标注文件查看："
        "其中逐条列出全部警告，并标出所在单元格。"
    )


@pytest.mark.parametrize("name", ["台账.xlsx", "台账.csv"])
def test_the_problem_workbook_says_what_it_does_not_list_or_mark(period, name):
    rows = [["澄江镇", f"无此{n}号社区", 1000, 300, ""] for n in range(7)]
    if name.endswith(".csv"):
        content = "\n".join(",".join(map(str, r)) for r in [HEADER, *rows]).encode()
    else:
        content = xlsx({"台账": [HEADER, *rows]})
    sheets = read_sheets(content, name)
    with capped(4):
        plan = plan_import(scope=operator_scope(), period=period, sheets=sheets, filename=name)
    book = openpyxl.load_workbook(io.BytesIO(problem_workbook_bytes(content, sheets, plan)))
    lines = list(book["问题清单"].iter_rows(min_row=2, values_only=True))
    note, *listed = lines
    assert note[0] == "说明" and note[5] == (
        "另有 3 个错误未逐条列出（社区名称 3 个），所在单元格也未标出；"
        "请先改正本表列出的错误，再重新导入检查其余的。"
    )
    assert [line[2] for line in listed] == [2, 3, 4, 5]  # the listed ones, in order


def test_the_command_line_says_how_many_the_workbook_leaves_unmarked(period, tmp_path):
    source, out = tmp_path / "台账.xlsx", tmp_path / "问题.xlsx"
    source.write_bytes(unknown_rows(7))
    stdout = io.StringIO()
    arguments = ["--period", "2026H2", "--problems", str(out)]
    with capped(4), pytest.raises(SystemExit):
        call_command("import-ledger", str(source), *arguments, stdout=stdout)
    assert (
        f"问题标注文件（7 个错误、0 个警告，其中 3 个未逐条列出、所在单元格未标出）已写到 {out}"
    ) in stdout.getvalue()


def test_a_document_past_the_cap_keeps_every_key_in_its_place(period, tmp_path):
    with capped(4):
        code, document = run_import(tmp_path, unknown_rows(7), "--period", "2026H2")
    assert code == 1 and list(document) == list(CONTRACT_KEYS)
    assert document["not_listed"] == [{"severity": "error", "field": "community", "count": 3}]
    assert list(document["not_listed"][0]) == ["severity", "field", "count"]
