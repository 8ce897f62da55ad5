"""Login protection and what is logged: lockout after repeated failures, logins and
failed logins in the audit trail, refusals in the security log; production settings pass
`shequ check --deploy`."""

import os
import subprocess
import sys

import pytest

from shequ.core.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_on_that_address(client, settings, district_viewer):
    settings.AXES_ENABLED = True
    for _ in range(5):
        response = post_login(client, "qu-viewer", "wrong password")
    response = post_login(client, "qu-viewer", PASSWORD)
    assert response.status_code == 429
    assert "已在本机暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.filter(action="accounts.login_failed", target_id="qu-viewer")
    assert failed.count() >= 5


def _login_from(client, forwarded: str, password: str):
    return client.post(
        "/accounts/login/",
        {"username": "qu-viewer", "password": password},
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_our_proxy_the_lockout_is_per_client_address(client, settings, district_viewer):
    """With nginx in front (SHEQU_PROXY_COUNT=1) every request comes from 127.0.0.1: the
    client's address is the one nginx appended to X-Forwarded-For, so one client's failures
    do not lock out a colleague at another desk."""
    settings.AXES_ENABLED, settings.SHEQU_PROXY_COUNT = True, 1
    for _ in range(5):
        _login_from(client, "10.1.1.5", "wrong password")
    assert _login_from(client, "10.1.1.5", PASSWORD).status_code == 429
    # A forged entry left of nginx's own is not believed: still 10.1.1.5, still locked.
    assert _login_from(client, "10.9.9.9, 10.1.1.5", PASSWORD).status_code == 429
    assert _login_from(client, "10.1.1.6", PASSWORD).status_code == 302


def test_without_a_proxy_a_forwarded_header_cannot_dodge_the_lockout(
    client, settings, district_viewer
):
    settings.AXES_ENABLED, settings.SHEQU_PROXY_COUNT = True, 0
    for number in range(5):
        _login_from(client, f"10.1.1.{number}", "wrong password")
    assert _login_from(client, "10.1.1.99", PASSWORD).status_code == 429


def test_a_login_is_recorded(client, settings, district_viewer):
    settings.AXES_ENABLED = True
    response = post_login(client, "qu-viewer", PASSWORD)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="accounts.login")
    assert event.actor == "qu-viewer" and "登录" in event.summary


def test_refusals_are_logged(client, district_viewer, caplog):
    client.force_login(district_viewer)
    with caplog.at_level("WARNING", logger="shequ.security"):
        assert client.get("/targets/").status_code == 403
    assert any("denied status=403 user=qu-viewer" in r.getMessage() for r in caplog.records)


def test_pages_carry_the_content_security_policy(client, district_viewer):
    client.force_login(district_viewer)
    policy = client.get("/dashboard/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_production_settings_pass_the_deployment_checks(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 30 + "production-secret-key-for-the-check-" + "y" * 20,
        "SHEQU_SITE_URL": "https://shequ.example.gov.cn",
        "SHEQU_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "shequ.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
