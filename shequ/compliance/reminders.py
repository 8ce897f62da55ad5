"""催报: reminding streets that have not submitted before their deadline.

`shequ remind` runs daily from cron and reminds each waiting street 7, 3 and 1 days before
its deadline (setting `reminders.days_before`); the dashboard's button reminds one street
now. Each is recorded, and the record's unique key keeps a reminder from going out twice
for the same street, day and kind.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.models import Role, User
from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.compliance.models import ReminderSent
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, NotAllowed
from shequ.core.mail import MailFailure
from shequ.core.models import Notification
from shequ.core.notify import Delivery, notify
from shequ.core.settings_store import setting_get
from shequ.ledger.models import Period, Submission
from shequ.ledger.periods import deadline_for
from shequ.regions.models import Region

DAYS_SETTING = "reminders.days_before"
DEFAULT_DAYS = (7, 3, 1)
WAITING = (Submission.State.DRAFT, Submission.State.RETURNED)


def reminder_days() -> tuple[int, ...]:
    return tuple(setting_get(DAYS_SETTING, DEFAULT_DAYS))


@dataclass
class Reminder:
    period: Period
    street: Region
    deadline: datetime.date
    days_left: int
    recipients: list[User] = field(default_factory=list)
    # Filled once sent; its mail failures are known after the commit.
    delivery: Delivery | None = None

    @property
    def message(self) -> str:
        return (
            f"请抓紧上报{self.street.name}{self.period.label}社区服务设施台账："
            f"截止日期 {self.deadline:%Y年%m月%d日}，{self.days_left_text}"
        )

    @property
    def mail_failures(self) -> list[MailFailure]:
        return self.delivery.failures if self.delivery else []

    @property
    def days_left_text(self) -> str:
        if self.days_left > 0:
            return f"还有 {self.days_left} 天"
        return "今天截止" if self.days_left == 0 else f"已逾期 {-self.days_left} 天"


def street_approvers(street: Region):
    """Who answers for a street's submission: its approvers (they submit it upward)."""
    return User.objects.filter(node=street, role=Role.APPROVER, is_active=True)


def waiting_streets(period: Period) -> list[Region]:
    """Streets whose ledger for `period` is still in draft or returned."""
    waiting = period.submissions.filter(state__in=WAITING).select_related("street")
    return [s.street for s in waiting.order_by("street__code")]


def _reminder(period: Period, street: Region, today: datetime.date) -> Reminder:
    deadline = deadline_for(period, street)
    return Reminder(period, street, deadline, (deadline - today).days)


def reminders_due(today: datetime.date | None = None) -> list[Reminder]:
    """The scheduled reminders of `today` not yet sent, for every open period."""
    today = today or timezone.localdate()
    days = set(reminder_days())
    sent = set(
        ReminderSent.objects.filter(day=today, kind=ReminderSent.Kind.SCHEDULED).values_list(
            "period_id", "street_id"
        )
    )
    due = []
    for period in Period.objects.filter(state=Period.State.OPEN).order_by("ordinal"):
        for street in waiting_streets(period):
            reminder = _reminder(period, street, today)
            if reminder.days_left in days and (period.pk, street.pk) not in sent:
                reminder.recipients = list(street_approvers(street))
                due.append(reminder)
    return due


def _send(scope: Scope, reminder: Reminder, kind: str, today: datetime.date) -> None:
    """Record, notify (mail leaves after commit) and audit one reminder, or nothing."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                period=reminder.period,
                street=reminder.street,
                day=today,
                kind=kind,
                days_left=reminder.days_left,
                recipients=len(reminder.recipients),
                sent_by=scope.actor.label,
            )
    except IntegrityError as error:
        raise AlreadyReminded(reminder.street) from error
    url = reverse("ledger_grid", args=[reminder.period.code, reminder.street.code])
    reminder.delivery = notify(
        users=reminder.recipients,
        message=reminder.message,
        url=url,
        kind=Notification.Kind.REMINDER,
    )
    audit_record(
        actor=scope.actor,
        action="ledger.remind",
        target_type="submission",
        target_id=f"{reminder.period.code}/{reminder.street.code}",
        region_path=reminder.street.path,
        summary=f"催报{reminder.street.name}{reminder.period.label}台账"
        f"（{ReminderSent.Kind(kind).label}，{reminder.days_left_text}，"
        f"通知 {len(reminder.recipients)} 人）",
    )


class AlreadyReminded(DomainError):
    def __init__(self, street: Region):
        super().__init__(f"今天已经提醒过{street.name}，请勿重复催报")


@transaction.atomic
def reminders_send_due(scope: Scope, today: datetime.date | None = None) -> list[Reminder]:
    today = today or timezone.localdate()
    sent = []
    for reminder in reminders_due(today):
        try:
            _send(scope, reminder, ReminderSent.Kind.SCHEDULED, today)
        except AlreadyReminded:
            continue  # a concurrent run got there first
        sent.append(reminder)
    return sent


def can_remind(scope: Scope, street: Region) -> bool:
    return scope.can(Permission.APPROVE, street) or scope.can(Permission.MANAGE, street)


@transaction.atomic
def remind_street(
    *, scope: Scope, period: Period, street: Region, today: datetime.date | None = None
) -> Reminder:
    """The dashboard's 催报 button: remind one waiting street now (once a day)."""
    if not can_remind(scope, street):
        raise NotAllowed("只有上级审核员或管理员可以催报")
    today = today or timezone.localdate()
    submission = Submission.objects.filter(period=period, street=street).first()
    if submission is None or submission.state not in WAITING:
        raise DomainError(f"{street.name}{period.label}台账已上报，无需催报")
    if not period.is_open:
        raise DomainError(f"{period.label}已关闭，不能催报")
    reminder = _reminder(period, street, today)
    reminder.recipients = list(street_approvers(street))
    _send(scope, reminder, ReminderSent.Kind.MANUAL, today)
    return reminder
