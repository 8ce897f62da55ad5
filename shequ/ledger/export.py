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
from shequ.ledger import rules
from shequ.ledger.fields import AREA_FIELDS, LABELS
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
NOTES = (
    "说明：1.本台账按城市社区和农村社区分别填写，每年4月30日和10月30日前更新上报一次。",
    "2.警务室、日间照料中心（养老服务站）、卫生服务站、文化活动室设在便民服务中心的，"
    "不再重复填写面积，并在备注栏中说明。",
    "3.菜店（平价超市）是指政府投入建设用于提供社区居民即时消费品和日常用品的场所，"
    "是最基层物价平抑功能的社区公共设施。",
)


@dataclass
class Line:
    """One printed row: a community, a 小计 or the 合计."""

    number: int | None
    street: str
    community: str
    households: int | None
    total: Decimal
    facilities: dict[str, Decimal | None]
    ratio: Decimal | None
    compliance_year: rules.ComplianceYear | None = None
    remarks: str = ""
    kind: str = "community"  # community, subtotal, total


@dataclass
class Sheet:
    name: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class LedgerWorkbook:
    title: str
    unit: str
    period: Period
    filled_on: datetime.date | None  # None: left blank for the street (a blank template)
    approved: bool
    sheets: list[Sheet]

    @property
    def title_line(self) -> str:
        return self.title + ("" if self.approved else UNAPPROVED_MARK)


def remarks_for(row: LedgerRow | RowRecord) -> str:
    """备注 as the template wants it: the street's text, then which facilities sit in the
    centre (their areas are left blank), then 其他用房 with its area."""
    return _remarks(row, rules.co_located_fields(row))


def _remarks(row: LedgerRow | RowRecord, inside: tuple[str, ...]) -> str:
    return workbook_remarks(row.remarks, inside, row.other)


def _community_line(number: int, row: RowRecord, year: rules.ComplianceYear | None) -> Line:
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
    )


def _listed_areas(row: RowRecord) -> dict[str, Decimal | None]:
    """The six facilities' areas as stored: a facility in the centre is blank unless an
    area is stored for it (0, or one the rules refuse), which the import must read back."""
    return {f: getattr(row, f) for f in LISTED_FACILITIES}


def _sum_line(label: str, sums: rules.Sums, kind: str, street: str = "") -> Line:
    return Line(
        number=None,
        street=street,
        community=label,
        households=sums.households,
        total=sums.total,
        facilities={f: sums.areas[f] for f in LISTED_FACILITIES},
        ratio=rules.rounded_ratio(sums.per_100_households),
        kind=kind,
    )


def ledger_workbook(
    *,
    scope: Scope,
    period: Period,
    standard: Decimal,
    plan_target_years: dict[int, int],
    street: Region | None = None,
    today=None,
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
    by_district = street is None
    return official_workbook(
        scope=scope,
        period=period,
        street=street,
        sheets=[
            _sheet(
                label,
                [r for r in rows if r.community.urban_rural_class == klass],
                years,
                by_district,
            )
            for klass, label in UrbanRural.choices
        ],
        filled_on=today or timezone.localdate(),
        approved=_all_approved(period, rows),
    )


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
) -> LedgerWorkbook:
    """The notice's workbook around its 城市社区 and 农村社区 sheets: the district's title,
    and the street (or the caller's node) as 填报单位."""
    return LedgerWorkbook(
        title=settings.SHEQU_DISTRICT_NAME + TITLE_SUFFIX,
        unit=unit_name(scope, street),
        period=period,
        filled_on=filled_on,
        approved=approved,
        sheets=sheets,
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


def _sheet(label: str, rows: list[RowRecord], years: dict, by_district: bool) -> Sheet:
    sheet = Sheet(name=label)
    number = 0
    streets: dict[int, list[RowRecord]] = {}
    for row in rows:
        streets.setdefault(row.street_id, []).append(row)
    subtotals = []
    for street_rows in streets.values():
        block = []
        for row in street_rows:
            number += 1
            block.append(_community_line(number, row, years.get(row.pk)))
        sheet.lines += block
        if by_district:
            name = street_rows[0].street.name
            subtotals.append(rules.sums(street_rows))
            sheet.lines.append(_sum_line(f"{name}小计", subtotals[-1], "subtotal", street=name))
    total = rules.sums_of(subtotals) if by_district else rules.sums(rows)
    sheet.lines.append(_sum_line("合计", total, "total"))
    return sheet


def _all_approved(period: Period, rows: list[RowRecord]) -> bool:
    streets = {row.street_id for row in rows}
    approved = set(
        Submission.objects.approved()
        .filter(period=period, street_id__in=streets)
        .values_list("street_id", flat=True)
    )
    return streets <= approved


def facility_label(name: str) -> str:
    return LABELS[name]
