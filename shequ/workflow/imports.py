"""Loading history the bureau already has as approved ledgers: the rows written and each
street's ledger approved through the workflow (tallies, plans), in one transaction."""

from __future__ import annotations

from django.db import transaction

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.core.collection import without_cycle_search
from shequ.core.errors import DomainError
from shequ.ledger.importing.apply import locked_submissions
from shequ.ledger.importing.plan import ImportPlan
from shequ.ledger.rows import rows_bulk_update
from shequ.workflow.submissions import submission_load_approved, submission_open_for_backfill


@transaction.atomic
@without_cycle_search
def import_backfill_approved(*, scope: Scope, plan: ImportPlan, reason: str) -> int:
    """Load history the bureau already has as approved: the reason stands as the comment on
    every warning; errors still refuse. For the root's administrators and the command line."""
    scope.require_root_admin("把历史台账导入为已审核")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明导入为已审核的依据（--reason）")
    if not plan.ok:
        raise DomainError("导入文件仍有错误，未写入任何数据")
    submissions = [
        submission_open_for_backfill(scope=scope, submission=submission, reason=reason)
        for submission in locked_submissions(plan)
    ]
    comments = {p.row.pk: {f.code: reason for f in p.findings if not f.is_error} for p in plan.rows}
    written = rows_bulk_update(
        scope=scope,
        updates=[(p.row, p.values) for p in plan.rows],
        reason=reason,
        action="ledger.import_approved",
        comments=comments,
        allow_closed_period=True,
        permission=Permission.MANAGE,
    )
    for submission in submissions:
        submission_load_approved(scope=scope, submission=submission, reason=reason)
    return written
