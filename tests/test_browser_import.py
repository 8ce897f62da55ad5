"""Importing a clerk's workbook in a real Chromium: preview, problem file, fix, apply."""

import openpyxl
import pytest

from shequ.accounts.models import Role
from shequ.ledger.models import LedgerRow

from .browser import accept_next_confirmation
from .conftest import CHENGJIANG, make_user
from .import_fixtures import xlsx
from .ledger_helpers import fill_street, open_period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["序号", "街镇", "村（社区）名称", "户数", "便民服务中心", "备注"]


def workbook(households_of_yunhe_village) -> bytes:
    return xlsx(
        {
            "Sheet1": [
                ["澄江镇台账"],
                HEADER,
                [1, "澄江镇", "运河社区", 2100, "650.0㎡", ""],
                [2, "澄江镇", "运河村", households_of_yunhe_village, 300, ""],
            ]
        }
    )


def test_upload_preview_problem_file_fix_and_apply(page, live_server, beibei, tmp_path):
    period = open_period("2026H2")
    fill_street(period, CHENGJIANG, households=2000, service_center="600.0")
    make_user("qu-admin", "500109", Role.ADMIN)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("qu-admin")
    page.get_by_label("密码").fill("correct horse 42")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()

    messy = tmp_path / "澄江镇台账.xlsx"
    messy.write_bytes(workbook("八百户"))
    page.goto(f"{live_server.url}/ledger/2026H2/import/")
    page.set_input_files("#file", str(messy))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state()
    preview = page.get_by_test_id("preview-rows")
    assert "有变化" in preview.inner_text()  # 运河社区: 2000 → 2100 households
    errors = page.get_by_test_id("errors").inner_text()
    assert "Sheet1 第4行 D列：辖区户籍人口总户数应为数字，不能是“八百户”" in errors
    assert page.get_by_test_id("apply").count() == 0

    with page.expect_download() as download:
        page.get_by_test_id("problems").click()
    saved = tmp_path / "problems.xlsx"
    download.value.save_as(saved)
    marked = openpyxl.load_workbook(saved)
    assert "辖区户籍人口总户数应为数字" in marked["Sheet1"]["D4"].comment.text
    assert marked["问题清单"]["F2"].value.startswith("辖区户籍人口总户数应为数字")

    fixed = tmp_path / "澄江镇台账（改）.xlsx"
    fixed.write_bytes(workbook("800户"))
    page.get_by_role("link", name="重新上传").click()
    page.set_input_files("#file", str(fixed))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("errors").count() == 0
    accept_next_confirmation(page)
    page.get_by_test_id("apply").click()
    page.wait_for_load_state()
    assert "写入 2 行" in page.content()
    rows = {
        r.community.name: r
        for r in LedgerRow.objects.filter(period=period, street__code=CHENGJIANG).select_related(
            "community"
        )
    }
    assert rows["运河村村民委员会"].households == 800
    assert rows["运河社区居民委员会"].households == 2100
