"""Sending e-mail that works or says why (issue 28).

Each message goes out on its own over one connection, so that one refused address does
not stop the others and every failure names its recipient. A failure is logged
(`shequ.mail`: recipient, subject, reason; never the password) and announced with the
signal `mail_failed`, which the layer that knows who administers the system answers
(shequ.accounts.mail_failures). Nothing here raises: the action that sent the mail has
been committed already.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.dispatch import Signal

logger = logging.getLogger("shequ.mail")

# Caught around each send: what a mail server or the way to it does (SMTPException,
# OSError), a header Django refuses (BadHeaderError, a ValueError), and whatever else a mail
# backend raises: the action was committed before, and its request must not fail (issue 25).
ANY_ERROR = Exception

# Sent with `failures` (a list of MailFailure) after a batch in which some mail failed.
mail_failed = Signal()


@dataclass(frozen=True)
class MailFailure:
    recipient: str
    subject: str
    reason: str  # Chinese, for the operator and the administrators


def absolute_url(path: str) -> str:
    """A link as an e-mail must carry it: SHEQU_SITE_URL in front of the site's own path."""
    if not path:
        return ""
    return urljoin(settings.SHEQU_SITE_URL + "/", path)


def mail_send(messages: Sequence[EmailMessage]) -> list[MailFailure]:
    """Send each message; the failures, each logged and announced."""
    if not messages:
        return []
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except ANY_ERROR as error:
        failures = [_failure(message, _reason(error, connection)) for message in messages]
    else:
        failures = _send_each(connection, messages)
    finally:
        with suppress(ANY_ERROR):
            connection.close()
    if failures:
        for receiver, error in mail_failed.send_robust(sender=MailFailure, failures=failures):
            if isinstance(error, Exception):
                logger.error("邮件发送失败的通知未能送达管理员（%s）：%s", receiver, error)
    return failures


def _send_each(connection, messages: Sequence[EmailMessage]) -> list[MailFailure]:
    failures = []
    for message in messages:
        try:
            connection.send_messages([message])
        except ANY_ERROR as error:
            failures.append(_failure(message, _reason(error, connection)))
    return failures


def _failure(message: EmailMessage, reason: str) -> MailFailure:
    recipient = ", ".join(message.recipients())
    logger.warning("邮件未能发送给 %s（%s）：%s", recipient, message.subject, reason)
    return MailFailure(recipient, message.subject, reason)


def _reason(error: Exception, connection) -> str:
    """What went wrong, in words an operator can act on. Servers answer in English; their
    answer is kept as it came."""
    server = f"{getattr(connection, 'host', '')}:{getattr(connection, 'port', '')}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"邮件服务器 {server} 拒绝登录（EMAIL_HOST_USER、EMAIL_HOST_PASSWORD）：{_said(error)}"
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = "；".join(_said(answer) for answer in error.recipients.values())
        return f"邮件服务器拒收该收件人：{answers}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"邮件服务器 {server} 拒绝发送：{_said(error)}"
    if isinstance(error, ConnectionRefusedError):
        return f"无法连接邮件服务器 {server}（连接被拒绝，EMAIL_HOST、EMAIL_PORT）"
    if isinstance(error, TimeoutError):
        return f"连接邮件服务器 {server} 超时（EMAIL_TIMEOUT）"
    return f"邮件服务器 {server}：{type(error).__name__}: {error}"


def _said(error) -> str:
    """An SMTP answer as text: code and message, whether an exception or a (code, bytes)."""
    code, text = (error.smtp_code, error.smtp_error) if isinstance(error, Exception) else error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"
