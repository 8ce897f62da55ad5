"""No open redirect (issue 25): a target the browser sends (`next`, a notification's link)
is followed only to a page of this site; anything else goes to the page's own fallback."""

import datetime

import pytest
from django.test import RequestFactory

from shequ.core.models import Notification
from shequ.web.redirects import safe_target

from .conftest import PASSWORD
from .ledger_helpers import open_period

pytestmark = pytest.mark.django_db

TIANSHENG = "500109002"
ELSEWHERE = [
    "//evil.example",
    "//evil.example/dashboard/",
    "https://evil.example/",
    "http://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " //evil.example",
    "https:evil.example",
    "///evil.example",
]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_remind_button_does_not_send_the_user_elsewhere(login, district_approver, target):
    open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    response = login(district_approver).post(
        f"/dashboard/2026H2/{TIANSHENG}/remind/", {"next": target}
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_the_remind_button_goes_back_to_the_page_it_was_pressed_on(login, district_approver):
    open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    back = "/dashboard/?period=2026H2"
    response = login(district_approver).post(
        f"/dashboard/2026H2/{TIANSHENG}/remind/", {"next": back}
    )
    assert response["Location"] == back


@pytest.mark.parametrize("target", ELSEWHERE)
def test_a_notification_does_not_link_elsewhere(login, tiansheng_editor, target):
    note = Notification.objects.create(user=tiansheng_editor, message="外链", url=target)
    response = login(tiansheng_editor).get(f"/notifications/{note.pk}/")
    assert response["Location"] == "/notifications/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_login_page_does_not_send_the_user_elsewhere(client, district_viewer, target):
    response = client.post(
        "/accounts/login/",
        {"username": "qu-viewer", "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_logging_out_does_not_send_the_user_elsewhere(login, district_viewer, target):
    response = login(district_viewer).post("/accounts/logout/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_in_production_a_full_address_of_our_own_must_be_https(settings):
    settings.DEBUG = False
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    assert safe_target(request, "http://testserver/plans/", "home") == "/"
    assert safe_target(request, "/plans/?year=2026", "home") == "/plans/?year=2026"
    settings.DEBUG = True
    assert safe_target(request, "http://testserver/plans/", "home") == "http://testserver/plans/"
