"""A new edition of the division codes applied to the tree, all or nothing (ADR 0029).

`regions.editions` found the changes and `regions.successions` where each vanished code
went; here they are made, in one transaction, through the same services as the 区划调整
page (`workflow.region_changes`), so the ledger rows of open periods, the plans and the
tallies follow each change. The order lets each step find what it needs:

1. the new codes that no succession creates (streets before communities);
2. renames, then moves (streets first), then reclassifications;
3. the successions of communities: merges, splits, new codes (recodes);
4. the successions of streets: a street whose communities have all gone elsewhere ends,
   its successor named in the reason (the services merge and split communities only).

Nothing is deactivated without a succession. Any refusal rolls everything back and is
reported with the file line it came from; a dry run makes every change and rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction

from shequ.accounts.scope import Scope
from shequ.accounts.services import may_change_regions
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.periods import PeriodCode
from shequ.regions.changes import RegionChangeError
from shequ.regions.editions import EditionDiff
from shequ.regions.levels import LEVEL_RANK, Level
from shequ.regions.loading import DivisionRow, Problem
from shequ.regions.models import Region
from shequ.regions.reference import region_set_urban_rural_code
from shequ.regions.successions import KIND_LABELS, MERGE, SPLIT, SuccessionLine, SuccessionPlan
from shequ.workflow import region_changes
from shequ.workflow.region_changes import ChangeReport

REFUSALS = (DomainError, RegionChangeError, NotAllowed, OutOfScope)


class EditionRefused(Exception):
    """A service refused one change of the edition; nothing was written."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class EditionApplied:
    """What was done (or, in a dry run, would have been): one line per change."""

    changes: list[ChangeReport] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)  # the services' and 城乡分类代码's


@dataclass
class _Run:
    scope: Scope
    diff: EditionDiff
    plan: SuccessionPlan
    effective: PeriodCode
    reason: str
    applied: EditionApplied = field(default_factory=EditionApplied)

    def step(self, where: str, call: Callable[[], ChangeReport | str | None]) -> None:
        try:
            done = call()
        except REFUSALS as error:
            message = getattr(error, "message", None) or str(error)
            raise EditionRefused(Problem(where, f"写入时被拒绝：{message}")) from error
        if isinstance(done, ChangeReport):
            self.applied.changes.append(done)
            self.applied.summaries.append(done.summary)
        elif done:
            self.applied.summaries.append(done)


def region(code: str) -> Region:
    found: Region | None = Region.objects.filter(code=code).first()
    if found is None:
        raise DomainError(f"区划代码 {code} 在系统中不存在")
    return found


def edition_apply(
    *,
    scope: Scope,
    diff: EditionDiff,
    successions: SuccessionPlan,
    effective: PeriodCode,
    reason: str = "",
    commit: bool = True,
) -> EditionApplied:
    """Make every change of the edition, or none (EditionRefused). With `commit` False,
    a dry run: the same changes, rolled back at the end."""
    reason = reason.strip() or f"新版统计用区划代码（{'、'.join(diff.files)}）"
    run = _Run(scope, diff, successions, effective, reason)
    with transaction.atomic():
        _creates(run)
        _renames_and_moves(run)
        _reclassifications(run)
        _community_successions(run)
        _street_successions(run)
        _audit(run)
        if not commit:
            transaction.set_rollback(True)
    return run.applied


def _by_level(rows: list[DivisionRow]) -> list[DivisionRow]:
    return sorted(rows, key=lambda row: LEVEL_RANK[row.level])


def _created_by_services(run: _Run) -> set[str]:
    """The new codes a community succession creates (a merge, a split, a recode)."""
    return {
        code
        for code in run.plan.successor_codes
        if code in run.diff.added_codes and run.diff.rows[code].level == Level.COMMUNITY
    }


def _creates(run: _Run) -> None:
    by_service = _created_by_services(run)
    for row in _by_level([row for row in run.diff.added if row.code not in by_service]):
        run.step(row.where(), partial(_create, run, row))


def _create(run: _Run, row: DivisionRow) -> ChangeReport:
    return region_changes.change_create(
        scope=run.scope,
        parent=region(row.parent_code),
        code=row.code,
        name=row.name,
        level=row.level,
        urban_rural_code=row.urban_rural_code,
        effective=run.effective,
        reason=run.reason,
    )


def _renames_and_moves(run: _Run) -> None:
    for renamed in run.diff.renamed:
        run.step(renamed.row.where(), partial(_rename, run, renamed.row))
    for row in _by_level([moved.row for moved in run.diff.moved]):
        run.step(row.where(), partial(_move, run, row))


def _rename(run: _Run, row: DivisionRow) -> ChangeReport:
    return region_changes.change_rename(
        scope=run.scope,
        region=region(row.code),
        name=row.name,
        effective=run.effective,
        reason=run.reason,
    )


def _move(run: _Run, row: DivisionRow) -> ChangeReport:
    return region_changes.change_move(
        scope=run.scope,
        region=region(row.code),
        new_parent=region(row.parent_code),
        effective=run.effective,
        reason=run.reason,
    )


def _reclassifications(run: _Run) -> None:
    for change in run.diff.reclassified:
        run.step(change.row.where(), partial(_reference_code, run, change.row))


def _reference_code(run: _Run, row: DivisionRow) -> str | None:
    """The file's 城乡分类代码, recorded on the (possibly just created) region."""
    target = region(row.code)
    if not row.urban_rural_code or target.urban_rural_code == row.urban_rural_code:
        return None
    if not may_change_regions(run.scope, target):
        raise NotAllowed("只有管理员可以调整区划")
    old = target.urban_rural_code or "无"
    region_set_urban_rural_code(
        actor=run.scope.actor, region=target, code=row.urban_rural_code, reason=run.reason
    )
    return f"{target.name}的城乡分类代码由{old}改为{row.urban_rural_code}"


def _community_successions(run: _Run) -> None:
    lines = [line for line in run.plan.lines if region(line.old_code).is_community]
    merged: set[str] = set()
    for line in lines:
        if line.kind == MERGE and line.new_codes[0] not in merged:
            merged.add(line.new_codes[0])
            run.step(line.where(), partial(_merge, run, line.new_codes[0]))
        elif line.kind == SPLIT:
            run.step(line.where(), partial(_split, run, line))
        elif line.kind != MERGE:
            run.step(line.where(), partial(_recode, run, line))
    for code in sorted(_created_by_services(run)):
        row = run.diff.rows[code]
        run.step(row.where(), partial(_reference_code, run, row))


def _merge(run: _Run, new_code: str) -> ChangeReport:
    old_codes = run.plan.merges()[new_code]
    sources = [region(code) for code in old_codes]
    # One merge, one decision on the plans: any of its lines saying 撤销 ends them all.
    withdraw = any(line.withdraws_plans for line in run.plan.lines if line.old_code in old_codes)
    if new_code not in run.diff.added_codes:
        return region_changes.change_merge(
            scope=run.scope,
            sources=sources,
            effective=run.effective,
            into=region(new_code),
            reason=run.reason,
            close_plans=withdraw,
        )
    row = run.diff.rows[new_code]
    return region_changes.change_merge(
        scope=run.scope,
        sources=sources,
        effective=run.effective,
        code=row.code,
        name=row.name,
        parent=region(row.parent_code),
        reason=run.reason,
        close_plans=withdraw,
    )


def _split(run: _Run, line: SuccessionLine) -> ChangeReport:
    parts = [(code, run.diff.rows[code].name) for code in line.new_codes]
    return region_changes.change_split(
        scope=run.scope,
        source=region(line.old_code),
        parts=parts,
        effective=run.effective,
        reason=run.reason,
        plan_to=line.plan_to,
        close_plans=line.withdraws_plans,
    )


def _recode(run: _Run, line: SuccessionLine) -> ChangeReport:
    row = run.diff.rows[line.new_codes[0]]
    return region_changes.change_recode(
        scope=run.scope,
        region=region(line.old_code),
        code=row.code,
        name=row.name,
        parent=region(row.parent_code),
        effective=run.effective,
        reason=run.reason,
    )


def _street_successions(run: _Run) -> None:
    for line in run.plan.lines:
        if not region(line.old_code).is_community:
            run.step(line.where(), partial(_end_street, run, line))


def _end_street(run: _Run, line: SuccessionLine) -> ChangeReport:
    why = f"{KIND_LABELS[line.kind]}→ {'、'.join(line.new_codes)}；{run.reason}"
    return region_changes.change_deactivate(
        scope=run.scope, region=region(line.old_code), effective=run.effective, reason=why
    )


def _audit(run: _Run) -> None:
    diff = run.diff
    counts = {
        "added": len(diff.added),
        "vanished": len(diff.vanished),
        "renamed": len(diff.renamed),
        "moved": len(diff.moved),
        "reclassified": len(diff.reclassified),
    }
    if not any(counts.values()):
        return
    root = run.scope.node
    audit_record(
        actor=run.scope.actor,
        action="regions.edition",
        target_type="region",
        target_id=",".join(diff.files)[:64],
        region_path=root.path if root else "",
        summary=(
            f"按新版区划代码调整，自{run.effective.label}起：新增 {counts['added']}、"
            f"消失 {counts['vanished']}、更名 {counts['renamed']}、调整上级 {counts['moved']}、"
            f"调整类别 {counts['reclassified']}"
        ),
        changes={"effective": run.effective.code, **counts},
        reason=run.reason,
    )
