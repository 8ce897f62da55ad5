"""Telling users what happened: on screen, and by e-mail through Django's mail settings."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from shequ.core.models import Notification


def notify(
    *,
    users,
    message: str,
    url: str = "",
    subject: str = "",
    kind: str = Notification.Kind.OTHER,
) -> int:
    """Store one notification per user now, and mail those with an address after commit."""
    users = [user for user in users if user.is_active]
    Notification.objects.bulk_create(
        Notification(user=u, kind=kind, message=message, url=url) for u in users
    )
    mails = [
        (
            subject or f"【{settings.SHEQU_SYSTEM_NAME}】{message[:40]}",
            f"{message}\n\n{settings.SHEQU_DISTRICT_NAME}{settings.SHEQU_SYSTEM_NAME}\n{url}",
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        for user in users
        if user.email
    ]
    if mails:
        # Mail only once the change is committed: a rolled-back action must not be announced.
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return len(users)
