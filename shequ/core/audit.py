"""Writing the audit trail."""

import datetime
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from shequ.core.actors import Actor
from shequ.core.bulk import insert_rows
from shequ.core.models import AuditEvent
from shequ.core.text import field_text

SUMMARY_LENGTH = AuditEvent._meta.get_field("summary").max_length


def audit_reason(reason: str) -> str:
    """A reason as the trail keeps it, under the text policy (core.text): the last check
    for reasons stored nowhere else (an import's, a region change's), so that a long one
    is refused with the field's name, in the change's transaction, before anything stays."""
    return field_text(AuditEvent, "reason", reason)


def audit_record(**fields: Any) -> AuditEvent:
    """Record one event (the keyword arguments of `audit_event`); must run inside the
    transaction of the change it describes."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of its change")
    event = audit_event(**fields)
    event.save()
    return event


class AuditEntry(NamedTuple):
    """What differs between the events of one bulk write: their object and change."""

    target_id: str | int
    region_path: str
    summary: str
    changes: dict[str, Any]

    def stored(self) -> tuple[str, str, str, dict[str, Any]]:
        """target_id, region_path, summary, changes as an event stores them: the one
        form for `audit_event` and for every way a bulk write reaches the database."""
        return (
            str(self.target_id),
            self.region_path,
            self.summary[:SUMMARY_LENGTH],
            self.changes or {},
        )


# The columns `audit_records_bulk` writes, in the order of its rows' values.
_BULK_FIELDS = (
    "at",
    "user",
    "actor",
    "action",
    "target_type",
    "target_id",
    "region_path",
    "summary",
    "changes",
    "reason",
)


def audit_records_bulk(
    *,
    actor: Actor,
    action: str,
    target_type: str,
    reason: str,
    entries: list[AuditEntry],
    at: datetime.datetime | None = None,
) -> None:
    """Record one event per entry (imports, generated history), in the change's transaction,
    each as `audit_record` would store it, all at the moment `at` (default: now). Their ids
    are not read back.

    Rows of values, not AuditEvent instances: instantiating a city import's 11,000 events
    and reading them back field by field took longer than writing them."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_records_bulk must run inside the transaction of its change")
    # One moment for the whole write, as it is one transaction.
    at = at or timezone.now()
    user_id = audit_user_id(actor)
    label = actor.label
    reason = audit_reason(reason)
    rows = [[at, user_id, label, action, target_type, *entry.stored(), reason] for entry in entries]
    insert_rows(AuditEvent, _BULK_FIELDS, rows)


def audit_user_id(actor: Actor) -> int | None:
    return actor.user.pk if actor.user is not None else None


def audit_event(
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    summary: str,
    region_path: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """An unsaved event, for `audit_record`."""
    target_id, region_path, summary, changes = AuditEntry(
        target_id, region_path, summary, changes
    ).stored()
    return AuditEvent(
        user=actor.user,
        actor=actor.label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        region_path=region_path,
        summary=summary,
        changes=changes,
        reason=audit_reason(reason),
    )
