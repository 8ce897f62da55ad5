"""E-mail that works or says why (issue 28, item 3): SMTP with a login from the settings,
absolute links, and a failed send logged, told to the district's administrators (通知 and
a banner) and to the operator of `shequ remind`, which ends non-zero. Against a real SMTP
conversation (tests/smtp_server.py) or a port nobody listens on."""

import datetime
import io
import logging
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shequ.accounts.models import Role
from shequ.compliance.models import ReminderSent
from shequ.core.models import Notification
from shequ.core.notify import notify

from .conftest import PASSWORD, TIANSHENG, make_user
from .ledger_helpers import approve_street, open_period
from .smtp_server import SmtpServer, serve

SITE = "https://shequ.beibei.gov.cn:8443"
MAIL_PASSWORD = "m@il#pass/1: "
TONGJIAXI = "500109104"


def _smtp_settings(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "taizhang", MAIL_PASSWORD
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.SHEQU_SITE_URL = SITE


@pytest.fixture
def smtp(settings):
    state = SmtpServer(refuse={"nobody@beibei.example"})
    server = serve(state)
    _smtp_settings(settings, state.port)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def dead_smtp(settings):
    """A port on this machine nobody listens on: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _smtp_settings(settings, port)
    return port


def with_address(username: str, code: str, role: str, email: str):
    user = make_user(username, code, role)
    user.email = email
    user.save()
    return user


def send_notice(users, capture):
    with capture(execute=True):
        delivery = notify(
            users=users, message="天生街道2026年下半年台账已上报，请审核", url="/ledger/x/"
        )
    return delivery


def test_a_notice_goes_out_over_smtp_with_the_login_and_an_absolute_link(
    beibei, smtp, django_capture_on_commit_callbacks
):
    approver = with_address("qu-approver", "500109", Role.APPROVER, "shenhe@beibei.example")
    delivery = send_notice([approver], django_capture_on_commit_callbacks)
    assert delivery.done and delivery.failures == []
    assert smtp.logins == [("taizhang", MAIL_PASSWORD)]
    [received] = smtp.received
    assert received.recipients == ["shenhe@beibei.example"]
    body = received.message.get_content()
    assert f"{SITE}/ledger/x/" in body
    assert "天生街道2026年下半年台账已上报" in body


def test_a_refused_address_is_logged_and_told_to_the_admins_while_the_others_get_theirs(
    beibei, smtp, district_admin, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING, logger="shequ.mail")
    good = with_address("qu-approver", "500109", Role.APPROVER, "shenhe@beibei.example")
    bad = with_address("qu-approver-2", "500109", Role.APPROVER, "nobody@beibei.example")
    delivery = send_notice([good, bad], django_capture_on_commit_callbacks)
    assert [r.recipients for r in smtp.received] == [["shenhe@beibei.example"]]
    [failure] = delivery.failures
    assert failure.recipient == "nobody@beibei.example"
    assert "550" in failure.reason and "Mailbox unavailable" in failure.reason
    [logged] = [r for r in caplog.records if r.name == "shequ.mail"]
    assert "nobody@beibei.example" in logged.getMessage() and "550" in logged.getMessage()
    assert MAIL_PASSWORD not in caplog.text
    notice = Notification.objects.get(user=district_admin, kind=Notification.Kind.MAIL_FAILURE)
    assert "nobody@beibei.example" in notice.message and "EMAIL_HOST" in notice.message


def test_a_dead_mail_server_fails_every_message_saying_so(
    beibei, dead_smtp, district_admin, django_capture_on_commit_callbacks
):
    users = [
        with_address(f"approver-{n}", "500109", Role.APPROVER, f"a{n}@beibei.example")
        for n in range(2)
    ]
    delivery = send_notice(users, django_capture_on_commit_callbacks)
    assert [f.recipient for f in delivery.failures] == ["a0@beibei.example", "a1@beibei.example"]
    assert f"127.0.0.1:{dead_smtp}" in delivery.failures[0].reason
    assert "连接被拒绝" in delivery.failures[0].reason


def test_an_admin_keeps_one_unread_mail_failure_notice_refreshed_by_the_latest(
    beibei, dead_smtp, district_admin, django_capture_on_commit_callbacks
):
    first = with_address("approver-1", "500109", Role.APPROVER, "first@beibei.example")
    second = with_address("approver-2", "500109", Role.APPROVER, "second@beibei.example")
    send_notice([first], django_capture_on_commit_callbacks)
    send_notice([second], django_capture_on_commit_callbacks)
    notices = Notification.objects.filter(user=district_admin, kind="mail_failure")
    assert [n.message.split("：")[1][:25] for n in notices] == ["发往 second@beibei.example "]
    assert not Notification.objects.filter(user=first, kind="mail_failure").exists()


def test_the_banner_shows_administrators_a_failure_until_they_read_it(
    client, beibei, dead_smtp, district_admin, django_capture_on_commit_callbacks
):
    street = with_address("tiansheng-approver", TIANSHENG, Role.APPROVER, "ts@beibei.example")
    send_notice([street], django_capture_on_commit_callbacks)
    client.login(username="qu-admin", password=PASSWORD)
    page = client.get("/notifications/").content.decode()
    assert 'data-testid="mail-failure"' in page and "ts@beibei.example" in page
    notice = Notification.objects.get(user=district_admin, kind="mail_failure")
    client.get(f"/notifications/{notice.pk}/")  # 知道了
    assert 'data-testid="mail-failure"' not in client.get("/notifications/").content.decode()
    client.login(username="tiansheng-approver", password=PASSWORD)
    assert 'data-testid="mail-failure"' not in client.get("/notifications/").content.decode()


# ------------------------------------------------------------- shequ remind, committed


@pytest.fixture
def reminding(beibei):
    """An open period due on 10 December, 同家溪 approved, and 天生街道's approver with an
    address; the 3rd is a reminder day (seven days before)."""
    period = open_period("2026H2", deadline=datetime.date(2026, 12, 10))
    approve_street(period, TONGJIAXI, households=1000, service_center="320.0")
    with_address("tiansheng-approver", TIANSHENG, Role.APPROVER, "ts@beibei.example")
    return period


def remind(*args: str) -> str:
    out = io.StringIO()
    call_command("remind", "--today", "2026-12-03", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_remind_mails_an_absolute_link_and_says_reminded(reminding, smtp):
    said = remind()
    assert "已提醒 天生街道 2026年下半年（还有 7 天）：tiansheng-approver" in said
    [received] = smtp.received
    assert f"{SITE}/ledger/2026H2/{TIANSHENG}/" in received.message.get_content()


@pytest.mark.django_db(transaction=True)
def test_remind_says_what_it_could_not_send_and_ends_non_zero(reminding, dead_smtp, settings):
    admin = make_user("qu-admin", "500109", Role.ADMIN)
    out = io.StringIO()
    with pytest.raises(CommandError) as ended:
        call_command("remind", "--today", "2026-12-03", stdout=out)
    said = out.getvalue()
    assert "未能发送 天生街道 2026年下半年（还有 7 天）：tiansheng-approver" in said
    assert "已提醒 天生街道" not in said
    assert "邮件未能发给 ts@beibei.example：无法连接邮件服务器" in said
    assert "已提醒 澄江镇" in said  # no address there: told on screen only, nothing failed
    message = str(ended.value)
    assert message.startswith("1 个街镇的催报邮件未能发送（共 1 封）")
    assert f"127.0.0.1:{dead_smtp}" in message and "连接被拒绝" in message
    assert ReminderSent.objects.filter(street__code=TIANSHENG).count() == 1  # told on screen
    assert Notification.objects.filter(user=admin, kind="mail_failure").count() == 1


@pytest.mark.django_db(transaction=True)
def test_remind_in_json_lists_the_failures_and_still_ends_non_zero(reminding, dead_smtp):
    import json

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("remind", "--today", "2026-12-03", "--json", stdout=out)
    document = json.loads(out.getvalue())
    [tiansheng] = [r for r in document["reminders"] if r["street"]["code"] == TIANSHENG]
    assert tiansheng["mail_failures"][0]["to"] == "ts@beibei.example"
    assert all(not r["mail_failures"] for r in document["reminders"] if r is not tiansheng)


@pytest.mark.django_db(transaction=True)
def test_the_dashboards_reminder_button_says_when_the_mail_did_not_leave(
    client, reminding, dead_smtp
):
    make_user("qu-approver", "500109", Role.APPROVER)
    client.login(username="qu-approver", password=PASSWORD)
    url = f"/dashboard/2026H2/{TIANSHENG}/remind/"
    page = client.post(url, {"next": "/notifications/"}, follow=True).content.decode()
    assert "已在系统内向天生街道发出催报提醒" in page
    assert "1 封邮件未能发送：无法连接邮件服务器" in page
