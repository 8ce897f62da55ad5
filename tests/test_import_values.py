"""What the import makes of a row's figures: the file's total is the row's total, 其他 and
the 在中心 flags come from every file that states them, and what a file cannot state is
kept and named, never silently."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.ledger.export import LedgerWorkbook, Line, Sheet
from shequ.ledger.importing.apply import import_apply
from shequ.ledger.importing.files import read_sheets
from shequ.ledger.models import LedgerRow
from shequ.ledger.workbook_xlsx import write_xlsx
from shequ.workflow.ledger_files import ledger_workbook, plan_import, write_csv

from .conftest import CHENGJIANG, YUNHE_CUN, YUNHE_SHEQU
from .import_fixtures import xlsx
from .ledger_helpers import approve_street, open_period

CHENGJIANGLU = "500109102006"  # 澄江路社区居民委员会
# The last approved ledger: every 澄江镇 row with 其他用房, a police room and 常住户数.
BEFORE = {
    "households": 1000,
    "resident_households": 900,
    "service_center": "290.0",
    "police_room": "10.0",
    "other": "50.0",
    "remarks": "旧备注",
}
FACILITIES = ("service_center", "police_room", "day_care", "health_station", "culture_room")


@pytest.fixture
def period(beibei):
    earlier = open_period("2026H1")
    approve_street(earlier, CHENGJIANG, **BEFORE)
    return open_period("2026H2")  # carried forward: 其他用房 50.0 on every row


def official(*lines: Line) -> bytes:
    """The district's official two-sheet workbook (six facility columns and a total, no 其他
    column), filled in by a street: lines of 城市社区, the 农村社区 sheet left empty."""
    buffer = io.BytesIO()
    write_xlsx(
        LedgerWorkbook(
            title="重庆市北碚区城乡社区综合服务设施统计台帐",
            unit="澄江镇",
            period=LedgerRow.objects.first().period,
            filled_on=datetime.date(2026, 10, 28),
            approved=False,
            sheets=[Sheet("城市社区", list(lines)), Sheet("农村社区", [])],
        ),
        buffer,
    )
    return buffer.getvalue()


def line(community: str, total: str, remarks: str = "", **areas) -> Line:
    facilities = dict.fromkeys((*FACILITIES, "grocery"))
    facilities.update({name: Decimal(value) for name, value in areas.items()})
    return Line(1, "澄江镇", community, 1000, Decimal(total), facilities, None, None, remarks)


def plan_of(period, content: bytes, name: str = "ledger.xlsx"):
    sheets = read_sheets(content, name)
    return plan_import(scope=operator_scope(), period=period, sheets=sheets, filename=name)


def planned_row(plan, code: str):
    return next(p for p in plan.rows if p.row.community.code == code)


def where(problem) -> str:
    return f"{problem.sheet}!{problem.column}{problem.row}"


def test_the_files_total_replaces_a_carried_forward_other(period):
    plan = plan_of(period, official(line("澄江路社区", "290.0", service_center="290.0")))
    row = planned_row(plan, CHENGJIANGLU)
    assert row.values["other"] is None
    assert row.derived.total_area == Decimal("290.0")
    assert row.derived.compliant is False  # the old 其他 made it 34 m² per 100 households
    assert "其他用房" in row.change_labels
    assert not [w for w in plan.warnings.listed if w.field == "other"]


def test_a_total_above_its_parts_puts_the_rest_into_other_with_a_warning(period):
    plan = plan_of(period, official(line("澄江路社区", "400.0", service_center="290.0")))
    assert planned_row(plan, CHENGJIANGLU).values["other"] == Decimal("110.0")
    (warning,) = [w for w in plan.warnings.listed if w.field == "other"]
    assert where(warning) == "城市社区!E5"
    assert "差额 110.0㎡ 计入“其他用房”" in warning.message


def test_a_total_below_its_parts_is_an_error_naming_the_cell(period):
    plan = plan_of(
        period, official(line("澄江路社区", "250.0", service_center="290.0", police_room="20.0"))
    )
    assert not plan.ok
    (error,) = plan.errors.listed
    assert where(error) == "城市社区!E5" and error.field == "total"
    assert error.message == "总建筑面积 250.0㎡ 小于各项之和 310.0㎡，请核对总面积或各项面积"


def test_other_written_in_remarks_beside_a_total_counts_once(period):
    remarks = "新建；其他用房 12.5㎡"
    plan = plan_of(
        period, official(line("澄江路社区", "302.5", remarks=remarks, service_center="290.0"))
    )
    row = planned_row(plan, CHENGJIANGLU)
    assert row.values["other"] == Decimal("12.5") and row.values["remarks"] == "新建"
    assert row.derived.total_area == Decimal("302.5")
    assert plan.ok and not [w for w in plan.warnings.listed if w.field in ("other", "total")]


@pytest.mark.parametrize(
    ("total", "message"),
    [
        ("约300", "综合服务设施总建筑面积应为数字，不能是“约300”"),
        ("300.25", "综合服务设施总建筑面积最多保留一位小数：“300.25”"),
        ("设在便民服务中心", "综合服务设施总建筑面积应为数字，不能是“设在便民服务中心”"),
    ],
)
def test_a_total_that_cannot_be_read_is_an_error_naming_the_cell(period, total, message):
    content = xlsx(
        {"Sheet1": [["街镇", "社区名称", "户数", "总建筑面积"], ["澄江镇", "运河社区", 800, total]]}
    )
    plan = plan_of(period, content)
    assert [(where(e), e.message) for e in plan.errors.listed] == [("Sheet1!D2", message)]


def test_a_total_leaving_more_than_other_can_hold_is_an_error(period):
    content = xlsx(
        {"Sheet1": [["街镇", "社区名称", "户数", "总建筑面积"], ["澄江镇", "运河社区", 800, 2e8]]}
    )
    plan = plan_of(period, content)
    assert [(where(e), e.field) for e in plan.errors.listed] == [("Sheet1!D2", "total")]
    assert "超出“其他用房”的上限" in plan.errors.listed[0].message


def one_row_file(header: list, *rows: list) -> bytes:
    return xlsx({"Sheet1": [["街镇", "社区名称", "户数", *header], *rows]})


def test_six_facility_columns_without_total_or_other_leave_other_empty(period):
    header = ["便民服务中心", "警务室", "日间照料中心", "卫生服务站", "文化活动室", "菜店"]
    content = one_row_file(header, ["澄江镇", "运河社区", 800, 300, 20, "", "", "", ""])
    row = planned_row(plan_of(period, content), YUNHE_SHEQU)
    assert row.values["other"] is None and row.values["police_room"] == Decimal("20")
    assert row.values["day_care"] is None
    assert "其他用房" in row.change_labels


def test_only_some_facility_columns_keep_the_rest_and_say_so(period):
    content = one_row_file(["便民服务中心"], ["澄江镇", "运河社区", 800, 300])
    plan = plan_of(period, content)
    row = planned_row(plan, YUNHE_SHEQU)
    assert row.values["service_center"] == Decimal("300")
    assert row.values["police_room"] == Decimal("10.0") and row.values["other"] == Decimal("50.0")
    assert row.values["remarks"] == "旧备注" and row.values["resident_households"] == 900
    (kept,) = [w for w in plan.warnings.listed if w.row is None]
    assert kept.sheet == "Sheet1"
    assert kept.field == "" and kept.column == ""
    assert kept.message == (
        "本表没有“常住户数”“警务室”“其他用房”“备注”列，这些项保留系统中原有的数值，未从文件导入"
    )


def test_a_total_without_facility_columns_is_weighed_against_the_kept_parts(period):
    content = one_row_file(
        ["总建筑面积"], ["澄江镇", "运河社区", 800, 400], ["澄江镇", "运河村", 800, 250]
    )
    plan = plan_of(period, content)
    # 运河社区: 400 over the kept 290 + 10 leaves 100 for 其他 (the old 50 replaced).
    assert planned_row(plan, YUNHE_SHEQU).values["other"] == Decimal("100.0")
    assert [(where(w), w.message) for w in plan.warnings.listed if w.field == "other"] == [
        ("Sheet1!D2", "总建筑面积 400.0㎡ 大于各项之和 300.0㎡，差额 100.0㎡ 计入“其他用房”")
    ]
    assert [(where(e), e.field) for e in plan.errors.listed] == [("Sheet1!D3", "total")]
    (kept,) = [w for w in plan.warnings.listed if w.row is None]
    assert "“便民服务中心”“警务室”" in kept.message


def test_fields_the_official_workbook_has_no_column_for_are_named_as_kept(period):
    plan = plan_of(period, official(line("澄江路社区", "290.0", service_center="290.0")))
    kept = [w for w in plan.warnings.listed if w.row is None]
    assert [(w.sheet, w.message) for w in kept] == [
        ("城市社区", "本表没有“常住户数”列，这些项保留系统中原有的数值，未从文件导入")
    ]
    assert planned_row(plan, CHENGJIANGLU).values["resident_households"] == 900


def test_a_flag_is_stated_by_remarks_or_by_an_area_cell(period):
    header = ["便民服务中心", "警务室", "卫生服务站", "备注"]
    content = one_row_file(
        header,
        ["澄江镇", "运河社区", 800, 300, "", "", "警务室设在便民服务中心"],
        ["澄江镇", "运河村", 800, 300, "", "设在便民服务中心", ""],
    )
    plan = plan_of(period, content)
    assert plan.ok, plan.errors.listed
    shequ, cun = planned_row(plan, YUNHE_SHEQU).values, planned_row(plan, YUNHE_CUN).values
    assert shequ["police_room_in_center"] and shequ["police_room"] is None
    assert not shequ["health_station_in_center"] and shequ["remarks"] == ""
    assert cun["health_station_in_center"] and cun["health_station"] is None
    assert not cun["police_room_in_center"]
    # The carried-forward 其他 does not linger: 备注 is where it would be written.
    assert shequ["other"] is None and cun["other"] is None


def test_flag_columns_are_read_and_contradictions_are_errors(period):
    header = ["警务室", "警务室设在便民服务中心", "卫生服务站", "卫生服务站设在便民服务中心"]
    content = one_row_file(
        header,
        ["澄江镇", "运河社区", 800, "", "是", 0, "否"],
        ["澄江镇", "运河村", 800, 20, "是", "设在便民服务中心", "否"],
        ["澄江镇", "澄江路社区", 800, "", "也许", "", ""],
    )
    plan = plan_of(period, content)
    values = planned_row(plan, YUNHE_SHEQU).values
    assert values["police_room_in_center"] and values["police_room"] is None
    assert not values["health_station_in_center"] and values["health_station"] == 0
    assert [(where(e), e.message) for e in plan.errors.listed] == [
        ("Sheet1!D3", "“警务室设在便民服务中心”列写明警务室设在便民服务中心，不应再填写面积（20）"),
        ("Sheet1!F3", "卫生服务站写明设在便民服务中心，但“卫生服务站设在便民服务中心”列为“否”"),
        ("Sheet1!E4", "警务室设在便民服务中心应填“是”或“否”，不能是“也许”"),
    ]


def test_remarks_ending_like_the_exports_parts_come_back_as_stored(period):
    row = LedgerRow.objects.get(period=period, community__code=YUNHE_SHEQU)
    LedgerRow.objects.filter(pk=row.pk).update(
        remarks="警务室设在便民服务中心", other=None, police_room=None
    )
    buffer = io.BytesIO()
    write_xlsx(ledger_workbook(scope=operator_scope(), period=period, street=row.street), buffer)
    plan = plan_of(period, buffer.getvalue())
    values = planned_row(plan, YUNHE_SHEQU).values
    assert values["remarks"] == "警务室设在便民服务中心"
    assert values["police_room_in_center"] is False
    # The same words in a file for a row stored otherwise still seat the police room.
    LedgerRow.objects.filter(pk=row.pk).update(remarks="")
    values = planned_row(plan_of(period, buffer.getvalue()), YUNHE_SHEQU).values
    assert values["remarks"] == "" and values["police_room_in_center"] is True


def test_the_csv_exports_derived_columns_change_nothing(period):
    stream = io.StringIO()
    write_csv(scope=operator_scope(), period=period, street=None, stream=stream)
    lines = stream.getvalue().splitlines()
    header = lines[0].split(",")
    derived = [header.index(h) for h in header if h.split("（")[0] in DERIVED_NAMES]
    edited = [lines[0]]
    for text in lines[1:]:
        cells = text.split(",")
        for index in derived:
            cells[index] = "9999" if index != derived[-1] else "否"
        edited.append(",".join(cells))
    plan = plan_of(period, "\n".join(edited).encode("utf-8"), "ledger.csv")
    assert len(plan.rows) == LedgerRow.objects.filter(period=period).count()
    assert {p.status for p in plan.rows} == {"unchanged"}


DERIVED_NAMES = {"per_100_households", "compliant", "shortfall", "approved"}


def test_a_clerks_file_imported_twice_changes_nothing_the_second_time(period):
    content = one_row_file(
        ["总建筑面积", "便民服务中心", "警务室", "备注"],
        ["澄江镇", "运河社区", 800, 400, 300, "设在便民服务中心", "新建；其他用房 12.5㎡"],
        ["澄江镇", "运河村", 800, 350, 300, 20, "卫生服务站设在便民服务中心"],
    )
    first = plan_of(period, content)
    import_apply(scope=operator_scope(), plan=first)
    stored = LedgerRow.objects.get(period=period, community__code=YUNHE_SHEQU)
    assert stored.other == Decimal("100.0") and stored.total_area == Decimal("400.0")
    assert stored.police_room_in_center and stored.remarks == "新建"
    village = LedgerRow.objects.get(period=period, community__code=YUNHE_CUN)
    assert village.health_station_in_center and village.other == Decimal("30.0")
    again = plan_of(period, content)
    assert {p.status for p in again.rows} == {"unchanged"}


def test_the_preview_page_lists_other_among_the_changes(login, district_admin, period):
    content = official(line("澄江路社区", "290.0", service_center="290.0"))
    response = login(district_admin).post(
        reverse("ledger_import", args=["2026H2"]),
        {"file": SimpleUploadedFile("台账.xlsx", content)},
        follow=True,
    )
    body = response.content.decode()
    assert "导入预览：台账.xlsx" in body
    # The police room and 备注 are blank in the file; the carried-forward 其他 goes too.
    # Each with its stored value and the file's (issue 21: old → new for every changed cell).
    changes = body.split('<td class="small">')[-1].split("</td>")[0]
    assert [line.split("：")[0] for line in changes.split('<div class="text-nowrap">')[1:]] == [
        "警务室",
        "其他用房",
        "备注",
    ]
    assert "→ <strong>空</strong>" in changes
    assert "本表没有“常住户数”列" in body


# Any layout a clerk might send, for the import-twice property: a random choice and order
# of the ledger's columns, and cells as clerks fill them.
AREA_CELLS = st.one_of(
    st.none(),
    st.sampled_from(["", "/", "无", "设在便民服务中心", "12.5㎡", "０"]),
    st.decimals(min_value=0, max_value=5000, places=1).map(float),
)
COLUMN_CELLS = {
    "户数": st.one_of(st.none(), st.integers(1, 50_000)),
    "常住户数": st.one_of(st.none(), st.integers(0, 50_000)),
    "总建筑面积": st.one_of(
        st.none(), st.decimals(min_value=0, max_value=20000, places=1).map(float)
    ),
    "便民服务中心": AREA_CELLS,
    "警务室": AREA_CELLS,
    "日间照料中心": AREA_CELLS,
    "卫生服务站": AREA_CELLS,
    "文化活动室": AREA_CELLS,
    "菜店": AREA_CELLS,
    "其他用房": AREA_CELLS,
    "警务室设在便民服务中心": st.sampled_from(["是", "否", ""]),
    "卫生服务站设在便民服务中心": st.sampled_from(["是", "否", ""]),
    "达标年度": st.sampled_from(["", 2027, "2030年"]),
    "备注": st.lists(
        st.sampled_from(
            ["新建", "；", "警务室设在便民服务中心", "卫生室设在便民服务中心", "其他用房 8㎡"]
        ),
        max_size=3,
    ).map("".join),
}
layouts = st.lists(st.sampled_from(sorted(COLUMN_CELLS)), min_size=1, unique=True)


@st.composite
def clerks_files(draw) -> bytes:
    columns = draw(layouts)
    rows = [
        ["澄江镇", community, *(draw(COLUMN_CELLS[c]) for c in columns)]
        for community in ("澄江路社区", "运河社区", "运河村")
    ]
    return xlsx({"Sheet1": [["街镇", "社区名称", *columns], *rows]})


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=clerks_files())
def test_any_clerks_file_imported_twice_changes_nothing_the_second_time(period, content):
    first = plan_of(period, content)
    event("refused" if not first.ok else "applied")
    if not first.ok:
        return  # refused whole: nothing written
    import_apply(scope=operator_scope(), plan=first)
    again = plan_of(period, content)
    assert again.ok, again.errors.listed
    assert {p.row.community.name: p.changes for p in again.rows if p.changes} == {}


def test_the_official_workbook_carried_into_a_period_with_other_gives_its_own_verdicts(period):
    """The issue's case, end to end: a street's official workbook (six facilities and a
    total, no 其他 column) imported into a period carried forward with 其他用房 50 on every
    row: each stored total is the file's, and on approval a plan is drafted for every
    community the file shows short (29 m² per 100 households, where the old 其他 made 34)."""
    from shequ.plans.models import Plan
    from shequ.workflow.imports import import_backfill_approved

    rows = LedgerRow.objects.filter(period=period, street__code=CHENGJIANG).select_related(
        "community"
    )
    names = {row.community.code: row.community.name for row in rows}
    content = official(*(line(name, "290.0", service_center="290.0") for name in names.values()))
    plan = plan_of(period, content)
    assert plan.ok and len(plan.rows) == len(names)
    assert all("其他用房" in p.change_labels for p in plan.rows)
    import_backfill_approved(scope=operator_scope(), plan=plan, reason="区民政局核定台账")
    for row in LedgerRow.objects.filter(period=period, street__code=CHENGJIANG):
        assert row.other is None and row.total_area == Decimal("290.0")
    drafted = Plan.objects.filter(community__code__in=names).values_list(
        "community__code", flat=True
    )
    assert set(drafted) == set(names)
