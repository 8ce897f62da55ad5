"""Password spraying is limited (issue 25): one address that fails on many names is
locked, not only a name on one address; failures are answered more and more slowly; the
lockout page gives the wait in Chinese; the sign-in dialog of an open page is held to the
same rules; an administrator can lift a lock."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from shequ.accounts import lockout
from shequ.web.lockout_page import duration_text

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

OFFICE = "10.2.0.7"


@pytest.fixture(autouse=True)
def _lockout_on(settings):
    settings.AXES_ENABLED = True


def attempt(client, username, password, address=OFFICE, path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def spray(client, count, address=OFFICE, path="/accounts/login/"):
    """One guess on each of `count` predictable names, as an attacker would."""
    for number in range(count):
        attempt(client, f"5001090{number:02d}-editor", "demo1234", address, path)


def test_one_address_guessing_many_names_is_locked(client, district_viewer):
    spray(client, 19)
    assert attempt(client, "qu-viewer", PASSWORD).status_code == 302
    client.logout()
    spray(client, 20)
    response = attempt(client, "qu-viewer", PASSWORD)
    assert response.status_code == 429
    assert "本机登录失败次数过多（20 次）" in response.content.decode()
    # A colleague at another desk is not affected.
    assert attempt(client, "qu-viewer", PASSWORD, address="10.2.0.8").status_code == 302


def test_a_login_of_ones_own_does_not_clear_the_addresss_failures(client, district_viewer):
    """An attacker with an account of their own cannot reset the tally by signing in."""
    spray(client, 18)
    assert attempt(client, "qu-viewer", PASSWORD).status_code == 302
    client.logout()
    attempt(client, "someone-else", "wrong password")
    attempt(client, "someone-more", "wrong password")
    assert attempt(client, "qu-viewer", PASSWORD).status_code == 429


def test_the_lockout_page_says_the_wait_in_chinese(client, district_viewer):
    for _ in range(5):
        attempt(client, "qu-viewer", "wrong password")
    page = attempt(client, "qu-viewer", PASSWORD).content.decode()
    assert "密码连续输错 5 次，该账号已在本机暂时锁定，请 30 分钟 后再试" in page
    assert "PT30M" not in page


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=30), "30 分钟"),
        (timedelta(minutes=90), "1 小时 30 分钟"),
        (timedelta(hours=2), "2 小时"),
        (timedelta(days=1, minutes=5), "1 天 5 分钟"),
        (timedelta(seconds=20), "1 分钟"),
    ],
)
def test_durations_in_chinese(delta, text):
    assert duration_text(delta) == text


def test_failures_are_answered_more_and_more_slowly(client, district_viewer, monkeypatch):
    pauses = []
    monkeypatch.setattr(lockout, "pause", pauses.append)
    for _ in range(5):
        attempt(client, "qu-viewer", "wrong password")
    # Failures 1 and 2 unhindered, then 0.25 s and 0.5 s; the fifth locks, without a pause.
    assert pauses == [0.25, 0.5]
    assert attempt(client, "qu-viewer", PASSWORD).status_code == 429
    assert pauses == [0.25, 0.5]


def test_the_pause_is_bounded():
    assert [lockout.failure_delay(n) for n in range(1, 8)] == [0, 0, 0.25, 0.5, 1, 2, 2]
    assert lockout.failure_delay(10_000) == lockout.MAX_DELAY == 2.0


def test_the_sign_in_dialog_is_held_to_the_same_lockout(client, district_viewer):
    spray(client, 20, path="/accounts/relogin/")
    response = attempt(client, "qu-viewer", PASSWORD, path="/accounts/relogin/")
    assert response.status_code == 429
    assert "本机登录失败次数过多" in response.json()["error"]
    assert "_auth_user_id" not in client.session


def test_the_sign_in_dialog_locks_a_name_after_five_failures(client, district_viewer):
    for _ in range(5):
        attempt(client, "qu-viewer", "wrong password", path="/accounts/relogin/")
    response = attempt(client, "qu-viewer", PASSWORD, path="/accounts/relogin/")
    assert response.status_code == 429 and "30 分钟" in response.json()["error"]


def test_an_administrator_can_unlock_an_address(client, district_viewer):
    spray(client, 20)
    assert attempt(client, "qu-viewer", PASSWORD).status_code == 429
    call_command("axes_reset_ip", OFFICE)
    assert attempt(client, "qu-viewer", PASSWORD).status_code == 302
