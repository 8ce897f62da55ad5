"""What the official ledger workbook holds: the template of the notice's attachment
(重庆市北碚区城乡社区综合服务设施统计台帐), for one street or a whole district.

This module decides the content (rows, subtotals, 备注 texts, title); `workbook_xlsx`
lays it out and `ledger_csv` writes the data-exchange form.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from shequ.accounts.scope import Scope
from shequ.core.xlsx_layout import chinese_date_text
from shequ.ledger import rules
from shequ.ledger.fields import AREA_FIELDS
from shequ.ledger.fingerprint import chain_head_line
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.queries import filled_compliance_years, names_in_period
from shequ.ledger.records import Place, RowRecord, row_records
from shequ.ledger.remarks import workbook_remarks
from shequ.ledger.rows import rows_visible_to
from shequ.regions.levels import UrbanRural
from shequ.regions.models import Region

TITLE_SUFFIX = "城乡社区综合服务设施统计台帐"
UNAPPROVED_MARK = "（未审核）"
# The six facilities the template lists under 其中; 其他 goes into 备注.
LISTED_FACILITIES = tuple(f for f in AREA_FIELDS if f != "other")
# The one spelling of the unit in the book (the notice writes both m² and ㎡).
UNIT = "㎡"
BOOK_TOTAL_LABEL = "城乡合计"
NOTES = (
    "说明：1.本台账按城市社区和农村社区分别填写，每年4月30日和10月30日前更新上报一次。",
    "2.警务室、日间照料中心（养老服务站）、卫生服务站、文化活动室设在便民服务中心的，"
    "不再重复填写面积，并在备注栏中说明。",
    "3.菜店（平价超市）是指政府投入建设用于提供社区居民即时消费品和日常用品的场所，"
    "是最基层物价平抑功能的社区公共设施。",
)


def totals_note(standard: Decimal | None) -> str:
    """说明 4: what a total holds beyond the printed columns, and what 达标 means."""
    counted = (
        "小计、合计行的备注栏写明其中其他用房面积，以及社区（村）数、达标数和达标率"
        f"（每百户居民拥有综合服务设施面积不低于{standard.normalize():f}{UNIT}为达标）。"
        if standard is not None
        else "小计、合计行的备注栏写明其中其他用房面积。"
    )
    return (
        "4.综合服务设施总建筑面积为“其中”所列六类设施与其他用房面积之和"
        "（其他用房面积写在备注栏）。" + counted
    )


def missing_sheet_note(present: list[str], missing: list[str]) -> str:
    """A class the book has no communities of gets no sheet: the notes say so."""
    return f"5.本台账没有{'、'.join(missing)}，只有{'、'.join(present)}表。"


@dataclass(frozen=True)
class StreetState:
    """A street's ledger in the period: its state (草稿, 已上报, 已审核, 退回) and the date
    it was last submitted, as the system stores them."""

    state: str
    submitted_on: datetime.date | None

    @property
    def approved(self) -> bool:
        return self.state == Submission.State.APPROVED

    @property
    def dated(self) -> datetime.date | None:
        """The submission date that dates the figures: none while a draft (not yet
        submitted, or reopened since)."""
        return None if self.state == Submission.State.DRAFT else self.submitted_on

    @property
    def text(self) -> str:
        label = Submission.State(self.state).label
        if self.submitted_on is None:
            return f"{label}，未上报"
        day = chinese_date(self.submitted_on)
        if self.state == Submission.State.DRAFT:
            return f"{label}（{day}上报后重新打开）"
        if self.state == Submission.State.SUBMITTED:
            return f"{label}（{day}）"
        return f"{label}（{day}上报）"


DRAFT = StreetState(Submission.State.DRAFT, None)


chinese_date = chinese_date_text  # 2026年12月7日, the one spelling of a date in documents


@dataclass
class Line:
    """One printed row: a community, a 小计, a 合计 or the 城乡合计."""

    number: int | None
    street: str
    community: str
    households: int | None
    total: Decimal | None
    facilities: dict[str, Decimal | None]
    ratio: Decimal | None
    compliance_year: rules.ComplianceYear | None = None
    remarks: str = ""
    kind: str = "community"  # community, subtotal, total, book_total
    compliant: bool = False  # a community line's judgement, counted by its 小计 and 合计


@dataclass
class Sheet:
    name: str
    lines: list[Line] = field(default_factory=list)
    # The sheet's 合计, for the 城乡合计 (None in a blank template).
    sums: rules.Sums | None = None
    count: rules.ComplianceCount | None = None

    @property
    def communities(self) -> int:
        return sum(1 for line in self.lines if line.kind == "community")


@dataclass
class LedgerWorkbook:
    title: str
    unit: str
    period: Period
    filled_on: datetime.date | None  # None: not submitted, or a blank template
    approved: bool
    sheets: list[Sheet]
    notes: list[str] = field(default_factory=lambda: list(NOTES))
    # What 填报日期 is (a district book: the latest of its streets' submission dates); a
    # blank template leaves the date to be written in.
    filled_on_basis: str = ""
    blank: bool = False

    @property
    def title_line(self) -> str:
        return self.title + ("" if self.approved else UNAPPROVED_MARK)

    @property
    def filled_on_text(self) -> str:
        if self.blank:  # the street writes the date it fills the template in
            return "填报日期：　　　　年　　月　　日"
        if self.filled_on is None:
            return "填报日期：未上报"
        basis = f"（{self.filled_on_basis}）" if self.filled_on_basis else ""
        return f"填报日期：{chinese_date(self.filled_on)}{basis}"


def remarks_for(row: LedgerRow | RowRecord) -> str:
    """备注 as the template wants it: the street's text, then which facilities sit in the
    centre (their areas are left blank), then 其他用房 with its area."""
    return _remarks(row, rules.co_located_fields(row))


def _remarks(row: LedgerRow | RowRecord, inside: tuple[str, ...]) -> str:
    return workbook_remarks(row.remarks, inside, row.other)


def _community_line(
    number: int, row: RowRecord, year: rules.ComplianceYear | None, standard: Decimal
) -> Line:
    inside = rules.co_located_fields(row)
    total = rules.total_area(row)
    return Line(
        number=number,
        street=row.street.name,
        community=row.community.name,
        households=row.households,
        total=total,
        facilities=_listed_areas(row),
        ratio=rules.rounded_ratio(rules.per_100_households(total, row.households)),
        compliance_year=year,
        remarks=_remarks(row, inside),
        compliant=rules.is_compliant(total, row.households, standard),
    )


def _listed_areas(row: RowRecord) -> dict[str, Decimal | None]:
    """The six facilities' areas as stored: a facility in the centre is blank unless an
    area is stored for it (0, or one the rules refuse), which the import must read back."""
    return {f: getattr(row, f) for f in LISTED_FACILITIES}


def _sum_line(
    label: str,
    sums: rules.Sums,
    count: rules.ComplianceCount,
    kind: str,
    street: str = "",
    state: StreetState | None = None,
) -> Line:
    return Line(
        number=None,
        street=street,
        community=label,
        households=sums.households,
        total=sums.total,
        facilities={f: sums.areas[f] for f in LISTED_FACILITIES},
        ratio=rules.rounded_ratio(sums.per_100_households),
        remarks=sum_remarks(sums, count, state),
        kind=kind,
    )


def sum_remarks(
    sums: rules.Sums, count: rules.ComplianceCount, state: StreetState | None = None
) -> str:
    """备注 of a 小计 or 合计: its count and 达标率, the 其他用房 its total holds beyond the
    printed columns (so that they add up to it), and in an unapproved book the street's
    state and submission date."""
    parts = [_count_text(count)]
    other = sums.areas["other"]
    if other:
        parts.append(f"总面积含其他用房 {other:.1f}{UNIT}")
    if sums.area_without_households:
        parts.append(
            f"{sums.area_without_households}个社区（村）填了面积、户数未填或为0，每百户面积不计算"
        )
    if state is not None:
        parts.append(state.text)
    return "；".join(parts)


def _count_text(count: rules.ComplianceCount) -> str:
    """共N个，达标M个，达标率R%; a line over no community (a street without rows) has no
    rate to state, never “达标率None%”."""
    if not count.communities:
        return "共0个"
    return f"共{count.communities}个，达标{count.compliant}个，达标率{count.rate}%"


def ledger_workbook(
    *,
    scope: Scope,
    period: Period,
    standard: Decimal,
    plan_target_years: dict[int, int],
    street: Region | None = None,
) -> LedgerWorkbook:
    """The workbook's content for the caller's rows of `period` (one street, or all),
    judged by `standard` (the year's m² per 100 households); `plan_target_years`
    (community id → its open plan's target year) fills a blank 达标年度 of a community
    still short, marked 计划."""
    chosen = rows_visible_to(scope).filter(period=period)
    if street is not None:
        chosen = chosen.filter(street=street)
    ordered = chosen.order_by("street__code", "community__code")
    rows = row_records(ordered, period)
    _name_as_in_period(rows, names_in_period(period, chosen))
    communities = chosen.values("community_id")
    years = filled_compliance_years(rows, standard, plan_target_years, communities=communities)
    states = street_states(period, {row.street_id for row in rows})
    approved = all(state.approved for state in states.values())
    shown = states if period.is_open or not approved else {}
    by_district = street is None
    sheets = [
        _sheet(
            label,
            [r for r in rows if r.community.urban_rural_class == klass],
            _Judging(years, standard, by_district, shown),
        )
        for klass, label in UrbanRural.choices
    ]
    dates = [state.dated for state in states.values() if state.dated is not None]
    return official_workbook(
        scope=scope,
        period=period,
        street=street,
        sheets=sheets,
        filled_on=max(dates, default=None),
        approved=approved,
        standard=standard,
        filled_on_basis="各街镇最晚上报日期" if by_district and len(states) > 1 else "",
    )


def street_states(period: Period, street_ids: set[int]) -> dict[int, StreetState]:
    """Each street's state in `period` (a street without a submission is a draft): one
    query for every street of a district, or a city."""
    stored = Submission.objects.filter(period=period, street_id__in=street_ids).values_list(
        "street_id", "state", "submitted_at"
    )
    states = dict.fromkeys(street_ids, DRAFT)
    for street_id, state, submitted_at in stored:
        day = timezone.localdate(submitted_at) if submitted_at else None
        states[street_id] = StreetState(state, day)
    return states


def unit_name(scope: Scope, street: Region | None) -> str:
    """填报单位: the street, or the caller's node for every street of it."""
    return street.name if street is not None else (scope.node.name if scope.node else "")


def official_workbook(
    *,
    scope: Scope,
    period: Period,
    street: Region | None,
    sheets: list[Sheet],
    filled_on: datetime.date | None,
    approved: bool,
    standard: Decimal | None = None,
    filled_on_basis: str = "",
    blank: bool = False,
) -> LedgerWorkbook:
    """The notice's workbook around its 城市社区 and 农村社区 sheets: the district's title,
    and the street (or the caller's node) as 填报单位. A class without communities gets no
    sheet (the notes say so); with both, the last sheet ends with the 城乡合计."""
    present = [sheet for sheet in sheets if sheet.communities] or sheets[:1]
    notes = [*NOTES, totals_note(standard)]
    missing = [sheet.name for sheet in sheets if sheet not in present]
    if missing:
        notes.append(missing_sheet_note([sheet.name for sheet in present], missing))
    if approved and not blank:
        # The chain head under an approved book: a stamped printout anchors it (ADR 0039).
        notes += [line for line in (chain_head_line(),) if line]
    if len(present) > 1:
        present[-1].lines.append(_book_total(present))
    return LedgerWorkbook(
        title=settings.SHEQU_DISTRICT_NAME + TITLE_SUFFIX,
        unit=unit_name(scope, street),
        period=period,
        filled_on=filled_on,
        approved=approved,
        sheets=present,
        notes=notes,
        filled_on_basis=filled_on_basis,
        blank=blank,
    )


def _book_total(sheets: list[Sheet]) -> Line:
    """城乡合计: the sheets' 合计 added up (a blank line in a blank template)."""
    if any(sheet.sums is None or sheet.count is None for sheet in sheets):
        return blank_line(None, "", BOOK_TOTAL_LABEL, kind="book_total")
    sums = rules.sums_of([sheet.sums for sheet in sheets if sheet.sums])
    count = rules.compliance_counts_of(sheet.count for sheet in sheets if sheet.count)
    return _sum_line(BOOK_TOTAL_LABEL, sums, count, "book_total")


def blank_line(number: int | None, street: str, community: str, kind="community") -> Line:
    """A line with every figure blank (the blank template)."""
    return Line(
        number=number,
        street=street,
        community=community,
        households=None,
        total=None,
        facilities=dict.fromkeys(LISTED_FACILITIES),
        ratio=None,
        kind=kind,
    )


def _name_as_in_period(rows: list[RowRecord], then: dict[int, tuple[str, str]]) -> None:
    """Each row's community and street as the period knows them (`names_in_period`): a
    period's ledger printed after a rename shows the names it was kept under, and imports
    back into that period."""
    renamed: dict[Place, Place] = {}
    for row in rows:
        row.community = _place_then(row.community, then, renamed)
        row.street = _place_then(row.street, then, renamed)


def _place_then(place: Place, then: dict, renamed: dict) -> Place:
    version = then.get(place.pk)
    if version is None or version == (place.name, place.urban_rural_class):
        return place
    if place not in renamed:
        name, klass = version
        renamed[place] = place._replace(
            name=name, urban_rural_class=klass or place.urban_rural_class
        )
    return renamed[place]


@dataclass(frozen=True)
class _Judging:
    """What every line of a book is written with."""

    years: dict[int, rules.ComplianceYear]
    standard: Decimal
    by_district: bool  # a 小计 after each street
    states: dict[int, StreetState]  # shown in an unapproved book's 小计 (or a street's 合计)


def _sheet(label: str, rows: list[RowRecord], judging: _Judging) -> Sheet:
    sheet = Sheet(name=label)
    number = 0
    streets: dict[int, list[RowRecord]] = {}
    for row in rows:
        streets.setdefault(row.street_id, []).append(row)
    subtotals, counts = [], []
    for street_id, street_rows in streets.items():
        block = []
        for row in street_rows:
            number += 1
            year = judging.years.get(row.pk)
            block.append(_community_line(number, row, year, judging.standard))
        sheet.lines += block
        subtotals.append(rules.sums(street_rows))
        counts.append(rules.compliance_count(line.compliant for line in block))
        if judging.by_district:
            name = street_rows[0].street.name
            state = judging.states.get(street_id)
            line = _sum_line(f"{name}小计", subtotals[-1], counts[-1], "subtotal", name, state)
            sheet.lines.append(line)
    sheet.sums = rules.sums_of(subtotals)
    sheet.count = rules.compliance_counts_of(counts)
    # A street's book says its state in the 合计: it has no 小计.
    state = None if judging.by_district else next(iter(judging.states.values()), None)
    sheet.lines.append(_sum_line("合计", sheet.sums, sheet.count, "total", state=state))
    return sheet
