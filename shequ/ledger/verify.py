"""`shequ verify-ledger`: is every approved ledger still what was sealed, and is every seal
still what was approved?

Five checks, each reading its table once (no query per seal): every street's chain (each
fingerprint recomputed, scheme by scheme); the district chain (each keyed seal linked to the
one before it, the first to the seals made before issue 25); the audit trail (each seal has
its approval entry, with the same approver, time and fingerprint, and each approval entry
its seal); the submissions (approved up to the version sealed, no further); and the live
rows of every approved ledger against its seal. `head_check` answers whether a published
head is still in the chain (ADR 0039).
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.ledger.fields import INPUT_FIELDS
from shequ.ledger.fingerprint import (
    PublishedHead,
    Scheme,
    canonical_value,
    chain_fingerprint,
    chain_head,
    chain_key,
    header_of,
    key_id,
    keyed_fingerprint,
    legacy_anchor,
    legacy_heads,
    moment_text,
)
from shequ.ledger.models import ChainHead, LedgerRow, Period, SealedVersion, Submission
from shequ.regions.models import Region

# The audit actions that seal a version (`ledger.submissions`).
APPROVALS = ("ledger.approve", "ledger.backfill_approve")
# An approval recorded before issue 25 kept no seal details: its audit entry's time is the
# moment it was written, a little after the seal's.
OLD_AUDIT_SLACK = datetime.timedelta(minutes=1)
HEAD_PATTERN = re.compile(r"[0-9a-f]{16,64}")


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
class HeadCheck:
    """Whether a published head is a link of the chain and every later link follows it."""

    given: str
    ok: bool
    message: str
    sequence: int | None = None
    later: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "given": self.given,
            "ok": self.ok,
            "message": self.message,
            "sequence": self.sequence,
            "later": self.later,
        }


@dataclass
class VerifyReport:
    chains: int
    versions: int
    ledgers: int
    problems: list[Discrepancy]
    head: PublishedHead | None = None
    head_check: HeadCheck | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and (self.head_check is None or self.head_check.ok)


def ledger_verify(
    period: Period | None = None, *, within: str = "/", head: str | None = None
) -> VerifyReport:
    """Every check of the module's doc. `within` limits the streets' checks to a region
    path (the caller's scope); the district chain is checked whole (it holds only
    fingerprints). `head`: a published head to look for (`head_check`)."""
    key = chain_key()
    versions = list(
        SealedVersion.objects.filter(street__path__startswith=within)
        .select_related("street", "period")
        .order_by("street", "sequence")
    )
    chains: dict[int, list[SealedVersion]] = {}
    for version in versions:
        chains.setdefault(version.street_id, []).append(version)
    problems: list[Discrepancy] = []
    for chain in chains.values():
        problems += _check_street_chain(chain, period, key)
    problems += _check_district_chain(within)
    checked = [v for v in versions if period is None or v.period_id == period.pk]
    problems += _check_audit_trail(checked, period, within)
    submissions = Submission.objects.filter(street__path__startswith=within).select_related(
        "street", "period"
    )
    if period is not None:
        submissions = submissions.filter(period=period)
    ledger_problems, ledgers = _check_submissions(
        list(submissions), versions, within=within, period=period
    )
    problems += ledger_problems
    report = VerifyReport(len(chains), len(versions), ledgers, problems, head=chain_head())
    if head is not None:
        report.head_check = head_check(head, key=key)
    return report


# ------------------------------------------------------------------ each street's chain


def _check_street_chain(
    chain: list[SealedVersion], period: Period | None, key: bytes
) -> list[Discrepancy]:
    problems = []
    previous = ""
    keyed_before = False
    current_key = key_id(key)
    for expected_sequence, version in enumerate(chain, start=1):
        where = (version.period.code, version.street.name, "")
        if version.scheme == Scheme.SHA256 and keyed_before:
            problems.append(
                Discrepancy(
                    *where, "封存方式", f"第{version.version}版标为旧方式，却在带密钥的封存之后"
                )
            )
        keyed_before = keyed_before or version.scheme == Scheme.KEYED
        if period is not None and version.period_id != period.pk:
            previous = version.fingerprint
            continue
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
        problem = _fingerprint_problem(version, key, current_key)
        if problem:
            problems.append(Discrepancy(*where, *problem))
        previous = version.fingerprint
    return problems


def _fingerprint_problem(
    version: SealedVersion, key: bytes, current_key: str
) -> tuple[str, str] | None:
    """(field, message) when the version's fingerprint is not what its scheme computes."""
    if version.scheme == Scheme.SHA256:
        if version.district_sequence is not None or version.key_id:
            return "封存方式", f"第{version.version}版标为旧方式，却带有区级链序或密钥标识"
        if chain_fingerprint(version.previous_fingerprint, version.snapshot) != version.fingerprint:
            return "指纹", f"第{version.version}版的封存内容与指纹不符"
        return None
    if version.scheme != Scheme.KEYED or version.district_sequence is None:
        return "封存方式", f"第{version.version}版的封存方式无法识别"
    if version.key_id != current_key:
        return (
            "密钥",
            f"第{version.version}版由另一把密钥封存（密钥标识 {version.key_id or '空'}，"
            f"当前密钥 {current_key}），无法核验：确认 SHEQU_CHAIN_KEY 或 var/chain_key "
            "是否被更换",
        )
    if keyed_fingerprint(key, header_of(version), version.snapshot) != version.fingerprint:
        return (
            "指纹",
            f"第{version.version}版的封存内容、链序、审核人或审核时间与指纹不符",
        )
    return None


# -------------------------------------------------------------------- the district chain


def _check_district_chain(within: str) -> list[Discrepancy]:
    """The keyed seals of every street, in the order they were sealed, each linked to the one
    before; the first to the old seals; the stored head to the last."""
    links = (
        SealedVersion.objects.filter(scheme=Scheme.KEYED)
        .order_by("district_sequence", "pk")
        .values_list(
            "district_sequence",
            "district_previous",
            "fingerprint",
            "period__code",
            "street__name",
            "street__path",
        )
    )
    problems = []
    previous = legacy_anchor(legacy_heads().items())
    expected = 1
    for sequence, link_previous, fingerprint, period_code, street, path in links:
        where = (period_code, street if path.startswith(within) else "", "")
        if sequence != expected:
            problems.append(
                Discrepancy(
                    *where,
                    "区级链序",
                    f"应为第{expected}环，实为第{sequence or '（空）'}环："
                    "其间的审核版本被删除或改动",
                )
            )
        if link_previous != previous:
            problems.append(Discrepancy(*where, "区级上一指纹", _broken_link_message(sequence)))
        previous, expected = fingerprint, (sequence or expected) + 1
    if expected > 1 and _stored_head() != (expected - 1, previous):
        problems.append(
            Discrepancy(
                "", "", "", "链头", "记录的链头与区级链的最后一环不符：最后的审核版本可能被删除"
            )
        )
    return problems


def _stored_head() -> tuple[int, str]:
    return ChainHead.objects.values_list("sequence", "fingerprint").first() or (0, "")


def _broken_link_message(sequence: int | None) -> str:
    if sequence == 1:
        return "第1环记录的旧封存锚点与现存的旧方式封存不符：issue 25 之前的封存被改动、删除或添加"
    return f"第{sequence}环与区级链的前一环不相接"


# ---------------------------------------------------------------------- the audit trail


def _check_audit_trail(
    versions: list[SealedVersion], period: Period | None, within: str
) -> list[Discrepancy]:
    """Each seal against its approval's audit entry, and each approval entry against its
    seal: a seal deleted with its submission set back still has its approval on record."""
    places = _submission_places(within)
    events = AuditEvent.objects.filter(
        action__in=APPROVALS, target_type="submission", region_path__startswith=within
    ).values_list("target_id", "at", "actor", "changes")
    approvals: dict[tuple[int, int, int], tuple[datetime.datetime, str, dict]] = {}
    for target_id, at, actor, changes in events:
        place = places.get(target_id)
        version = (changes or {}).get("approved_version")
        if place is None or not isinstance(version, int):
            continue
        if period is not None and place[1] != period.pk:
            continue
        approvals[(*place, version)] = (at, actor, changes)
    problems = []
    for sealed in versions:
        key = (sealed.street_id, sealed.period_id, sealed.version)
        approval = approvals.pop(key, None)
        where = (sealed.period.code, sealed.street.name, "")
        if approval is None:
            problems.append(
                Discrepancy(*where, "审核记录", f"第{sealed.version}版没有审核通过的操作记录")
            )
            continue
        problems += [Discrepancy(*where, *p) for p in _approval_mismatch(sealed, *approval)]
    problems += _approvals_without_seal(approvals)
    return problems


def _submission_places(within: str) -> dict[str, tuple[int, int]]:
    """Submission id (as the audit trail stores it) → (street id, period id)."""
    rows = Submission.objects.filter(street__path__startswith=within).values_list(
        "pk", "street_id", "period_id"
    )
    return {str(pk): (street_id, period_id) for pk, street_id, period_id in rows}


def _approval_mismatch(
    sealed: SealedVersion, at: datetime.datetime, actor: str, changes: dict
) -> list[tuple[str, str]]:
    recorded = changes.get("seal")
    label = f"第{sealed.version}版"
    if not isinstance(recorded, dict):  # approved before issue 25: the entry's own fields
        found = []
        if actor != sealed.sealed_by:
            found.append(("审核人", f"{label}封存为 {sealed.sealed_by}，操作记录为 {actor}"))
        if abs(at - sealed.sealed_at) > OLD_AUDIT_SLACK:
            found.append(
                ("审核时间", f"{label}封存为 {_local(sealed.sealed_at)}，操作记录为 {_local(at)}")
            )
        return found
    found = []
    if recorded.get("by") != sealed.sealed_by:
        found.append(
            ("审核人", f"{label}封存为 {sealed.sealed_by}，操作记录为 {recorded.get('by')}")
        )
    if recorded.get("at") != moment_text(sealed.sealed_at):
        found.append(
            (
                "审核时间",
                f"{label}封存为 {_local(sealed.sealed_at)}，操作记录为 {recorded.get('at')}",
            )
        )
    if recorded.get("fingerprint") != sealed.fingerprint:
        found.append(("指纹", f"{label}的指纹与审核通过时记录的不同"))
    return found


def _approvals_without_seal(
    approvals: dict[tuple[int, int, int], tuple[datetime.datetime, str, dict]],
) -> list[Discrepancy]:
    if not approvals:
        return []
    streets = dict(
        Region.objects.filter(pk__in={street for street, _, _ in approvals}).values_list(
            "pk", "name"
        )
    )
    periods = dict(
        Period.objects.filter(pk__in={p for _, p, _ in approvals}).values_list("pk", "code")
    )
    return [
        Discrepancy(
            periods.get(period_id, ""),
            streets.get(street_id, ""),
            "",
            "封存记录",
            f"第{version}版已于 {_local(at)} 由 {actor} 审核通过，却没有封存记录：封存可能被删除",
        )
        for (street_id, period_id, version), (at, actor, _) in sorted(approvals.items())
    ]


def _local(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


# ------------------------------------------------------------ submissions and live rows


def _check_submissions(
    submissions: list[Submission], versions: list[SealedVersion], *, within: str, period
) -> tuple[list[Discrepancy], int]:
    """Each ledger approved up to the version sealed, no further; an approved one's rows as
    sealed. Returns the problems and how many approved ledgers were compared."""
    by_version = {(v.street_id, v.period_id, v.version): v for v in versions}
    highest: dict[tuple[int, int], int] = {}
    for v in versions:
        place = (v.street_id, v.period_id)
        highest[place] = max(highest.get(place, 0), v.version)
    problems: list[Discrepancy] = []
    approved: dict[tuple[int, int], tuple[Submission, SealedVersion]] = {}
    ledgers = 0
    for submission in submissions:
        where = (submission.period.code, submission.street.name, "")
        version = submission.approved_version
        place = (submission.street_id, submission.period_id)
        sealed_up_to = highest.get(place, 0)
        if sealed_up_to > version:
            problems.append(
                Discrepancy(
                    *where,
                    "审核版本",
                    f"已封存到第{sealed_up_to}版，台账却记为第{version}版：审核状态可能被改回",
                )
            )
        sealed = by_version.get((*place, version))
        if version and sealed is None:
            problems.append(Discrepancy(*where, "审核版本", f"第{version}版没有封存记录"))
        if submission.state != Submission.State.APPROVED:
            continue
        ledgers += 1
        if sealed is not None:
            approved[place] = (submission, sealed)
    problems += _check_live_rows(approved, within=within, period=period)
    return problems, ledgers


def _check_live_rows(
    approved: dict[tuple[int, int], tuple[Submission, SealedVersion]], *, within: str, period
) -> list[Discrepancy]:
    """Every approved ledger's rows against its seal: one query, read street by street (a
    city's 22,000 rows as 22,000, not 2,000 queries; a country's never all in memory)."""
    rows = LedgerRow.objects.filter(street__path__startswith=within)
    if period is not None:
        rows = rows.filter(period=period)
    values = rows.order_by("period_id", "street_id").values_list(
        "street_id", "period_id", "community__code", "community__name", *INPUT_FIELDS
    )
    problems: list[Discrepancy] = []
    group: list[tuple] = []
    current = None
    for row in values.iterator(chunk_size=5000):
        place = (row[0], row[1])
        if place != current:
            if current in approved:
                problems += _compare_with_rows(*approved.pop(current), group)
            current, group = place, []
        if place in approved:
            group.append(row[2:])
    if current in approved:
        problems += _compare_with_rows(*approved.pop(current), group)
    for submission, sealed in approved.values():  # approved ledgers without a single row
        problems += _compare_with_rows(submission, sealed, [])
    return problems


def _sealed_rows(snapshot: str) -> tuple[list[str], dict[str, dict]]:
    """The fields and rows of a seal's canonical form (ValueError when it is not one)."""
    try:
        body = json.loads(snapshot)
        fields = list(body["fields"])
        return fields, {row[0]: dict(zip(fields, row[1:], strict=True)) for row in body["rows"]}
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise ValueError(snapshot[:40]) from error


def _live_rows(rows: list[tuple]) -> dict[str, dict]:
    """(code, name, *INPUT_FIELDS) rows as the canonical form holds them, read back."""
    body = [[code, *(canonical_value(v) for v in values)] for code, _, *values in rows]
    parsed = json.loads(json.dumps(body, ensure_ascii=False))
    return {row[0]: dict(zip(INPUT_FIELDS, row[1:], strict=True)) for row in parsed}


def _compare_with_rows(
    submission: Submission, sealed: SealedVersion, rows: list[tuple]
) -> list[Discrepancy]:
    try:
        fields, sealed_rows = _sealed_rows(sealed.snapshot)
    except ValueError:
        return [
            Discrepancy(
                submission.period.code,
                submission.street.name,
                "",
                "封存内容",
                f"第{sealed.version}版的封存内容无法读取",
            )
        ]
    live_rows = _live_rows(rows)
    names = {code: name for code, name, *_ in rows}
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
        for name in fields:
            before, now = sealed_rows[code][name], live_rows[code].get(name)
            if before != now:
                problems.append(
                    Discrepancy(*where, label, name, f"审核时为 {_show(before)}，现为 {_show(now)}")
                )
    return problems


def _show(value: Any) -> str:
    return "空" if value is None or value == "" else str(value)


# ------------------------------------------------------------------ a published head


def head_check(given: str, *, key: bytes | None = None) -> HeadCheck:
    """Is `given` (a head printed on an export, a report or a notice; at least its first 16
    hexadecimal digits) a link of the district chain, with every later link chained from it
    and sealed with the key? Answers in Chinese; refuses what is not a head at all."""
    text = given.strip().lower()
    if not HEAD_PATTERN.fullmatch(text):
        raise DomainError(
            f"链头“{given.strip()[:80]}”无效：应为 16 到 64 位十六进制数字"
            "（导出的统计台帐、评估报告或审核通知上印的那一串）"
        )
    key = key or chain_key()
    shown = f"{text[:16]}…" if len(text) > 16 else text
    matches = list(
        SealedVersion.objects.filter(scheme=Scheme.KEYED, fingerprint__startswith=text)
        .values_list("district_sequence", flat=True)
        .order_by("district_sequence")
    )
    if not matches:
        return HeadCheck(
            text,
            False,
            f"链头 {shown} 不在台帐指纹链中：它所在的审核版本被删除或改写过"
            "（或它从来不是本系统的链头）",
        )
    if len(matches) > 1:
        return HeadCheck(text, False, f"链头 {shown} 与多个指纹相符：请给出更多位")
    start = matches[0]
    later = (
        SealedVersion.objects.filter(scheme=Scheme.KEYED, district_sequence__gte=start)
        .select_related("street", "period")
        .order_by("district_sequence")
    )
    return _follow_from(text, shown, start, later.iterator(chunk_size=500), key)


def _follow_from(text: str, shown: str, start: int, links, key: bytes) -> HeadCheck:
    current_key = key_id(key)
    previous = ""
    expected = start
    first: SealedVersion | None = None
    for link in links:
        first = first or link
        broken = (
            link.district_sequence != expected
            or (expected > start and link.district_previous != previous)
            or _fingerprint_problem(link, key, current_key) is not None
        )
        if broken:
            return HeadCheck(
                text,
                False,
                f"链头 {shown} 是第{start}环，但第{expected}环起不再由它接续："
                "其后的审核版本被删除或改写过",
                start,
                expected - start - 1,
            )
        previous, expected = link.fingerprint, expected + 1
    assert first is not None  # the head itself was found
    later = expected - start - 1
    return HeadCheck(
        text,
        True,
        f"链头 {shown} 是第{start}环（{_local(first.sealed_at)} {first.street.name}"
        f"{first.period.label}台账第{first.version}版审核通过），其后 {later} 环均由它接续",
        start,
        later,
    )
