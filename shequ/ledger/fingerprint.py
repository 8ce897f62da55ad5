"""Tamper evidence: each approved version of a street's ledger is sealed with a SHA-256
fingerprint over a canonical form, chained to the street's previous fingerprint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shequ.ledger.fields import INPUT_FIELDS
from shequ.ledger.models import LedgerRow, Period, SealedVersion, Submission


def canonical_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.1f}"  # areas always with one decimal
    return value


def canonical_form(period: Period, street_code: str, rows: list[LedgerRow]) -> str:
    """Rows sorted by community code, fields in the contract's order, areas with one
    decimal, as compact JSON. Never change this: old fingerprints would no longer verify."""
    body = {
        "period": period.code,
        "street": street_code,
        "fields": list(INPUT_FIELDS),
        "rows": [
            [row.community.code, *(canonical_value(getattr(row, f)) for f in INPUT_FIELDS)]
            for row in sorted(rows, key=lambda r: r.community.code)
        ],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def chain_fingerprint(previous: str, snapshot: str) -> str:
    return hashlib.sha256(f"{previous}\n{snapshot}".encode()).hexdigest()


def street_rows(period: Period, street_id: int) -> list[LedgerRow]:
    return list(
        LedgerRow.objects.filter(period=period, street_id=street_id).select_related("community")
    )


def seal(submission: Submission, *, sealed_by: str, sealed_at) -> SealedVersion:
    """Seal the submission's current rows as its approved version (inside its transaction)."""
    last = (
        SealedVersion.objects.select_for_update()
        .filter(street=submission.street)
        .order_by("-sequence")
        .first()
    )
    previous = last.fingerprint if last else ""
    snapshot = canonical_form(
        submission.period,
        submission.street.code,
        street_rows(submission.period, submission.street_id),
    )
    return SealedVersion.objects.create(
        street=submission.street,
        period=submission.period,
        version=submission.approved_version,
        sequence=(last.sequence + 1) if last else 1,
        sealed_at=sealed_at,
        sealed_by=sealed_by,
        snapshot=snapshot,
        previous_fingerprint=previous,
        fingerprint=chain_fingerprint(previous, snapshot),
    )


@dataclass(frozen=True)
class Discrepancy:
    period: str
    street: str
    community: str
    field: str
    message: str

    def __str__(self) -> str:
        where = " ".join(part for part in (self.period, self.street, self.community) if part)
        return f"{where} {self.field}：{self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "period": self.period,
            "street": self.street,
            "community": self.community,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class VerifyReport:
    chains: int
    versions: int
    ledgers: int
    problems: list[Discrepancy]

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_verify(period: Period | None = None, *, within: str = "/") -> VerifyReport:
    """Recompute every street's chain, and compare each approved ledger with its seal.

    `within` limits the check to the streets under a region path (the caller's scope)."""
    problems: list[Discrepancy] = []
    versions = list(
        SealedVersion.objects.filter(street__path__startswith=within)
        .select_related("street", "period")
        .order_by("street", "sequence")
    )
    chains: dict[int, list[SealedVersion]] = {}
    for version in versions:
        chains.setdefault(version.street_id, []).append(version)
    for chain in chains.values():
        problems += _check_chain(chain, period)
    approved = (
        Submission.objects.approved()
        .filter(street__path__startswith=within)
        .select_related("street", "period")
    )
    if period is not None:
        approved = approved.filter(period=period)
    latest = {(v.street_id, v.period_id, v.version): v for v in versions}
    ledgers = 0
    for submission in approved:
        ledgers += 1
        sealed = latest.get(
            (submission.street_id, submission.period_id, submission.approved_version)
        )
        if sealed is None:
            problems.append(
                Discrepancy(
                    submission.period.code,
                    submission.street.name,
                    "",
                    "审核版本",
                    f"第{submission.approved_version}版没有封存记录",
                )
            )
            continue
        problems += _compare_with_rows(submission, sealed)
    return VerifyReport(len(chains), len(versions), ledgers, problems)


def _check_chain(chain: list[SealedVersion], period: Period | None) -> list[Discrepancy]:
    problems = []
    previous = ""
    for expected_sequence, version in enumerate(chain, start=1):
        if period is not None and version.period_id != period.pk:
            previous = version.fingerprint
            continue
        where = (version.period.code, version.street.name, "")
        if version.sequence != expected_sequence:
            problems.append(
                Discrepancy(
                    *where, "链序", f"应为第{expected_sequence}环，实为第{version.sequence}环"
                )
            )
        if version.previous_fingerprint != previous:
            problems.append(
                Discrepancy(*where, "上一指纹", f"第{version.version}版与前一环的指纹不相接")
            )
        if chain_fingerprint(version.previous_fingerprint, version.snapshot) != version.fingerprint:
            problems.append(
                Discrepancy(*where, "指纹", f"第{version.version}版的封存内容与指纹不符")
            )
        previous = version.fingerprint
    return problems


def _compare_with_rows(submission: Submission, sealed: SealedVersion) -> list[Discrepancy]:
    sealed_body = json.loads(sealed.snapshot)
    fields = sealed_body["fields"]
    sealed_rows = {row[0]: dict(zip(fields, row[1:], strict=True)) for row in sealed_body["rows"]}
    live_body = json.loads(
        canonical_form(
            submission.period,
            submission.street.code,
            street_rows(submission.period, submission.street_id),
        )
    )
    live_rows = {row[0]: dict(zip(fields, row[1:], strict=True)) for row in live_body["rows"]}
    names = dict(
        LedgerRow.objects.filter(period=submission.period, street=submission.street).values_list(
            "community__code", "community__name"
        )
    )
    where = (submission.period.code, submission.street.name)
    problems = []
    for code in sorted(sealed_rows.keys() | live_rows.keys()):
        label = f"{names.get(code, '')}（{code}）"
        if code not in live_rows:
            problems.append(Discrepancy(*where, label, "台账行", "审核后被删除"))
            continue
        if code not in sealed_rows:
            problems.append(Discrepancy(*where, label, "台账行", "审核后被添加"))
            continue
        for field in fields:
            before, now = sealed_rows[code][field], live_rows[code][field]
            if before != now:
                problems.append(
                    Discrepancy(
                        *where, label, field, f"审核时为 {_show(before)}，现为 {_show(now)}"
                    )
                )
    return problems


def _show(value: Any) -> str:
    return "空" if value is None or value == "" else str(value)


def sealed_diff(older: SealedVersion, newer: SealedVersion) -> list[tuple[str, str, Any, Any]]:
    """(community code, field, before, after) for every cell that differs between versions."""
    a, b = json.loads(older.snapshot), json.loads(newer.snapshot)
    fields = b["fields"]
    rows_a = {row[0]: row[1:] for row in a["rows"]}
    differences = []
    for row in b["rows"]:
        before = rows_a.get(row[0], [None] * len(fields))
        for field, old, new in zip(fields, before, row[1:], strict=True):
            if old != new:
                differences.append((row[0], field, old, new))
    return differences
