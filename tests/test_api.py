"""`/api/v1/` from the outside: authentication (session or bearer token), the OpenAPI
document, scope on every operation, and the summary equal to `shequ summary --json`."""

import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from shequ.accounts.scope import operator_scope
from shequ.accounts.tokens import token_create
from shequ.assets.services import asset_create
from shequ.core.actors import Actor
from shequ.ledger.models import LedgerRow
from shequ.plans.models import Plan
from shequ.plans.street_plans import street_plan_save
from shequ.regions.models import Region
from shequ.subsidy import services as subsidy
from shequ.workflow import measures

from .conftest import PASSWORD, TIANSHENG
from .ledger_helpers import approve_street, open_period, set_target

pytestmark = pytest.mark.django_db

TONGJIAXI = "500109104"
TONGJIAXI_COMMUNITY = "500109104001"
DISTRICT = "500109"


SHIJIALIANG = "500109108"


@pytest.fixture
def period(beibei):
    set_target(2026)
    period = open_period("2026H2")
    approve_street(period, TONGJIAXI, households=1000, service_center="320.0")
    approve_street(period, SHIJIALIANG, households=1000, service_center="250.0")  # plans
    plan = Plan.objects.filter(street__code=SHIJIALIANG).first()
    measures.measure_save(
        scope=operator_scope(),
        plan=plan,
        values={
            "method": "renovate",
            "description": "改造闲置用房",
            "planned_area": Decimal("60"),
            "planned_date": datetime.date(2027, 6, 30),
            "status": "not_started",
        },
    )
    return period


@pytest.fixture
def outside_objects(period):
    """An idle asset, a subsidy allocation and a street plan of 童家溪镇, for the walk."""
    scope = operator_scope()
    asset = asset_create(
        scope=scope,
        values={
            "kind": "school",
            "name": "原童家溪小学",
            "owner": "区教委",
            "address": "童家溪镇同兴路 1 号",
            "street": Region.objects.get(code=TONGJIAXI),
            "area": Decimal("300.0"),
        },
    )
    subsidy.budget_set(scope=scope, year=2026, amount=Decimal("100.00"))
    allocation = subsidy.allocation_create(
        scope=scope,
        year=2026,
        street=Region.objects.get(code=TONGJIAXI),
        purpose="service_center",
        amount=Decimal("10.00"),
    ).allocation
    street_plan_save(
        scope=scope, street=Region.objects.get(code=TONGJIAXI), year=2026, title="童家溪镇实施方案"
    )
    return asset, allocation


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


def _outside_values(period, outside_objects) -> dict[str, list]:
    """For each parameter naming something region-bound: objects outside 天生街道."""
    other_row = LedgerRow.objects.filter(period=period, street__code=TONGJIAXI).first()
    other_plan = Plan.objects.filter(street__code=SHIJIALIANG).first()
    asset, allocation = outside_objects
    return {
        "community": [TONGJIAXI_COMMUNITY, TONGJIAXI, DISTRICT],
        "asset_id": [asset.pk],
        "allocation_id": [allocation.pk],
        "code": [TONGJIAXI, TONGJIAXI_COMMUNITY, DISTRICT],
        "region": [TONGJIAXI, TONGJIAXI_COMMUNITY, DISTRICT],
        "parent": [TONGJIAXI, DISTRICT],
        "street": [TONGJIAXI, DISTRICT],
        "row_id": [other_row.pk],
        "plan_id": [other_plan.pk],
        "measure_id": [other_plan.measures.first().pk],
        "year": [2026],  # only where the year itself is the district's (YEAR_BOUND)
    }


# A year names the district's evaluation and budget; elsewhere (a street's own plan for the
# year, its own subsidy figures) it is no object outside the caller's node.
YEAR_BOUND = {("get", "/api/v1/evaluations/{year}"), ("put", "/api/v1/subsidies/budgets/{year}")}
# Path parameters that name nothing region-bound, filled with a value of the caller's own.
OWN_VALUES = {"period": "2026H2", "action": "submit", "item": "hall", "year": "2026"}


def _aimed(path: str, method: str, operation: dict, outside: dict) -> list[str]:
    names = [p["name"] for p in operation.get("parameters", []) if p["name"] in outside]
    if "year" in names and (method, path) not in YEAR_BOUND:
        names.remove("year")
    return names


VALID_BODIES = {
    "/ledger/rows/{row_id}": {"version": 1, "changes": {"households": 1234}, "reason": "测试"},
    "/submissions/{period}/{street}/{action}": {"reason": "测试"},
    "/plans/{plan_id}/measures": {
        "method": "new",
        "description": "新建用房",
        "planned_area": 80,
        "planned_date": "2027-06-30",
    },
    "/plans/{plan_id}/measures/{measure_id}": {
        "method": "new",
        "description": "新建用房",
        "planned_area": 80,
        "planned_date": "2027-06-30",
        "version": 1,
    },
    "/plans/{plan_id}/consultations": {
        "held_on": "2026-11-01",
        "who": "residents",
        "said": "希望增加活动室",
    },
    "/plans/{plan_id}": {"target_year": 2027},
    "/plans/{plan_id}/send-back": {"reason": "测试"},
    "/assets/{asset_id}": {"name": "改名", "version": 1},
    "/subsidies/budgets/{year}": {"amount": 200},
    "/subsidies/allocations/{allocation_id}": {
        "year": 2026,
        "street": TIANSHENG,
        "purpose": "service_center",
        "amount": 5,
        "version": 1,
    },
    "/subsidies/allocations/{allocation_id}/pay": {"paid_on": "2026-11-01", "version": 1},
    "/subsidies/allocations/{allocation_id}/cancel": {"reason": "测试", "version": 1},
    "/checklists/{community}": {"items": {"hall": {"present": True, "area": 50, "version": 0}}},
}


def _calls(document, outside):
    """Every (method, url, query, body) that aims an operation at an outside object."""
    for path, method, operation in operations(document):
        params = operation.get("parameters", [])
        aimed = _aimed(path, method, operation, outside)
        if not aimed:
            continue  # nothing region-bound to aim at (periods are shared by the tree)
        for name in aimed:
            for value in outside[name]:
                url, query = path, {"period": "2026H2", "year": "2026"}
                for p in params:
                    fill = value if p["name"] == name else None
                    if p["in"] == "path":
                        own = OWN_VALUES.get(p["name"])
                        url = url.replace(f"{{{p['name']}}}", str(fill or own or value))
                    elif fill is not None:
                        query[p["name"]] = fill
                actions = (
                    ("submit", "approve", "return", "reopen") if "{action}" in path else [None]
                )
                for action in actions:
                    target = url.replace("/submit", f"/{action}") if action else url
                    body = VALID_BODIES.get(path.removeprefix("/api/v1"))
                    yield path, method, target, query, body


def test_a_street_editor_reaches_nothing_of_another_street_or_the_district(
    client, period, outside_objects, tiansheng_editor
):
    """Every operation, every parameter naming a region-bound object, reads and writes
    with a valid body, aimed outside the caller's node: never a 2xx, never a 5xx."""
    client.login(username="tiansheng-editor", password=PASSWORD)
    document = openapi(client)
    tried = violations = 0
    outside = _outside_values(period, outside_objects)
    aimed = {
        (path, method)
        for path, method, operation in operations(document)
        if _aimed(path, method, operation, outside)
    }
    covered = set()
    for path, method, url, query, body in _calls(document, outside):
        covered.add((path, method))
        if method == "get":
            response = client.get(url, query)
        else:
            response = getattr(client, method)(
                url + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
                data=json.dumps(body),
                content_type="application/json",
            )
        tried += 1
        if response.status_code < 300 or response.status_code >= 500:
            violations += 1
            print("VIOLATION", method, url, query, response.status_code)
    print(f"scope walk: {len(covered)} operations, {tried} requests tried, {violations} violations")
    assert covered == aimed and len(aimed) >= 40
    assert violations == 0


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


def test_an_editor_changes_a_draft_row_with_optimistic_locking(client, period, tiansheng_editor):
    row = LedgerRow.objects.filter(period=period, street__code=TIANSHENG).first()
    client.login(username="tiansheng-editor", password=PASSWORD)
    url = f"/api/v1/ledger/rows/{row.pk}"
    change = {"version": row.version, "changes": {"households": 1234, "service_center": "400"}}
    response = client.patch(url, json.dumps(change), content_type="application/json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["data"]["households"] == 1234 and body["data"]["service_center"] == 400.0
    assert body["version"] == row.version + 1 and body["derived"]["total_area"] == 400.0
    stale = client.patch(url, json.dumps(change), content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current"]["version"] == row.version + 1
    wrong = {"version": row.version + 1, "changes": {"households": "一千"}}
    refused = client.patch(url, json.dumps(wrong), content_type="application/json")
    assert refused.status_code == 400 and refused.json()["field"] == "households"
    malformed = client.patch(url, "{", content_type="application/json")
    assert malformed.status_code == 422
    history = client.get(f"{url}/history").json()
    assert history["count"] >= 1 and history["items"][0]["actor"] == "tiansheng-editor"


def test_roles_are_checked_after_scope(client, period, district_viewer, tiansheng_approver):
    row = LedgerRow.objects.filter(period=period, street__code=TIANSHENG).first()
    client.login(username="qu-viewer", password=PASSWORD)
    change = json.dumps({"version": row.version, "changes": {"households": 10}})
    response = client.patch(
        f"/api/v1/ledger/rows/{row.pk}", change, content_type="application/json"
    )
    assert response.status_code == 403
    client.logout()
    client.login(username="tiansheng-approver", password=PASSWORD)
    approve = client.post(
        f"/api/v1/submissions/2026H2/{TIANSHENG}/approve", "{", content_type="application/json"
    )
    assert approve.status_code == 403  # the role before the (malformed) body
    submit = client.post(
        f"/api/v1/submissions/2026H2/{TIANSHENG}/submit", "", content_type="application/json"
    )
    assert submit.status_code == 400 and "暂不能上报" in submit.json()["message"]
    states = client.get("/api/v1/submissions", {"period": "2026H2"}).json()
    assert [s["street"]["code"] for s in states["items"]] == [TIANSHENG]


def test_a_street_editor_works_on_their_plans(client, period):
    from shequ.accounts.models import Role

    from .conftest import make_user

    make_user("sjl-editor", SHIJIALIANG, Role.EDITOR)
    plan = Plan.objects.filter(street__code=SHIJIALIANG).first()
    client.login(username="sjl-editor", password=PASSWORD)
    listed = client.get("/api/v1/plans").json()
    assert listed["count"] == 5 and {p["street"]["code"] for p in listed["items"]} == {SHIJIALIANG}
    body = {
        "method": "new",
        "description": "新建用房",
        "planned_area": 45.5,
        "planned_date": "2027-06-30",
        "budget": 12.5,
    }
    added = client.post(
        f"/api/v1/plans/{plan.pk}/measures", json.dumps(body), content_type="application/json"
    )
    assert added.status_code == 200, added.json()
    assert [m["planned_area"] for m in added.json()["measures"]] == [60.0, 45.5]
    bad = client.post(
        f"/api/v1/plans/{plan.pk}/measures",
        json.dumps({**body, "planned_area": -1}),
        content_type="application/json",
    )
    # outside the documented range (0 to the column's largest): the body's 422 (ADR 0038)
    assert bad.status_code == 422 and bad.json()["field"] == "planned_area"
    consulted = client.post(
        f"/api/v1/plans/{plan.pk}/consultations",
        json.dumps({"held_on": "2026-11-01", "who": "residents", "said": "增加活动室"}),
        content_type="application/json",
    )
    assert consulted.json()["consultations"][0]["who"] == "residents"
    assert client.get("/api/v1/assets").json() == {"items": [], "count": 0}
    assert client.get("/api/v1/evaluations/2026").status_code == 403


def test_the_evaluation_is_the_commands(client, period, district_viewer):
    out = io.StringIO()
    call_command("evaluate", "--year", "2026", "--json", stdout=out)
    client.login(username="qu-viewer", password=PASSWORD)
    assert client.get("/api/v1/evaluations/2026").json() == json.loads(out.getvalue())


def test_a_nul_byte_is_refused_not_a_server_error(client, period, tiansheng_editor):
    """Found by Schemathesis: PostgreSQL cannot store a NUL byte; it must be a 422/400."""
    row = LedgerRow.objects.filter(period=period, street__code=TIANSHENG).first()
    client.login(username="tiansheng-editor", password=PASSWORD)
    body = {"version": row.version, "changes": {"remarks": "备注\x00"}}
    response = client.patch(
        f"/api/v1/ledger/rows/{row.pk}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert client.get("/api/v1/regions", {"parent": "500109\x00"}).status_code == 422
    assert client.get("/api/v1/regions/5001\x0009").status_code in (404, 422)


def _carries_identity(item: dict) -> bool:
    return "id" in item or "code" in item or "plan_id" in item


# Lists of one region's view (a street's year, a community's checklist): the region's
# code is their identity, and the operation that reads one takes exactly that code.
REGION_VIEWS = {"/api/v1/street-plans": "street", "/api/v1/checklists": "community"}


def test_every_listed_object_carries_its_id_or_code(
    client, period, outside_objects, district_admin
):
    """Each list of the document, as the district administrator: every item (and every
    item of a list nested in one) names itself by `id`, or by `code` for regions and
    periods."""
    client.login(username="qu-admin", password=PASSWORD)
    lists = [
        path
        for path, method, operation in operations(openapi(client))
        if method == "get" and "{" not in path and path != "/api/v1/summary"
    ]
    checked = 0
    for path in lists:
        answer = client.get(path, {"period": "2026H2", "year": 2026})
        assert answer.status_code == 200, (path, answer.json())
        items = answer.json()["items"]
        assert items, path  # the fixture gives every list something to show
        for item in items:
            identity = item[REGION_VIEWS[path]] if path in REGION_VIEWS else item
            assert _carries_identity(identity), (path, item)
            for value in item.values():
                if isinstance(value, list):
                    assert all(_carries_identity(v) for v in value if isinstance(v, dict)), path
            checked += 1
    assert len(lists) == 9 and checked > 0
