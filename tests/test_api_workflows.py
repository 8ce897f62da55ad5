"""The API's write operations beyond the ledger, from the outside: a plan from its first
measure to 销号 with evidence, a street's implementation plan, the idle assets register,
the subsidy, and the checklist with its photos — each refused where the pages refuse it,
with the same Chinese message and the field at fault."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shequ.accounts.models import Role
from shequ.checklist.models import ChecklistEntry
from shequ.core.models import AuditEvent
from shequ.plans.models import Plan
from shequ.subsidy.models import SubsidyAllocation

from .conftest import PASSWORD, TIANSHENG, make_user
from .ledger_helpers import approve_street, open_period, set_target

pytestmark = pytest.mark.django_db

SHIJIALIANG = "500109108"
TONGJIAXI = "500109104"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def short_street(beibei):
    """石家梁 approved short in 2026H2: one plan per community, drafted by the approval."""
    set_target(2026)
    set_target(2027)
    approve_street(open_period("2026H2"), SHIJIALIANG, households=1000, service_center="250.0")
    return Plan.objects.filter(street__code=SHIJIALIANG).order_by("community__code").first()


def as_user(client, username: str, code: str, role: str):
    make_user(username, code, role)
    client.login(username=username, password=PASSWORD)
    return client


def send(client, method: str, url: str, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


MEASURE = {
    "method": "renovate",
    "description": "改造闲置用房",
    "planned_area": 60,
    "planned_date": "2027-06-30",
}


def test_a_plan_goes_from_its_first_measure_to_closed_with_evidence(client, short_street):
    plan = short_street
    as_user(client, "sjl-editor", SHIJIALIANG, Role.EDITOR)
    base = f"/api/v1/plans/{plan.pk}"
    empty = client.post(f"{base}/start")
    assert empty.status_code == 400 and "至少一项措施" in empty.json()["message"]
    measure = send(client, "post", f"{base}/measures", MEASURE).json()["measures"][0]
    moved = send(client, "patch", base, {"target_year": 2027})
    assert moved.status_code == 200 and moved.json()["target_year"] == 2027
    assert send(client, "patch", base, {"target_year": 1999}).json()["field"] == "target_year"
    assert client.post(f"{base}/start").json()["state"] == "implementing"
    early = client.post(f"{base}/request-close")
    assert early.status_code == 400 and "未完成的措施" in early.json()["message"]
    done = {**MEASURE, "status": "done", "actual_area": 60, "actual_date": "2026-11-01"}
    changed = send(client, "patch", f"{base}/measures/{measure['id']}", {**done, "version": 1})
    assert changed.json()["measures"][0]["version"] == 2
    assert client.post(f"{base}/request-close").json()["state"] == "pending"
    # 销号 and sending back belong to the approvers.
    assert send(client, "post", f"{base}/send-back", {"reason": "x"}).status_code == 403
    assert client.post(f"{base}/close", {"closed_on": "2026-11-20", "note": "x"}).status_code == 403

    client.logout()
    as_user(client, "qu-approver", "500109", Role.APPROVER)
    blank = send(client, "post", f"{base}/send-back", {"reason": " "})
    assert blank.status_code == 400 and blank.json()["field"] == "reason"
    assert send(client, "post", f"{base}/send-back", {"reason": "佐证不全"}).json()["state"] == (
        "implementing"
    )
    not_yet = client.post(f"{base}/close", {"closed_on": "2026-11-20", "note": "已完成改造"})
    assert not_yet.status_code == 400 and "尚未达标" in not_yet.json()["message"]

    approve_street(open_period("2027H1"), SHIJIALIANG, households=1000, service_center="320.0")
    plan.refresh_from_db()
    assert plan.state == "pending"  # the approval showed it compliant
    wrong = client.post(
        f"{base}/close",
        {
            "closed_on": "2026-11-20",
            "note": "已完成改造",
            "evidence": SimpleUploadedFile("run.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "evidence"
    bad_date = client.post(f"{base}/close", {"closed_on": "20.11.2026", "note": "已完成改造"})
    assert bad_date.status_code == 400 and bad_date.json()["field"] == "closed_on"
    closed = client.post(
        f"{base}/close",
        {
            "closed_on": "2026-11-20",
            "note": "已完成改造",
            "evidence": SimpleUploadedFile("验收报告.pdf", PDF),
        },
    )
    assert closed.status_code == 200, closed.json()
    assert closed.json()["state"] == "closed" and closed.json()["closed_on"] == "2026-11-20"
    evidence = client.get(f"{base}/evidence")
    assert evidence.status_code == 200 and b"".join(evidence.streaming_content) == PDF
    assert "attachment" in evidence["Content-Disposition"]
    assert AuditEvent.objects.filter(target_type="plan", target_id=plan.pk).count() >= 6

    client.logout()
    as_user(client, "tjx-editor", TONGJIAXI, Role.EDITOR)
    assert client.get(f"{base}/evidence").status_code == 404


def test_a_measure_is_deleted_as_the_caller_read_it(client, short_street):
    """DELETE …/measures/{id}?version=N: the plan as it is after; refused with 409 and
    the current plan once someone changed the measure, 422 without a version, 403 for
    a reader of the street, and nothing deleted by any refusal."""
    plan = short_street
    base = f"/api/v1/plans/{plan.pk}/measures"
    as_user(client, "sjl-editor", SHIJIALIANG, Role.EDITOR)
    first = send(client, "post", base, MEASURE).json()["measures"][0]
    second = send(client, "post", base, {**MEASURE, "description": "新建活动室"}).json()
    second = next(m for m in second["measures"] if m["id"] != first["id"])
    url = f"{base}/{first['id']}"

    unread = client.delete(url)
    assert unread.status_code == 422 and unread.json()["field"] == "version"
    changed = send(client, "patch", url, {**MEASURE, "planned_area": 70, "version": 1})
    assert changed.json()["measures"][0]["version"] == 2
    stale = client.delete(f"{url}?version=1")
    assert stale.status_code == 409
    refused = "措施“改造闲置用房”在您查看之后已被他人修改，没有删除"
    assert stale.json()["message"].startswith(refused)
    assert {m["id"] for m in stale.json()["current"]["measures"]} == {first["id"], second["id"]}

    client.logout()
    as_user(client, "sjl-viewer", SHIJIALIANG, Role.VIEWER)
    assert client.delete(f"{url}?version=2").status_code == 403
    client.logout()
    as_user(client, "ts-editor", TIANSHENG, Role.EDITOR)
    assert client.delete(f"{url}?version=2").status_code == 404
    assert plan.measures.count() == 2

    client.logout()
    client.login(username="sjl-editor", password=PASSWORD)
    deleted = client.delete(f"{url}?version=2")
    assert deleted.status_code == 200
    assert [m["id"] for m in deleted.json()["measures"]] == [second["id"]]
    assert client.delete(f"{url}?version=2").status_code == 404  # gone
    assert AuditEvent.objects.filter(action="plans.measure_delete").count() == 1


def test_an_oversized_upload_is_refused_before_it_is_stored(client, short_street, settings):
    plan = short_street
    plan.state = "pending"
    plan.save()
    as_user(client, "qu-approver", "500109", Role.APPROVER)
    approve_street(open_period("2027H1"), SHIJIALIANG, households=1000, service_center="320.0")
    huge = PDF + b"0" * (10 * 1024 * 1024)
    refused = client.post(
        f"/api/v1/plans/{plan.pk}/close",
        {
            "closed_on": "2026-11-20",
            "note": "已完成",
            "evidence": SimpleUploadedFile("big.pdf", huge),
        },
    )
    assert refused.status_code == 400 and refused.json()["field"] == "evidence"
    assert "10 MB" in refused.json()["message"]
    plan.refresh_from_db()
    assert plan.state == "pending" and not plan.evidence


def test_a_street_files_its_implementation_plan(client, short_street):
    as_user(client, "sjl-approver", SHIJIALIANG, Role.APPROVER)
    url = f"/api/v1/street-plans/{SHIJIALIANG}/2027"
    before = client.get(url).json()
    assert before["document"] is None and len(before["communities"]) == 5
    assert before["gap_m2"] == pytest.approx(5 * 50.0)  # 30 − 25 m² per 100 households × 10
    filed = client.post(
        url,
        {"title": "石家梁街道2027年实施方案", "document": SimpleUploadedFile("方案.pdf", PDF)},
    )
    assert filed.status_code == 200, filed.json()
    assert filed.json()["document"]["title"] == "石家梁街道2027年实施方案"
    assert filed.json()["document"]["file_name"] == "方案.pdf"
    download = client.get(f"{url}/document")
    assert b"".join(download.streaming_content) == PDF
    listed = client.get("/api/v1/street-plans", {"year": 2027}).json()
    assert [item["street"]["code"] for item in listed["items"]] == [SHIJIALIANG]
    untitled = client.post(url, {"title": " "})
    assert untitled.status_code == 400 and untitled.json()["field"] == "title"

    client.logout()
    as_user(client, "qu-viewer", "500109", Role.VIEWER)
    assert client.get("/api/v1/street-plans", {"year": 2027}).json()["count"] == 17
    assert client.post(url, {"title": "x"}).status_code == 403


ASSET = {
    "kind": "school",
    "name": "原天生小学",
    "owner": "区教委",
    "address": "天生路 2 号",
    "street": TIANSHENG,
    "area": 420.5,
}


def test_a_street_keeps_its_idle_assets(client, beibei, tiansheng_editor):
    client.login(username="tiansheng-editor", password=PASSWORD)
    created = send(client, "post", "/api/v1/assets", ASSET)
    assert created.status_code == 200, created.json()
    asset = created.json()
    assert asset["code"] == f"{TIANSHENG}-001" and asset["area"] == 420.5
    elsewhere = send(client, "post", "/api/v1/assets", {**ASSET, "street": TONGJIAXI})
    assert elsewhere.status_code == 404
    bad = send(client, "post", "/api/v1/assets", {**ASSET, "area": 0})
    assert bad.status_code == 400 and bad.json()["field"] == "area"
    assert asset["version"] == 1
    rename = {"name": "原天生小学北楼", "version": 1}
    renamed = send(client, "patch", f"/api/v1/assets/{asset['id']}", rename)
    assert renamed.json()["name"] == "原天生小学北楼" and renamed.json()["area"] == 420.5
    assert renamed.json()["version"] == 2
    move = {"street": TONGJIAXI, "version": 2}
    moved = send(client, "patch", f"/api/v1/assets/{asset['id']}", move)
    assert moved.status_code == 404
    listed = client.get("/api/v1/assets", {"kind": "school"}).json()
    assert [a["id"] for a in listed["items"]] == [asset["id"]]

    client.logout()
    as_user(client, "qu-viewer", "500109", Role.VIEWER)
    assert client.get(f"/api/v1/assets/{asset['id']}").json()["code"] == asset["code"]
    assert send(client, "post", "/api/v1/assets", ASSET).status_code == 403


def test_the_district_allocates_and_pays_its_subsidy(client, short_street):
    as_user(client, "qu-admin", "500109", Role.ADMIN)
    budget = send(client, "put", "/api/v1/subsidies/budgets/2027", {"amount": 50})
    assert budget.status_code == 200 and budget.json()["budget"] == 50
    allocation = {"year": 2027, "street": SHIJIALIANG, "purpose": "service_center", "amount": 46}
    made = send(client, "post", "/api/v1/subsidies/allocations", allocation)
    assert made.status_code == 200, made.json()
    assert made.json()["amount"] == 46 and made.json()["warnings"]  # over 90 % of the budget
    over = send(client, "post", "/api/v1/subsidies/allocations", {**allocation, "amount": 4.01})
    assert over.status_code == 400 and over.json()["field"] == "amount"
    assert "剩余 4.00 万元" in over.json()["message"]
    no_measure = send(
        client, "post", "/api/v1/subsidies/allocations", {**allocation, "purpose": "measure"}
    )
    assert no_measure.status_code == 400 and no_measure.json()["field"] == "measure"
    allocation_id = made.json()["id"]
    status = client.get("/api/v1/subsidies/budgets/2027").json()
    assert (status["allocated"], status["remaining"]) == (46, 4)

    client.logout()
    as_user(client, "sjl-viewer", SHIJIALIANG, Role.VIEWER)
    own = client.get("/api/v1/subsidies/budgets/2027").json()
    assert own["budget"] is None and own["allocated"] == 46  # its money, not the district's
    assert client.get("/api/v1/subsidies/allocations").json()["count"] == 1
    pay = send(client, "post", f"/api/v1/subsidies/allocations/{allocation_id}/pay")
    assert pay.status_code == 403

    client.logout()
    as_user(client, "qu-approver", "500109", Role.APPROVER)
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    late = send(
        client,
        "post",
        f"/api/v1/subsidies/allocations/{allocation_id}/pay",
        {"paid_on": future, "version": 1},
    )
    assert late.status_code == 400 and late.json()["field"] == "paid_on"
    paid = send(
        client,
        "post",
        f"/api/v1/subsidies/allocations/{allocation_id}/pay",
        {"paid_on": "2026-11-02", "version": 1},
    )
    assert paid.json()["state"] == "paid"
    assert (
        send(
            client,
            "post",
            f"/api/v1/subsidies/allocations/{allocation_id}/cancel",
            {"reason": "x", "version": 2},
        ).status_code
        == 403
    )

    client.logout()
    client.login(username="qu-admin", password=PASSWORD)
    refused = send(
        client,
        "post",
        f"/api/v1/subsidies/allocations/{allocation_id}/cancel",
        {"reason": "错", "version": 2},
    )
    assert refused.status_code == 400 and "已拨付" in refused.json()["message"]
    assert SubsidyAllocation.objects.get(pk=allocation_id).amount == Decimal("46.00")


def test_a_community_checklist_is_saved_all_or_nothing_with_its_photos(
    client, beibei, tiansheng_editor
):
    community = "500109001028"
    client.login(username="tiansheng-editor", password=PASSWORD)
    url = f"/api/v1/checklists/{community}"
    saved = send(
        client,
        "patch",
        url,
        {
            "items": {
                "hall": {"present": True, "area": 120.5, "room_name": "一楼大厅", "version": 0},
                "council": {"present": True, "room_name": "一楼大厅", "version": 0},
                "plaque_party": {"present": True, "version": 0},
            }
        },
    )
    assert saved.status_code == 200, saved.json()
    assert saved.json()["present"] == 3 and saved.json()["total"] == 19
    hall = next(i for i in saved.json()["items"] if i["code"] == "hall")
    assert hall["area"] == 120.5 and hall["shared_with"] == ["居民议事室"]
    bad = send(
        client,
        "patch",
        url,
        {
            "items": {
                "reading": {"present": True, "version": 0},
                "hall": {"present": True, "area": 1.25, "version": 1},
            }
        },
    )
    assert bad.status_code == 400 and bad.json()["field"] == "items.hall.area"
    assert not ChecklistEntry.objects.filter(community__code=community, item="reading").exists()

    photo = client.post(f"{url}/hall/photo", {"photo": SimpleUploadedFile("hall.png", PNG)})
    assert photo.status_code == 200, photo.content
    shown = client.get(f"{url}/hall/photo")
    assert shown["Content-Type"] == "image/png" and b"".join(shown.streaming_content) == PNG
    assert client.delete(f"{url}/hall/photo").status_code == 200
    assert client.get(f"{url}/hall/photo").status_code == 404
    listed = client.get("/api/v1/checklists").json()
    assert listed["items"][0]["community"]["code"] == community
    assert listed["items"][0]["present"] == 3
