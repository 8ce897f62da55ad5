"""Writing the audit trail."""

from typing import Any

from django.db import transaction

from shequ.core.actors import Actor
from shequ.core.bulk import insert_rows
from shequ.core.models import AuditEvent


def audit_record(**fields: Any) -> AuditEvent:
    """Record one event (the keyword arguments of `audit_event`); must run inside the
    transaction of the change it describes."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of its change")
    event = audit_event(**fields)
    event.save()
    return event


def audit_records_bulk(events: list[AuditEvent]) -> None:
    """Record many events at once (imports, generated history), in the change's transaction.
    Their ids are not read back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_records_bulk must run inside the transaction of its change")
    fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
    # pre_save gives each field's value as save() would store it (the time for `at`).
    rows = [[field.pre_save(event, True) for field in fields] for event in events]
    insert_rows(AuditEvent, [field.name for field in fields], rows)


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
    """An unsaved event, for `audit_records_bulk`."""
    return AuditEvent(
        user=actor.user,
        actor=actor.label,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        region_path=region_path,
        summary=summary[:500],
        changes=changes or {},
        reason=reason,
    )
