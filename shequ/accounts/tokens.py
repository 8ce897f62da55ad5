"""API tokens: made, listed and revoked by their owner (or the command line), stored as a
SHA-256 digest only, audited; every use logged."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets

from django.db import transaction
from django.utils import timezone

from shequ.accounts.models import ApiToken, User
from shequ.core.actors import Actor
from shequ.core.addresses import client_address
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.logtext import one_line
from shequ.core.text import field_text

log = logging.getLogger("shequ.security")

PREFIX = "shq_"
# Writing `last_used_at` on every call would turn each API read into a write.
TOUCH_EVERY = datetime.timedelta(minutes=1)


class TokenError(ValueError):
    pass


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, actor: Actor) -> tuple[ApiToken, str]:
    """A new token for `user`; the raw token is returned once and never stored."""
    try:
        name = field_text(ApiToken, "name", name, required="请填写令牌用途，如“市级平台对接”")
    except DomainError as error:
        raise TokenError(error.message) from error
    if not user.is_active:
        raise TokenError(f"用户“{user.username}”已停用")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], key_hash=_digest(raw))
    audit_record(
        actor=actor,
        action="accounts.token_create",
        target_type="api_token",
        target_id=token.pk,
        region_path=user.node.path if user.node_id else "",
        summary=f"为 {user.username} 创建访问令牌“{token.name}”（{token.prefix}…）",
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Actor) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise TokenError("该令牌已撤销")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="accounts.token_revoke",
        target_type="api_token",
        target_id=token.pk,
        region_path=token.user.node.path if token.user.node_id else "",
        summary=f"撤销 {token.user.username} 的访问令牌“{token.name}”（{token.prefix}…）",
    )
    return token


def token_user(raw: str, address: str = "") -> User | None:
    """The active user a raw token belongs to, or None (unknown, revoked, user inactive)."""
    if not raw or not raw.startswith(PREFIX):
        log.warning("token_refused reason=malformed address=%s", address)
        return None
    token = (
        ApiToken.objects.select_related("user", "user__node").filter(key_hash=_digest(raw)).first()
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        reason = "unknown" if token is None else "revoked_or_inactive"
        log.warning(
            "token_refused reason=%s prefix=%s address=%s", reason, one_line(raw[:12]), address
        )
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    log.info("token_used user=%s prefix=%s address=%s", token.user.username, token.prefix, address)
    return token.user


def bearer_user(request) -> User | None:
    """The user of an `Authorization: Bearer <token>` header, or None without one."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        return None
    return token_user(header[len("Bearer ") :].strip(), client_address(request))
