"""API tokens: stored hashed, shown once, used and revoked, every use logged; the command
prints the token alone on its last line; each user sees only their own."""

import io

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from shequ.accounts.models import ApiToken
from shequ.accounts.tokens import bearer_user, token_create, token_revoke
from shequ.core.actors import Actor
from shequ.core.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def bearer(raw: str):
    return RequestFactory().get("/api/v1/summary", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_token_is_stored_hashed_and_authenticates_until_revoked(district_viewer, caplog):
    token, raw = token_create(user=district_viewer, name="市级平台", actor=Actor.command_line())
    assert raw.startswith("shq_") and len(raw) > 40
    assert raw not in (token.key_hash, token.prefix) and token.key_hash != raw
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    with caplog.at_level("INFO", logger="shequ.security"):
        assert bearer_user(bearer(raw)) == district_viewer
    assert any("token_used user=qu-viewer" in r.getMessage() for r in caplog.records)
    token.refresh_from_db()
    assert token.last_used_at is not None
    token_revoke(token=token, actor=Actor.for_user(district_viewer))
    assert bearer_user(bearer(raw)) is None
    assert bearer_user(bearer(raw[:-1] + "x")) is None
    assert bearer_user(RequestFactory().get("/")) is None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"accounts.token_create", "accounts.token_revoke"} <= actions


def test_an_inactive_users_token_stops_working(district_viewer):
    _, raw = token_create(user=district_viewer, name="x", actor=Actor.command_line())
    district_viewer.is_active = False
    district_viewer.save()
    assert bearer_user(bearer(raw)) is None


def test_the_command_prints_the_token_alone_on_its_last_line(district_viewer):
    out = io.StringIO()
    call_command("token", "qu-viewer", stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("shq_") and " " not in last
    assert bearer_user(bearer(last)) == district_viewer


def test_users_manage_only_their_own_tokens(client, district_viewer, district_admin):
    other, _ = token_create(user=district_admin, name="管理员的", actor=Actor.command_line())
    client.login(username="qu-viewer", password=PASSWORD)
    response = client.post("/accounts/tokens/", {"name": "数据对接"})
    page = response.content.decode()
    mine = ApiToken.objects.get(user=district_viewer)
    assert "请立即复制保存" in page and mine.prefix in page and "管理员的" not in page
    assert client.post("/accounts/tokens/", {"revoke": other.pk}).status_code == 404
    other.refresh_from_db()
    assert other.is_active
    client.post("/accounts/tokens/", {"revoke": mine.pk})
    mine.refresh_from_db()
    assert not mine.is_active
    assert (
        "请填写令牌用途"
        in client.post("/accounts/tokens/", {"name": " "}, follow=True).content.decode()
    )
