"""Tamper evidence: each approved version of a street's ledger is sealed with a fingerprint
over a canonical form, chained to the street's previous fingerprint and (since issue 25) to
the district's previous one, so that the district's latest fingerprint, the chain head,
vouches for every approval before it (ADR 0004, ADR 0039).

Two schemes: versions sealed before issue 25 keep their plain SHA-256 over the previous
fingerprint and the snapshot (scheme 1, never recomputed); every new one is an HMAC-SHA256,
with a key kept outside the database (`SHEQU_CHAIN_KEY`), over the snapshot, the sequence,
the version, who approved it and when, and both links (scheme 2). `shequ.ledger.verify`
checks them.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from shequ.ledger.fields import INPUT_FIELDS
from shequ.ledger.models import ChainHead, LedgerRow, Period, SealedVersion, Submission

Scheme = SealedVersion.Scheme
# The one row of ChainHead, locked by every new seal.
HEAD_ROW = 1


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
    """Scheme 1 (before issue 25): anyone can recompute it, so it only verifies old seals."""
    return hashlib.sha256(f"{previous}\n{snapshot}".encode()).hexdigest()


# ------------------------------------------------------------------------ the keyed scheme


def chain_key() -> bytes:
    return settings.SHEQU_CHAIN_KEY.encode()


def key_id(key: bytes) -> str:
    """Names a key without revealing it: a seal made with another key (the key replaced,
    or lost and generated anew) is told apart from an altered one."""
    return hmac.new(key, b"shequ ledger chain key id", hashlib.sha256).hexdigest()[:16]


def moment_text(moment: datetime.datetime) -> str:
    """A time as a seal covers it: UTC to the microsecond, as both databases store it."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class SealHeader:
    """What a keyed fingerprint covers besides the snapshot."""

    district_sequence: int
    district_previous: str
    street: str  # code
    sequence: int
    previous: str
    period: str  # code
    version: int
    sealed_by: str
    sealed_at: datetime.datetime

    def text(self) -> str:
        fields = {
            "district_sequence": self.district_sequence,
            "district_previous": self.district_previous,
            "street": self.street,
            "sequence": self.sequence,
            "previous": self.previous,
            "period": self.period,
            "version": self.version,
            "sealed_by": self.sealed_by,
            "sealed_at": moment_text(self.sealed_at),
        }
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def keyed_fingerprint(key: bytes, header: SealHeader, snapshot: str) -> str:
    """Scheme 2. Never change this: fingerprints already issued would no longer verify."""
    message = f"shequ-seal/2\n{header.text()}\n{snapshot}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def header_of(version: SealedVersion) -> SealHeader:
    """A stored version's header (its street and period loaded)."""
    return SealHeader(
        district_sequence=version.district_sequence or 0,
        district_previous=version.district_previous,
        street=version.street.code,
        sequence=version.sequence,
        previous=version.previous_fingerprint,
        period=version.period.code,
        version=version.version,
        sealed_by=version.sealed_by,
        sealed_at=version.sealed_at,
    )


def legacy_anchor(latest: Iterable[tuple[str, str]]) -> str:
    """The district chain's first link: (street code, fingerprint) of every street's latest
    scheme-1 seal, as they stood when the first keyed seal was made; "" when there were none.
    The first keyed seal covers it, so no scheme-1 seal can be altered, added or removed,
    and no keyed seal passed off as an old one, after the upgrade without it showing."""
    lines = sorted(f"{code} {fingerprint}" for code, fingerprint in latest)
    if not lines:
        return ""
    return hashlib.sha256(("shequ-legacy-anchor\n" + "\n".join(lines)).encode()).hexdigest()


def legacy_heads() -> dict[str, str]:
    """Each street's latest scheme-1 fingerprint, by street code."""
    heads: dict[str, str] = {}
    rows = (
        SealedVersion.objects.filter(scheme=Scheme.SHA256)
        .order_by("street__code", "sequence")
        .values_list("street__code", "fingerprint")
    )
    for code, fingerprint in rows:
        heads[code] = fingerprint
    return heads


# ------------------------------------------------------------------------------ sealing


def street_rows(period: Period, street_id: int) -> list[LedgerRow]:
    return list(
        LedgerRow.objects.filter(period=period, street_id=street_id).select_related("community")
    )


def seal(submission: Submission, *, sealed_by: str, sealed_at) -> SealedVersion:
    """Seal the submission's current rows as its approved version (inside its transaction),
    as the district chain's next link."""
    head = _locked_head()
    last = (
        SealedVersion.objects.select_for_update()
        .filter(street=submission.street)
        .order_by("-sequence")
        .first()
    )
    district_last = district_latest()
    key = chain_key()
    header = SealHeader(
        district_sequence=(district_last.district_sequence or 0) + 1 if district_last else 1,
        district_previous=(
            district_last.fingerprint if district_last else legacy_anchor(legacy_heads().items())
        ),
        street=submission.street.code,
        sequence=(last.sequence + 1) if last else 1,
        previous=last.fingerprint if last else "",
        period=submission.period.code,
        version=submission.approved_version,
        sealed_by=sealed_by,
        sealed_at=sealed_at,
    )
    snapshot = canonical_form(
        submission.period,
        submission.street.code,
        street_rows(submission.period, submission.street_id),
    )
    sealed = SealedVersion.objects.create(
        street=submission.street,
        period=submission.period,
        version=header.version,
        sequence=header.sequence,
        sealed_at=sealed_at,
        sealed_by=sealed_by,
        snapshot=snapshot,
        previous_fingerprint=header.previous,
        fingerprint=keyed_fingerprint(key, header, snapshot),
        scheme=Scheme.KEYED,
        key_id=key_id(key),
        district_sequence=header.district_sequence,
        district_previous=header.district_previous,
    )
    head.sequence, head.fingerprint = header.district_sequence, sealed.fingerprint
    head.save(update_fields=["sequence", "fingerprint"])
    return sealed


def _locked_head() -> ChainHead:
    """The head row, locked: seals of any street are appended one at a time. (Locking the
    latest seal instead would let two approvals on PostgreSQL both read the same one.)"""
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=HEAD_ROW)
    return head


def district_latest() -> SealedVersion | None:
    return (
        SealedVersion.objects.filter(scheme=Scheme.KEYED, district_sequence__isnull=False)
        .order_by("-district_sequence")
        .first()
    )


def head_store(sequence: int, fingerprint: str) -> None:
    """Record the head after seals written in bulk (generated data)."""
    ChainHead.objects.update_or_create(
        pk=HEAD_ROW, defaults={"sequence": sequence, "fingerprint": fingerprint}
    )


def seal_record(sealed: SealedVersion) -> dict[str, str]:
    """What an approval's audit entry keeps of its seal, for `verify-ledger` to compare."""
    return {
        "by": sealed.sealed_by,
        "at": moment_text(sealed.sealed_at),
        "fingerprint": sealed.fingerprint,
    }


# ------------------------------------------------------------------------ the published head


@dataclass(frozen=True)
class PublishedHead:
    """The district chain's latest link, as exports, reports and notices print it."""

    sequence: int
    fingerprint: str
    sealed_at: datetime.datetime

    @property
    def line(self) -> str:
        moment = timezone.localtime(self.sealed_at)
        return (
            f"台帐指纹链头：{self.fingerprint}（第{self.sequence}环，"
            f"{moment.year}年{moment.month}月{moment.day}日{moment:%H:%M}审核后；"
            "核验：shequ verify-ledger --head 此值）"
        )


def chain_head() -> PublishedHead | None:
    """The current head (one query), or None before the first keyed seal."""
    latest = (
        SealedVersion.objects.filter(scheme=Scheme.KEYED, district_sequence__isnull=False)
        .order_by("-district_sequence")
        .values_list("district_sequence", "fingerprint", "sealed_at")
        .first()
    )
    if latest is None:
        return None
    sequence, fingerprint, sealed_at = latest
    return PublishedHead(sequence, fingerprint, sealed_at)


def chain_head_line() -> str:
    """The line printed on exported approved ledgers and in reports ("" before any seal)."""
    head = chain_head()
    return head.line if head else ""


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
