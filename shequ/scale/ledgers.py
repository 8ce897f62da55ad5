"""Plausible approved ledgers for every community, written in bulk.

Two consecutive periods: the first made up per community (about four in five compliant,
urban communities larger than rural ones), the second the first with the changes streets
report between halves (households recounted, some areas grown). Every street's ledger is
approved and sealed, as `submission_approve` would leave it, but written as whole columns:
the services' one-street-at-a-time path would take hours for a country.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from shequ.compliance.targets import standard_for_year
from shequ.core.actors import COMMAND_LINE, Actor
from shequ.core.audit import AuditEntry, audit_records_bulk
from shequ.core.bulk import insert_rows
from shequ.ledger import rules
from shequ.ledger.fields import CO_LOCATION_FLAGS, INPUT_FIELDS
from shequ.ledger.fingerprint import (
    SealHeader,
    canonical_form,
    chain_key,
    head_store,
    key_id,
    keyed_fingerprint,
    seal_record,
)
from shequ.ledger.models import LedgerRow, Period, SealedVersion, Submission
from shequ.regions.levels import Level, UrbanRural
from shequ.regions.models import Region

ROW_FIELDS = ["period", "community", "street", *INPUT_FIELDS]
ROW_FIELDS += ["households_source", "warning_comments", "total_area", "version", "updated_at"]
SUBMISSION_FIELDS = ["period", "street", "state", "approved_version", "submitted_at", "late"]
SUBMISSION_FIELDS += ["decided_at", "return_reason", "reopen_reason"]
SEAL_FIELDS = ["street", "period", "version", "sequence", "sealed_at", "sealed_by", "snapshot"]
SEAL_FIELDS += ["previous_fingerprint", "fingerprint", "scheme", "key_id"]
SEAL_FIELDS += ["district_sequence", "district_previous"]
FLUSH_ROWS = 40_000
SOURCE = "模拟数据"
TENTH = Decimal("0.1")
# Facility shares of the total area (the 便民服务中心 holds the rest).
SHARES = {
    "police_room": 0.06,
    "day_care": 0.14,
    "health_station": 0.09,
    "culture_room": 0.12,
    "grocery": 0.06,
    "other": 0.03,
}


@dataclass(frozen=True)
class Member:
    community_id: int
    code: str
    urban: bool


@dataclass
class LedgerReport:
    rows: int = 0
    streets: int = 0


def _tenths(value: float) -> Decimal:
    return Decimal(round(value * 10)) * TENTH


def first_values(rng: random.Random, urban: bool, year: int, standard: Decimal) -> dict:
    """One community's row: about four in five above 30 m² per 100 households (the
    notice's standard); its 达标年度 as the year's `standard` judges it."""
    households = rng.randint(1500, 7000) if urban else rng.randint(400, 2500)
    ratio = rng.uniform(31, 55) if rng.random() < 0.8 else rng.uniform(12, 29)
    total = households * ratio / 100
    values = dict.fromkeys(INPUT_FIELDS)
    values.update({flag: False for flag in CO_LOCATION_FLAGS.values()}, remarks="")
    values["households"] = households
    allocated = Decimal(0)
    for field, share in SHARES.items():
        if field == "grocery" and rng.random() < 0.6:
            continue
        flag = CO_LOCATION_FLAGS.get(field)
        if flag and rng.random() < 0.3:
            values[flag] = True
            continue
        values[field] = _tenths(total * share * rng.uniform(0.7, 1.3))
        allocated += values[field]
    values["service_center"] = max(_tenths(total) - allocated, _tenths(150 + rng.random() * 300))
    compliant = rules.is_compliant(rules.total_area(_Row(**values)), households, standard)
    values["compliance_year"] = rng.randint(2020, year) if compliant else None
    return values


def next_values(rng: random.Random, values: dict, year: int, standard: Decimal) -> dict:
    """The next half's row: a third recount households, a tenth add some area."""
    values = dict(values)
    if rng.random() < 0.33:
        values["households"] = max(300, round(values["households"] * rng.uniform(0.98, 1.04)))
    if rng.random() < 0.1:
        values["culture_room"] = (values["culture_room"] or Decimal(0)) + _tenths(
            rng.uniform(10, 60)
        )
        values["culture_room_in_center"] = False
    compliant = rules.is_compliant(rules.total_area(_Row(**values)), values["households"], standard)
    if not compliant:
        values["compliance_year"] = None
    elif values["compliance_year"] is None:
        values["compliance_year"] = year
    return values


class _Row(SimpleNamespace):
    """Values read as attributes, as the rules and the fingerprint read a row."""


def streets_with_members() -> Iterator[tuple[int, str, list[Member]]]:
    """(street id, street code, its communities) for every street, in code order."""
    codes = dict(Region.objects.filter(level=Level.STREET).values_list("id", "code"))
    communities = (
        Region.objects.filter(level=Level.COMMUNITY)
        .order_by("parent_id", "code")
        .values_list("parent_id", "id", "code", "urban_rural_class")
    )
    street, members = None, []
    for parent_id, community_id, code, klass in communities.iterator(chunk_size=20_000):
        if parent_id != street and members:
            yield street, codes[street], members
            members = []
        street = parent_id
        members.append(Member(community_id, code, klass == UrbanRural.URBAN))
    if members:
        yield street, codes[street], members


class LedgerWriter:
    """Rows, approved submissions and seals of consecutive periods, street by street."""

    def __init__(self, periods: list[Period], *, seed: int, now: datetime.datetime):
        self.periods = periods
        # The standard of each period's year, as the rules judge it (read once, not per row).
        self.standards = {period.pk: standard_for_year(period.year) for period in periods}
        self.rng = random.Random(seed)
        self.now = now
        self.decided = {period.pk: _before_deadline(period) for period in periods}
        self.rows: list[list] = []
        self.submissions: list[list] = []
        self.seals: list[list] = []
        self.report = LedgerReport()
        # The district chain, in the order the streets are written (the database is empty:
        # no seal made before issue 25 to anchor).
        self.key = chain_key()
        self.key_id = key_id(self.key)
        self.district_sequence = 0
        self.district_previous = ""

    def street_add(self, street_id: int, street_code: str, members: list[Member]) -> None:
        fingerprint = ""
        first = self.periods[0]
        standard = self.standards[first.pk]
        current = {
            m.community_id: first_values(self.rng, m.urban, first.year, standard) for m in members
        }
        for sequence, period in enumerate(self.periods, start=1):
            if sequence > 1:
                current = {
                    key: next_values(self.rng, values, period.year, self.standards[period.pk])
                    for key, values in current.items()
                }
            fingerprint = self._street_period(
                street_id, street_code, members, period, current, sequence, fingerprint
            )
        self.report.streets += 1
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def _street_period(self, street_id, street_code, members, period, current, sequence, previous):
        sealed = []
        for member in members:
            values = current[member.community_id]
            self.rows.append(
                [period.pk, member.community_id, street_id]
                + [values[field] for field in INPUT_FIELDS]
                + [SOURCE, {}, rules.total_area(_Row(**values)), 1, self.now]
            )
            sealed.append(_Row(community=_Row(code=member.code), **values))
        submitted, decided = self.decided[period.pk]
        self.submissions.append(
            [period.pk, street_id, Submission.State.APPROVED, 1, submitted, False, decided, "", ""]
        )
        snapshot = canonical_form(period, street_code, sealed)
        self.district_sequence += 1
        header = SealHeader(
            district_sequence=self.district_sequence,
            district_previous=self.district_previous,
            street=street_code,
            sequence=sequence,
            previous=previous,
            period=period.code,
            version=1,
            sealed_by=COMMAND_LINE,
            sealed_at=decided,
        )
        fingerprint = keyed_fingerprint(self.key, header, snapshot)
        self.seals.append(
            [street_id, period.pk, 1, sequence, decided, COMMAND_LINE, snapshot, previous]
        )
        self.seals[-1] += [fingerprint, SealedVersion.Scheme.KEYED, self.key_id]
        self.seals[-1] += [self.district_sequence, self.district_previous]
        self.district_previous = fingerprint
        self.report.rows += len(members)
        return fingerprint

    def flush(self) -> None:
        insert_rows(LedgerRow, ROW_FIELDS, self.rows)
        insert_rows(Submission, SUBMISSION_FIELDS, self.submissions)
        insert_rows(SealedVersion, SEAL_FIELDS, self.seals)
        self.rows, self.submissions, self.seals = [], [], []


def _before_deadline(period: Period) -> tuple[datetime.datetime, datetime.datetime]:
    """Submitted five days before the deadline, approved the day after: on time."""
    submitted = datetime.datetime.combine(
        period.deadline - datetime.timedelta(days=5), datetime.time(10)
    )
    submitted = timezone.make_aware(submitted)
    return submitted, submitted + datetime.timedelta(days=1)


def ledgers_generate(periods: list[Period], *, seed: int = 2026, progress=None) -> LedgerReport:
    writer = LedgerWriter(periods, seed=seed, now=timezone.now())
    for street_id, street_code, members in streets_with_members():
        writer.street_add(street_id, street_code, members)
        if progress and writer.report.streets % 5000 == 0:
            progress(f"台账：街镇 {writer.report.streets} 个，台账行 {writer.report.rows} 行")
    writer.flush()
    head_store(writer.district_sequence, writer.district_previous)
    approvals_record(periods)
    return writer.report


def approvals_record(periods: list[Period]) -> None:
    """Each generated approval in the audit trail, as `submission_approve` records it (so
    that `verify-ledger` finds the approval of every seal): two reads, one bulk write."""
    places = {
        (street_id, period_id): (pk, path, name)
        for pk, street_id, period_id, path, name in Submission.objects.values_list(
            "pk", "street_id", "period_id", "street__path", "street__name"
        )
    }
    labels = {period.pk: period.label for period in periods}
    entries = []
    for sealed in SealedVersion.objects.only(
        "street_id", "period_id", "version", "sealed_at", "sealed_by", "fingerprint"
    ).iterator(chunk_size=20_000):
        pk, path, name = places[(sealed.street_id, sealed.period_id)]
        changes = {
            "state": [Submission.State.SUBMITTED, Submission.State.APPROVED],
            "approved_version": sealed.version,
            "seal": seal_record(sealed),
        }
        summary = f"{name}{labels[sealed.period_id]}台账审核通过（第{sealed.version}版，模拟数据）"
        entries.append(AuditEntry(pk, path, summary, changes))
    audit_records_bulk(
        actor=Actor.command_line(),
        action="ledger.approve",
        target_type="submission",
        reason="",
        entries=entries,
    )
