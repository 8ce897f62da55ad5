"""`/api/v1/` from the outside: authentication (session or bearer token), the OpenAPI
document, scope on every operation, and the summary equal to `shequ summary --json`."""

import io
import json
import re

import pytest
from django.core.management import call_command

from shequ.accounts.tokens import token_create
from shequ.core.actors import Actor

from .conftest import PASSWORD, TIANSHENG
from .ledger_helpers import approve_street, open_period, set_target

pytestmark = pytest.mark.django_db

TONGJIAXI = "500109104"
TONGJIAXI_COMMUNITY = "500109104001"
DISTRICT = "500109"


@pytest.fixture
def period(beibei):
    set_target(2026)
    period = open_period("2026H2")
    approve_street(period, TONGJIAXI, households=1000, service_center="320.0")
    return period


def openapi(client) -> dict:
    return client.get("/api/v1/openapi.json").json()


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_document_and_docs_are_for_callers_only(client, period, district_viewer):
    assert client.get("/api/v1/openapi.json").status_code == 401
    assert client.get("/api/v1/docs").status_code == 401
    _, raw = token_create(user=district_viewer, name="测试", actor=Actor.command_line())
    by_token = client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert by_token.status_code == 200 and "/api/v1/summary" in by_token.json()["paths"]
    client.login(username="qu-viewer", password=PASSWORD)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.content.decode()


def test_anonymous_calls_answer_401_in_chinese(client, period, district_viewer):
    client.login(username="qu-viewer", password=PASSWORD)
    document = openapi(client)
    client.logout()
    tried = 0
    for path, method, _ in operations(document):
        url = re.sub(r"\{[^}]+\}", DISTRICT, path)
        response = getattr(client, method)(url, {"period": "2026H2"} if method == "get" else {})
        assert response.status_code == 401, (method, url, response.status_code)
        assert "请先登录" in response.json()["message"]
        tried += 1
    assert tried == len(list(operations(document)))


def test_a_street_editor_reaches_nothing_of_another_street_or_the_district(
    client, period, tiansheng_editor
):
    """Every operation, every parameter naming a region, with objects outside the node."""
    client.login(username="tiansheng-editor", password=PASSWORD)
    document = openapi(client)
    outside = [TONGJIAXI, TONGJIAXI_COMMUNITY, DISTRICT]
    tried = violations = 0
    for path, method, operation in operations(document):
        names = [p["name"] for p in operation.get("parameters", [])]
        scoped = [n for n in names if n in ("code", "region", "parent")]
        if not scoped or path.startswith("/api/v1/periods"):
            continue  # nothing region-bound to aim at (periods are shared by the tree)
        for code in outside:
            url = path.replace("{code}", code)
            params = {"period": "2026H2"}
            params.update({n: code for n in scoped if n != "code"})
            response = getattr(client, method)(url, params)
            tried += 1
            if response.status_code < 300 or response.status_code >= 500:
                violations += 1
    print(f"scope walk: {tried} requests tried, {violations} violations")
    assert tried >= 9 and violations == 0


def test_the_summary_is_the_commands(client, period, district_viewer):
    out = io.StringIO()
    call_command("summary", "--period", "2026H2", "--json", stdout=out)
    client.login(username="qu-viewer", password=PASSWORD)
    assert client.get("/api/v1/summary", {"period": "2026H2"}).json() == json.loads(out.getvalue())


def test_a_token_caller_gets_their_own_scope(client, period, tiansheng_editor):
    _, raw = token_create(user=tiansheng_editor, name="x", actor=Actor.command_line())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    summary = client.get("/api/v1/summary", {"period": "2026H2"}, **auth).json()
    assert summary["region"]["code"] == TIANSHENG
    regions = client.get("/api/v1/regions", {"limit": 500}, **auth).json()
    assert regions["count"] == 11 and {r["code"][:9] for r in regions["items"]} == {TIANSHENG}
    detail = client.get(f"/api/v1/regions/{TIANSHENG}", **auth).json()
    assert detail["history"][0]["name"] == "天生街道"


def test_bad_input_names_the_field(client, period, district_viewer):
    client.login(username="qu-viewer", password=PASSWORD)
    missing = client.get("/api/v1/summary")
    assert missing.status_code == 422 and missing.json()["field"] == "period"
    unknown = client.get("/api/v1/summary", {"period": "2031H1"})
    assert unknown.status_code == 404 and "尚未开启" in unknown.json()["message"]
    community = client.get("/api/v1/summary", {"period": "2026H2", "region": TONGJIAXI_COMMUNITY})
    assert community.status_code == 400 and community.json()["field"] == "region"
