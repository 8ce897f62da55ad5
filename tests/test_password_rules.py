"""The demo's public password and common passwords are refused outside the demo (issue
25): on creating a user, on an administrator's reset and on the user's own change; the demo
keeps its password."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from shequ.accounts.demo import DEMO_PASSWORD
from shequ.accounts.models import Role, User
from shequ.core.settings_store import DEMO_FLAG, setting_set

from .conftest import PASSWORD, XINXINGLU

pytestmark = pytest.mark.django_db

REFUSED = "不能使用演示系统的公开密码"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_for(password: str) -> str:
    try:
        validate_password(password)
    except ValidationError as error:
        return "".join(error.messages)
    return ""


@pytest.mark.parametrize("password", [DEMO_PASSWORD, "DEMO1234", " demo1234 "])
def test_the_demo_password_is_refused_outside_the_demo(password):
    assert REFUSED in messages_for(password)


def test_common_passwords_are_refused_in_chinese():
    for password in ("qwer1234", "woaini1314", "Aa123456", "password1"):
        assert "太常见" in messages_for(password), password


def test_the_demo_keeps_its_password(beibei):
    setting_set(DEMO_FLAG, True)
    assert messages_for(DEMO_PASSWORD) == ""


def test_creating_a_user_with_the_demo_password_is_refused(district_admin):
    response = signed_in(district_admin).post(
        "/users/new/",
        {
            "username": "xinxinglu-zhang",
            "full_name": "张三",
            "node": XINXINGLU,
            "role": Role.EDITOR,
            "phone": "",
            "email": "",
            "password": DEMO_PASSWORD,
        },
    )
    assert response.status_code == 200 and REFUSED in response.content.decode()
    assert not User.objects.filter(username="xinxinglu-zhang").exists()


def test_resetting_to_the_demo_password_is_refused(district_admin, tiansheng_editor):
    response = signed_in(district_admin).post(
        f"/users/{tiansheng_editor.pk}/password/", {"password": DEMO_PASSWORD}
    )
    assert REFUSED in response.content.decode()
    tiansheng_editor.refresh_from_db()
    assert tiansheng_editor.check_password(PASSWORD)


def test_changing_ones_own_password_to_the_demo_password_is_refused(tiansheng_editor):
    response = signed_in(tiansheng_editor).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Demo1234", "new_password2": "Demo1234"},
    )
    assert response.status_code == 200 and REFUSED in response.content.decode()
    tiansheng_editor.refresh_from_db()
    assert tiansheng_editor.check_password(PASSWORD)
