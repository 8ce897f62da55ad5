"""A period's rows after a region change (区划调整) that takes effect in it or before.

The rows follow the tree as it stands in the period: a community that ceased loses its
row, a moved one's row goes to its new street's ledger, a new one gets a row from its
predecessors' figures (`ledger.lineage`), and a community others merged into takes their
figures where its row is still as carried. Only where the streets' ledgers may still be
changed: a closed period, or a ledger submitted or approved, refuses the whole change
(ADR 0030).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F

from shequ.core.actors import Actor
from shequ.core.errors import DomainError
from shequ.ledger import lineage, rules
from shequ.ledger.fields import CARRIED_FIELDS
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.periods import rows_create_missing, submissions_create_missing
from shequ.ledger.rows import approved_values_before, audit_row, stated_values, value_changes
from shequ.regions.history import communities_as_of


@dataclass
class RowsFollowed:
    period: Period
    removed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    recarried: list[str] = field(default_factory=list)
    created: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.moved or self.recarried or self.created)

    @property
    def summary(self) -> str:
        parts = []
        if self.created:
            parts.append(f"新建台账行 {self.created} 行")
        if self.removed:
            parts.append(
                f"删除已撤销社区的台账行 {len(self.removed)} 行（{'、'.join(self.removed)}）"
            )
        if self.moved:
            parts.append(f"调整所属街镇 {len(self.moved)} 行")
        if self.recarried:
            parts.append(f"并入后重新沿用 {len(self.recarried)} 行")
        return f"{self.period.label}：" + "，".join(parts) if parts else ""


@dataclass
class _Plan:
    """What the period's rows need, read before anything is written."""

    tree: dict[int, int]  # community id → its street in the period
    gone: list[LedgerRow]
    moved: list[LedgerRow]
    missing: set[int]
    recarry: list[LedgerRow]
    origins: dict[int, lineage.Origin]  # of the communities whose rows are present

    @property
    def empty(self) -> bool:
        return not (self.gone or self.moved or self.missing or self.recarry)

    def streets(self) -> set[int]:
        touched = {row.street_id for row in (*self.gone, *self.moved, *self.recarry)}
        touched |= {self.tree[row.community_id] for row in self.moved}
        touched |= {self.tree[community] for community in self.missing}
        return touched


def rows_follow_regions(*, actor: Actor, period: Period, streets: set[int]) -> RowsFollowed:
    """Bring `period`'s rows in line with its tree; `streets` are the streets the change
    names (a rename touches no row but still may not reach into a sealed ledger)."""
    plan = _plan(period)
    touched = plan.streets() | streets
    if touched:
        _require_changeable(period, touched)
    report = RowsFollowed(period)
    if plan.empty:
        return report
    for row in plan.gone:
        _remove(row, actor)
        report.removed.append(row.community.name)
    for row in plan.moved:
        _move(row, plan.tree[row.community_id], actor)
        report.moved.append(row.community.name)
    report.recarried = _recarry(period, plan.recarry, plan.origins, actor)
    report.created, _ = rows_create_missing(period, actor)
    submissions_create_missing(period)
    return report


def _plan(period: Period) -> _Plan:
    tree = dict(communities_as_of(period.period_code).values_list("region_id", "parent_id"))
    rows = list(period.rows.select_related("community", "street", "period"))
    present = {row.community_id for row in rows}
    origins = lineage.origins(period.ordinal, list(present & set(tree)))
    return _Plan(
        tree=tree,
        gone=[row for row in rows if row.community_id not in tree],
        moved=[
            row
            for row in rows
            if row.community_id in tree and tree[row.community_id] != row.street_id
        ],
        missing=set(tree) - present,
        recarry=[
            row
            for row in rows
            if row.community_id in origins
            and origins[row.community_id].absorbed
            # Never edited since it was carried: nothing the street typed is replaced.
            and row.version == 1
        ],
        origins=origins,
    )


def _require_changeable(period: Period, streets: set[int]) -> None:
    if not period.is_open:
        raise DomainError(
            f"{period.label}已关闭，区划调整不能在该期或更早生效；请选择以后的报告期",
            field="effective",
        )
    locked = (
        Submission.objects.filter(period=period, street_id__in=streets)
        .exclude(state__in=Submission.EDITABLE_STATES)
        .select_related("street")
    )
    if locked:
        names = "、".join(f"{s.street.name}（{s.get_state_display()}）" for s in locked)
        raise DomainError(
            f"区划调整会改变{period.label}{names}的台账，而这些台账已上报或已审核；"
            "请先退回或重新打开，或选择以后的报告期",
            field="effective",
        )


def _remove(row: LedgerRow, actor: Actor) -> None:
    """The row of a community that ceased: deleted, its figures kept in the audit."""
    kept = {name: [value, None] for name, value in stated_values(row).items()}
    audit_row(
        actor=actor,
        row=row,
        action="ledger.row_remove",
        summary=f"{row.community.name}自{row.period.label}起因区划调整不再填报，删除其台账行"
        f"（第 {row.version} 版，所填数据见本记录）",
        changes=kept,
    )
    row.delete()


def _move(row: LedgerRow, street_id: int, actor: Actor) -> None:
    before = row.street
    LedgerRow.objects.filter(pk=row.pk).update(street_id=street_id, version=F("version") + 1)
    row.refresh_from_db()
    audit_row(
        actor=actor,
        row=row,
        action="ledger.row_street",
        summary=f"{row.community.name}{row.period.label}台账行由{before.name}调整到{row.street.name}",
        changes={"street": [before.code, row.street.code]},
    )


def _recarry(
    period: Period, rows: list[LedgerRow], origins: dict[int, lineage.Origin], actor: Actor
) -> list[str]:
    """Rows still as carried of communities others merged into: their figures and the
    merged-away communities' combined."""
    if not rows:
        return []
    carried = approved_values_before(period, [row.community_id for row in rows], carrying=True)
    names = []
    for row in rows:
        if row.community_id not in carried:
            continue  # no approved figures before it, its own or theirs: nothing to carry
        values = dict(zip(CARRIED_FIELDS, carried[row.community_id], strict=True))
        diff = value_changes(row, values)
        if not diff:
            continue
        for name, value in values.items():
            setattr(row, name, value)
        row.total_area = rules.total_area(row)
        row.version = F("version") + 1  # a grid still showing the old figures must reload
        row.save()
        origin = origins[row.community_id]
        audit_row(
            actor=actor,
            row=row,
            action="ledger.row_succession",
            summary=f"{period.label}{row.community.name}台账行：{origin.note}",
            changes=diff,
        )
        names.append(row.community.name)
    return names
