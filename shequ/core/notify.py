"""Telling users what happened: on screen, and by e-mail through shequ.core.mail."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from shequ.core.mail import MailFailure, absolute_url, mail_send
from shequ.core.models import Notification
from shequ.core.text import header_text, text_cut

MESSAGE_LENGTH = Notification._meta.get_field("message").max_length


@dataclass
class Delivery:
    """What became of one notice: how many users were told on screen, who was mailed,
    and, once the mail has left (after commit), which of them it did not reach."""

    notified: int
    mailed: list[str]
    failures: list[MailFailure] = field(default_factory=list)
    done: bool = False

    def deliver(self, messages: list[EmailMessage]) -> None:
        self.failures = mail_send(messages)
        self.done = True


def notify(
    *,
    users,
    message: str,
    url: str = "",
    subject: str = "",
    kind: str = Notification.Kind.OTHER,
) -> Delivery:
    """Store one notification per user now, and mail those with an address after commit.
    The message may hold what a user wrote (a return reason, line breaks and all): the
    notice keeps what fits its field, the mail's body all of it, its subject one line."""
    users = [user for user in users if user.is_active]
    shown = text_cut(message, MESSAGE_LENGTH)
    Notification.objects.bulk_create(
        Notification(user=u, kind=kind, message=shown, url=url) for u in users
    )
    subject = header_text(subject or f"【{settings.SHEQU_SYSTEM_NAME}】{header_text(message)[:40]}")
    signature = f"{settings.SHEQU_DISTRICT_NAME}{settings.SHEQU_SYSTEM_NAME}"
    body = "\n\n".join(part for part in (message, absolute_url(url), signature) if part)
    mails = [
        EmailMessage(subject, body + "\n", settings.DEFAULT_FROM_EMAIL, [user.email])
        for user in users
        if user.email
    ]
    delivery = Delivery(notified=len(users), mailed=[user.email for user in users if user.email])
    if mails:
        # Mail only once the change is committed: a rolled-back action must not be announced.
        # Robust: the action has been committed, so whatever the mail does cannot fail it
        # (mail_send logs and announces its own failures; Django logs anything else).
        transaction.on_commit(lambda: delivery.deliver(mails), robust=True)
    else:
        delivery.done = True
    return delivery
