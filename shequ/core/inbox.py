"""A user's notifications as the 通知 page reads them: unread first, by kind. Only ever
the user's own: every function starts from `user`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.utils import timezone

from shequ.core.models import Notification

ALL = ""  # the kind filter's "every kind"


@dataclass(frozen=True)
class KindTab:
    kind: str  # ALL for every kind
    label: str
    total: int
    unread: int


def inbox(user, kind: str = ALL) -> QuerySet[Notification]:
    """The user's notifications of `kind`, unread first, then the newest. Reading one
    (`notification_open`) moves it down, so nothing waiting is buried by the old."""
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1))
    return _of_kind(user, kind).order_by(unread_first, "-created_at", "-id")


def kind_tabs(user, selected: str = ALL) -> list[KindTab]:
    """全部 and each kind the user has been sent (and the selected one), with how many
    and how many unread, in one query."""
    counts = {
        row["kind"]: row
        for row in Notification.objects.filter(user=user)
        .values("kind")
        .annotate(total=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True)))
        .order_by()
    }
    tabs = [
        KindTab(
            ALL,
            "全部",
            sum(row["total"] for row in counts.values()),
            sum(row["unread"] for row in counts.values()),
        )
    ]
    for kind, label in Notification.Kind.choices:
        if kind in counts or kind == selected:
            row = counts.get(kind, {"total": 0, "unread": 0})
            tabs.append(KindTab(kind, label, row["total"], row["unread"]))
    return tabs


def is_kind(kind: str) -> bool:
    return kind == ALL or kind in Notification.Kind.values


def notification_open(user, pk: int) -> Notification | None:
    """The user's notification `pk`, now read; None when it is not theirs."""
    notification = Notification.objects.filter(user=user, pk=pk).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user, kind: str = ALL) -> int:
    """Mark the user's unread notifications of `kind` read; how many were."""
    unread = _of_kind(user, kind).filter(read_at__isnull=True)
    return unread.update(read_at=timezone.now())


def _of_kind(user, kind: str) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user)
    return notifications.filter(kind=kind) if kind else notifications
