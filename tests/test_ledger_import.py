"""`shequ import-ledger`: what streets send, the dry run, all-or-nothing, refusals, backfill."""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.core.models import AuditEvent
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.verify import ledger_verify

from .conftest import CHENGJIANG, TIANSHENG, YUNHE_CUN, YUNHE_SHEQU
from .import_fixtures import CONTRACT_KEYS, messy_chengjiang, run_import, xlsx
from .ledger_helpers import approve_street, fill_street, open_period

CHENGJIANGLU = "500109102006"  # 澄江路社区居民委员会


@pytest.fixture
def period(beibei):
    return open_period("2026H2")


def row(period, code) -> LedgerRow:
    return LedgerRow.objects.get(period=period, community__code=code)


def by_name(document) -> dict:
    return {r["community_name"]: r for r in document["rows"]}


def messages(document, kind="errors") -> list[str]:
    return [f"{p['sheet']}!{p['column']}{p['row']} {p['message']}" for p in document[kind]]


def test_a_messy_clerks_workbook_reads_into_the_ledger(period, tmp_path):
    code, document = run_import(tmp_path, messy_chengjiang(), "--period", "2026H2")
    assert code == 0, document["errors"]
    rows = by_name(document)
    assert set(rows) == {"澄江路社区居民委员会", "运河社区居民委员会", "运河村村民委员会"}
    lu = rows["澄江路社区居民委员会"]
    assert lu["sheet"] == "Sheet1" and lu["row"] == 4 and lu["status"] == "new"
    assert lu["data"]["households"] == 1200 and lu["data"]["service_center"] == 300.0
    assert lu["data"]["police_room_in_center"] is True and lu["data"]["police_room"] is None
    assert lu["data"]["health_station"] == 40.0 and lu["data"]["culture_room"] is None
    assert lu["data"]["day_care"] == 60.5 and lu["data"]["grocery"] is None
    assert lu["data"]["other"] == 20.0  # stated 420.5 above parts 400.5
    assert lu["data"]["compliance_year"] == 2024
    assert lu["derived"] == {
        "total_area": 420.5,
        "per_100_households": pytest.approx(35.0416666),
        "compliant": True,
    }
    yunhe = rows["运河社区居民委员会"]
    assert (
        yunhe["data"]["police_room_in_center"] is True and yunhe["data"]["compliance_year"] == 2027
    )
    village = rows["运河村村民委员会"]
    assert (
        village["data"]["compliance_year"] is None
        and village["data"]["remarks"] == "新建养老服务站"
    )
    warnings = messages(document, "warnings")
    assert any(
        "E4 总建筑面积 420.5㎡ 大于各项之和 400.5㎡，差额 20.0㎡ 计入“其他用房”" in w
        for w in warnings
    )
    assert any("M6 达标年度“已达标”不是年份，未导入" in w for w in warnings)
    # The 小计 is checked where its cells are filled: only its centre figure is off.
    assert [w for w in warnings if "小计" in w] == [
        "Sheet1!F7 澄江镇小计的便民服务中心为 1050.5，按各行计算应为 1050.0"
    ]


def test_the_dry_run_writes_nothing_and_apply_writes_everything(period, tmp_path):
    run_import(tmp_path, messy_chengjiang(), "--period", "2026H2")
    assert row(period, CHENGJIANGLU).households is None
    code, _ = run_import(tmp_path, messy_chengjiang(), "--period", "2026H2", "--apply")
    assert code == 0
    assert row(period, CHENGJIANGLU).households == 1200
    assert row(period, YUNHE_SHEQU).police_room_in_center is True
    assert AuditEvent.objects.filter(action="ledger.import").count() == 3
    again = run_import(tmp_path, messy_chengjiang(), "--period", "2026H2")[1]
    assert {r["status"] for r in again["rows"]} == {"unchanged"}


def sheet_with(*data_rows, header=None):
    header = header or [
        "所在街道（乡镇）",
        "社区名称",
        "辖区户籍人口总户数（户）",
        "便民服务中心",
        "备注",
    ]
    return xlsx({"台账": [header, *data_rows]})


def test_errors_name_sheet_row_and_column_and_nothing_is_written(period, tmp_path):
    content = sheet_with(
        ["澄江镇", "运河", 2000, 600, ""],
        ["澄江镇", "澄江路社区", "2086.5", 600, ""],
        ["澄江镇", "不存在社区", 1000, 300, ""],
        ["澄江镇", "运河村", 1000, 300, ""],
    )
    code, document = run_import(tmp_path, content, "--period", "2026H2", "--apply")
    assert code == 1
    errors = messages(document)
    assert any(
        e.startswith(
            "台账!B2 “运河”对应澄江镇中多个社区/村：运河社区居民委员会（500109102007）、"
            "运河村村民委员会（500109102229）"
        )
        for e in errors
    )
    assert "台账!C3 辖区户籍人口总户数应为整数，不能是“2086.5”" in errors
    assert "台账!B4 澄江镇中找不到社区/村“不存在社区”" in errors
    assert row(period, YUNHE_CUN).households is None  # the good row was not written either


def test_figures_too_large_for_the_ledger_are_named_in_the_preview(period, tmp_path):
    content = sheet_with(
        ["澄江镇", "运河村", 1000, "1e300", ""],
        ["澄江镇", "运河社区", 20_000_000, 600, ""],
    )
    code, document = run_import(tmp_path, content, "--period", "2026H2", "--apply")
    assert code == 1
    errors = messages(document)
    assert "台账!D2 便民服务中心数值过大：“1e300”" in errors
    assert "台账!C3 辖区户籍人口总户数数值过大：“20000000”" in errors
    assert row(period, YUNHE_CUN).service_center is None


def test_an_area_for_a_facility_that_remarks_seat_in_the_centre_is_an_error(period, tmp_path):
    header = ["街镇", "社区名称", "户数", "便民服务中心", "警务室", "备注"]
    content = sheet_with(
        ["澄江镇", "运河村", 1000, 300, 30, "警务室设在便民服务中心"], header=header
    )
    code, document = run_import(tmp_path, content, "--period", "2026H2")
    assert code == 1
    assert "台账!E2 备注写明警务室设在便民服务中心，不应再填写面积（30）" in messages(document)


def test_a_division_code_column_matches_whatever_the_names(period, tmp_path):
    header = ["区划代码", "社区名称", "户数", "便民服务中心"]
    content = sheet_with(
        [YUNHE_CUN, "运河", 900, 300], [CHENGJIANGLU, "随便写", 1000, 400], header=header
    )
    code, document = run_import(tmp_path, content, "--period", "2026H2")
    assert code == 0
    assert [r["community_code"] for r in document["rows"]] == [YUNHE_CUN, CHENGJIANGLU]


def test_street_limits_the_import_and_gives_the_street_when_the_file_has_none(period, tmp_path):
    header = ["社区名称", "户数", "便民服务中心"]
    content = sheet_with(["运河村", 900, 300], header=header)
    code, document = run_import(tmp_path, content, "--period", "2026H2")
    assert code == 1 and "请用 --street 指明街镇" in document["errors"][0]["message"]
    code, document = run_import(tmp_path, content, "--period", "2026H2", "--street", "澄江镇")
    assert code == 0 and document["rows"][0]["community_code"] == YUNHE_CUN
    code, document = run_import(
        tmp_path,
        sheet_with(["澄江镇", "运河村", 900, 300, ""]),
        "--period",
        "2026H2",
        "--street",
        "天生街道",
    )
    assert code == 1 and "澄江镇不是本次导入的天生街道" in document["errors"][0]["message"]


def test_csv_in_gbk_and_in_utf8_with_bom(period, tmp_path):
    text = "街镇,社区名称,户数,便民服务中心\r\n澄江镇,运河村,900,300\r\n"
    for encoded, name in ((text.encode("gbk"), "gbk.csv"), (("\ufeff" + text).encode(), "bom.csv")):
        code, document = run_import(tmp_path, encoded, "--period", "2026H2", name=name)
        assert code == 0, document
        assert document["rows"][0]["data"]["households"] == 900


def test_the_legacy_xls_format_is_read(period, tmp_path):
    from pathlib import Path

    content = (Path(__file__).parent / "fixtures" / "chengjiang_2026h2.xls").read_bytes()
    code, document = run_import(tmp_path, content, "--period", "2026H2", name="old.xls")
    assert code == 0, document["errors"]
    assert by_name(document)["运河村村民委员会"]["data"]["households"] == 800


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"%PDF-1.7 not a spreadsheet", "a.xlsx", "不是 Excel、WPS 表格或 CSV 文件"),
        (b"PK\x03\x04broken", "b.xlsx", "文件已损坏"),
        (
            bytes.fromhex("D0CF11E0A1B11AE1") + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512,
            "c.xlsx",
            "文件已加密",
        ),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_exit_2(period, tmp_path, content, name, reason):
    code, document = run_import(tmp_path, content, "--period", "2026H2", "--apply", name=name)
    assert code == 2
    assert document["rows"] == [] and reason in document["errors"][0]["message"]


def test_a_file_that_is_not_there_or_not_a_file_is_refused_in_chinese(period, tmp_path):
    for named, reason in (
        (tmp_path / "没有这个文件.xlsx", f"找不到文件：{tmp_path / '没有这个文件.xlsx'}"),
        (tmp_path, f"{tmp_path} 是文件夹，不是文件"),
    ):
        out = io.StringIO()
        with pytest.raises(SystemExit) as exit_:
            call_command("import-ledger", str(named), "--period", "2026H2", "--json", stdout=out)
        assert exit_.value.code == 2
        document = json.loads(out.getvalue())
        assert document["rows"] == [] and document["errors"][0]["message"] == reason


def test_a_zip_bomb_is_refused_before_inflating(period, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    code, document = run_import(tmp_path, buffer.getvalue(), "--period", "2026H2")
    assert code == 2 and "压缩比超过 100:1" in document["errors"][0]["message"]


def test_apply_is_refused_when_the_street_has_submitted(period, tmp_path):
    from shequ.accounts.scope import operator_scope
    from shequ.workflow.submissions import submission_submit

    fill_street(period, CHENGJIANG)
    submission_submit(
        scope=operator_scope(),
        submission=Submission.objects.get(period=period, street__code=CHENGJIANG),
    )
    with pytest.raises(Exception, match="只能导入草稿或退回的台账"):
        run_import(tmp_path, messy_chengjiang(), "--period", "2026H2", "--apply")


def test_backfill_loads_history_as_approved_with_the_reason_on_warnings(beibei, tmp_path):
    content = sheet_with(["澄江镇", "运河村", 900, 150, ""])
    code, document = run_import(
        tmp_path,
        content,
        "--period",
        "2019H2",
        "--street",
        "澄江镇",
        "--approve",
        "--reason",
        "据2019年纸质台账补录",
    )
    assert code == 0, document
    period = Period.objects.get(code="2019H2")
    village = row(period, YUNHE_CUN)
    assert village.households == 900
    assert village.warning_comments == {"center_small": "据2019年纸质台账补录"}
    submission = Submission.objects.get(period=period, street__code=CHENGJIANG)
    assert submission.state == "approved" and submission.approved_version == 1
    assert ledger_verify().ok


def test_a_street_user_cannot_import_another_streets_rows(period, tiansheng_editor, tmp_path):
    code, document = run_import(
        tmp_path, messy_chengjiang(), "--period", "2026H2", "--as", "tiansheng-editor"
    )
    assert code == 1
    assert all(r["community_code"].startswith(TIANSHENG) for r in document["rows"])
    assert any("找不到街镇“澄江镇”" in e["message"] for e in document["errors"])


def test_export_then_import_is_unchanged(period, tmp_path):
    from shequ.accounts.scope import operator_scope
    from shequ.ledger.workbook_xlsx import write_xlsx
    from shequ.workflow.ledger_files import ledger_workbook

    fill_street(
        period,
        CHENGJIANG,
        households=1500,
        service_center="320.5",
        police_room="20",
        police_room_in_center=False,
        other="12.5",
        remarks="=1+1",
    )
    buffer = io.BytesIO()
    write_xlsx(
        ledger_workbook(
            scope=operator_scope(),
            period=period,
            street=LedgerRow.objects.filter(street__code=CHENGJIANG).first().street,
        ),
        buffer,
    )
    code, document = run_import(tmp_path, buffer.getvalue(), "--period", "2026H2")
    assert code == 0, document["errors"]
    assert {r["status"] for r in document["rows"]} == {"unchanged"}
    assert Decimal(str(by_name(document)["运河村村民委员会"]["data"]["other"])) == Decimal("12.5")


def test_formulas_are_recomputed_not_trusted_and_the_rest_are_named(period, tmp_path):
    # XlsxWriter stores 0 as every formula's cached value, as other programs may: recompute.
    content = sheet_with(
        ["澄江镇", "运河村", "=400+400", "=SUM(F2:G2)", "", 100, 200.5],
        ["澄江镇", "澄江路社区", "=VLOOKUP(1,A1:B2,2)", 300, ""],
        header=["街镇", "社区名称", "户数", "便民服务中心", "备注", "甲", "乙"],
    )
    code, document = run_import(tmp_path, content, "--period", "2026H2")
    village = by_name(document)["运河村村民委员会"]["data"]
    assert village["households"] == 800 and village["service_center"] == 300.5
    assert code == 1
    assert any(
        e["row"] == 3
        and e["column"] == "C"
        and "是公式“=VLOOKUP(1,A1:B2,2)”，无法核算" in e["message"]
        for e in document["errors"]
    )


area_values = st.one_of(st.none(), st.decimals(min_value=0, max_value=99999, places=1))
ledgers = st.lists(
    st.fixed_dictionaries(
        {
            "households": st.integers(min_value=1, max_value=200_000),
            "service_center": area_values,
            "police_room": area_values,
            "day_care": area_values,
            "grocery": area_values,
            "other": area_values,
            "health_station_in_center": st.booleans(),
            "compliance_year": st.one_of(st.none(), st.integers(2000, 2100)),
            "remarks": st.text(alphabet="新建改造用房说明；;=+-@ 123abc", max_size=20),
        }
    ),
    min_size=13,
    max_size=13,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ledger=ledgers)
def test_any_ledger_exported_and_imported_again_is_unchanged(period, tmp_path, ledger):
    from shequ.accounts.scope import operator_scope
    from shequ.ledger.rows import rows_bulk_update
    from shequ.ledger.workbook_xlsx import write_xlsx
    from shequ.workflow.ledger_files import ledger_workbook

    rows = list(
        LedgerRow.objects.filter(period=period, street__code=CHENGJIANG)
        .select_related("community", "street", "period")
        .order_by("community__code")
    )
    rows_bulk_update(
        scope=operator_scope(),
        updates=list(zip(rows, ledger, strict=True)),
        reason="property test",
        action="ledger.test",
    )
    buffer = io.BytesIO()
    write_xlsx(
        ledger_workbook(scope=operator_scope(), period=period, street=rows[0].street), buffer
    )
    code, document = run_import(tmp_path, buffer.getvalue(), "--period", "2026H2")
    assert code == 0, document["errors"]
    changed = {r["community_name"]: r["changes"] for r in document["rows"] if r["changes"]}
    assert changed == {}
    assert len(document["rows"]) == 13


def test_the_json_document_written_piece_by_piece_is_the_document(period):
    from shequ.accounts.scope import operator_scope
    from shequ.ledger.importing.files import read_sheets
    from shequ.ledger.importing.report import plan_document, plan_document_bytes
    from shequ.workflow.ledger_files import plan_import

    content = sheet_with(
        ["澄江镇", "运河村", 1000, 100, ""],
        ["澄江镇", "澄江路社区", "2086.5", 600, ""],
        ["澄江镇", "运河社区", 3000, 900, "警务室在中心"],
    )
    plan = plan_import(
        scope=operator_scope(),
        period=period,
        sheets=read_sheets(content, "ledger.xlsx"),
        filename="ledger.xlsx",
    )
    assert plan.rows and plan.errors.listed and plan.warnings.listed
    text = b"".join(plan_document_bytes(plan)).decode()
    assert json.loads(text) == plan_document(plan)
    document = json.loads(text)
    assert list(document) == list(CONTRACT_KEYS)
    assert list(document["rows"][0]) == [
        *("sheet", "row", "community_code", "community_name", "status", "changes"),
        *("data", "derived"),
    ]
    assert list(document["rows"][0]["derived"]) == ["total_area", "per_100_households", "compliant"]
    for problem in (document["errors"][0], document["warnings"][0]):
        assert list(problem) == ["sheet", "row", "column", "field", "message"]
    assert "运河村" in text  # Chinese unescaped, as the contract's readers expect
    numbers = json.loads(text)["rows"][0]["data"]
    assert numbers["households"] == 1000 and numbers["service_center"] == 100.0


def test_the_documents_decimals_are_numbers_and_anything_else_is_refused():
    import orjson

    from shequ.core.jsonvalues import json_default

    document = {"area": Decimal("576.9"), "per_100": [Decimal("30.0"), Decimal("-0.0")]}
    assert orjson.dumps(document, default=json_default) == (b'{"area":576.9,"per_100":[30.0,-0.0]}')
    with pytest.raises(TypeError):  # orjson.JSONEncodeError, as json.dumps would refuse it
        orjson.dumps({"streets": {"澄江镇"}}, default=json_default)


def test_a_row_record_takes_the_stored_columns_in_their_order():
    from shequ.ledger.records import _STORED_COLUMNS, RowRecord

    record = RowRecord()
    stored = tuple(
        '{"center_small": "说明"}' if n == "comments_text" else n for n in _STORED_COLUMNS
    )
    record.take(stored)
    for name in _STORED_COLUMNS:
        if name != "comments_text":
            assert getattr(record, name) == name
    assert record.warning_comments == {"center_small": "说明"}


def test_the_import_checks_figures_against_the_last_approved_ledger(beibei, tmp_path):
    approve_street(open_period("2026H1"), CHENGJIANG, households=1000, service_center="500.0")
    open_period("2026H2")  # carries the approved figures forward
    code, document = run_import(
        tmp_path, sheet_with(["澄江镇", "运河村", 2000, 400, ""]), "--period", "2026H2"
    )
    assert code == 0, document["errors"]
    found = messages(document, "warnings")
    assert "台账!C2 户数比上期（1000户）变化 100.0%，超过 20%" in found
    assert "台账!D2 总面积比上期（500.0㎡）减少了 100.0㎡" in found
