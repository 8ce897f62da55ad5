"""Writing an import: all rows or none, in one transaction, audited; or, for backfilling
history, loading a street's ledger straight in as approved."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from shequ.accounts.scope import Scope
from shequ.core.collection import without_cycle_search
from shequ.core.errors import DomainError
from shequ.ledger.importing.plan import ImportPlan, ImportRun, PlannedRow
from shequ.ledger.models import Period, Submission
from shequ.ledger.permissions import import_permission, require_importer
from shequ.ledger.rows import rows_bulk_update


# The cycle search stays paused from the plan (plan_import) through the write: resumed in
# between, its first pass over the plan's objects would fall on locking the streets.
@transaction.atomic
@without_cycle_search
def import_apply(*, scope: Scope, plan: ImportPlan, reason: str = "") -> int:
    """Write the planned rows into their streets' drafts (all or nothing): each a row
    `permissions.may_import_row` allows."""
    require_importer(scope)
    if not plan.ok:
        raise DomainError("导入文件仍有错误，未写入任何数据")
    return _write(scope, plan, plan.rows, reason)


@transaction.atomic
def import_apply_batches(
    *, scope: Scope, run: ImportRun, each: Callable[[list[PlannedRow]], None]
) -> int:
    """Plan the file and write it a batch at a time, in one transaction: each batch written
    as it is planned while no error has been found, and everything rolled back if one is,
    so that all rows or none are written (0 is returned then). `each` is given every batch
    after it is written: the document of the run is made as it goes."""
    require_importer(scope)
    written = 0
    for batch in run.batches():
        if run.ok_so_far:
            written += _write(scope, run.plan, batch)
        each(batch)
    if not run.plan.ok:
        transaction.set_rollback(True)
        return 0
    return written


def _write(scope: Scope, plan: ImportPlan, rows: list[PlannedRow], reason: str = "") -> int:
    _require_drafts(plan.period, rows)
    return rows_bulk_update(
        scope=scope,
        updates=[(p.row, p.values) for p in rows if p.changes],
        reason=reason or f"导入 {plan.file}",
        action="ledger.import",
        permission=import_permission(scope),
    )


def _require_drafts(period: Period, rows: list[PlannedRow]) -> None:
    """Lock the streets' ledgers for the write and refuse any that is no longer a draft."""
    # The same rows locked as `locked_submissions` locks (each submission, its street and the
    # period: FOR UPDATE covers every table joined), read as values: a city's thousand
    # streets as model instances took longer than the lock.
    # In the order of their ids, as every import locks them: two imports whose batches
    # share streets wait for each other rather than deadlock within a batch.
    locked = (
        Submission.objects.select_for_update()
        .filter(period=period, street_id__in=_streets(rows))
        .order_by("pk")
        .values_list("state", "street__name", "period__ordinal")
    )
    for state, street_name, _ in locked:
        if state not in Submission.EDITABLE_STATES:
            raise DomainError(
                f"{street_name}{period.label}台账{Submission.State(state).label}，"
                "只能导入草稿或退回的台账"
            )


def _streets(rows: list[PlannedRow]) -> set[int]:
    return {p.row.street_id for p in rows}


def locked_submissions(plan: ImportPlan) -> list[Submission]:
    """The submissions of the streets the plan writes, locked for the transaction."""
    return list(
        Submission.objects.select_for_update()
        .filter(period=plan.period, street_id__in=_streets(plan.rows))
        .select_related("street", "period")
    )
