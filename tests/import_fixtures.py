"""Workbooks in the layouts streets actually send, built in code with real 北碚区 names."""

from __future__ import annotations

import io
import json

import xlsxwriter
from django.core.management import call_command

# The import contract's keys in their order: a key added since the first went last, so
# that every key before it kept its place (docs/decisions/0020).
CONTRACT_KEYS = ("file", "period", "ok", "rows", "errors", "warnings", "sheets", "not_listed")


def xlsx(sheets: dict[str, list[list]], merges: dict[str, list[tuple]] | None = None) -> bytes:
    """A workbook whose sheets hold the given rows; `merges` are (first_row, first_col,
    last_row, last_col, value) ranges, 0-based, as Excel users merge cells."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str) and value.startswith("="):
                    sheet.write_formula(r, c, value)
                else:
                    sheet.write(r, c, value)
        for first_row, first_col, last_row, last_col, value in (merges or {}).get(name, []):
            sheet.merge_range(first_row, first_col, last_row, last_col, value)
    book.close()
    return buffer.getvalue()


def messy_chengjiang() -> bytes:
    """澄江镇 as a clerk keeps it: a title and a blank row, a one-row header in other words
    and order with an extra 联系电话, the street merged down its rows, numbers as text with
    units and full-width digits, a centre phrase in an area cell, 备注 that seats the police
    room in the centre, a stated total above its parts, years as text, a 小计 with blanks,
    a 合计 and sign-off lines."""
    header = [
        "序号",
        "街镇",
        "村（社区）名称",
        "户数",
        "建筑面积(㎡)",
        "其中：便民服务中心",
        "警务室",
        "卫生服务站",
        "文化活动室",
        "日间照料中心",
        "菜店",
        "联系电话",
        "达标年度",
        "备注",
    ]
    rows = [
        ["澄江镇城乡社区综合服务设施统计台账（2026年下半年）"],
        [],
        header,
        [
            1,
            "澄江镇",
            "澄江路社区",
            "1,200户",
            "420.5㎡",
            "３００",
            "设在便民服务中心",
            "40",
            "/",
            "60.5",
            "—",
            "68231234",
            "2024年",
            "",
        ],
        [
            2,
            None,
            "运河社区",
            2000,
            700,
            500,
            "",
            50,
            50,
            100,
            "无",
            "",
            "2027",
            "警务室设在便民服务中心",
        ],
        [3, None, "运河村", "800", "", 250, 20, "", "", "", "", "", "已达标", "新建养老服务站"],
        ["", "澄江镇小计", "", 4000, None, 1050.5, None, 90, 50, 160.5, None, None, None, None],
        ["合计", "", "", 4000, "", "", "", "", "", "", "", "", "", ""],
        [],
        ["填表人：张三", "", "", "审核人：李四", "", "", "", "联系电话：68230000"],
    ]
    return xlsx({"Sheet1": rows}, {"Sheet1": [(3, 1, 5, 1, "澄江镇")]})


def run_import(tmp_path, content: bytes, *args, name="ledger.xlsx") -> tuple[int, dict]:
    """`shequ import-ledger FILE --json ARGS…` on `content` saved as `name`: its exit status
    and its JSON document."""
    path = tmp_path / name
    path.write_bytes(content)
    out = io.StringIO()
    code = 0
    try:
        call_command("import-ledger", str(path), "--json", *args, stdout=out)
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue())
