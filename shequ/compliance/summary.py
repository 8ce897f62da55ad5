"""The one summary of compliance against the target: every dashboard, export, command and
the API read it from here.

For a region above the street level it reads the stored tallies (a fixed number of queries
whatever the size of the tree); for a street its communities' rows. `rate` is compliant ÷
communities, where a community without an approved row (or, with include_unapproved,
without a filled-in row) counts as not compliant. While a period is in progress that rate
counts the unknown as failures, so each unit also says what it knows: `rate_reported`
(compliant ÷ the communities whose figures count) and `complete` (every street under it
approved, or with include_unapproved submitted or approved).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db.models import Q

from shequ.accounts.scope import Scope
from shequ.compliance.models import Tally
from shequ.compliance.tallies import (
    Figures,
    Node,
    roll_up,
    street_figures,
    urban_by_community,
)
from shequ.compliance.targets import TargetBook
from shequ.core.errors import DomainError
from shequ.core.jsonvalues import json_moment, json_number
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.regions.history import versions_as_of
from shequ.regions.levels import Level
from shequ.regions.models import Region


def needed_for_target(share: Decimal | None, communities: int, compliant: int) -> int | None:
    """How many more communities must comply for compliant ÷ communities ≥ share."""
    if share is None:
        return None
    required = (share * communities).to_integral_value(rounding=ROUND_CEILING)
    return max(0, int(required) - compliant)


def state_word(status: str) -> str:
    """A street's ledger state as the dashboards say it: 未上报, 已上报, 退回 or 已审核."""
    if status in ("", Submission.State.DRAFT):
        return "未上报"
    return Submission.State(status).label


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Unit:
    code: str
    name: str
    level: str
    path: str
    figures: Figures
    target: Decimal | None
    approved_only: bool = True  # the summary's mode: which streets' figures count

    @property
    def rate(self) -> float | None:
        return rate(self.figures.compliant, self.figures.communities)

    @property
    def rate_reported(self) -> float | None:
        """Compliant ÷ the communities whose figures count in this mode; None before any
        does (unknown, never 0)."""
        return rate(self.figures.compliant, self.figures.reported)

    @property
    def complete(self) -> bool:
        """Every street under the unit (a community: its street) has an approved ledger for
        the period, or with include_unapproved has submitted or been approved. A unit without
        streets knows nothing: not complete."""
        f = self.figures
        done = f.streets_approved if self.approved_only else f.streets_submitted
        return f.streets > 0 and done == f.streets

    @property
    def standing(self) -> str:
        """What the unit's figures are worth: "complete" (its rate is the rate), "partial"
        (some communities reported: only the rate among them means anything) or "unknown"
        (nothing reported: never 0 %)."""
        if self.complete:
            return "complete"
        return "partial" if self.figures.reported else "unknown"

    @property
    def coverage(self) -> str:
        """What the figures cover, for people: 已审核 7/17 个街镇，覆盖 55/192 个社区."""
        f = self.figures
        communities = f"{f.reported}/{f.communities} 个社区"
        if f.streets == 1 and self.level == Level.STREET:
            return f"本期台账{self.state_word}，覆盖 {communities}"
        if self.approved_only:
            return f"已审核 {f.streets_approved}/{f.streets} 个街镇，覆盖 {communities}"
        return f"已上报 {f.streets_submitted}/{f.streets} 个街镇，已填报 {communities}"

    @property
    def needed_for_target(self) -> int | None:
        return needed_for_target(self.target, self.figures.communities, self.figures.compliant)

    @property
    def gap_points(self) -> Decimal | None:
        """Percentage points short of the target (negative when above it), as the rate
        and the target read (`points_between`)."""
        if self.target is None or self.rate is None:
            return None
        return points_between(float(self.target), self.rate)

    @property
    def meets_target(self) -> bool | None:
        """None when there is no target, or nothing to judge (no communities)."""
        if self.needed_for_target is None or not self.figures.communities:
            return None
        return self.needed_for_target == 0

    @property
    def state_word(self) -> str:
        return state_word(self.figures.status)

    @property
    def late(self) -> bool:
        return self.figures.streets_late > 0

    def as_json(self) -> dict:
        f = self.figures
        unit = {
            "code": self.code,
            "name": self.name,
            "communities": f.communities,
            "reported": f.reported,
            "compliant": f.compliant,
            "rate": self.rate,
            "rate_reported": self.rate_reported,
            "complete": self.complete,
            "urban": _part(f.urban_communities, f.urban_reported, f.urban_compliant),
            "rural": _part(f.rural_communities, f.rural_reported, f.rural_compliant),
            "shortfall_m2": float(f.shortfall_m2),
            "needed_for_target": self.needed_for_target,
            "target": json_number(self.target),
            "submission": {
                "status": f.status or None,
                "submitted_at": json_moment(f.submitted_at),
                "late": self.late,
            },
        }
        if self.level != Level.COMMUNITY:
            unit["streets"] = {
                "total": f.streets,
                "submitted": f.streets_submitted,
                "approved": f.streets_approved,
                "late": f.streets_late,
            }
        return unit


def _part(communities: int, reported: int, compliant: int) -> dict:
    return {
        "communities": communities,
        "reported": reported,
        "compliant": compliant,
        "rate": rate(compliant, communities),
        "rate_reported": rate(compliant, reported),
    }


@dataclass
class Summary:
    period: Period
    region: Region
    standard: Decimal
    target: Decimal | None
    approved_only: bool
    total: Unit
    children: list[Unit]

    def as_json(self) -> dict:
        return {
            "period": self.period.code,
            "region": {"code": self.region.code, "name": self.total.name},
            "standard": float(self.standard),
            "target": json_number(self.target),
            "approved_only": self.approved_only,
            "total": self.total.as_json(),
            "children": [child.as_json() for child in self.children],
        }


def summary_region(scope: Scope, code: str | None) -> Region:
    """The region asked for, within the caller's node (the node itself by default)."""
    if scope.node is None:
        raise DomainError("未分配区划", field="region")
    if not code:
        return scope.node
    region = scope.regions().filter(code=code).first()
    if region is None:
        raise DomainError(f"区划“{code}”不存在或不在管辖范围内", field="region")
    return region


def summary(
    *, scope: Scope, period: Period, region: Region | None = None, include_unapproved=False
) -> Summary:
    region = region or scope.node
    if region is None or not scope.contains(region):
        raise DomainError("该区划不在管辖范围内", field="region")
    if region.is_community:
        raise DomainError("汇总只针对街镇及以上区划；社区请看社区页面", field="region")
    book = TargetBook.load(period.year)
    standard = book.standard(period.year)
    approved_only = not include_unapproved
    if region.is_street:
        total, children = _street_units(period, region, standard, approved_only)
    elif approved_only:
        total, children = _stored_units(period, region)
    else:
        total, children = _live_units(period, region, standard)
    for unit in [total, *children]:
        unit.target = book.share(unit.path, period.year)
        unit.approved_only = approved_only
    children.sort(key=lambda unit: unit.code)
    return Summary(period, region, standard, total.target, approved_only, total, children)


def _unit(node: Node | Region, code: str, figures: Figures) -> Unit:
    return Unit(code, node.name, node.level, node.path, figures, None)


def _empty_total(region: Region) -> Unit:
    return Unit(region.code, region.name, region.level, region.path, Figures(), None)


def _stored_units(period: Period, region: Region) -> tuple[Unit, list[Unit]]:
    tallies = Tally.objects.filter(Q(region=region) | Q(parent=region), period=period)
    total, children = _empty_total(region), []
    for tally in tallies.select_related("region"):
        unit = Unit(
            tally.region.code,
            tally.name,
            tally.level,
            tally.region.path,
            Figures.from_tally(tally),
            None,
        )
        if tally.region_id == region.pk:
            total = unit
        else:
            children.append(unit)
    return total, children


def _live_units(period: Period, region: Region, standard: Decimal) -> tuple[Unit, list[Unit]]:
    """The same figures computed from every row, approved or not (include_unapproved)."""
    versions = versions_as_of(period.period_code, within=region).exclude(
        region__level=Level.COMMUNITY
    )
    nodes = [Node(v.region_id, v.parent_id, v.name, v.region.level, v.path) for v in versions]
    codes = {v.region_id: v.region.code for v in versions}
    streets = [n.region_id for n in nodes if n.level == Level.STREET]
    figures = roll_up(
        nodes, street_figures(period, streets, approved_only=False, standard=standard)
    )
    total, children = _empty_total(region), []
    for node in nodes:
        unit = _unit(node, codes[node.region_id], figures[node.region_id])
        if node.region_id == region.pk:
            total = unit
        elif node.parent_id == region.pk:
            children.append(unit)
    return total, children


def _street_units(
    period: Period, street: Region, standard: Decimal, approved_only: bool
) -> tuple[Unit, list[Unit]]:
    """A street's own figures and one unit per community, from its rows."""
    figures = street_figures(period, [street.pk], approved_only=approved_only, standard=standard)
    submission = Submission.objects.filter(period=period, street=street).first()
    counted = not approved_only or (
        submission is not None and submission.state == Submission.State.APPROVED
    )
    children = []
    rows = list(LedgerRow.objects.filter(period=period, street=street).select_related("community"))
    urban = urban_by_community(period, [row.community_id for row in rows])
    for row in rows:
        one = Figures()
        one.count_row(
            row.households, row.total_area, urban.get(row.community_id, False), standard, counted
        )
        one.set_street_submission(submission)  # a community shares its street's state
        community = row.community
        children.append(
            Unit(community.code, community.name, community.level, community.path, one, None)
        )
    total = figures[street.pk]
    return Unit(street.code, street.name, street.level, street.path, total, None), children


def percent(value: float | None) -> str:
    """A rate for people: one decimal, half up (the figures stay unrounded)."""
    if value is None or math.isnan(value):
        return "—"
    return f"{hundredths_as_tenth(value)}%"


def percent_figure(value: float | None) -> float | None:
    """A share as per cent to one decimal for a chart, the same figure `percent` writes
    (Python's round() rounds 6.25 to 6.2, beside a card reading 6.3%)."""
    if value is None or math.isnan(value):
        return None
    return float(hundredths_as_tenth(value))


def points_between(rate: float, other: float) -> Decimal:
    """`rate` − `other` in percentage points as the two read (each to one decimal, half
    up): 75.95 % reads 76.0%, and against a target of 80% it is 4.0 points short, not
    the 4.1 of the unrounded gap, so that a reader who subtracts the figures printed
    side by side gets the difference printed beside them."""
    return hundredths_as_tenth(rate) - hundredths_as_tenth(other)


def hundredths_as_tenth(value: float) -> Decimal:
    """A share as per cent (or a difference of shares as points) to one decimal, half up,
    as Excel's number formats round it: one rounding for the page, Word, PDF and .xlsx."""
    return Decimal(str(value * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
