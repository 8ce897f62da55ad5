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
        "ALLOWED_HOSTS": "shequ.example.gov.cn",
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
