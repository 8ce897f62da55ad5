"""Who hears that e-mail could not be sent: the administrators of the whole tree (the
district's 管理员 and the superusers), in their 通知 and in a banner on every page, since
mail is the one thing that cannot tell them. One unread notice each: a later failure
refreshes it rather than burying the inbox under copies."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequ.accounts.models import Role, User
from shequ.core.mail import MailFailure, mail_failed
from shequ.core.models import Notification

KIND = Notification.Kind.MAIL_FAILURE
ADVICE = "请运维人员检查服务器的邮件设置（EMAIL_HOST 等），详见应用日志 shequ.mail。"


def district_admins() -> QuerySet[User]:
    at_root = Q(role=Role.ADMIN, node__parent__isnull=True)
    return User.objects.filter(at_root | Q(is_superuser=True), is_active=True)


def failure_message(failures: Sequence[MailFailure]) -> str:
    first = failures[0]
    others = f"等 {len(failures)} 封" if len(failures) > 1 else ""
    text = (
        f"邮件未能发出：发往 {first.recipient} {others}的“{first.subject}”。原因：{first.reason}。"
    )
    limit = Notification._meta.get_field("message").max_length - len(ADVICE)
    return text[:limit] + ADVICE


def mail_failures_announce(*, failures: Sequence[MailFailure]) -> int:
    """Tell each administrator (on screen only); how many were told."""
    message = failure_message(failures)
    admins = list(district_admins())
    for admin in admins:
        unread = Notification.objects.filter(user=admin, kind=KIND, read_at__isnull=True)
        if not unread.update(message=message, created_at=timezone.now()):
            Notification.objects.create(user=admin, kind=KIND, message=message)
    return len(admins)


def latest_unread(user) -> Notification | None:
    return (
        Notification.objects.filter(user=user, kind=KIND, read_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def _on_mail_failed(sender, failures, **kwargs) -> None:
    mail_failures_announce(failures=failures)


def connect() -> None:
    mail_failed.connect(_on_mail_failed, dispatch_uid="shequ.accounts.mail_failures")
