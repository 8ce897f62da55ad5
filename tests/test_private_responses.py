"""What a signed-in user sees is not kept by a browser cache or a proxy (issue 25):
`Cache-Control: private, no-store` on pages, exports and API answers to a session or a
token; not on what anyone may see."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from shequ.accounts.tokens import token_create
from shequ.core.actors import Actor
from shequ.web.security import PrivateResponseMiddleware

from .ledger_helpers import open_period, set_target

pytestmark = pytest.mark.django_db


def is_private(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


@pytest.fixture
def period(beibei):
    set_target(2026)
    return open_period("2026H2")


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/plans/", "/users/", "/notifications/", "/accounts/tokens/"]
)
def test_pages_of_a_signed_in_user_are_private(login, district_admin, period, path):
    response = login(district_admin).get(path)
    assert response.status_code == 200 and is_private(response), path


def test_an_export_is_private(login, district_admin, period):
    response = login(district_admin).get("/plans/summary.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert is_private(response)


def test_the_api_is_private_with_a_session_or_a_token(client, login, district_viewer, period):
    by_session = login(district_viewer).get("/api/v1/summary", {"period": "2026H2"})
    assert by_session.status_code == 200 and is_private(by_session)
    _, raw = token_create(user=district_viewer, name="x", actor=Actor.command_line())
    client.logout()
    by_token = client.get(
        "/api/v1/summary", {"period": "2026H2"}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert by_token.status_code == 200 and is_private(by_token)


def test_static_files_stay_cacheable(district_viewer):
    request = RequestFactory().get("/static/web/shequ.js")
    request.user = district_viewer
    response = PrivateResponseMiddleware(lambda r: HttpResponse("js"))(request)
    assert "Cache-Control" not in response


def test_an_anonymous_public_answer_is_left_alone(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/healthz")
    request.user = AnonymousUser()
    response = PrivateResponseMiddleware(lambda r: HttpResponse("ok"))(request)
    assert "Cache-Control" not in response
