"""The API's shapes, so that the OpenAPI document describes every answer exactly."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field

from shequ.assets.services import MAX_AREA as ASSET_MAX_AREA
from shequ.checklist.services import MAX_AREA as CHECKLIST_MAX_AREA
from shequ.plans.services import MEASURE_MAX_AREA, MEASURE_MAX_BUDGET
from shequ.subsidy.services import MAX_AMOUNT


class Error(Schema):
    message: str
    field: str | None = None


class FieldConflict(Schema):
    """A field you sent whose stored value someone else changed since your version."""

    field: str
    label: str
    yours: str | float | int | bool | None
    current: str | float | int | bool | None


class Conflict(Error):
    """409: someone else saved the object after you read it; nothing was saved. Each field
    where your value and the stored one differ, and the object as it is now (with its
    current version, to send again once you have chosen)."""

    conflicts: list[FieldConflict]


# The refusals every operation may answer with (ADR 0013: scope 404, role 403, body 422,
# rules 400; anonymous 401).
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


class BodyIn(Schema):
    """A request body: a key it does not list is refused (422 naming it) rather than
    ignored, so that a misspelt field is not taken for "unchanged" (ADR 0038)."""

    model_config = ConfigDict(extra="forbid")


def figure(maximum: Decimal):
    """A number of a body: finite, from 0 to the largest the domain and its column take
    (the domain's own constant, so both say the same; the domain checks again with its
    rules, e.g. an asset's area above 0 or a tenth at most)."""
    return Annotated[float, Field(ge=0, le=float(maximum), allow_inf_nan=False)]


MeasureArea = figure(MEASURE_MAX_AREA)
MeasureBudget = figure(MEASURE_MAX_BUDGET)
AssetArea = figure(ASSET_MAX_AREA)
RoomArea = figure(CHECKLIST_MAX_AREA)
Money = figure(MAX_AMOUNT)


class RegionOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    urban_rural_class: str
    parent: str | None
    valid_from: str | None  # the first period it exists in (None: since the data began)
    valid_to: str | None  # the first period it no longer exists in (None: it still does)


class RegionVersionOut(Schema):
    valid_from: str | None
    valid_to: str | None
    name: str
    parent: str | None
    kind: str
    urban_rural_class: str


class RegionDetailOut(RegionOut):
    history: list[RegionVersionOut]


class RegionPage(Schema):
    items: list[RegionOut]
    count: int


class PeriodOut(Schema):
    code: str
    label: str
    deadline: datetime.date
    state: str


class PeriodPage(Schema):
    items: list[PeriodOut]
    count: int


class Part(Schema):
    communities: int
    reported: int
    compliant: int
    rate: float | None
    rate_reported: float | None


class SubmissionState(Schema):
    status: str | None
    submitted_at: str | None
    late: bool


class StreetCounts(Schema):
    total: int
    submitted: int
    approved: int
    late: int


class SummaryUnit(Schema):
    code: str
    name: str
    communities: int
    reported: int
    compliant: int
    rate: float | None
    rate_reported: float | None
    complete: bool
    urban: Part
    rural: Part
    shortfall_m2: float
    needed_for_target: int | None
    target: float | None
    submission: SubmissionState
    streets: StreetCounts | None = None


class RegionRef(Schema):
    code: str
    name: str


class SummaryOut(Schema):
    period: str
    region: RegionRef
    standard: float
    target: float | None
    approved_only: bool
    total: SummaryUnit
    children: list[SummaryUnit]


class Named(Schema):
    code: str
    name: str


class Derived(Schema):
    total_area: float
    per_100_households: float | None
    compliant: bool
    shortfall: float | None


class LedgerValues(Schema):
    households: int | None
    resident_households: int | None
    service_center: float | None
    police_room: float | None
    day_care: float | None
    health_station: float | None
    culture_room: float | None
    grocery: float | None
    other: float | None
    police_room_in_center: bool
    day_care_in_center: bool
    health_station_in_center: bool
    culture_room_in_center: bool
    compliance_year: int | None
    remarks: str


class RowOut(Schema):
    id: int
    period: str
    community: Named
    street: Named
    data: LedgerValues
    derived: Derived
    warning_comments: dict[str, str]
    version: int
    editable: bool


class RowPage(Schema):
    items: list[RowOut]
    count: int


class RowChange(BodyIn):
    """A change to a draft row: the version read (optimistic locking), the fields to set
    (values as the grid takes them: numbers, or text such as "1,234.5"), comments on
    warnings by their code, and an optional reason."""

    version: int
    changes: dict[str, int | float | str | bool | None] = {}
    comments: dict[str, str] = {}
    reason: str = ""


class Stale(Schema):
    message: str
    field: str | None = None
    current: RowOut


class HistoryItem(Schema):
    id: int
    at: str
    actor: str
    action: str
    summary: str
    changes: dict
    reason: str


class HistoryPage(Schema):
    items: list[HistoryItem]
    count: int


class SubmissionOut(Schema):
    id: int
    period: str
    street: Named
    status: str
    approved_version: int
    submitted_at: str | None
    late: bool
    decided_at: str | None
    return_reason: str


class SubmissionPage(Schema):
    items: list[SubmissionOut]
    count: int


class Decision(BodyIn):
    """The reason, required to return or reopen a ledger."""

    reason: str = ""


class MeasureOut(Schema):
    id: int
    method: str
    description: str
    planned_area: float
    budget: float | None
    funding: str
    programme: str
    responsible: str
    planned_date: datetime.date
    status: str
    actual_area: float | None
    actual_date: datetime.date | None
    asset: str | None
    version: int  # send it back to change the measure (409 once someone else did)


class ConsultationOut(Schema):
    id: int
    held_on: datetime.date
    who: str
    said: str
    changed: str


class PlanOut(Schema):
    id: int
    community: Named
    street: Named
    state: str
    target_year: int
    gap_m2: float
    gap_period: str
    outcome: str
    outcome_note: str
    closed_on: datetime.date | None
    measures: list[MeasureOut]
    consultations: list[ConsultationOut]


class PlanPage(Schema):
    items: list[PlanOut]
    count: int


class MeasureIn(BodyIn):
    """A measure as the plan page takes it; `asset` is an idle asset's 资产编号."""

    method: str
    description: str
    planned_area: MeasureArea
    planned_date: datetime.date
    status: str = "not_started"
    budget: MeasureBudget | None = None
    funding: str = ""
    programme: str = ""
    responsible: str = ""
    actual_area: MeasureArea | None = None
    actual_date: datetime.date | None = None
    asset: str | None = None


class VersionQuery(Schema):
    """The `version` read, sent as `?version=` by an operation without a body (a DELETE):
    409 once someone else changed the object since."""

    version: int = Field(ge=0, description="读取时的版本号")


class MeasureChange(MeasureIn):
    """A measure's new values with the `version` read (optimistic locking: 409 with the
    fields where yours and the stored values differ once someone else changed it)."""

    version: int


class ConsultationIn(BodyIn):
    held_on: datetime.date
    who: str
    said: str
    changed: str = ""


class TargetYearIn(BodyIn):
    target_year: int


class AssetOut(Schema):
    id: int
    code: str
    kind: str
    name: str
    description: str
    owner: str
    address: str
    street: Named
    area: float
    status: str
    notes: str
    version: int  # send it back to change the asset (409 once someone else did)


class AssetPage(Schema):
    items: list[AssetOut]
    count: int


class AssetIn(BodyIn):
    """An idle asset as the register takes it; `street` is the street's division code,
    `code` the 资产编号 (generated when left empty)."""

    kind: str
    name: str
    owner: str
    address: str
    street: str
    area: AssetArea
    status: str = "available"
    code: str = ""
    description: str = ""
    notes: str = ""


class AssetChange(BodyIn):
    """The fields to change; those missing or null keep their values. `version` is the
    one read (optimistic locking: 409 once someone else changed the asset)."""

    version: int
    kind: str | None = None
    name: str | None = None
    owner: str | None = None
    address: str | None = None
    street: str | None = None
    area: AssetArea | None = None
    status: str | None = None
    code: str | None = None
    description: str | None = None
    notes: str | None = None


class StreetPlanDocument(Schema):
    id: int
    title: str
    notes: str
    file_name: str | None
    uploaded_by: str
    updated_at: datetime.datetime


class PlannedCommunityOut(Schema):
    plan_id: int
    community: Named
    gap_m2: float
    planned_area: float
    budget: float
    achieved: bool | None  # None until the year's judging period has approved data


class StreetYearOut(Schema):
    street: Named
    year: int
    document: StreetPlanDocument | None  # None until the street files it
    gap_m2: float
    planned_area: float
    budget: float
    judged_on: str | None
    achieved: int | None
    communities: list[PlannedCommunityOut]


class StreetYearPage(Schema):
    items: list[StreetYearOut]
    count: int


class StreetMoney(Schema):
    street: Named
    allocated: float
    paid: float
    count: int


class BudgetOut(Schema):
    """万元. `budget` and `remaining` are null where the year has no budget, or for a
    caller below the district (a street sees its own money only)."""

    year: int
    budget: float | None
    allocated: float
    paid: float
    remaining: float | None
    streets: list[StreetMoney]


class BudgetIn(BodyIn):
    amount: Money
    notes: str = ""


class AllocationOut(Schema):
    id: int
    year: int
    street: Named
    purpose: str
    measure: int | None
    community: Named | None
    amount: float
    state: str
    paid_on: datetime.date | None
    notes: str
    version: int  # send it back to change the allocation (409 once someone else did)


class Allocated(AllocationOut):
    warnings: list[str]


class AllocationPage(Schema):
    items: list[AllocationOut]
    count: int


class AllocationIn(BodyIn):
    """`purpose`: measure, service_center, elderly_center or mutual_aid; `measure` (a
    measure's id) exactly when the purpose is a measure; `amount` in 万元, two decimals."""

    year: int
    street: str
    purpose: str
    amount: Money
    measure: int | None = None
    community: str | None = None
    notes: str = ""


class AllocationChange(AllocationIn):
    """An allocation's new values with the `version` read (optimistic locking)."""

    version: int


class PaidIn(BodyIn):
    """The date paid, and the allocation's `version` as read (409 once someone changed it)."""

    paid_on: datetime.date
    version: int


class CancelIn(BodyIn):
    """Why it is cancelled, and the allocation's `version` as read (409 once someone
    changed it)."""

    reason: str = ""
    version: int


class Cancelled(Schema):
    id: int
    cancelled: bool


class CommunityCompleteness(Schema):
    community: Named
    present: int
    total: int
    missing: list[str]


class CompletenessPage(Schema):
    items: list[CommunityCompleteness]
    count: int


class ChecklistItemOut(Schema):
    code: str
    label: str
    kind: str
    counted: bool  # the 19 items of completeness; the extra logo places are not
    present: bool
    area: float | None
    room_name: str
    shared_with: list[str]  # other functions of the same room (一室多用)
    photo: bool
    version: int  # 0 until the item is first saved; send it back to change the item


class ChecklistOut(Schema):
    community: Named
    present: int
    total: int
    items: list[ChecklistItemOut]


class ChecklistItemIn(BodyIn):
    present: bool
    area: RoomArea | None = None  # rooms only, ㎡
    room_name: str = ""  # rooms only; the same name on several items: one shared room
    version: int  # as read (0 for an item never saved): 409 once someone else changed it


class ChecklistIn(BodyIn):
    """Item code → its values; only the items given change."""

    items: dict[str, ChecklistItemIn]


# 409 answers of the four objects edited with a version (ADR 0040): `current` is the object
# as its own operation answers it, with the version to send again.
class AssetConflict(Conflict):
    current: AssetOut


class MeasureConflict(Conflict):
    current: PlanOut  # the plan with its measures, as the measure operations answer


class AllocationConflict(Conflict):
    current: AllocationOut


class ChecklistConflict(Conflict):
    current: ChecklistOut
