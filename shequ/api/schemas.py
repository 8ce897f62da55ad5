"""The API's shapes, so that the OpenAPI document describes every answer exactly."""

from __future__ import annotations

import datetime

from ninja import Schema


class Error(Schema):
    message: str
    field: str | None = None


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
    compliant: int
    rate: float | None


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
