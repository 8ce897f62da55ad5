"""A street's ledger on its way up: 草稿 → 已上报 → 已审核, or 退回 with a reason.

Each transition is one transaction: it locks the submission, checks who may act and from
which state, writes its audit row, and (on approval) seals the version with its fingerprint.
What follows elsewhere (tallies, plans) is the workflow layer's (`shequ.workflow`): pages,
the API and commands call `workflow.submissions`, never these directly.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.text import field_text
from shequ.ledger import rules
from shequ.ledger.fingerprint import seal
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.notifications import notify_submission
from shequ.ledger.periods import deadline_for
from shequ.ledger.rows import RowCheck, rows_check
from shequ.regions.models import Region

State = Submission.State


@dataclass
class Blocker:
    community: str
    field: str
    message: str
    row_id: int | None = None  # the row it concerns, so that a page can lead to its cell

    def __str__(self) -> str:
        return f"{self.community}：{self.message}"


def submission_checks(submission: Submission, limits: rules.Thresholds) -> list[RowCheck]:
    rows = list(
        LedgerRow.objects.filter(period=submission.period, street=submission.street)
        .select_related("community", "period")
        .order_by("community__code")
    )
    return rows_check(rows, limits)


def submission_blockers(submission: Submission, limits: rules.Thresholds) -> list[Blocker]:
    """Every error, and every warning without a comment, in the street's rows."""
    return [
        Blocker(check.row.community.name, finding.field, finding.message, check.row.pk)
        for check in submission_checks(submission, limits)
        for finding in check.blocking
    ]


class SubmissionBlocked(DomainError):
    def __init__(self, blockers: list[Blocker]):
        super().__init__(f"还有 {len(blockers)} 个问题需要处理，暂不能上报")
        self.blockers = blockers


# Who takes each step of a street's ledger: the transitions below, the grid, the review page
# and the API read this one table.
STEP_PERMISSIONS = {
    "submit": (Permission.SUBMIT, "上报台账"),  # the street's approvers
    "approve": (Permission.APPROVE, "审核台账"),  # the district's
    "return": (Permission.APPROVE, "退回台账"),
    "reopen": (Permission.APPROVE, "重新打开台账"),
}


def takes_step(scope: Scope, street: Region, step: str) -> bool:
    return scope.can(STEP_PERMISSIONS[step][0], street)


def require_step(scope: Scope, submission: Submission, step: str) -> None:
    """Refuse where `takes_step` is False (the API asks it before reading a reason)."""
    permission, what = STEP_PERMISSIONS[step]
    scope.require(permission, submission.street, what)


# Each step now: the role, and the ledger's state (the pages draw their buttons with these;
# the transitions refuse exactly where they are False, a reason given where one is needed
# and nothing blocking a submission).


def may_submit(scope: Scope, submission: Submission | None) -> bool:
    return (
        submission is not None
        and takes_step(scope, submission.street, "submit")
        and submission.is_editable
        and submission.period.is_open
    )


def may_decide(scope: Scope, submission: Submission) -> bool:
    """Approve or return: a submitted ledger."""
    return submission.state == State.SUBMITTED and takes_step(scope, submission.street, "approve")


def may_reopen(scope: Scope, submission: Submission) -> bool:
    return (
        submission.state == State.APPROVED
        and submission.period.is_open
        and takes_step(scope, submission.street, "reopen")
    )


def _locked(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update()
        .select_related("period", "street")
        .get(pk=submission.pk)
    )


def _require_state(submission: Submission, allowed: tuple[str, ...], action: str) -> None:
    if submission.state not in allowed:
        raise DomainError(
            f"{submission.street.name}{submission.period.label}台账当前为"
            f"“{submission.get_state_display()}”，不能{action}"
        )


def _audit(
    scope: Scope, submission: Submission, before: str, action: str, summary: str, reason: str = ""
):
    """Record the transition and tell the other side, in the transition's transaction."""
    notify_submission(submission, action, reason)
    audit_record(
        actor=scope.actor,
        action=f"ledger.{action}",
        target_type="submission",
        target_id=submission.pk,
        region_path=submission.street.path,
        summary=f"{submission.street.name}{submission.period.label}台账{summary}",
        changes={
            "state": [before, submission.state],
            "approved_version": submission.approved_version,
        },
        reason=reason,
    )


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


@transaction.atomic
def submission_submit(
    *,
    scope: Scope,
    submission: Submission,
    limits: rules.Thresholds,
    now: datetime.datetime | None = None,
) -> Submission:
    """Submit the street's ledger; its rows are checked by `limits`, the thresholds of the
    period's year (`compliance.targets.thresholds_for`)."""
    submission = _locked(submission)
    require_step(scope, submission, "submit")
    _require_state(submission, (State.DRAFT, State.RETURNED), "上报")
    before = submission.state
    if not submission.period.is_open:
        raise DomainError(f"{submission.period.label}已关闭，不能上报")
    blockers = submission_blockers(submission, limits)
    if blockers:
        raise SubmissionBlocked(blockers)
    now = now or timezone.now()
    submission.state = State.SUBMITTED
    submission.submitted_at = now
    submission.submitted_by = scope.actor.user
    submission.late = _local_date(now) > deadline_for(submission.period, submission.street)
    submission.save()
    _audit(scope, submission, before, "submit", "已上报" + ("（逾期）" if submission.late else ""))
    return submission


@transaction.atomic
def submission_approve(
    *, scope: Scope, submission: Submission, now: datetime.datetime | None = None
) -> Submission:
    submission = _locked(submission)
    require_step(scope, submission, "approve")
    _require_state(submission, (State.SUBMITTED,), "审核通过")
    before = submission.state
    sealed = _approve_and_seal(scope, submission, now or timezone.now())
    _audit(
        scope,
        submission,
        before,
        "approve",
        f"审核通过（第{submission.approved_version}版，指纹 {sealed.fingerprint[:12]}…）",
    )
    return submission


def _approve_and_seal(scope: Scope, submission: Submission, now: datetime.datetime):
    submission.state = State.APPROVED
    submission.decided_at = now
    submission.decided_by = scope.actor.user
    submission.approved_version += 1
    submission.return_reason = ""
    submission.save()
    return seal(submission, sealed_by=scope.actor.label, sealed_at=now)


@transaction.atomic
def submission_open_for_backfill(
    *, scope: Scope, submission: Submission, reason: str
) -> Submission:
    """Unfreeze a ledger so that history from a file can be written into it (root admins)."""
    scope.require_root_admin("把历史台账导入为已审核")
    submission = _locked(submission)
    if submission.is_editable:
        return submission
    before = submission.state
    submission.state = State.DRAFT
    submission.save(update_fields=["state"])
    _audit(scope, submission, before, "backfill_reopen", "为补录历史台账重新打开", reason)
    return submission


@transaction.atomic
def submission_load_approved(
    *, scope: Scope, submission: Submission, reason: str, now: datetime.datetime | None = None
) -> Submission:
    """Approve a ledger loaded from the bureau's own files, without a street submission
    (backfilling history): sealed like any approval, the reason recorded."""
    scope.require_root_admin("把历史台账导入为已审核")
    submission = _locked(submission)
    _require_state(submission, (State.DRAFT, State.RETURNED, State.SUBMITTED), "直接审核通过")
    before = submission.state
    _approve_and_seal(scope, submission, now or timezone.now())
    _audit(
        scope,
        submission,
        before,
        "backfill_approve",
        f"按导入文件直接审核通过（第{submission.approved_version}版）",
        reason,
    )
    return submission


@transaction.atomic
def submission_return(
    *,
    scope: Scope,
    submission: Submission,
    reason: str,
    now: datetime.datetime | None = None,
) -> Submission:
    submission = _locked(submission)
    require_step(scope, submission, "return")
    _require_state(submission, (State.SUBMITTED,), "退回")
    before = submission.state
    reason = field_text(
        Submission, "return_reason", reason, field="reason", required="请填写退回原因"
    )
    submission.state = State.RETURNED
    submission.decided_at = now or timezone.now()
    submission.decided_by = scope.actor.user
    submission.return_reason = reason
    submission.save()
    _audit(scope, submission, before, "return", "被退回", reason)
    return submission


@transaction.atomic
def submission_reopen(*, scope: Scope, submission: Submission, reason: str) -> Submission:
    """Unfreeze an approved ledger for correction; its next approval is a new version."""
    submission = _locked(submission)
    require_step(scope, submission, "reopen")
    _require_state(submission, (State.APPROVED,), "重新打开")
    before = submission.state
    if not submission.period.is_open:
        raise DomainError(f"{submission.period.label}已关闭，请先重新开启报告期")
    reason = field_text(
        Submission, "reopen_reason", reason, field="reason", required="请填写重新打开的原因"
    )
    submission.state = State.DRAFT
    submission.reopen_reason = reason
    submission.save()
    _audit(
        scope,
        submission,
        before,
        "reopen",
        f"重新打开（已审核第{submission.approved_version}版）",
        reason,
    )
    return submission
