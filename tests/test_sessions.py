"""A session that ends while a page is open (issue 21): background saves are told 401, not
given the login page, and the user signs in again in place."""

import pytest
from django.test import Client
from django.urls import reverse

from shequ.accounts.models import Role

from .conftest import PASSWORD, TIANSHENG, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def editor(beibei):
    return make_user("ts-editor", TIANSHENG, Role.EDITOR)


def test_a_background_request_without_a_session_is_answered_401_in_chinese():
    response = Client().post("/ledger/rows/1/", {"version": "1"}, **HTMX)
    assert response.status_code == 401
    assert "登录已过期" in response.content.decode()


def test_a_page_without_a_session_still_goes_to_the_login_page():
    response = Client().get("/ledger/")
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_signing_in_again_answers_a_new_token_and_opens_the_session(editor):
    client = Client(enforce_csrf_checks=True)
    token = client.get(reverse("relogin")).json()["csrf"]
    answer = client.post(
        reverse("relogin"),
        {"username": "ts-editor", "password": PASSWORD},
        HTTP_X_CSRFTOKEN=token,
    )
    assert answer.status_code == 200 and answer.json()["csrf"]
    assert client.get("/ledger/").status_code in (200, 302)
    assert "_auth_user_id" in client.session


def test_a_wrong_password_is_refused_in_chinese_and_signs_nobody_in(editor):
    client = Client(enforce_csrf_checks=True)
    token = client.get(reverse("relogin")).json()["csrf"]
    answer = client.post(
        reverse("relogin"), {"username": "ts-editor", "password": "x"}, HTTP_X_CSRFTOKEN=token
    )
    assert answer.status_code == 400
    assert "用户名" in answer.json()["error"] or "密码" in answer.json()["error"]
    assert "_auth_user_id" not in client.session


def test_signing_in_again_needs_the_pages_token(editor):
    client = Client(enforce_csrf_checks=True)
    answer = client.post(reverse("relogin"), {"username": "ts-editor", "password": PASSWORD})
    assert answer.status_code == 403
    assert "_auth_user_id" not in client.session


def test_repeated_wrong_passwords_lock_the_account_as_the_login_page_does(editor, settings):
    settings.AXES_ENABLED = True
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("relogin"), {"username": "ts-editor", "password": "x"})
    answer = client.post(reverse("relogin"), {"username": "ts-editor", "password": PASSWORD})
    assert answer.status_code == 429  # the dialog says the account is locked for a while
    assert "_auth_user_id" not in client.session
