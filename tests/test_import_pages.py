"""The upload page: preview, apply on confirmation, problem workbook, scope."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shequ.ledger.importing.files import FileRefused
from shequ.ledger.models import LedgerRow

from .conftest import TIANSHENG, YUNHE_CUN
from .import_fixtures import messy_chengjiang, xlsx
from .ledger_helpers import open_period


@pytest.fixture
def period(beibei):
    return open_period("2026H2")


def upload(client, content: bytes, name="台账.xlsx", street=""):
    data = {"file": SimpleUploadedFile(name, content)}
    if street:
        data["street"] = street
    return client.post(reverse("ledger_import", args=["2026H2"]), data, follow=True)


def broken() -> bytes:
    return xlsx(
        {
            "台账": [
                ["街镇", "社区名称", "户数", "便民服务中心"],
                ["澄江镇", "运河村", "八百", 300],
                ["澄江镇", "澄江路社区", 1000, 400],
            ]
        }
    )


def test_a_district_admin_previews_and_applies_a_streets_file(login, district_admin, period):
    client = login(district_admin)
    response = upload(client, messy_chengjiang())
    body = response.content.decode()
    assert "导入预览：台账.xlsx" in body and "新填 3" in body and "错误 0 个" in body
    # Every changed cell with its value before and after (issue 21).
    assert "辖区户籍人口总户数：空 → <strong>800</strong>" in body
    assert LedgerRow.objects.get(period=period, community__code=YUNHE_CUN).households is None
    apply_url = reverse(
        "ledger_import_apply", args=["2026H2", response.resolver_match.kwargs["token"]]
    )
    done = client.post(apply_url, follow=True)
    assert "已导入 台账.xlsx：写入 3 行" in done.content.decode()
    assert LedgerRow.objects.get(period=period, community__code=YUNHE_CUN).households == 800
    assert client.post(apply_url).status_code == 404  # applied once: the upload is gone


def test_errors_are_listed_and_no_apply_button_is_offered(login, district_admin, period):
    body = upload(login(district_admin), broken()).content.decode()
    assert "台账 第2行 C列：辖区户籍人口总户数应为数字，不能是“八百”" in body
    assert 'data-testid="apply"' not in body and "下载问题标注文件" in body


def test_the_problem_workbook_marks_bad_cells_and_lists_them(login, district_admin, period):
    client = login(district_admin)
    response = upload(client, broken())
    token = response.resolver_match.kwargs["token"]
    problems = client.get(reverse("ledger_import_problems", args=["2026H2", token]))
    book = openpyxl.load_workbook(io.BytesIO(problems.content))
    assert book.sheetnames == ["台账", "问题清单"]
    cell = book["台账"]["C2"]
    assert cell.value == "八百" and cell.fill.fgColor.rgb.endswith("FF9999")
    assert "辖区户籍人口总户数应为数字" in cell.comment.text
    listed = [r for r in book["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert listed[0][:5] == ("错误", "台账", 2, "C", "辖区户籍人口总户数")


def test_a_refused_file_says_why(login, district_admin, period):
    body = upload(login(district_admin), b"%PDF-1.7", name="a.pdf").content.decode()
    assert "文件无法导入：不是 Excel、WPS 表格或 CSV 文件" in body


def test_a_street_editor_imports_only_its_own_street(login, tiansheng_editor, period):
    body = upload(login(tiansheng_editor), messy_chengjiang()).content.decode()
    assert "找不到街镇“澄江镇”" in body and 'data-testid="apply"' not in body


def test_viewers_cannot_upload(login, district_viewer, period):
    assert login(district_viewer).get(reverse("ledger_import", args=["2026H2"])).status_code == 403


def test_another_users_upload_is_not_found(login, district_admin, tiansheng_editor, period):
    response = upload(login(district_admin), messy_chengjiang())
    token = response.resolver_match.kwargs["token"]
    other = login(tiansheng_editor)
    assert other.get(reverse("ledger_import_preview", args=["2026H2", token])).status_code == 404


def test_a_street_outside_scope_cannot_be_chosen(login, tiansheng_editor, period):
    response = upload(login(tiansheng_editor), messy_chengjiang(), street="500109102")
    assert response.status_code == 404
    assert TIANSHENG


def test_a_file_unreadable_at_confirmation_is_refused_in_chinese_and_nothing_written(
    login, district_admin, period, monkeypatch
):
    client = login(district_admin)
    response = upload(client, messy_chengjiang())
    token = response.resolver_match.kwargs["token"]

    def refuse(*args, **kwargs):
        raise FileRefused("工作表“Sheet1”已损坏或格式不受支持，无法读取")

    # Between preview and confirmation the stored file became unreadable.
    monkeypatch.setattr("shequ.web.import_views.read_sheets", refuse)
    done = client.post(reverse("ledger_import_apply", args=["2026H2", token]), follow=True)
    assert done.status_code == 200
    assert "文件被拒收：工作表“Sheet1”已损坏或格式不受支持" in done.content.decode()
    assert LedgerRow.objects.get(period=period, community__code=YUNHE_CUN).households is None


def test_a_row_an_error_names_shows_no_figures_and_is_counted_apart(login, district_admin, period):
    """The row whose 户数 cannot be read would show the stored figures as “无变化”: it is
    marked 有错误 instead, and counted apart from the rows whose figures are the file's."""
    body = upload(login(district_admin), broken()).content.decode()
    assert '无变化 0，<span class="text-danger">有错误 1</span>' in body and "新填 1" in body
    assert body.count('data-testid="row-with-error"') == 1
    assert "本行有错误（见上方），数字以改好后重新上传的文件为准" in body


def two_streets(tiansheng_households="八百") -> bytes:
    """天生街道 first in the file, then 澄江镇; 天生街道's first 户数 unreadable if asked."""
    return xlsx(
        {
            "台账": [
                ["街镇", "社区名称", "户数", "便民服务中心"],
                ["天生街道", "新星路社区", 1200, 300],
                ["天生街道", "天生桥社区", 900, 250],
                ["澄江镇", "运河村", tiansheng_households, 300],
                ["澄江镇", "澄江路社区", 1000, 400],
                ["澄江镇", "缙云村", 700, 200],
            ]
        }
    )


def _shown_rows(body: str) -> list[str]:
    rows = body[body.index('data-testid="preview-rows"') :]
    return [name for name in ("新星路", "天生桥", "运河村", "澄江路", "缙云村") if name in rows]


def test_the_preview_shows_one_street_at_a_time_opening_on_the_one_with_errors(
    login, district_admin, period
):
    """A city's file is thousands of rows: the page lists the file's streets with their
    counts and shows one street's rows, first the street an error names."""
    client = login(district_admin)
    response = upload(client, two_streets())
    body = response.content.decode()
    streets = body[body.index('data-testid="preview-streets"') : body.index('id="preview-rows"')]
    assert streets.index("天生街道") < streets.index("澄江镇")  # the file's order
    assert "<strong>澄江镇</strong>（正在显示）" in streets
    assert _shown_rows(body) == ["运河村", "澄江路", "缙云村"]
    assert body.count('data-testid="row-with-error"') == 1
    tiansheng = client.get(response.request["PATH_INFO"], {"street": TIANSHENG}).content.decode()
    assert _shown_rows(tiansheng) == ["新星路", "天生桥"]
    assert "<strong>天生街道</strong>（正在显示）" in tiansheng
    # The file's totals stay the whole file's, whichever street is shown.
    assert "共 5 行：新填 4，有变化 0，无变化 0" in tiansheng and "有错误 1" in tiansheng


def test_without_errors_the_preview_opens_on_the_first_street_with_changes(
    login, district_admin, period
):
    client = login(district_admin)
    first = upload(client, two_streets(tiansheng_households=800))
    token = first.resolver_match.kwargs["token"]
    client.post(reverse("ledger_import_apply", args=["2026H2", token]))
    changed = xlsx(
        {
            "台账": [
                ["街镇", "社区名称", "户数", "便民服务中心"],
                ["天生街道", "新星路社区", 1200, 300],
                ["澄江镇", "运河村", 800, 320],
            ]
        }
    )
    response = upload(client, changed)
    body = response.content.decode()
    assert "<strong>澄江镇</strong>（正在显示）" in body and _shown_rows(body) == ["运河村"]
    # A street the file does not name (another's, or none) falls back to that choice.
    for other in ("500109003", "x"):
        again = client.get(response.request["PATH_INFO"], {"street": other}).content.decode()
        assert _shown_rows(again) == ["运河村"]


def test_a_file_of_one_street_shows_all_its_rows_without_the_street_list(
    login, district_admin, period
):
    body = upload(login(district_admin), messy_chengjiang()).content.decode()
    assert 'data-testid="preview-streets"' not in body
    assert body.count("<tr", body.index('data-testid="preview-rows"')) == 4  # header + 3


def test_a_sheets_skipped_rows_are_counted_by_reason_and_listed_up_to_the_pages_limit(
    login, district_admin, period, monkeypatch
):
    """A city's file skips a 小计 row a street, a thousand of them: the page counts them
    by reason and lists the first ones, saying how many more there are."""
    monkeypatch.setattr("shequ.web.import_views.SHOWN_ON_PAGE", 3)
    header = ["街镇", "社区名称", "户数", "便民服务中心"]
    rows = [
        header,
        ["澄江镇", "运河村", 800, 300],
        *[[None] * 4] * 5,
        ["澄江镇", "澄江村", 900, 300],
    ]
    body = upload(login(district_admin), xlsx({"台账": rows})).content.decode()
    sheets = body[body.index('data-testid="sheets"') : body.index('id="preview-rows"')]
    assert "跳过 6 行：表头 1，空行 5" in sheets
    assert sheets.count("<li") == 3
    assert "另有 3 行未在此逐行列出（各原因的行数见上）" in sheets
