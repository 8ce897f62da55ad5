"""Logins, failed logins and refusals go to the `shequ.security` log; logins and failed
logins also into the audit trail, where administrators read them. What a client wrote (a
user name, a path) is escaped: one request, one line (shequ.core.logtext)."""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction

from shequ.core.actors import Actor
from shequ.core.addresses import client_address
from shequ.core.audit import audit_record
from shequ.core.logtext import one_line

log = logging.getLogger("shequ.security")


def on_login(sender, request, user, **kwargs) -> None:
    address = client_address(request)
    log.info("login user=%s address=%s", one_line(user.username), one_line(address))
    with transaction.atomic():
        audit_record(
            actor=Actor.for_user(user),
            action="accounts.login",
            target_type="user",
            target_id=user.pk,
            region_path=user.node.path if user.node_id else "",
            summary=f"{user.username} 登录（{address or '未知地址'}）",
        )


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = (credentials or {}).get("username", "")
    address = client_address(request)
    log.warning("login_failed user=%s address=%s", one_line(username), one_line(address))
    with transaction.atomic():
        audit_record(
            actor=Actor(None, username or "匿名"),
            action="accounts.login_failed",
            target_type="user",
            target_id=username[:64],
            summary=f"{username or '（未填用户名）'} 登录失败（{address or '未知地址'}）",
        )


def log_denial(request, status: int) -> None:
    user = getattr(request, "user", None)
    name = user.username if user is not None and user.is_authenticated else "匿名"
    log.warning(
        "denied status=%s user=%s method=%s path=%s address=%s",
        status,
        one_line(name),
        one_line(request.method),
        one_line(request.path),
        one_line(client_address(request)),
    )


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="shequ-login")
    user_login_failed.connect(on_login_failed, dispatch_uid="shequ-login-failed")
