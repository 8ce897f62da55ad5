"""Reading and writing ledger rows: carry-forward, edits with optimistic locking, history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.core.actors import Actor
from shequ.core.audit import AuditEntry, audit_record
from shequ.core.audited_updates import AuditedUpdates
from shequ.core.collection import without_cycle_search
from shequ.core.errors import DomainError
from shequ.core.lookups import among
from shequ.core.models import AuditEvent
from shequ.core.periods import PeriodCode
from shequ.core.text import REASON, text_clean
from shequ.ledger import lineage, rules
from shequ.ledger.fields import CARRIED_FIELDS, INPUT_FIELDS, LABELS
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.records import RowRecord, read_values
from shequ.ledger.values import clean_each, clean_values


class StaleRow(Exception):
    """The row changed since the caller read it; `current` is what is stored now."""

    def __init__(self, current: LedgerRow):
        super().__init__("该行已被他人修改")
        self.current = current


def rows_visible_to(scope: Scope) -> QuerySet[LedgerRow]:
    """Rows of the communities and streets inside the caller's node."""
    prefix = scope.path_prefix()
    if prefix is None:
        return LedgerRow.objects.none()
    return LedgerRow.objects.filter(
        Q(community__path__startswith=prefix) | Q(street__path__startswith=prefix)
    )


def _approved_before(period: Period) -> bool:
    """Whether any street's ledger of an earlier period is approved."""
    earlier = Submission.objects.filter(period__ordinal__lt=period.ordinal)
    return earlier.approved().exists()


def _latest_approved_before(period: Period | PeriodCode, communities) -> QuerySet[LedgerRow]:
    """Each of `communities`' rows in its latest earlier period whose street ledger is
    approved: the approved rows ranked by period within each community, the first kept.
    One pass over them, where a subquery would run for every row of the table (PostgreSQL
    did so for a country's rows)."""
    earlier = LedgerRow.objects.filter(
        among("community_id", communities), period__ordinal__lt=period.ordinal
    )
    latest_first = Window(
        RowNumber(), partition_by=F("community_id"), order_by=F("period__ordinal").desc()
    )
    return earlier.approved().annotate(rank=latest_first).filter(rank=1).order_by()


def approved_rows_before(
    period: Period | PeriodCode, community_ids: list[int] | QuerySet
) -> dict[int, LedgerRow]:
    """Each community's row in the latest earlier period whose street ledger is approved
    (`period` may be one not yet opened: only its ordinal is read).

    One query per 5,000 communities, whatever the depth of history; or one query in all when
    `community_ids` is a `values("community_id")` queryset, which is how a city's 11,000
    communities are best passed (as a subquery, not as 11,000 parameters)."""
    found: dict[int, LedgerRow] = {}
    if isinstance(community_ids, QuerySet):
        chunks = [community_ids]
    else:
        chunks = [community_ids[i : i + 5000] for i in range(0, len(community_ids), 5000)]
    for chunk in chunks:
        rows = _latest_approved_before(period, chunk).select_related("period")
        found.update((row.community_id, row) for row in rows)
    found.update(_rows_from_predecessors(period, community_ids, found))
    return found


def _rows_from_predecessors(
    period: Period | PeriodCode, community_ids: list[int] | QuerySet, own: dict[int, LedgerRow]
) -> dict[int, LedgerRow]:
    """The previous row of each community that succeeded others: their rows combined (an
    unsaved row, `origin` set), with its own where others merged into it; a blank row,
    with no period, where none of them has approved figures (its origin says why)."""
    found = lineage.origins(period.ordinal, community_ids)
    if not found:
        return {}
    ids = [pid for origin in found.values() for pid in origin.figure_ids(carrying=False)]
    before = approved_rows_before(period, ids)
    rows = {}
    for successor, origin in found.items():
        taken = origin.figure_ids(carrying=False)
        parts = [before[pid] for pid in taken if pid in before]
        if origin.absorbed and successor in own:
            parts.insert(0, own[successor])
        rows[successor] = _combined_row(successor, parts, origin)
    return rows


def _combined_row(community_id: int, parts: list[LedgerRow], origin: lineage.Origin) -> LedgerRow:
    values = lineage.combine([tuple(getattr(p, f) for f in CARRIED_FIELDS) for p in parts])
    row = LedgerRow(community_id=community_id, **dict(zip(CARRIED_FIELDS, values, strict=True)))
    if parts:
        row.period = max((part.period for part in parts), key=attrgetter("ordinal"))
        row.street_id = parts[0].street_id
    row.total_area = rules.total_area(row)
    row.origin = origin
    return row


def last_approved_row(row: LedgerRow) -> LedgerRow | None:
    return approved_rows_before(row.period, [row.community_id]).get(row.community_id)


# The columns of a carried-forward row, in the order of `CarriedRows.rows`' values.
CARRIED_ROW_FIELDS = (
    "period",
    "community",
    "street",
    *CARRIED_FIELDS,
    "warning_comments",
    "total_area",
    "version",
    "updated_at",
)


@dataclass
class CarriedRows:
    rows: list[list]  # values in CARRIED_ROW_FIELDS' order, for `core.bulk.insert_rows`
    from_approved: int


def approved_values_before(
    period: Period, communities: QuerySet | list[int], *, carrying: bool = False
) -> dict[int, tuple]:
    """CARRIED_FIELDS of each community's latest approved row before `period`, as tuples;
    a community that succeeded others has theirs (`lineage`): all of them to compare
    with, or with `carrying` only those a new row takes over (not a split's whole).

    `communities` is a `values(...)` queryset of community ids (one subquery). Values, not
    model instances: a country's 600,000 rows as instances take gigabytes."""
    if not _approved_before(period):
        # The first period: nothing to look up, so no query looks for it row by row.
        return {}
    # Unordered (`_latest_approved_before`): the model's ordering joins streets and
    # periods, and PostgreSQL then planned a country's carry-forward as minutes of nested
    # loops. Read as the row records are: a country's equal figures as one object each.
    rows = _latest_approved_before(period, communities)
    values = read_values(rows.values_list("community_id", *CARRIED_FIELDS))
    own = {row[0]: row[1:] for row in values}
    own.update(_values_from_predecessors(period, communities, own, carrying=carrying))
    return own


def _values_from_predecessors(
    period: Period, communities: QuerySet | list[int], own: dict[int, tuple], *, carrying: bool
) -> dict[int, tuple]:
    found = lineage.origins(period.ordinal, communities)
    if not found:
        return {}
    ids = [pid for origin in found.values() for pid in origin.figure_ids(carrying=carrying)]
    before = approved_values_before(period, ids, carrying=carrying)
    combined = {}
    for successor, origin in found.items():
        taken = origin.figure_ids(carrying=carrying)
        parts = [before[pid] for pid in taken if pid in before]
        if origin.absorbed and successor in own:
            parts.insert(0, own[successor])
        if parts:
            combined[successor] = lineage.combine(parts)
    return combined


def carried_forward_rows(
    period: Period, members: list[tuple[int, int]], communities: QuerySet
) -> CarriedRows:
    """New rows for (community id, street id) pairs, holding their last approved values;
    `communities` names the same communities as a `values(...)` queryset."""
    previous = approved_values_before(period, communities, carrying=True)
    blank = tuple(LedgerRow._meta.get_field(name).get_default() for name in CARRIED_FIELDS)
    now = timezone.now()
    rows = []
    for community_id, street_id in members:
        values = previous.get(community_id, blank)
        total = rules.total_area(SimpleNamespace(**dict(zip(CARRIED_FIELDS, values, strict=True))))
        rows.append([period.pk, community_id, street_id, *values, {}, total, 1, now])
    return CarriedRows(rows, len(previous))


def audited(value: Any) -> Any:
    """A value as a row's audit diff keeps it: a Decimal as its text (JSON)."""
    return str(value) if isinstance(value, Decimal) else value


def stated_values(row: LedgerRow) -> dict[str, Any]:
    """The carried values a row states (blanks left out), as its audit keeps them: what a
    deleted row's history keeps, and what a successor's new row took over."""
    return {
        name: audited(getattr(row, name))
        for name in CARRIED_FIELDS
        if getattr(row, name) not in (None, "", False)
    }


def audit_row(
    *, actor: Actor, row: LedgerRow, action: str, summary: str, changes: dict[str, Any]
) -> None:
    """One event in the row's history (`row_history`), written by a region change."""
    audit_record(
        actor=actor,
        action=action,
        target_type="ledger_row",
        target_id=row.pk,
        region_path=row.community.path,
        summary=summary,
        changes=changes,
    )


def value_changes(row: LedgerRow | RowRecord, new_values: dict[str, Any]) -> dict[str, list]:
    """[old, new] of each value that differs, decimals as text (for the JSON audit)."""
    diff = {}
    for field, value in new_values.items():
        old = getattr(row, field)
        if old != value:
            # `audited`, written out rather than called twice a value: an import compares
            # 170,000.
            diff[field] = [
                str(old) if isinstance(old, Decimal) else old,
                str(value) if isinstance(value, Decimal) else value,
            ]
    return diff


@transaction.atomic
def row_update(
    *,
    scope: Scope,
    row: LedgerRow,
    changes: dict[str, Any],
    expected_version: int,
    comments: dict[str, str] | None = None,
    reason: str = "",
) -> LedgerRow:
    """Change some input fields of a draft row. Raises StaleRow if the row moved on since
    `expected_version`; nothing is overwritten then."""
    require_row_editor(scope, row)
    _require_editable([(row, changes)], allow_closed_period=False)
    new_values = clean_values(changes)
    reason = text_clean(reason, label="修改原因", field="reason", max_length=REASON, multiline=True)
    current = LedgerRow.objects.select_for_update().get(pk=row.pk)
    if current.version != expected_version:
        raise StaleRow(current)
    diff = value_changes(current, new_values)
    new_comments = {**current.warning_comments, **comments_clean(comments or {})}
    new_comments = {code: text for code, text in new_comments.items() if text}
    if not diff and new_comments == current.warning_comments:
        return current
    for field, value in new_values.items():
        setattr(current, field, value)
    if new_comments != current.warning_comments:
        diff["warning_comments"] = [current.warning_comments, new_comments]
        current.warning_comments = new_comments
    current.total_area = rules.total_area(current)
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    audit_record(
        actor=scope.actor,
        action="ledger.row_update",
        target_type="ledger_row",
        target_id=current.pk,
        region_path=current.community.path,
        summary=f"修改{current.period.label}{current.community.name}："
        + "、".join(LABELS.get(f, "警告说明") for f in diff),
        changes=diff,
        reason=reason,
    )
    return current


def comments_clean(comments: dict[str, str]) -> dict[str, str]:
    """Warning comments under the text policy (core.text), each as long as a reason; the
    field at fault is `comments.<warning code>`."""
    return {
        str(code): text_clean(
            text,
            label="警告说明",
            field=f"comments.{code}",
            max_length=REASON,
            multiline=True,
        )
        for code, text in comments.items()
    }


@dataclass
class CellsSaved:
    """What a save of a grid row kept: the row as stored now, and each cell refused (by
    field, with the reason), whose typed value was not saved."""

    row: LedgerRow
    refused: dict[str, str]


def row_update_cells(
    *,
    scope: Scope,
    row: LedgerRow,
    cells: dict[str, Any],
    expected_version: int,
    comments: dict[str, str] | None = None,
) -> CellsSaved:
    """Save the cells of a grid row that read; a cell that does not is refused on its own
    and the others are kept, so that one mistyped figure never costs the row's other
    input. Who may edit, the row's state and its version are checked as by `row_update`,
    for the row as a whole: then nothing is saved."""
    cleaned, refused = clean_each(cells)
    saved = row_update(
        scope=scope,
        row=row,
        changes=cleaned,
        comments=comments,
        expected_version=expected_version,
    )
    return CellsSaved(saved, refused)


# The cycle search paused: with an import's plan alive (hundreds of thousands of objects),
# its passes over them, set off by the diffs and tuples of a city's changed rows, found
# nothing and cost a large share of the write. The write makes no cycles.
@transaction.atomic
@without_cycle_search
def rows_bulk_update(
    *,
    scope: Scope,
    updates: list[tuple[LedgerRow | RowRecord, dict[str, Any]]],
    reason: str,
    action: str,
    comments: dict[int, dict[str, str]] | None = None,
    allow_closed_period: bool = False,
    permission: Permission = Permission.EDIT,
) -> int:
    """Apply many value sets at once (imports, generated history), all or nothing, with one
    audit row per changed row. Rows (LedgerRows, or the records an import read) must be
    editable and in the caller's scope. `comments` maps a row's id to the warning comments
    to add to it; `allow_closed_period` is for loading history into closed periods.

    Rows and their audit rows are written a chunk at a time as they are worked out
    (shequ.core.audited_updates): far faster at scale than Django's bulk_update, whose
    CASE expressions grow with every row, and a country's 600,000 rows are never all
    held as values to write."""
    _require_editable(updates, allow_closed_period=allow_closed_period)
    labels: dict[int, str] = {}
    with AuditedUpdates(
        LedgerRow,
        _WRITTEN_FIELDS,
        actor=scope.actor,
        action=action,
        target_type="ledger_row",
        reason=reason,
    ) as writes:
        for row, values in updates:
            scope.require(permission, row.community, "修改台账")
            diff = _set_values(row, clean_values(values), (comments or {}).get(row.pk))
            if diff:
                writes.add(_written_values(row), _audit_entry(row, diff, labels))
    return writes.written


def _set_values(
    row: LedgerRow | RowRecord, new_values: dict[str, Any], added_comments: dict[str, str] | None
) -> dict[str, list]:
    """Give `row` its new values and comments, a new total and the next version; the audit
    diff of what changed. An unchanged row is left as it is and gives {}."""
    diff = value_changes(row, new_values)
    if added_comments:
        merged = {**row.warning_comments, **added_comments}
        if merged != row.warning_comments:
            diff["warning_comments"] = [row.warning_comments, merged]
            row.warning_comments = merged
    if diff:
        for field, value in new_values.items():
            setattr(row, field, value)
        row.total_area = rules.total_area(row)
        row.version += 1
    return diff


def _audit_entry(
    row: LedgerRow | RowRecord, diff: dict[str, list], labels: dict[int, str]
) -> AuditEntry:
    """The changed row's audit entry; `labels` keeps each period's label, worked out once."""
    label = labels.get(row.period_id)
    if label is None:
        label = labels[row.period_id] = row.period.label
    community = row.community
    return AuditEntry(row.pk, community.path, f"修改{label}{community.name}", diff)


_WRITTEN_FIELDS = (*INPUT_FIELDS, "warning_comments", "total_area", "version")

# A row's id and written values as one tuple, read in C.
_written_values = attrgetter("pk", *_WRITTEN_FIELDS)


def may_edit_row(scope: Scope, row: LedgerRow, submission: Submission | None) -> bool:
    """The one answer to "may this user change this row now" (`submission`: the street's
    ledger of the row's period): the grid and the API draw their inputs with it, and
    `row_update` refuses exactly where it is False."""
    return open_for_editing(row.period, submission) and is_row_editor(scope, row)


def is_row_editor(scope: Scope, row: LedgerRow) -> bool:
    """Who edits a row: the editors of its community (a street's, or the community's own)."""
    return scope.can(Permission.EDIT, row.community)


def require_row_editor(scope: Scope, row: LedgerRow) -> None:
    """Refuse where `is_row_editor` is False (the API asks it before reading the body)."""
    scope.require(Permission.EDIT, row.community, "修改台账")


def open_for_editing(period: Period, submission: Submission | None) -> bool:
    """May a street's ledger of `period` be changed: its period open and its submission
    still a draft (or returned)? The pages and the API ask this, the rules below enforce it."""
    return period.is_open and (submission is None or submission.is_editable)


def _require_editable(updates, *, allow_closed_period: bool) -> None:
    """Every street ledger touched must be open for editing (one query for them all)."""
    rows_by_key = {(row.period_id, row.street_id): row for row, _ in updates}
    if not rows_by_key:
        return
    # States as values, not Submission instances with their streets: a city import touches
    # a thousand streets. The street's name is read only for the message.
    states = {
        (period_id, street_id): state
        for period_id, street_id, state in Submission.objects.filter(
            period_id__in={period for period, _ in rows_by_key},
            street_id__in={street for _, street in rows_by_key},
        ).values_list("period_id", "street_id", "state")
    }
    for key, row in rows_by_key.items():
        if not row.period.is_open and not allow_closed_period:
            raise DomainError(f"{row.period.label}已关闭，不能修改")
        state = states.get(key)
        if state is not None and state not in Submission.EDITABLE_STATES:
            raise DomainError(
                f"{row.street.name}{row.period.label}台账{Submission.State(state).label}，不能修改"
            )


def row_history(row: LedgerRow) -> QuerySet[AuditEvent]:
    """Every recorded change of one row, newest first: one query."""
    return AuditEvent.objects.filter(target_type="ledger_row", target_id=str(row.pk))


@dataclass
class RowCheck:
    row: LedgerRow
    findings: list[rules.Finding]

    @property
    def errors(self) -> list[rules.Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[rules.Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def blocking(self) -> list[rules.Finding]:
        return rules.blocking(self.findings, self.row.warning_comments)


def _validated(
    row: LedgerRow, previous: LedgerRow | None, year: int, limits: rules.Thresholds
) -> list[rules.Finding]:
    origin = previous.origin if previous is not None else None
    return rules.validate(row, previous=previous, period_year=year, limits=limits, origin=origin)


def rows_check(rows: list[LedgerRow], limits: rules.Thresholds) -> list[RowCheck]:
    """Validate rows against their communities' last approved rows (few queries), by the
    thresholds of their period's year (`compliance.targets.thresholds_for`)."""
    if not rows:
        return []
    period = rows[0].period
    previous = approved_rows_before(period, [row.community_id for row in rows])
    return [
        RowCheck(
            row,
            _validated(row, previous.get(row.community_id), period.year, limits),
        )
        for row in rows
    ]
