"""What the API takes in a JSON body (issue 25): finite numbers within each field's range,
bounded nesting and size, no unknown keys; and every refusal in the documented shape
(`{"message": "<中文>", "field": ...}`), never HTML and never a 500."""

import json
import re

import pytest

from shequ.accounts.models import Role
from shequ.assets.services import MAX_AREA as ASSET_MAX_AREA
from shequ.checklist.services import MAX_AREA as CHECKLIST_MAX_AREA
from shequ.core.models import AuditEvent
from shequ.ledger.models import LedgerRow
from shequ.plans.models import Plan
from shequ.plans.services import MEASURE_MAX_AREA, MEASURE_MAX_BUDGET
from shequ.subsidy.services import MAX_AMOUNT

from .conftest import TIANSHENG, XINXINGLU, make_user
from .ledger_helpers import approve_street, open_period, set_target

pytestmark = pytest.mark.django_db

SHIJIALIANG = "500109108"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Written into the body as raw text: json.dumps cannot write most of them.
NOT_FINITE = ("NaN", "Infinity", "-Infinity", "1e309", "-1e309")
OUT_OF_RANGE = ("1e15", "-1e15", "99999999999999999999999999999")


@pytest.fixture
def objects(beibei):
    """A draft row of 天生街道, a plan of 施家梁镇 with a measure, and an idle asset."""
    set_target(2026)
    period = open_period("2026H2")
    approve_street(period, SHIJIALIANG, households=1000, service_center="250.0")
    make_user("ts-editor", TIANSHENG, Role.EDITOR)
    make_user("sjl-editor", SHIJIALIANG, Role.EDITOR)
    make_user("qu-admin", "500109", Role.ADMIN)
    return {
        "row": LedgerRow.objects.filter(period=period, street__code=TIANSHENG).first(),
        "plan": Plan.objects.filter(street__code=SHIJIALIANG).first(),
    }


def changes() -> int:
    """Audit rows of changes (a login is audited too)."""
    return AuditEvent.objects.exclude(action__startswith="accounts.").count()


def send(client, method, url, raw: str | bytes):
    return getattr(client, method)(url, raw, content_type="application/json")


def login(client, username):
    from shequ.accounts.models import User

    client.force_login(User.objects.get(username=username))


MEASURE = {
    "method": "renovate",
    "description": "改造闲置用房",
    "planned_area": 60,
    "planned_date": "2027-06-30",
    "budget": 12.5,
    "status": "done",
    "actual_area": 60,
    "actual_date": "2026-10-01",
}
ASSET = {
    "kind": "school",
    "name": "原天生小学",
    "owner": "区教委",
    "address": "天生路 1 号",
    "street": TIANSHENG,
    "area": 420.5,
}


def _cases(objects, client):
    """(caller, method, url, valid body, the numeric leaves of that body) for every
    operation taking a JSON body with numbers; measures first (the issue's finding)."""
    row, plan = objects["row"], objects["plan"]
    login(client, "sjl-editor")
    made = send(client, "post", f"/api/v1/plans/{plan.pk}/measures", json.dumps(MEASURE))
    assert made.status_code == 200, made.json()
    measure_id = made.json()["measures"][0]["id"]
    measure_version = made.json()["measures"][0]["version"]
    login(client, "ts-editor")
    asset = send(client, "post", "/api/v1/assets", json.dumps(ASSET))
    assert asset.status_code == 200, asset.json()
    asset_id, asset_version = asset.json()["id"], asset.json()["version"]
    allocation = {"year": 2026, "street": TIANSHENG, "purpose": "service_center", "amount": 5}
    return [
        ("sjl-editor", "post", f"/api/v1/plans/{plan.pk}/measures", MEASURE),
        # The changes carry the version read (ADR 0040) and a value that differs from the
        # stored one, so that a version nobody read is refused (409), never taken.
        (
            "sjl-editor",
            "patch",
            f"/api/v1/plans/{plan.pk}/measures/{measure_id}",
            {**MEASURE, "planned_area": 70, "version": measure_version},
        ),
        ("sjl-editor", "patch", f"/api/v1/plans/{plan.pk}", {"target_year": 2027}),
        ("ts-editor", "post", "/api/v1/assets", ASSET),
        (
            "ts-editor",
            "patch",
            f"/api/v1/assets/{asset_id}",
            {"area": 400, "version": asset_version},
        ),
        (
            "ts-editor",
            "patch",
            f"/api/v1/ledger/rows/{row.pk}",
            {"version": row.version, "changes": {"households": 1234, "service_center": 400}},
        ),
        (
            "ts-editor",
            "patch",
            f"/api/v1/checklists/{XINXINGLU}",
            {"items": {"hall": {"present": True, "area": 120.5, "version": 0}}},
        ),
        ("qu-admin", "put", "/api/v1/subsidies/budgets/2026", {"amount": 200}),
        ("qu-admin", "post", "/api/v1/subsidies/allocations", allocation),
    ]


def _leaves(body, path=()):
    """The paths of the numbers in a body (booleans are no numbers here)."""
    for key, value in body.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*path, key))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield (*path, key)


def _with_raw(body: dict, leaf: tuple, raw: str) -> str:
    """The body as JSON text with the number at `leaf` written as `raw`."""
    marker = "__NUMBER__"
    copy = json.loads(json.dumps(body))
    target = copy
    for key in leaf[:-1]:
        target = target[key]
    target[leaf[-1]] = marker
    return json.dumps(copy, ensure_ascii=False).replace(f'"{marker}"', raw)


def assert_error_shape(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= {"message", "field"}, body
    assert CHINESE.search(body["message"]), body
    assert body["field"] is None or isinstance(body["field"], str), body
    return body


def test_numbers_that_are_not_finite_or_out_of_range_are_refused_naming_the_field(client, objects):
    """NaN, ±Infinity, 1e309 (infinite as a float) and 1e15 into every number of every
    body: a 400 or 422 naming that number, nothing stored, every object still readable."""
    cases = _cases(objects, client)
    audit_before = changes()
    tried = 0
    for caller, method, url, body in cases:
        login(client, caller)
        for leaf in _leaves(body):
            for raw in NOT_FINITE + OUT_OF_RANGE:
                response = send(client, method, url, _with_raw(body, leaf, raw))
                tried += 1
                if leaf[-1] == "version" and raw in OUT_OF_RANGE:
                    # a whole number, not a measure: a version never read answers 409
                    assert_error_shape(response, 409)
                    continue
                refused = assert_error_shape(response, 400, 422)
                assert refused["field"] and leaf[-1] in refused["field"], (url, leaf, raw, refused)
    assert tried >= 16 * len(NOT_FINITE + OUT_OF_RANGE)
    assert changes() == audit_before  # not one of them was stored
    login(client, "sjl-editor")
    assert client.get(f"/api/v1/plans/{objects['plan'].pk}").status_code == 200
    login(client, "ts-editor")
    assert client.get(f"/api/v1/ledger/rows/{objects['row'].pk}").status_code == 200


def test_the_largest_figure_a_field_holds_is_taken_and_one_more_is_refused(client, objects):
    plan = objects["plan"]
    login(client, "sjl-editor")
    url = f"/api/v1/plans/{plan.pk}/measures"
    largest = {**MEASURE, "planned_area": float(MEASURE_MAX_AREA), "status": "not_started"}
    largest |= {"budget": float(MEASURE_MAX_BUDGET), "actual_area": None, "actual_date": None}
    taken = send(client, "post", url, json.dumps(largest))
    assert taken.status_code == 200, taken.json()
    assert taken.json()["measures"][-1]["planned_area"] == float(MEASURE_MAX_AREA)
    over = send(client, "post", url, json.dumps({**largest, "budget": 1e8}))
    assert assert_error_shape(over, 422)["field"] == "budget"
    tenths = send(client, "post", url, json.dumps({**largest, "planned_area": 10.25}))
    assert assert_error_shape(tenths, 400, 422)["field"] == "planned_area"


def test_the_document_gives_every_number_of_a_body_its_range(client, objects):
    """Each `number` in a request body has a minimum and a maximum, the same the domain
    checks; and no object of a body takes keys it does not list."""
    login(client, "qu-admin")
    document = client.get("/api/v1/openapi.json").json()
    ranges = {}
    closed = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema:
                _walk(schema, f"{method} {path}", ranges, closed)
    assert closed and all(closed), closed
    assert ranges and all(r != (None, None) for r in ranges.values()), ranges
    assert ranges["post /api/v1/assets area"][1] == float(ASSET_MAX_AREA)
    assert ranges["patch /api/v1/checklists/{community} area"][1] == float(CHECKLIST_MAX_AREA)
    assert ranges["put /api/v1/subsidies/budgets/{year} amount"][1] == float(MAX_AMOUNT)
    assert ranges["post /api/v1/plans/{plan_id}/measures budget"][1] == float(MEASURE_MAX_BUDGET)


def _walk(schema, where, ranges, closed, name=""):
    kinds = [schema, *schema.get("anyOf", [])]
    for kind in kinds:
        if kind.get("type") == "number":
            ranges[f"{where} {name}"] = (kind.get("minimum"), kind.get("maximum"))
        if kind.get("type") == "object":
            if "properties" in kind:
                closed.append(kind.get("additionalProperties") is False)
            for key, value in kind.get("properties", {}).items():
                _walk(value, where, ranges, closed, key)
            extra = kind.get("additionalProperties")
            if isinstance(extra, dict) and extra.get("type") == "object":
                _walk(extra, where, ranges, closed, name)
            # A free mapping of figures (a row's `changes`) is read by the ledger's rules,
            # field by field (ledger.values), not by the document.


def test_unknown_keys_are_refused_naming_the_key(client, objects):
    cases = _cases(objects, client)
    audit_before = changes()
    for caller, method, url, body in cases:
        login(client, caller)
        response = send(client, method, url, json.dumps({**body, "plannedArea": 1}))
        refused = assert_error_shape(response, 422)
        assert refused["field"] == "plannedArea" and "不认识" in refused["message"], refused
    login(client, "ts-editor")
    nested = {"items": {"hall": {"present": True, "aera": 120.5, "version": 0}}}
    response = send(client, "patch", f"/api/v1/checklists/{XINXINGLU}", json.dumps(nested))
    assert assert_error_shape(response, 422)["field"] == "items.hall.aera"
    assert changes() == audit_before


def test_deep_nesting_and_oversized_bodies_are_refused_in_the_json_shape(client, objects):
    row = objects["row"]
    login(client, "ts-editor")
    url = f"/api/v1/ledger/rows/{row.pk}"
    for depth in (40, 100_000):
        deep = '{"version": 1, "changes": {"remarks": ' + "[" * depth + "]" * depth + "}}"
        assert "嵌套" in assert_error_shape(send(client, "patch", url, deep), 422)["message"]
    big = json.dumps({"version": 1, "changes": {"remarks": "x" * (2 * 1024 * 1024)}})
    assert "过大" in assert_error_shape(send(client, "patch", url, big), 413)["message"]
    for broken in ("{", "[1, 2", b"\xff\xfe", "NaN"):
        assert_error_shape(send(client, "patch", url, broken), 422)


def test_validation_messages_are_chinese(client, objects):
    plan = objects["plan"]
    login(client, "sjl-editor")
    url = f"/api/v1/plans/{plan.pk}/measures"
    missing = send(client, "post", url, json.dumps({"method": "renovate"}))
    body = assert_error_shape(missing, 422)
    assert all(CHINESE.search(e["message"]) for e in body["errors"]), body
    wrong = send(client, "post", url, json.dumps({**MEASURE, "planned_date": "明天"}))
    assert assert_error_shape(wrong, 422)["field"] == "planned_date"
    assert not re.search(r"Input|should|valid", wrong.content.decode()), wrong.json()
    query = client.get("/api/v1/plans", {"limit": "abc"})
    assert "整数" in assert_error_shape(query, 422)["message"]


METHODS = ("get", "post", "put", "patch", "delete")


@pytest.mark.parametrize("debug", [False, True])
def test_every_api_error_is_json_in_the_documented_shape(client, objects, settings, debug):
    """A method a path does not take (405, with Allow), a path parameter of the wrong type,
    a refused token, a session write without its CSRF token: never HTML, also in DEBUG."""
    settings.DEBUG = debug
    login(client, "qu-admin")
    document = client.get("/api/v1/openapi.json").json()
    tried = 0
    for path, operations in document["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in METHODS:
            if method not in operations:
                response = getattr(client, method)(url)
                assert_error_shape(response, 405)
                assert response["Allow"], url
                tried += 1
    assert tried >= 40
    assert_error_shape(client.get("/api/v1/plans/abc"), 422)
    anonymous = type(client)()
    assert_error_shape(anonymous.get("/api/v1/plans/1", HTTP_AUTHORIZATION="Bearer nonsense"), 401)
    strict = type(client)(enforce_csrf_checks=True)
    login(strict, "qu-admin")
    assert_error_shape(send(strict, "put", "/api/v1/subsidies/budgets/2026", "{}"), 403)
