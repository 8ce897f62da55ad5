"""Reading what is uploaded: shared formulas recomputed for every cell, sheets reaching too far
refused before they are loaded (command line and upload page), text in every encoding Excel
and WPS save, and every refusal in Chinese."""

import codecs
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlsxwriter
import xlwt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.ledger.importing import files
from shequ.ledger.importing.extent import xls_extents
from shequ.ledger.importing.files import (
    COMMAND_LINE_LIMITS,
    UPLOAD_LIMITS,
    FileKind,
    FileRefused,
    check_file,
    read_sheets,
)

from . import import_fixtures
from .import_fixtures import xlsx
from .ledger_helpers import open_period

SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def period(beibei):
    return open_period("2026H2")


def run_import(tmp_path, content: bytes, name="台账.xlsx") -> tuple[int, dict]:
    return import_fixtures.run_import(tmp_path, content, "--period", "2026H2", name=name)


def by_name(document) -> dict:
    return {r["community_name"]: r for r in document["rows"]}


# ------------------------------------------------------------------ files built in code


def rewritten(content: bytes, part: str, change) -> bytes:
    """The package with `part` replaced by change(its bytes)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            target.writestr(member.filename, change(data) if member.filename == part else data)
    return buffer.getvalue()


def shared_down(content: bytes, column: str, first: int, last: int, cached=None) -> bytes:
    """The formulas XlsxWriter wrote in `column`, rows first..last, stored as Excel stores a
    formula filled down: the first cell the shared master, the others only its si. Their
    cached values are dropped, or all set to `cached`: either way only recomputing gives
    the right figures."""
    value = "" if cached is None else f"<v>{cached}</v>"

    def share(xml: bytes) -> bytes:
        text = xml.decode()
        for row in range(first, last + 1):
            cell = re.compile(rf'<c r="{column}{row}"><f>([^<]*)</f><v>[^<]*</v></c>')
            master = f'<f t="shared" ref="{column}{first}:{column}{last}" si="0">\\1</f>'
            formula = master if row == first else '<f t="shared" si="0"/>'
            text, found = cell.subn(rf'<c r="{column}{row}">{formula}{value}</c>', text)
            assert found == 1, f"{column}{row} holds no formula"
        return text.encode()

    return rewritten(content, SHEET, share)


PACKAGE = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
        '/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        "schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
        '" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
        '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="台账" sheetId="1" r:id="rId1"'
        "/></sheets></workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
        '"worksheets/sheet1.xml"/></Relationships>'
    ),
}


def bare_xlsx(sheet_data: str, dimension: str | None = None) -> bytes:
    """The smallest .xlsx calamine opens: one sheet 台账 holding `sheet_data`."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main">{declared}<sheetData>{sheet_data}</sheetData></worksheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in {**PACKAGE, SHEET: sheet}.items():
            package.writestr(name, text)
    return buffer.getvalue()


FAR_CORNER = (
    '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
)


def corner_bomb() -> bytes:
    """1.5 KB: one cell at A1, one at XFD1048576, declared honestly."""
    return bare_xlsx(FAR_CORNER, "A1:XFD1048576")


ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods(rows_xml: str) -> bytes:
    """An .ods with one table 台账 of `rows_xml`, as LibreOffice lays it out."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NAMESPACES} '
        'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="台账">'
        f'<table:table-column table:number-columns-repeated="1024"/>{rows_xml}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
        'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
        'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-'
        'type="text/xml"/></manifest:manifest>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        package.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def ods_row(*values) -> str:
    cells = "".join(
        f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p>'
        "</table:table-cell>"
        if isinstance(v, int)
        else f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
        for v in values
    )
    rest = '<table:table-cell table:number-columns-repeated="1019"/>'
    return f"<table:table-row>{cells}{rest}</table:table-row>"


LEDGER = [
    ["街镇", "社区名称", "户数", "便民服务中心"],
    ["澄江镇", "运河村", 800, 300],
    ["澄江镇", "澄江路社区", 1200, 420.5],
    ["澄江镇", "运河社区", 2000, 500],
]


def ods_bomb() -> bytes:
    """Under a kilobyte: a cell with content repeated over 1,500 columns and 50,000 rows,
    75 million cells, under calamine's own cap of 100 million (3 GB and more to load)."""
    return ods(
        '<table:table-row table:number-rows-repeated="50000"><table:table-cell '
        'office:value-type="float" office:value="1" table:number-columns-repeated="1500"/>'
        "</table:table-row>"
    )


def xls(rows: list[list], far_cell: tuple[int, int] | None = None) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    if far_cell:
        sheet.write(*far_cell, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xls_with_dimensions(last_row: int) -> bytes:
    """An .xls whose DIMENSIONS record declares rows up to `last_row` (calamine reserves
    the declared rectangle before it reads a cell)."""
    content = xls(LEDGER)
    # BIFF8 DIMENSIONS: type 0x0200, 14 bytes: first row, row after the last (32 bits each),
    # first column, column after the last, reserved. xlwt declares rows 0..4, columns 0..4.
    record = bytes.fromhex("00020e00") + (0).to_bytes(4, "little") + (4).to_bytes(4, "little")
    assert content.count(record) == 1
    lying = bytes.fromhex("00020e00") + (0).to_bytes(4, "little") + last_row.to_bytes(4, "little")
    return content.replace(record, lying)


def xls_with_a_wide_blank_run() -> bytes:
    """An .xls whose A1 is a MULBLANK record (blank cells of one row, its last column at
    its end) reaching column 60,000."""
    content = xls(LEDGER)
    # LABELSST at A1: type 0x00FD, 10 bytes: row 0, column 0, format, string index 0.
    label = bytes.fromhex("fd000a0000000000")
    at = content.index(label)
    blanks = bytes.fromhex("be000a0000000000") + content[at + 8 : at + 12]
    blanks += (59999).to_bytes(2, "little")  # two formats, then the last column
    return content[:at] + blanks + content[at + 14 :]


# ------------------------------------------------------------------ shared formulas


def test_a_shared_formula_filled_down_an_area_column_is_computed_for_every_row(period, tmp_path):
    content = xlsx(
        {
            "台账": [
                ["街镇", "社区名称", "户数", "便民服务中心", "甲", "乙"],
                ["澄江镇", "运河村", 800, "=SUM(E2:F2)", 100, 200.5],
                ["澄江镇", "澄江路社区", 1200, "=SUM(E3:F3)", 300, 120],
                ["澄江镇", "运河社区", 2000, "=SUM(E4:F4)", 450, 50],
            ]
        }
    )
    code, document = run_import(tmp_path, shared_down(content, "D", 2, 4))
    assert code == 0, document["errors"]
    rows = by_name(document)
    assert rows["运河村村民委员会"]["data"]["service_center"] == 300.5
    assert rows["澄江路社区居民委员会"]["data"]["service_center"] == 420.0
    assert rows["运河社区居民委员会"]["data"]["service_center"] == 500.0


def test_a_follower_summing_text_leaves_it_out_as_excel_does(period, tmp_path):
    """SUM leaves text out of the cells it refers to, as Excel shows it: the figure the
    clerk sees in the cell is the one imported."""
    content = xlsx(
        {
            "台账": [
                ["街镇", "社区名称", "户数", "便民服务中心", "甲", "乙"],
                ["澄江镇", "运河村", 800, "=SUM(E2:F2)", 100, 200.5],
                ["澄江镇", "澄江路社区", 1200, "=SUM(E3:F3)", "八十", 120],
                ["澄江镇", "运河社区", 2000, "=SUM(E4:F4)", 450, 50],
            ]
        }
    )
    code, document = run_import(tmp_path, shared_down(content, "D", 2, 4, cached=420))
    assert code == 0, document["errors"]
    rows = by_name(document)
    assert rows["运河村村民委员会"]["data"]["service_center"] == 300.5
    assert rows["澄江路社区居民委员会"]["data"]["service_center"] == 120.0
    assert rows["运河社区居民委员会"]["data"]["service_center"] == 500.0


def test_a_follower_adding_text_is_refused_naming_its_cell(period, tmp_path):
    """Arithmetic on a text cell is #VALUE! in Excel: refused, naming the formula's cell."""
    content = xlsx(
        {
            "台账": [
                ["街镇", "社区名称", "户数", "便民服务中心", "甲", "乙"],
                ["澄江镇", "运河村", 800, "=E2+F2", 100, 200.5],
                ["澄江镇", "澄江路社区", 1200, "=E3+F3", "八十", 120],
                ["澄江镇", "运河社区", 2000, "=E4+F4", 450, "50"],
            ]
        }
    )
    code, document = run_import(tmp_path, shared_down(content, "D", 2, 4, cached=420))
    assert code == 1
    [error] = document["errors"]
    assert (error["sheet"], error["row"], error["column"]) == ("台账", 3, "D")
    assert "“=E3+F3”" in error["message"] and "引用了非数字单元格" in error["message"]
    rows = by_name(document)
    assert rows["运河村村民委员会"]["data"]["service_center"] == 300.5
    assert rows["运河社区居民委员会"]["data"]["service_center"] == 500.0  # "50" is a number


def test_a_shared_total_column_is_recomputed_on_every_row_not_taken_from_its_cache(
    period, tmp_path
):
    # 甲 is no facility: each row's total is above its parts by 甲, which becomes 其他.
    content = xlsx(
        {
            "台账": [
                [
                    "街镇",
                    "社区名称",
                    "户数",
                    "综合服务设施总建筑面积",
                    "便民服务中心",
                    "警务室",
                    "甲",
                ],
                ["澄江镇", "运河村", 800, "=SUM(E2:G2)", 300, 20, 5],
                ["澄江镇", "澄江路社区", 1200, "=SUM(E3:G3)", 400, 30, 12.5],
                ["澄江镇", "运河社区", 2000, "=SUM(E4:G4)", 500, 40, 7],
            ]
        }
    )
    code, document = run_import(tmp_path, shared_down(content, "D", 2, 4, cached=9999))
    assert code == 0, document["errors"]
    rows = by_name(document)
    expected = {"运河村村民委员会": 5.0, "澄江路社区居民委员会": 12.5, "运河社区居民委员会": 7.0}
    assert {name: rows[name]["data"]["other"] for name in expected} == expected
    assert rows["运河社区居民委员会"]["derived"]["total_area"] == 547.0
    assert not any("9999" in w["message"] for w in document["warnings"])


def test_formulas_without_cached_values_beyond_calamines_cells_are_still_computed():
    # Column E holds only formulas without cached values (not even a header above them):
    # calamine's rows stop at D, the formulas' cells are added.
    content = xlsx(
        {
            "台账": [
                ["街镇", "社区名称", "户数", "警务室", None],
                ["澄江镇", "运河村", 800, 20, "=D2*10"],
                ["澄江镇", "运河社区", 2000, 40, "=D3*10"],
            ]
        }
    )
    [sheet] = read_sheets(shared_down(content, "E", 2, 3), "台账.xlsx")
    assert [row[4:] for row in sheet.rows] == [[], [200], [400]]


def test_a_range_reaching_the_last_cell_sums_the_cells_there_are_at_once():
    content = xlsx(
        {
            "台账": [
                ["社区名称", "户数"],
                ["运河村", 800],
                ["运河社区", 2000],
                ["=SUM(B2:XFD1048576)"],
            ]
        }
    )
    [sheet] = read_sheets(content, "台账.xlsx")  # not 17 billion cells visited
    assert sheet.rows[3][0] == 2800


def test_formulas_reading_more_cells_than_a_sheet_may_are_reported_not_computed(monkeypatch):
    monkeypatch.setattr(files, "MAX_FORMULA_READS", 5)
    content = xlsx(
        {"台账": [["甲", "乙", "丙"], [1, 2, "=A2+B2"], [3, 4, "=SUM(A2:B3)"], [5, 6, "=1+1"]]}
    )
    [sheet] = read_sheets(content, "台账.xlsx")
    assert sheet.rows[1][2] == 3  # two cells read
    unchecked = sheet.rows[2][2]  # four more: over five
    assert isinstance(unchecked, files.UncheckedFormula)
    assert (str(unchecked), unchecked.reason) == ("=SUM(A2:B3)", "公式引用的单元格过多")
    assert sheet.rows[3][2] == 2  # reads no cell


def test_a_formula_beyond_arithmetic_says_what_can_be_computed():
    content = xlsx({"台账": [["甲", "乙"], [1, "=VLOOKUP(1,A1:B2,2)"], [2, "=A3/0"]]})
    [sheet] = read_sheets(content, "台账.xlsx")
    assert sheet.rows[1][1].reason == "只能核算加减乘除和 SUM"
    assert sheet.rows[2][1].reason == "除以零"


def test_a_row_number_that_is_no_number_is_refused_naming_it():
    content = bare_xlsx('<row r="十"><c><v>1</v></c></row>')
    with pytest.raises(FileRefused, match=r"^工作表“台账”中有无法识别的行号“十”，文件已损坏$"):
        read_sheets(content, "台账.xlsx")


# ------------------------------------------------------------------ extents


@pytest.mark.parametrize(
    "content, where",
    [
        (corner_bomb(), "A1:XFD1048576"),
        # the dimension lies: it says two cells, the cells reach the corner
        (bare_xlsx(FAR_CORNER, "A1:B2"), "A1:XFD1048576"),
        (bare_xlsx(FAR_CORNER), "A1:XFD1048576"),  # no dimension at all
        # cells without r="…" are placed one after another: 70,000 rows down
        (bare_xlsx('<row r="70000"><c><v>1</v></c></row>'), "A1:A70000"),
        # a prefix on the cells' tags
        (
            bare_xlsx('<x:c xmlns:x="urn:x" r="GS3"><x:v>1</x:v></x:c>'.join(["<row>", "</row>"])),
            "A1:GS3",
        ),
        # the sheet's XML in UTF-16, where no byte pattern finds a tag
        (
            rewritten(
                bare_xlsx(FAR_CORNER),
                SHEET,
                lambda xml: (
                    codecs.BOM_UTF16_LE
                    + xml.decode()
                    .replace('encoding="UTF-8"', 'encoding="UTF-16"')
                    .encode("utf-16-le")
                ),
            ),
            "A1:XFD1048576",
        ),
        # a declared extent alone
        (bare_xlsx('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:Z90000"), "A1:Z90000"),
    ],
)
def test_an_xlsx_reaching_too_far_is_refused_before_it_is_loaded(content, where):
    with pytest.raises(FileRefused) as refused:
        read_sheets(content, "台账.xlsx", UPLOAD_LIMITS)
    assert f"工作表“台账”的范围是 {where}" in str(refused.value)
    assert "超过导入的上限（每个工作表最多 50000 行、200 列、共 200 万个单元格）" in str(
        refused.value
    )


def test_the_corner_bomb_is_small_and_refused_on_the_command_line_too():
    assert len(corner_bomb()) < 2000
    with pytest.raises(FileRefused, match="A1:XFD1048576（1048576 行 × 16384 列）"):
        check_file(corner_bomb(), "台账.xlsx", COMMAND_LINE_LIMITS)


def test_an_ods_repeating_content_too_far_is_refused():
    assert len(ods_bomb()) < 1500
    with pytest.raises(FileRefused, match="工作表“台账”的范围是 A1:BER50000（50000 行 × 1500 列）"):
        check_file(ods_bomb(), "台账.ods", COMMAND_LINE_LIMITS)


def test_an_ods_with_empty_rows_repeated_to_the_last_row_is_read(period, tmp_path):
    content = ods(
        "".join(ods_row(*row) for row in LEDGER)
        + '<table:table-row table:number-rows-repeated="1048572"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>'
    )
    assert check_file(content, "台账.ods", UPLOAD_LIMITS) is FileKind.PACKAGE
    code, document = run_import(tmp_path, content, name="台账.ods")
    assert code == 0, document["errors"]
    assert by_name(document)["澄江路社区居民委员会"]["data"]["service_center"] == 420.5
    assert len(document["rows"]) == 3


def test_an_xls_reaching_too_far_or_declaring_so_is_refused():
    assert [(e.rows, e.columns) for e in xls_extents(xls(LEDGER))] == [(4, 4)]
    far = xls(LEDGER, far_cell=(60000, 3))
    with pytest.raises(FileRefused, match="工作表“台账”的范围是 A1:D60001"):
        check_file(far, "台账.xls", UPLOAD_LIMITS)
    lying = xls_with_dimensions(0xFFFFFF00)
    with pytest.raises(FileRefused, match="工作表“台账”的范围是 A1:D4294967040"):
        check_file(lying, "台账.xls", COMMAND_LINE_LIMITS)
    with pytest.raises(FileRefused, match="（4 行 × 60000 列）"):
        check_file(xls_with_a_wide_blank_run(), "台账.xls", UPLOAD_LIMITS)


def test_a_country_sized_sheet_is_within_the_command_lines_limits_not_an_uploads():
    country = bare_xlsx('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:N600001")
    assert check_file(country, "全国.xlsx", COMMAND_LINE_LIMITS) is FileKind.PACKAGE
    with pytest.raises(FileRefused, match="600001 行 × 14 列"):
        check_file(country, "全国.xlsx", UPLOAD_LIMITS)


def calamine_rectangle(content: bytes) -> tuple[int, int]:
    """(rows, columns) of the first sheet as calamine materialises it for the reader."""
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False)
    return len(rows), max(map(len, rows), default=0)


cells = st.dictionaries(
    st.tuples(st.integers(0, 400), st.integers(0, 40)),
    st.one_of(st.integers(-5, 10**6), st.text("社区甲乙 1", min_size=1, max_size=4)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(cells=cells, declared=st.booleans())
def test_an_xlsx_extent_is_the_rectangle_calamine_builds(cells, declared):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("台账")
    for (row, column), value in cells.items():
        sheet.write(row, column, value)
    book.close()
    content = buffer.getvalue()
    if not declared:  # the cells alone tell
        content = rewritten(content, SHEET, lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml))
    [extent] = files._zip_extents(content, COMMAND_LINE_LIMITS)
    assert (extent.rows, extent.columns) == calamine_rectangle(content)


@settings(max_examples=40, deadline=None)
@given(cells=cells.map(lambda c: {(r, min(col, 255)): v for (r, col), v in c.items()}))
def test_an_xls_extent_is_the_rectangle_calamine_builds(cells):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    for (row, column), value in cells.items():
        sheet.write(row, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    [extent] = xls_extents(buffer.getvalue())
    assert (extent.rows, extent.columns) == calamine_rectangle(buffer.getvalue())


ods_cells = st.lists(  # a row: (repeat, [(repeat, value or None)])
    st.tuples(
        st.integers(1, 50),
        st.lists(st.tuples(st.integers(1, 30), st.one_of(st.none(), st.integers(0, 99)))),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(rows=ods_cells)
def test_an_ods_extent_is_the_rectangle_calamine_builds(rows):
    def cell(repeat, value):
        repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
        if value is None:
            return f"<table:table-cell{repeated}/>"
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}"{repeated}>'
            f"<text:p>{value}</text:p></table:table-cell>"
        )

    content = ods(
        "".join(
            f'<table:table-row table:number-rows-repeated="{repeat}">'
            + "".join(cell(*c) for c in row_cells)
            + "</table:table-row>"
            for repeat, row_cells in rows
        )
    )
    [extent] = files._zip_extents(content, COMMAND_LINE_LIMITS)
    rows_, columns = calamine_rectangle(content)
    if rows_ and columns:  # calamine's rectangle, read from A1, is what the extent bounds
        assert (extent.rows, extent.columns) == (rows_, columns)
    else:
        assert extent.rows * extent.columns == 0


# ------------------------------------------------------------------ the command line, measured

# The command line in a fresh wrapper process: RUSAGE_CHILDREN's peak there is the
# command's own (with the child it forks to read early), whatever this process ran before.
WRAPPER = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, timeout=300)
print(json.dumps({
    "code": done.returncode,
    "stdout": done.stdout.decode("utf-8", "replace"),
    "stderr": done.stderr.decode("utf-8", "replace"),
    "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


@pytest.fixture(scope="module")
def command_line(tmp_path_factory):
    """`shequ` with its own SQLite database holding 北碚区 and the period 2026H2."""
    var = tmp_path_factory.mktemp("var")
    env = {**os.environ, "SHEQU_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    shequ = str(Path(sys.executable).with_name("shequ"))
    for setup in (
        ["migrate", "-v0"],
        ["load-regions", "beibei_divisions.csv"],
        ["open-period", "2026H2", "--deadline", "2099-12-31"],
    ):
        done = subprocess.run([shequ, *setup], capture_output=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr.decode()

    def run(*arguments: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, shequ, *arguments],
            capture_output=True,
            env=env,
            check=True,
            timeout=300,
        )
        return json.loads(done.stdout)

    return run


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("角落.xlsx", corner_bomb, "工作表“台账”的范围是 A1:XFD1048576"),
        ("假尺寸.xlsx", lambda: bare_xlsx(FAR_CORNER, "A1:B2"), "A1:XFD1048576"),
        ("重复.ods", ods_bomb, "工作表“台账”的范围是 A1:BER50000"),
        ("假尺寸.xls", lambda: xls_with_dimensions(0xFFFFFF00), "A1:D4294967040"),
    ],
)
def test_the_command_line_refuses_a_sparse_bomb_with_exit_2_under_a_gigabyte(
    command_line, tmp_path, name, content, reason
):
    path = tmp_path / name
    path.write_bytes(content())
    result = command_line("import-ledger", str(path), "--period", "2026H2", "--json")
    assert result["code"] == 2, result["stderr"]
    document = json.loads(result["stdout"])
    assert document["ok"] is False and document["rows"] == []
    assert reason in document["errors"][0]["message"]
    assert result["peak_kb"] < 1024 * 1024, result["peak_kb"]
    assert "panicked" not in result["stderr"] and "Traceback" not in result["stderr"]


def test_the_command_line_refuses_an_xls_with_a_far_cell(command_line, tmp_path):
    path = tmp_path / "远处.xls"
    path.write_bytes(xls(LEDGER, far_cell=(65535, 255)))  # BIFF8's last cell: 16.8 million
    result = command_line("import-ledger", str(path), "--period", "2026H2", "--json")
    assert result["code"] == 2, result["stderr"]
    message = json.loads(result["stdout"])["errors"][0]["message"]
    assert "工作表“台账”的范围是 A1:IV65536（65536 行 × 256 列）" in message
    assert result["peak_kb"] < 1024 * 1024


# ------------------------------------------------------------------ the upload page


def uploads() -> list[Path]:
    from django.conf import settings

    folder = Path(settings.MEDIA_ROOT) / "imports"
    return list(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    "name, content",
    [
        ("角落.xlsx", corner_bomb),
        ("假尺寸.xlsx", lambda: bare_xlsx(FAR_CORNER, "A1:B2")),
        ("重复.ods", ods_bomb),
        ("远处.xls", lambda: xls(LEDGER, far_cell=(60000, 3))),
    ],
)
def test_the_upload_page_refuses_a_sparse_bomb_before_keeping_it(
    login, district_admin, period, name, content
):
    response = login(district_admin).post(
        reverse("ledger_import", args=["2026H2"]), {"file": SimpleUploadedFile(name, content())}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "文件无法导入：工作表“台账”的范围是 A1:" in body
    assert "超过导入的上限" in body
    assert uploads() == []


def test_an_upload_that_passes_is_kept_for_its_preview(login, district_admin, period):
    content = ods("".join(ods_row(*row) for row in LEDGER))
    response = login(district_admin).post(
        reverse("ledger_import", args=["2026H2"]),
        {"file": SimpleUploadedFile("台账.ods", content)},
        follow=True,
    )
    assert (
        "导入预览：台账.ods" in response.content.decode() and "新填 3" in response.content.decode()
    )
    assert len(uploads()) == 1


# ------------------------------------------------------------------ encodings

LEDGER_TEXT = "\n".join(",".join(str(v) for v in row) for row in LEDGER) + "\n"
TAB_TEXT = LEDGER_TEXT.replace(",", "\t")


@pytest.mark.parametrize(
    "name, content",
    [
        ("台账.csv", LEDGER_TEXT.encode("utf-8")),
        ("台账.csv", codecs.BOM_UTF8 + LEDGER_TEXT.encode("utf-8")),
        ("台账.csv", LEDGER_TEXT.encode("gbk")),
        ("台账.csv", LEDGER_TEXT.encode("gb18030")),
        ("台账.txt", codecs.BOM_UTF16_LE + TAB_TEXT.replace("\n", "\r\n").encode("utf-16-le")),
        ("台账.csv", codecs.BOM_UTF16_BE + LEDGER_TEXT.encode("utf-16-be")),
        # WPS names its "Unicode 文本" as it likes: the mark tells what it is
        ("台账.xls", codecs.BOM_UTF16_LE + TAB_TEXT.encode("utf-16-le")),
    ],
)
def test_text_in_every_encoding_excel_and_wps_save_reads_to_the_same_rows(name, content):
    [sheet] = read_sheets(content, name)
    assert sheet.rows == [[str(v) for v in row] for row in LEDGER]


def test_unicode_text_imports_as_its_utf8_twin_does(period, tmp_path):
    unicode_text = codecs.BOM_UTF16_LE + TAB_TEXT.replace("\n", "\r\n").encode("utf-16-le")
    code, document = run_import(tmp_path, unicode_text, name="台账.txt")
    assert code == 0, document["errors"]
    _, twin = run_import(tmp_path, LEDGER_TEXT.encode("utf-8"), name="台账.csv")
    assert [r["data"] for r in document["rows"]] == [r["data"] for r in twin["rows"]]
    assert by_name(document)["澄江路社区居民委员会"]["data"]["service_center"] == 420.5


def test_text_that_is_not_what_its_mark_says_is_refused_naming_the_line():
    content = codecs.BOM_UTF8 + "街镇,社区名称\n澄江镇,".encode() + b"\xff\xfe\n"
    with pytest.raises(FileRefused, match="文件开头标明是 UTF-8 编码，但第 2 行附近的内容不是"):
        read_sheets(content, "台账.csv")


def test_a_csv_field_beyond_what_the_csv_reader_takes_is_refused_in_chinese():
    text = "街镇,社区名称,备注\n澄江镇,运河村," + "很长" * 70_000 + "\n"
    with pytest.raises(FileRefused) as refused:
        read_sheets(text.encode(), "台账.csv")
    assert str(refused.value) == "CSV 文件第 2 行的格式有误，无法读取"


# ------------------------------------------------------------------ refusals in Chinese only


def damaged_deflate(content: bytes, part: str) -> bytes:
    """The package with bytes in the middle of `part`'s compressed data overwritten."""
    member = zipfile.ZipFile(io.BytesIO(content)).getinfo(part)
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    middle = start + member.compress_size // 2
    return content[:middle] + b"\xff" * 8 + content[middle + 8 :]


def only_chinese(message: str) -> bool:
    """No English words but the names of the programs and formats the user knows."""
    return set(re.findall(r"[A-Za-z]+", message)) <= {
        "Excel",
        "WPS",
        "xlsx",
        "xlsb",
        "UTF",
        "GBK",
        "CSV",
        "MB",
    }


@pytest.mark.parametrize(
    "name, content",
    [
        (
            "坏.xlsx",
            rewritten(xlsx({"台账": LEDGER}), "xl/sharedStrings.xml", lambda _: b"<sst><si>"),
        ),
        ("坏.xlsx", rewritten(xlsx({"台账": LEDGER}), SHEET, lambda xml: xml[: len(xml) // 2])),
        ("坏.ods", rewritten(ods(ods_row(*LEDGER[0])), "content.xml", lambda xml: xml[:-40])),
        ("坏.xls", xls(LEDGER)[:1536]),
        ("坏.xls", bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 600),
        ("坏.xlsx", b"PK\x03\x04" + b"\x00" * 100),
        ("坏.xlsx", damaged_deflate(xlsx({"台账": LEDGER}), SHEET)),
    ],
)
def test_a_corrupt_file_is_refused_in_chinese_only(name, content):
    with pytest.raises(FileRefused) as refused:
        read_sheets(content, name)
    message = str(refused.value)
    assert message and only_chinese(message), message


def test_a_panic_in_the_reader_is_refused_in_chinese_and_logged(monkeypatch, caplog):
    class PanicException(BaseException):  # as pyo3 raises a Rust panic
        pass

    class Book:
        sheet_names = ["台账"]

        def get_sheet_by_name(self, name):
            raise PanicException("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(files.python_calamine.CalamineWorkbook, "from_filelike", lambda _: Book())
    with pytest.raises(FileRefused) as refused:
        read_sheets(xlsx({"台账": LEDGER}), "台账.xlsx")
    assert str(refused.value).startswith("工作表“台账”已损坏或格式不受支持，无法读取")
    assert "unwrap" in caplog.text  # the original, for whoever reads the logs


def test_an_interrupt_while_reading_is_not_turned_into_a_refusal(monkeypatch):
    def interrupted(_):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.python_calamine.CalamineWorkbook, "from_filelike", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_sheets(xlsx({"台账": LEDGER}), "台账.xlsx")


def test_an_xlsb_is_refused_with_what_to_do():
    content = rewritten(xlsx({"台账": LEDGER}), "xl/workbook.xml", lambda xml: xml)
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for member in source.infolist():
            target.writestr(member.filename, source.read(member))
        target.writestr("xl/workbook.bin", b"\x83\x01\x00")
    with pytest.raises(
        FileRefused, match=r"不支持 Excel 二进制工作簿（\.xlsb），请在 Excel 中另存为 \.xlsx"
    ):
        read_sheets(buffer.getvalue(), "台账.xlsb")


def test_a_csv_whose_second_header_row_ends_early_keeps_the_columns_after_it(period, tmp_path):
    """A CSV's rows end at their last field. A two-row header whose second row stops after
    the facilities still names the columns to its right (达标年度, 户数): they were cut off,
    and the figures under them silently not read."""
    text = (
        "街镇,社区名称,建筑面积,其中,,达标年度,户数\n"
        ",,,便民服务中心,卫生服务站\n"
        "澄江镇,澄江路社区居民委员会,500,400,100,2026,1000\n"
    )
    code, document = run_import(tmp_path, text.encode(), name="台账.csv")
    assert code == 0, document["errors"]
    [row] = document["rows"]
    assert row["data"]["households"] == 1000
    assert row["data"]["compliance_year"] == 2026
