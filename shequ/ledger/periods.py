"""Opening and closing periods, deadlines and per-street extensions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from shequ.accounts.scope import Scope
from shequ.core.actors import Actor
from shequ.core.audit import audit_record
from shequ.core.bulk import analyze, insert_rows
from shequ.core.errors import DomainError
from shequ.core.periods import PeriodCode
from shequ.core.text import field_text
from shequ.ledger import lineage
from shequ.ledger.models import LedgerRow, Period, StreetExtension, Submission
from shequ.ledger.rows import CARRIED_ROW_FIELDS, audit_row, carried_forward_rows, stated_values
from shequ.regions.history import communities_as_of, versions_as_of
from shequ.regions.levels import Level
from shequ.regions.models import Region

# Opening a period for this many new rows or more refreshes the planner's statistics.
BULK_ANALYZE = 50_000


def default_deadline(period: PeriodCode) -> datetime.date:
    """30 April for the first half, 30 October for the second (the notice's 说明 1)."""
    return (
        datetime.date(period.year, 4, 30)
        if period.half == 1
        else datetime.date(period.year, 10, 30)
    )


@dataclass
class OpenReport:
    period: Period
    created: bool
    reopened: bool
    rows_created: int
    rows_carried: int
    submissions_created: int


@transaction.atomic
def period_open(
    *, scope: Scope, code: PeriodCode, deadline: datetime.date | None = None
) -> OpenReport:
    """Open a period (past or future), carrying every community's last approved values
    forward as its draft. Opening an open period only adds rows for communities created
    since; opening a closed one opens it again. (`workflow.periods.period_open` also
    builds the period's tallies: callers use that one.)"""
    scope.require_root_admin("开启报告期")
    period = Period.objects.select_for_update().filter(ordinal=code.ordinal).first()
    created = reopened = False
    if period is None:
        period = Period.objects.create(
            code=code.code, ordinal=code.ordinal, deadline=deadline or default_deadline(code)
        )
        created = True
    else:
        if deadline and deadline != period.deadline:
            period.deadline = deadline
            period.save(update_fields=["deadline"])
        if not period.is_open:
            period.state = Period.State.OPEN
            period.save(update_fields=["state"])
            reopened = True
    rows_created, rows_carried = rows_create_missing(period, scope.actor)
    submissions_created = submissions_create_missing(period)
    if created or reopened or rows_created:
        audit_record(
            actor=scope.actor,
            action="periods.open",
            target_type="period",
            target_id=period.code,
            summary=f"开启{period.label}，截止 {period.deadline:%Y-%m-%d}，"
            f"新建台账行 {rows_created} 行（沿用上期审核数 {rows_carried} 行）",
            changes={"deadline": period.deadline.isoformat(), "rows": rows_created},
        )
    return OpenReport(period, created, reopened, rows_created, rows_carried, submissions_created)


def rows_create_missing(period: Period, actor: Actor | None = None) -> tuple[int, int]:
    """A row for each community of the period's tree that has none, holding its last
    approved values (its predecessors', `ledger.lineage`); returns (created, carried)."""
    code = period.period_code
    missing = communities_as_of(code).exclude(region_id__in=period.rows.values("community_id"))
    members = list(missing.values_list("region_id", "parent_id"))
    carried = carried_forward_rows(period, members, missing.values("region_id"))
    # Read before the insert, while `missing` still names the new rows' communities.
    successors = lineage.origins(period.ordinal, missing.values("region_id"))
    # COPY on PostgreSQL: a country opens 600,000 rows at once.
    insert_rows(LedgerRow, CARRIED_ROW_FIELDS, carried.rows)
    if len(carried.rows) > BULK_ANALYZE:
        analyze(LedgerRow)
    if successors:
        _audit_successor_rows(period, successors, actor or Actor.command_line())
    return len(carried.rows), carried.from_approved


def _audit_successor_rows(period: Period, successors: dict, actor: Actor) -> None:
    """Each new row of a community that succeeded others says so in its history."""
    rows = period.rows.filter(community_id__in=successors).select_related("community")
    for row in rows:
        origin = successors[row.community_id]
        carried = {name: [None, value] for name, value in stated_values(row).items()}
        audit_row(
            actor=actor,
            row=row,
            action="ledger.row_succession",
            summary=f"新建{period.label}{row.community.name}台账行：{origin.note}",
            changes=carried if origin.kind != "split" else {},
        )


def submissions_create_missing(period: Period) -> int:
    streets = versions_as_of(period.period_code, level=Level.STREET).values_list(
        "region_id", flat=True
    )
    existing = set(period.submissions.values_list("street_id", flat=True))
    missing = [Submission(period=period, street_id=s) for s in streets if s not in existing]
    Submission.objects.bulk_create(missing)
    return len(missing)


@transaction.atomic
def period_close(*, scope: Scope, period: Period) -> Period:
    """Close a period: no more entry or submission; decisions on submitted ledgers remain."""
    scope.require_root_admin("关闭报告期")
    if not period.is_open:
        raise DomainError(f"{period.label}已关闭")
    period.state = Period.State.CLOSED
    period.save(update_fields=["state"])
    audit_record(
        actor=scope.actor,
        action="periods.close",
        target_type="period",
        target_id=period.code,
        summary=f"关闭{period.label}",
    )
    return period


@transaction.atomic
def period_extend(
    *, scope: Scope, period: Period, street: Region, deadline: datetime.date, reason: str
) -> StreetExtension:
    """Give one street a later deadline; a reason is required."""
    scope.require_root_admin("批准延期")
    if street.level != Level.STREET:
        raise DomainError("只能为街镇延期", field="street")
    reason = field_text(StreetExtension, "reason", reason, required="请填写延期原因")
    if deadline <= period.deadline:
        raise DomainError(
            f"延期日期应晚于本期截止日期 {period.deadline:%Y-%m-%d}", field="deadline"
        )
    extension, _ = StreetExtension.objects.update_or_create(
        period=period, street=street, defaults={"deadline": deadline, "reason": reason}
    )
    audit_record(
        actor=scope.actor,
        action="periods.extend",
        target_type="period",
        target_id=period.code,
        region_path=street.path,
        summary=f"{street.name}{period.label}延期至 {deadline:%Y-%m-%d}",
        changes={"deadline": deadline.isoformat()},
        reason=reason,
    )
    return extension


def deadline_for(period: Period, street: Region) -> datetime.date:
    extension = period.extensions.filter(street=street).first()
    return extension.deadline if extension else period.deadline


def overdue_street_ids(period: Period, today: datetime.date | None = None) -> set[int]:
    """Streets that have not submitted although their deadline has passed (催报)."""
    today = today or timezone.localdate()
    extended = dict(period.extensions.values_list("street_id", "deadline"))
    waiting = period.submissions.filter(
        state__in=[Submission.State.DRAFT, Submission.State.RETURNED]
    ).values_list("street_id", flat=True)
    return {street for street in waiting if today > extended.get(street, period.deadline)}


def period_by_code(text: str) -> Period:
    """The stored period for a code such as 2024H1 or 2024年上半年."""
    code = PeriodCode.parse(text)
    period = Period.objects.filter(ordinal=code.ordinal).first()
    if period is None:
        raise DomainError(f"{code.label}尚未开启", field="period")
    return period
