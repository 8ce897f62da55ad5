"""What a street changed after its ledger was returned: the review of a resubmission shows
these cells beside the reason the approver gave, so that the approver checks what they
asked for without comparing the whole ledger again.

The values as returned are not stored apart: while a ledger is returned only its street
can change it, and every change is in the audit log with its old value. A field's value as
returned is the old value of its first change after the return.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from shequ.core.models import AuditEvent
from shequ.ledger.fields import INPUT_FIELDS
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.rows import audited

RETURN = "ledger.return"
# The transitions after which the values as returned no longer matter.
DECISIONS = (RETURN, "ledger.approve", "ledger.reopen")


@dataclass
class SinceReturn:
    """The latest return of a ledger, and each row's input fields whose stored value now
    differs from the value as returned ({row id: {field: value as returned}})."""

    returned_at: datetime.datetime
    returned_by: str
    reason: str
    returned: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def cells(self) -> int:
        return sum(len(fields) for fields in self.returned.values())


def changes_since_return(submission: Submission, rows: list[LedgerRow]) -> SinceReturn | None:
    """For a ledger whose latest decision was a return: what its street changed since, in
    `rows` (its rows as stored now). None when it was never returned, or was approved or
    reopened after its latest return."""
    decision = _latest_decision(submission)
    if decision is None or decision.action != RETURN:
        return None
    since = SinceReturn(decision.at, decision.actor, decision.reason)
    as_returned = _values_as_returned(rows, decision)
    for row in rows:
        changed = {
            name: value
            for name, value in as_returned.get(row.pk, {}).items()
            if audited(getattr(row, name)) != value
        }
        if changed:
            since.returned[row.pk] = changed
    return since


def _latest_decision(submission: Submission) -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(
            target_type="submission", target_id=str(submission.pk), action__in=DECISIONS
        )
        .order_by("-at", "-pk")
        .first()
    )


def _values_as_returned(rows: list[LedgerRow], decision: AuditEvent) -> dict[int, dict[str, Any]]:
    """{row id: {field: its value as returned}} for every field changed after the return."""
    changes = AuditEvent.objects.filter(
        target_type="ledger_row",
        target_id__in=[str(row.pk) for row in rows],
        at__gte=decision.at,
        pk__gt=decision.pk,
    ).order_by("at", "pk")
    found: dict[int, dict[str, Any]] = {}
    for row_id, diff in changes.values_list("target_id", "changes"):
        first_seen = found.setdefault(int(row_id), {})
        for name, (old, _new) in _input_changes(diff):
            first_seen.setdefault(name, old)
    return found


def _input_changes(diff: dict) -> list[tuple[str, tuple[Any, Any]]]:
    return [(name, tuple(pair)) for name, pair in diff.items() if name in INPUT_FIELDS]
