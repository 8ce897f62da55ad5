"""Ledgers generated at random and written in the layouts streets send: one or two header
rows, columns reordered and worded differently, a title and blank rows above, the street
merged down or written once, 小计/合计 rows, units and full-width digits, totals as values,
plain or shared formulas, 说明 and sign-off lines below; as .xlsx, .xls or .csv/.txt in
UTF-8 (± BOM), GBK or UTF-16 with a BOM.

A `Case` is one generated ledger written in one layout: its file, and for every
community the figures an import must read from it (`Entry.expected`). Hypothesis draws
cases with `cases()`; the writers (`write_case`) can build one file for any test.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import xlsxwriter
import xlwt
from hypothesis import strategies as st

from shequ.ledger.export import LISTED_FACILITIES
from shequ.ledger.importing.reader import column_letter
from shequ.regions.names import name_stem, normalize_name

FACILITIES = LISTED_FACILITIES  # the six the template lists
# Facility → its 设在便民服务中心 flag (the ledger's CO_LOCATION_FLAGS).
IN_CENTRE_FLAGS = {
    "police_room": "police_room_in_center",
    "day_care": "day_care_in_center",
    "health_station": "health_station_in_center",
    "culture_room": "culture_room_in_center",
}


@dataclass(frozen=True)
class Place:
    code: str
    name: str  # official, as the division file has it
    street_code: str
    street_name: str

    @property
    def urban(self) -> bool:
        return self.name.endswith("居民委员会")


TIANSHENG_CODE, CHENGJIANG_CODE = "500109001", "500109102"
STREETS = {
    TIANSHENG_CODE: (
        "天生街道",
        {
            "500109001028": "新星路社区居民委员会",
            "500109001033": "西南大学北社区居民委员会",
            "500109001034": "天生桥社区居民委员会",
            "500109001035": "西南大学南社区居民委员会",
            "500109001037": "碚峡路社区居民委员会",
            "500109001038": "龙溪路社区居民委员会",
            "500109001039": "荷花池社区居民委员会",
            "500109001040": "奔月路社区居民委员会",
            "500109001041": "泉外园社区居民委员会",
            "500109001042": "宁溪社区居民委员会",
        },
    ),
    CHENGJIANG_CODE: (
        "澄江镇",
        {
            "500109102006": "澄江路社区居民委员会",
            "500109102007": "运河社区居民委员会",
            "500109102205": "缙云村村民委员会",
            "500109102206": "北泉村村民委员会",
            "500109102227": "澄江村村民委员会",
            "500109102228": "中石盘村村民委员会",
            "500109102229": "运河村村民委员会",
            "500109102230": "柏林村村民委员会",
            "500109102231": "五一村村民委员会",
            "500109102232": "转龙村村民委员会",
            "500109102233": "史家村村民委员会",
            "500109102234": "民权村村民委员会",
            "500109102235": "上马台村村民委员会",
        },
    ),
}


def places(street_code: str) -> list[Place]:
    street_name, communities = STREETS[street_code]
    return [Place(code, name, street_code, street_name) for code, name in communities.items()]


# ------------------------------------------------------------------ what a file holds


@dataclass(frozen=True)
class Formula:
    """A formula cell (.xlsx only); `shared` names the run of cells written as one shared
    formula, filled down the column as Excel stores it."""

    text: str
    shared: str = ""


@dataclass
class Entry:
    """One community's row: the figures generated, and the cells that state them."""

    place: Place
    households: int
    areas: dict[str, Decimal | None]  # the six facilities; None where blank or in the centre
    in_centre: frozenset[str]  # facilities set in the 便民服务中心
    other: Decimal | None
    compliance_year: int | None
    remarks: str  # the street's own text, without the parts that state flags or 其他
    cells: dict[str, Any] = field(default_factory=dict)  # column key → the cell as written

    def expected(self) -> dict[str, Any]:
        """Every figure of the row, as the import must plan and store it."""
        values: dict[str, Any] = {"households": self.households, **self.areas}
        values["other"] = self.other
        for facility, flag in IN_CENTRE_FLAGS.items():
            values[flag] = facility in self.in_centre
        values["compliance_year"] = self.compliance_year
        values["remarks"] = self.remarks
        return values

    @property
    def total(self) -> Decimal:
        parts = [a for a in self.areas.values() if a is not None]
        return sum(parts, Decimal(0)) + (self.other or Decimal(0))


@dataclass(frozen=True)
class Layout:
    format: str  # xlsx, xls, csv
    encoding: str = "utf-8"  # csv only: utf-8, utf-8-sig, gbk, utf-16-le, utf-16-be
    delimiter: str = ","
    header_rows: int = 1
    columns: tuple[str, ...] = ()  # column keys, left to right
    headers: tuple[tuple[str, str], ...] = ()  # column key → its wording
    group: tuple[str, ...] = ()  # the columns under 其中 in a two-row header
    title: bool = False
    blank_rows_above: int = 0
    left_margin: int = 0  # empty columns left of the table
    blank_rows_between: bool = False  # a blank row here and there among the data rows
    notes_sheet: bool = False  # .xlsx/.xls: a 填表说明 sheet of text first
    street_fill: str = "every"  # every, first (first row of its block), merged
    other_mode: str = "none"  # column, total, both, remarks, none
    total_style: str = "value"  # value, text, formula, shared
    formula_in: str = "total"  # total (=SUM(parts)+其他) or other (=total−SUM(parts))
    ratio_formula: bool = False  # .xlsx: 每百户 as =total/households*100
    sum_label: str = "street"  # where 小计/合计 are written: street, community, number
    subtotals: bool = False
    grand_total: bool = False
    total_first: bool = False  # the 合计 right under the header, above the rows it sums
    sign_off: bool = False
    split_sheets: bool = False  # 城市社区 and 农村社区 on sheets of their own
    merged_header: bool = False  # xlsx/xls: 其中 across its group, the others down two rows
    suffix: str = ".csv"

    def header(self, key: str) -> str:
        return dict(self.headers)[key]

    def describe(self) -> str:
        parts = [self.format]
        if self.format == "csv":
            parts.append(f"{self.encoding} {'tab' if self.delimiter == chr(9) else 'comma'}")
        parts += [
            f"{self.header_rows}-row header" + (" merged" if self.merged_header else ""),
            "columns " + " | ".join(self.header(k) for k in self.columns),
            f"street {self.street_fill}" if "street" in self.columns else "no street column",
            f"其他 by {self.other_mode}",
        ]
        if "total" in self.columns:
            parts.append(f"total as {self.total_style}")
            if self.total_style in ("formula", "shared"):
                parts.append(f"the formula in the {self.formula_in} column")
        if self.subtotals or self.grand_total:
            parts.append(f"sum labels in the {self.sum_label} column")
        flags = (
            ("title", self.title),
            ("每百户 as formulas", self.ratio_formula),
            (f"{self.blank_rows_above} blank rows above", self.blank_rows_above),
            ("blank rows among the data", self.blank_rows_between),
            (f"{self.left_margin} empty columns on the left", self.left_margin),
            ("a notes sheet first", self.notes_sheet),
            ("小计", self.subtotals),
            ("合计" + (" first" if self.total_first else ""), self.grand_total),
            ("sign-off lines", self.sign_off),
            ("urban/rural sheets", self.split_sheets),
        )
        parts += [name for name, on in flags if on]
        return "; ".join(parts)


@dataclass
class WrittenSheet:
    name: str
    grid: list[list[Any]]  # rows of cells, row 1 of the sheet first
    data_rows: dict[str, int] = field(default_factory=dict)  # community code → sheet row
    merges: list[tuple[int, int, int, int, Any]] = field(default_factory=list)  # 0-based


@dataclass
class Case:
    layout: Layout
    entries: list[Entry]  # in the file's order
    streets: tuple[str, ...]  # street codes, in the file's order
    sheets: list[WrittenSheet] = field(default_factory=list, repr=False)
    content: bytes = field(default=b"", repr=False)

    @property
    def filename(self) -> str:
        return f"台账{self.layout.suffix}"

    @property
    def needs_street(self) -> str | None:
        """The street to name when importing (as --street does): when the file names none."""
        if "street" in self.layout.columns or "code" in self.layout.columns:
            return None
        return self.streets[0]

    def describe(self) -> str:
        return f"{self.layout.describe()}; {len(self.entries)} communities in {self.filename}"

    def __repr__(self) -> str:
        # What Hypothesis prints for a failing example: the layout and each row's figures.
        rows = "\n".join(f"  {e.place.name} {e.expected()} cells {e.cells}" for e in self.entries)
        return f"Case({self.describe()}\n{rows})"


# ------------------------------------------------------------------ header wordings

HEADER_WORDINGS = {
    "number": ("序号", "编号"),
    "code": ("区划代码", "统计用区划代码", "社区代码"),
    "street": ("所在街道（乡镇）", "街镇", "街道", "乡镇（街道）"),
    "community": ("村（社区）名称", "社区名称", "社区", "村（社区）"),
    "households": ("户数", "户籍户数", "辖区户籍人口总户数（户）", "户籍人口户数"),
    "total": ("建筑面积(㎡)", "综合服务设施总建筑面积（平方米）", "总面积", "面积合计"),
    "service_center": ("便民服务中心", "便民服务中心（㎡）", "其中：便民服务中心"),
    "police_room": ("警务室",),
    "day_care": ("日间照料中心", "养老服务站", "日间照料中心（养老服务站）"),
    "health_station": ("卫生室", "卫生服务站"),
    "culture_room": ("文化活动室",),
    "grocery": ("菜店", "菜店（平价超市）", "平价超市"),
    "other": ("其他用房", "其他", "其它用房"),
    "ratio": ("每百户居民拥有综合服务设施面积（平方米）", "每百户面积"),
    "compliance_year": ("达标年度", "达标年份", "达标时间"),
    "remarks": ("备注",),
}
# How 备注 names a facility set in the centre.
CENTRE_NAMES = {
    "police_room": ("警务室",),
    "day_care": ("日间照料中心（养老服务站）", "养老服务站", "日间照料中心"),
    "health_station": ("卫生服务站", "卫生室"),
    "culture_room": ("文化活动室",),
}
CENTRE_PHRASES = ("设在便民服务中心", "在便民服务中心内", "设在便民服务中心内")
BLANK_MARKS = (None, "", "/", "—", "无")
REMARK_WORDS = (
    *("新建", "改造", "租用", "用房", "说明", "面积", "居民", "活动", "场地", "二楼"),
    *("待验收", "号楼", "=", "＝", "；", "、", "1", "20", "（暂定）", "A栋", "+", "\n第二行"),
    *("合计两处", "小计"),
)
UNITS = ("㎡", "平方米", "m2", "平米")
SUM_LABELS = ("小计", "合计")


# ------------------------------------------------------------------ strategies


@st.composite
def layouts(
    draw,
    formats: tuple[str, ...] = ("xlsx", "xls", "csv"),
    streets: int = 1,
    formulas: bool = False,
) -> Layout:
    """A layout in one of `formats`; with `formulas`, an .xlsx whose total or 其他 column
    is a plain or shared formula (otherwise a twentieth of the .xlsx layouts)."""
    fmt = draw(st.sampled_from(formats))
    encoding, delimiter, suffix = "utf-8", ",", f".{fmt}"
    if fmt == "csv":
        encoding = draw(st.sampled_from(("utf-8", "utf-8-sig", "gbk", "utf-16-le", "utf-16-be")))
        delimiter = draw(st.sampled_from((",", "\t")))
        suffix = (
            draw(st.sampled_from((".txt", ".csv"))) if encoding.startswith("utf-16") else ".csv"
        )
    other_modes = ("total", "both") if formulas else ("column", "total", "both", "remarks", "none")
    other_mode = draw(st.sampled_from(other_modes))
    optional = {
        "number": draw(st.booleans()),
        "code": draw(st.booleans()),
        # Two streets cannot be told apart without a street or a code column.
        "street": draw(st.booleans()) or streets > 1,
        "ratio": draw(st.booleans()),
        "total": other_mode in ("total", "both"),
        "other": other_mode in ("column", "both"),
    }
    header_rows = draw(st.sampled_from((1, 2)))
    group = [*FACILITIES, *(["other"] if optional["other"] and draw(st.booleans()) else [])]
    group = draw(st.permutations(group))
    singles = [
        key
        for key in ("number", "code", "street", "community", "households", "total", "other")
        if key in ("community", "households") or optional[key]
    ]
    singles += ["ratio"] if optional["ratio"] else []
    singles = [k for k in singles if k not in group] + ["compliance_year", "remarks"]
    if header_rows == 2:
        blocks = [[k] for k in singles] + [list(group)]
    else:
        blocks = [[k] for k in (*singles, *group)]
    blocks = draw(st.permutations(blocks))
    columns = tuple(key for block in blocks for key in block)
    headers = tuple((key, draw(header_wordings(key))) for key in columns)
    total_styles = [] if formulas else ["value", "text"]
    if fmt == "xlsx":
        total_styles += ["formula", "shared"]
    street_fills = ["every", "first"] + (["merged"] if fmt != "csv" else [])
    total_style = draw(st.sampled_from(total_styles))
    formula_in = "total"
    if total_style in ("formula", "shared") and other_mode == "both":
        formula_in = draw(st.sampled_from(("total", "other")))
    return Layout(
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        header_rows=header_rows,
        columns=columns,
        headers=headers,
        group=tuple(group) if header_rows == 2 else (),
        title=draw(st.booleans()),
        blank_rows_above=draw(st.integers(0, 2)),
        blank_rows_between=draw(st.booleans()),
        left_margin=draw(st.integers(0, 1)),
        notes_sheet=fmt != "csv" and draw(st.booleans()),
        street_fill=draw(st.sampled_from(street_fills)),
        other_mode=other_mode,
        total_style=total_style,
        formula_in=formula_in,
        ratio_formula=fmt == "xlsx" and optional["ratio"] and draw(st.booleans()),
        sum_label=draw(st.sampled_from(("street", "community", "number", "first"))),
        subtotals=draw(st.booleans()),
        grand_total=draw(st.booleans()),
        total_first=draw(st.booleans()),
        sign_off=draw(st.booleans()),
        split_sheets=fmt != "csv" and draw(st.booleans()),
        merged_header=fmt != "csv" and draw(st.booleans()),
        suffix=suffix,
    )


@st.composite
def header_wordings(draw, key: str) -> str:
    """A column's header as typed: a line break (Alt+Enter) or spaces inside it at times."""
    wording = draw(st.sampled_from(HEADER_WORDINGS[key]))
    if len(wording) > 2 and draw(st.integers(0, 3)) == 0:
        cut = draw(st.integers(1, len(wording) - 1))
        wording = wording[:cut] + draw(st.sampled_from(("\n", " ", "　"))) + wording[cut:]
    return wording


tenths = st.integers(min_value=1, max_value=30000).map(lambda n: Decimal(n) / 10)
areas = st.one_of(st.none(), st.just(Decimal("0.0")), tenths)


def remarks_texts() -> st.SearchStrategy[str]:
    return (
        st.lists(st.sampled_from(REMARK_WORDS), max_size=5)
        .map("".join)
        .map(str.strip)
        .filter(lambda text: not text.startswith("'"))
    )


@st.composite
def entries(draw, place: Place, layout: Layout) -> Entry:
    """One community's figures and the cells that state them, as the layout allows."""
    formulas = layout.total_style in ("formula", "shared")
    in_centre = frozenset(f for f in IN_CENTRE_FLAGS if draw(st.booleans()))
    values = {f: None if f in in_centre else draw(areas) for f in FACILITIES}
    if layout.other_mode == "none" or (
        layout.other_mode == "total" and layout.total_style == "shared"
    ):
        other = None  # the file has no way to state it (a shared SUM of the parts alone)
    elif layout.formula_in == "other":
        other = draw(st.one_of(st.just(Decimal("0.0")), tenths))  # total − parts: never blank
    elif layout.other_mode in ("total", "remarks"):
        other = draw(st.one_of(st.none(), tenths))  # 0 reads as no 其他 in these layouts
    else:
        other = draw(areas)
    entry = Entry(
        place=place,
        households=draw(st.integers(min_value=1, max_value=60000)),
        areas=values,
        in_centre=in_centre,
        other=other,
        compliance_year=draw(st.one_of(st.none(), st.integers(2020, 2030))),
        remarks=draw(remarks_texts()),
    )
    by_remarks = frozenset(f for f in sorted(in_centre) if draw(st.booleans()))
    cells = entry.cells
    cells["number"] = None  # numbered when the sheet is laid out
    cells["code"] = draw(st.sampled_from((place.code, int(place.code), fullwidth(place.code))))
    street_names = [place.street_name, place.street_code]  # 天生街道, 500109001
    if place.street_name.endswith("街道"):
        street_names.append(place.street_name + "办事处")
    cells["street"] = draw(st.sampled_from(street_names))
    cells["community"] = draw(community_names(place))
    if "code" in layout.columns and draw(st.integers(0, 5)) == 0:
        cells["community"] = None  # the code alone names the community
    cells["households"] = draw(count_cells(entry.households))
    for facility in FACILITIES:
        if facility in by_remarks:
            cells[facility] = draw(st.sampled_from((None, "")))
        elif facility in in_centre:
            cells[facility] = draw(st.sampled_from(CENTRE_PHRASES))
        else:
            cells[facility] = draw(area_cells(values[facility], numbers_only=formulas))
    cells["other"] = draw(area_cells(other, numbers_only=formulas))
    cells["total"] = draw(area_cells(entry.total, numbers_only=True))
    if layout.total_style == "text":
        cells["total"] = draw(area_cells(entry.total, numbers_only=False, text=True))
    cells["ratio"] = round(float(entry.total) / entry.households * 100, 2)
    cells["compliance_year"] = draw(year_cells(entry.compliance_year))
    cells["remarks"] = draw(remarks_cell(entry, by_remarks, layout))
    return entry


@st.composite
def community_names(draw, place: Place) -> str:
    short = normalize_name(place.name)  # 新星路社区, 运河村
    committee = "居委会" if place.urban else "委会"
    names = [place.name, short, short + committee, f" {short}　"]
    stem = name_stem(short)  # 新星路: where no other community of the street shares it
    if all(
        name_stem(normalize_name(p.name)) != stem for p in places(place.street_code) if p != place
    ):
        names.append(stem)
    return draw(st.sampled_from(names))


def fullwidth(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789.,"})


@st.composite
def count_cells(draw, count: int):
    text = draw(st.sampled_from((str(count), f"{count:,}", f"{count}.0")))
    text += draw(st.sampled_from(("", "户")))
    if draw(st.booleans()):
        text = fullwidth(text)
    return draw(st.sampled_from((count, float(count), text)))


@st.composite
def area_cells(draw, area: Decimal | None, *, numbers_only: bool, text: bool = False):
    if area is None:
        return draw(st.sampled_from((None, "") if numbers_only else BLANK_MARKS))
    number = int(area) if area == int(area) and draw(st.booleans()) else float(area)
    if numbers_only and not text:
        return number
    shown = draw(st.sampled_from((str(area), f"{area:,}", f"{area:.2f}")))
    shown += draw(st.sampled_from(("", *UNITS)))
    if draw(st.booleans()):
        shown = fullwidth(shown)
    return shown if text else draw(st.sampled_from((number, shown)))


@st.composite
def year_cells(draw, year: int | None):
    if year is None:
        return draw(st.sampled_from((None, "", "/")))
    return draw(
        st.sampled_from(
            (year, float(year), str(year), f"{year}年", f"{year}年度", fullwidth(str(year)))
        )
    )


@st.composite
def remarks_cell(draw, entry: Entry, by_remarks: frozenset[str], layout: Layout) -> str:
    """备注 as streets write it: their own text, then what puts facilities in the centre
    (警务室、卫生服务站设在便民服务中心) and 其他用房 where the layout states it there."""
    parts = [entry.remarks] if entry.remarks else []
    tails = []
    if by_remarks:
        names = "、".join(draw(st.sampled_from(CENTRE_NAMES[f])) for f in sorted(by_remarks))
        tails.append(names + "设在便民服务中心")
    if layout.other_mode == "remarks" and entry.other is not None:
        unit = draw(st.sampled_from(("㎡", "平方米", "")))
        tails.append(f"其他用房{draw(st.sampled_from(('', ' ')))}{entry.other}{unit}")
    return "；".join([*parts, *draw(st.permutations(tails))])


@st.composite
def cases(
    draw,
    formats: tuple[str, ...] = ("xlsx", "xls", "csv"),
    max_streets: int = 2,
    formulas: bool = False,
) -> Case:
    street_codes = draw(
        st.lists(
            st.sampled_from((TIANSHENG_CODE, CHENGJIANG_CODE)),
            min_size=1,
            max_size=max_streets,
            unique=True,
        )
    )
    layout = draw(layouts(formats, streets=len(street_codes), formulas=formulas))
    chosen = []
    for code in street_codes:
        candidates = places(code)
        picked = draw(
            # Two at least: a formula filled down, a street merged down need more than one.
            st.lists(st.sampled_from(candidates), min_size=2, max_size=len(candidates), unique=True)
        )
        chosen += [draw(entries(place, layout)) for place in picked]
    case = Case(layout=layout, entries=chosen, streets=tuple(street_codes))
    write_case(case)
    return case


# ------------------------------------------------------------------ laying out sheets


def write_case(case: Case) -> Case:
    """Lay the case's entries out in sheets and write its file's bytes."""
    layout = case.layout
    if layout.split_sheets:
        groups = [
            ("城市社区", [e for e in case.entries if e.place.urban]),
            ("农村社区", [e for e in case.entries if not e.place.urban]),
        ]
    else:
        groups = [("台账", case.entries)]
    case.sheets = [lay_out_sheet(name, rows, layout, case.streets) for name, rows in groups]
    if layout.notes_sheet:
        case.sheets.insert(0, notes_sheet())
    writer = {"xlsx": xlsx_bytes, "xls": xls_bytes, "csv": csv_bytes}[layout.format]
    case.content = writer(case.sheets, layout)
    return case


def notes_sheet() -> WrittenSheet:
    """The 填表说明 a template often carries on a sheet of its own: text, no table."""
    lines = [
        "填表说明",
        "1.辖区户籍人口总户数以公安户籍数据为准，社区名称填写全称。",
        "2.警务室、日间照料中心、卫生服务站、文化活动室设在便民服务中心的，不再重复填写面积。",
        "3.菜店（平价超市）是指政府投入建设的社区公共设施。",
    ]
    return WrittenSheet("填表说明", [[line] for line in lines])


class _SheetBuilder:
    def __init__(self, name: str, layout: Layout):
        self.layout = layout
        self.sheet = WrittenSheet(name, [])
        self.margin = layout.left_margin
        self.width = len(layout.columns) + self.margin
        self.position = {key: self.margin + i for i, key in enumerate(layout.columns)}

    def add(self, cells: dict[str, Any] | None = None, at_start: Any = None) -> int:
        row = [None] * self.width
        for key, value in (cells or {}).items():
            if key in self.position:
                row[self.position[key]] = value
        if at_start is not None:
            row[self.margin] = at_start
        self.sheet.grid.append(row)
        return len(self.sheet.grid)  # the sheet's row number

    def ref(self, key: str, row: int) -> str:
        return f"{column_letter(self.position[key])}{row}"


def lay_out_sheet(
    name: str, rows: list[Entry], layout: Layout, street_order: tuple[str, ...]
) -> WrittenSheet:
    builder = _SheetBuilder(name, layout)
    if layout.title:
        streets = "、".join(STREETS[s][0] for s in street_order)
        title = f"{streets}城乡社区综合服务设施台账（2026年下半年）"
        builder.add(at_start=title)
        if layout.merged_header and len(layout.columns) > 1:
            builder.sheet.merges.append((0, builder.margin, 0, builder.width - 1, title))
    for _ in range(layout.blank_rows_above):
        builder.add()
    _header(builder)
    total_row = builder.add() if layout.grand_total and layout.total_first else None
    number = 0
    all_rows: list[tuple[Entry, int]] = []
    for street in street_order:
        block = [e for e in rows if e.place.street_code == street]
        if not block:
            continue
        block_rows: list[tuple[Entry, int]] = []
        for position, entry in enumerate(block):
            if layout.blank_rows_between and position % 3 == 2:
                builder.add()
            number += 1
            cells = dict(entry.cells, number=number)
            if layout.street_fill != "every" and position > 0:
                cells["street"] = None
            row = builder.add(cells)
            builder.sheet.data_rows[entry.place.code] = row
            block_rows.append((entry, row))
        _street_cells(builder, block_rows)
        _total_formulas(builder, block_rows)
        _ratio_formulas(builder, block_rows)
        all_rows += block_rows
        if layout.subtotals:
            _sum_row(builder, block_rows, "subtotal", STREETS[street][0])
    if layout.grand_total and all_rows:
        _sum_row(builder, all_rows, "total", "", at=total_row)
    if layout.sign_off:
        builder.add()
        builder.add(at_start="说明：1.面积单位为平方米；2.设在便民服务中心的设施不再填写面积。")
        row = builder.add(at_start="填表人：张三")
        if len(layout.columns) >= 4:
            builder.sheet.grid[row - 1][builder.margin + 2] = "审核人：李四"
            builder.sheet.grid[row - 1][builder.margin + 3] = "联系电话：68230000"
    return builder.sheet


def _header(builder: _SheetBuilder) -> None:
    layout = builder.layout
    words = [layout.header(k) for k in layout.columns]
    if layout.header_rows == 1:
        builder.add(dict(zip(layout.columns, words, strict=True)))
        return
    group = set(layout.group)
    first_of_group = min(builder.position[k] for k in group)
    top = {k: (None if k in group else layout.header(k)) for k in layout.columns}
    top_row = builder.add(top)
    builder.sheet.grid[top_row - 1][first_of_group] = "其中"
    builder.add({k: layout.header(k) for k in group})
    if layout.merged_header:
        r = top_row - 1
        builder.sheet.merges.append((r, first_of_group, r, first_of_group + len(group) - 1, "其中"))
        for key in layout.columns:
            if key not in group:
                c = builder.position[key]
                builder.sheet.merges.append((r, c, r + 1, c, layout.header(key)))


def _street_cells(builder: _SheetBuilder, block: list[tuple[Entry, int]]) -> None:
    layout = builder.layout
    if layout.street_fill != "merged" or "street" not in layout.columns or len(block) < 2:
        return
    c = builder.position["street"]
    first, last = block[0][1] - 1, block[-1][1] - 1
    builder.sheet.merges.append((first, c, last, c, block[0][0].cells["street"]))


def _total_formulas(builder: _SheetBuilder, block: list[tuple[Entry, int]]) -> None:
    """The total column as Excel users fill it: =SUM of the parts (+ 其他) in every row,
    or one shared formula down the block's rows."""
    layout = builder.layout
    if "total" not in layout.columns or layout.total_style not in ("formula", "shared"):
        return
    column = builder.position[layout.formula_in]
    shared = f"{builder.sheet.name}!{block[0][1]}" if layout.total_style == "shared" else ""
    for entry, row in block:
        parts = _sum_formula(builder, FACILITIES, row)
        if layout.formula_in == "other":
            text = f"{builder.ref('total', row)}-{parts}"
        elif "other" in layout.columns:
            text = f"{parts}+{builder.ref('other', row)}"
        else:
            text = parts + (f"+{entry.other}" if entry.other is not None else "")
        builder.sheet.grid[row - 1][column] = Formula(text, shared)


def _ratio_formulas(builder: _SheetBuilder, block: list[tuple[Entry, int]]) -> None:
    """每百户 as clerks compute it; the importer never reads it, so it must not trip on it."""
    layout = builder.layout
    if not layout.ratio_formula or "total" not in layout.columns:
        return
    for _, row in block:
        text = f"{builder.ref('total', row)}/{builder.ref('households', row)}*100"
        builder.sheet.grid[row - 1][builder.position["ratio"]] = Formula(text)


def _sum_formula(builder: _SheetBuilder, keys: tuple[str, ...], row: int) -> str:
    positions = sorted(builder.position[k] for k in keys)
    if positions == list(range(positions[0], positions[-1] + 1)):
        return f"SUM({column_letter(positions[0])}{row}:{column_letter(positions[-1])}{row})"
    return "SUM(" + ",".join(f"{column_letter(p)}{row}" for p in positions) + ")"


def _sum_row(
    builder: _SheetBuilder,
    block: list[tuple[Entry, int]],
    kind: str,
    street: str,
    at: int | None = None,
) -> None:
    """A 小计 (per street) or 合计 row with the right sums of the rows it covers."""
    layout = builder.layout
    entries_ = [entry for entry, _ in block]
    sums: dict[str, Any] = {"households": sum(e.households for e in entries_)}
    for facility in FACILITIES:
        sums[facility] = float(sum((e.areas[facility] or Decimal(0) for e in entries_), Decimal(0)))
    sums["other"] = float(sum((e.other or Decimal(0) for e in entries_), Decimal(0)))
    sums["total"] = float(sum((e.total for e in entries_), Decimal(0)))
    rows = [row for _, row in block]
    contiguous = rows == list(range(rows[0], rows[-1] + 1))
    formulas = layout.total_style in ("formula", "shared") and "total" in layout.columns
    if formulas and contiguous:
        column = column_letter(builder.position[layout.formula_in])
        sums[layout.formula_in] = Formula(f"SUM({column}{rows[0]}:{column}{rows[-1]})")
    label_key = layout.columns[0] if layout.sum_label == "first" else layout.sum_label
    label_key = label_key if label_key in layout.columns else "community"
    if kind == "subtotal":
        sums[label_key] = f"{street}小计" if label_key == "street" else "小计"
    else:
        sums[label_key] = "合计"
    row = builder.add(sums)
    if at is not None:  # the row kept for it under the header
        builder.sheet.grid[at - 1] = builder.sheet.grid.pop(row - 1)


# ------------------------------------------------------------------ writing files


def xlsx_bytes(sheets: list[WrittenSheet], layout: Layout) -> bytes:
    buffer = io.BytesIO()
    options = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    book = xlsxwriter.Workbook(buffer, options)
    shared_runs: list[dict[str, list[str]]] = []
    for sheet in sheets:
        worksheet = book.add_worksheet(sheet.name)
        runs: dict[str, list[str]] = {}
        for r, row in enumerate(sheet.grid):
            for c, value in enumerate(row):
                _write_xlsx_cell(worksheet, r, c, value)
                if isinstance(value, Formula) and value.shared:
                    runs.setdefault(value.shared, []).append(f"{column_letter(c)}{r + 1}")
        for top, left, bottom, right, value in sheet.merges:
            _merge(worksheet, top, left, bottom, right, value)
        shared_runs.append(runs)
    book.close()
    content = buffer.getvalue()
    if any(shared_runs):
        content = _share_formulas(content, shared_runs)
    return content


def _write_xlsx_cell(worksheet, r: int, c: int, value) -> None:
    if value is None:
        return
    if isinstance(value, Formula):
        worksheet.write_formula(r, c, "=" + value.text)
    elif isinstance(value, str):
        worksheet.write_string(r, c, value)
    else:
        worksheet.write_number(r, c, float(value))


def _merge(worksheet, top: int, left: int, bottom: int, right: int, value) -> None:
    if isinstance(value, str):
        worksheet.merge_range(top, left, bottom, right, value)
    else:
        worksheet.merge_range(top, left, bottom, right, None)
        worksheet.write_number(top, left, float(value))


CELL_FORMULA = re.compile(r'<c r="([A-Z]+\d+)"([^>]*)><f>([^<]*)</f><v>[^<]*</v></c>')


def _share_formulas(content: bytes, runs_by_sheet: list[dict[str, list[str]]]) -> bytes:
    """Each run written as Excel stores a formula filled down: the first cell holds it as
    a shared formula over the run, the others only its index, and no cell a cached value
    (only recomputing gives the figure). XlsxWriter cannot write shared formulas."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if match and runs_by_sheet[int(match.group(1)) - 1]:
                data = _share_in_sheet(data.decode(), runs_by_sheet[int(match.group(1)) - 1])
                data = data.encode()
            target.writestr(item, data)
    return out.getvalue()


def _share_in_sheet(xml: str, runs: dict[str, list[str]]) -> str:
    index_of = {}
    for index, cells in enumerate(runs.values()):
        for position, cell in enumerate(cells):
            index_of[cell] = (index, position == 0, f"{cells[0]}:{cells[-1]}")

    def rewrite(match: re.Match) -> str:
        cell, attributes, formula = match.groups()
        if cell not in index_of:
            return match.group(0)
        si, master, ref = index_of[cell]
        if master:
            return (
                f'<c r="{cell}"{attributes}><f t="shared" ref="{ref}" si="{si}">{formula}</f></c>'
            )
        return f'<c r="{cell}"{attributes}><f t="shared" si="{si}"/></c>'

    rewritten, count = CELL_FORMULA.subn(rewrite, xml)
    assert count >= len(index_of), "every formula of a shared run was rewritten"
    return rewritten


def xls_bytes(sheets: list[WrittenSheet], layout: Layout) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    for sheet in sheets:
        worksheet = book.add_sheet(sheet.name)
        merged = set()
        for top, left, bottom, right, value in sheet.merges:
            worksheet.write_merge(top, bottom, left, right, _xls_value(value))
            merged |= {(r, c) for r in range(top, bottom + 1) for c in range(left, right + 1)}
        for r, row in enumerate(sheet.grid):
            for c, value in enumerate(row):
                if value is not None and (r, c) not in merged:
                    worksheet.write(r, c, _xls_value(value))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xls_value(value):
    if isinstance(value, Formula):
        raise ValueError("formulas are written to .xlsx only")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return float(value)
    return value


def csv_bytes(sheets: list[WrittenSheet], layout: Layout) -> bytes:
    (sheet,) = sheets
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=layout.delimiter, lineterminator="\r\n")
    for row in sheet.grid:
        writer.writerow([_csv_text(v) for v in row])
    text = buffer.getvalue()
    if layout.encoding == "utf-16-le":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if layout.encoding == "utf-16-be":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(layout.encoding)


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        raise ValueError("formulas are written to .xlsx only")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
