"""Two people editing the same idle asset, checklist item, measure or allocation (issue 25):
both read the same version; the first save goes through, the second is refused with 409 —
in the API with each field's value sent and stored and the object as it is now, on the
page with the current values beside the input it keeps — and nothing of the first is
overwritten. Sent again from the conflict page, the second user's input is saved."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from shequ.accounts.models import Role, User
from shequ.accounts.scope import operator_scope, scope_for
from shequ.assets.models import IdleAsset
from shequ.assets.services import asset_create, asset_update
from shequ.checklist.models import ChecklistEntry
from shequ.core.errors import NotAllowed, OutOfScope
from shequ.core.models import AuditEvent
from shequ.core.versions import StaleEdit, conflicts_with, require_current
from shequ.core.versions import text as versions_text
from shequ.plans.models import Measure, Plan
from shequ.plans.services import MEASURE_FIELDS
from shequ.subsidy import services as subsidy
from shequ.subsidy.models import SubsidyAllocation
from shequ.workflow import measures

from .conftest import PASSWORD, TIANSHENG, make_user, region
from .ledger_helpers import approve_street, open_period, set_target
from .page_forms import form_values

pytestmark = pytest.mark.django_db

COMMUNITY = "500109001028"  # a community of 天生街道
TONGJIAXI = "500109104"
TODAY = timezone.localdate()


def signed_in(username: str, code: str, role: str) -> Client:
    make_user(username, code, role)
    client = Client()
    client.login(username=username, password=PASSWORD)
    return client


def patch(client: Client, url: str, body: dict):
    return client.patch(url, json.dumps(body), content_type="application/json")


def by_field(answer) -> dict[str, dict]:
    return {c["field"]: c for c in answer.json()["conflicts"]}


# ---------------------------------------------------------------- idle assets


@pytest.fixture
def an_asset(beibei) -> IdleAsset:
    return school_asset()


def school_asset() -> IdleAsset:
    """The idle school in 天生街道 that two users edit (also the browser test's)."""
    return asset_create(
        scope=operator_scope(),
        values={
            "code": "S-7",
            "kind": IdleAsset.Kind.SCHOOL,
            "name": "原天生小学",
            "owner": "区教委",
            "address": "天生路 1 号",
            "street": region(TIANSHENG),
            "area": Decimal("300.0"),
        },
    )


@pytest.fixture
def two_street_users(beibei) -> tuple[Client, Client]:
    return (
        signed_in("tiansheng-editor", TIANSHENG, Role.EDITOR),
        signed_in("tiansheng-approver", TIANSHENG, Role.APPROVER),
    )


def test_two_api_edits_of_an_asset_one_200_one_409_with_both_values(an_asset, two_street_users):
    first, second = two_street_users
    url = f"/api/v1/assets/{an_asset.pk}"
    read = first.get(url).json()["version"]
    assert second.get(url).json()["version"] == read

    saved = patch(first, url, {"version": read, "name": "天生小学北楼", "area": 320})
    refused = patch(second, url, {"version": read, "name": "天生小学南楼", "notes": "钥匙在社区"})

    assert saved.status_code == 200 and saved.json()["version"] == read + 1
    assert refused.status_code == 409
    body = refused.json()
    assert "已被他人修改" in body["message"] and body["field"] is None
    assert by_field(refused)["name"] == {
        "field": "name",
        "label": "名称",
        "yours": "天生小学南楼",
        "current": "天生小学北楼",
    }
    assert by_field(refused)["notes"]["yours"] == "钥匙在社区"
    assert body["current"]["name"] == "天生小学北楼" and body["current"]["version"] == read + 1
    an_asset.refresh_from_db()
    assert (an_asset.name, an_asset.area, an_asset.notes) == ("天生小学北楼", 320, "")

    # Having seen what is stored, the second user sends theirs against the current version.
    again = patch(second, url, {"version": read + 1, "name": "天生小学南楼"})
    assert again.status_code == 200 and again.json()["name"] == "天生小学南楼"


def test_an_api_client_sending_what_is_already_stored_is_not_refused(an_asset, two_street_users):
    first, second = two_street_users
    url = f"/api/v1/assets/{an_asset.pk}"
    assert patch(first, url, {"version": 1, "name": "天生小学北楼"}).status_code == 200
    same = patch(second, url, {"version": 1, "name": "天生小学北楼"})
    assert same.status_code == 200  # nobody's change is lost


def test_an_asset_patch_without_its_version_is_malformed(an_asset, two_street_users):
    first, _ = two_street_users
    answer = patch(first, f"/api/v1/assets/{an_asset.pk}", {"name": "天生小学北楼"})
    assert answer.status_code == 422
    an_asset.refresh_from_db()
    assert an_asset.name == "原天生小学"


def test_two_page_edits_of_an_asset_the_second_sees_both_and_keeps_its_input(
    an_asset, two_street_users
):
    first, second = two_street_users
    url = f"/assets/{an_asset.pk}/"
    mine = form_values(first.get(url).content.decode(), "asset-form")
    theirs = form_values(second.get(url).content.decode(), "asset-form")
    assert mine["version"] == theirs["version"] == "1"

    assert first.post(url, mine | {"name": "天生小学北楼", "area": "320"}).status_code == 302
    refused = second.post(url, theirs | {"name": "天生小学南楼", "owner": "区教委后勤科"})

    assert refused.status_code == 409
    html = refused.content.decode()
    assert "已被他人修改" in html and 'data-testid="conflict"' in html
    # The current values beside theirs, and their input still in the form.
    assert "天生小学北楼" in html and "320" in html
    kept = form_values(html, "asset-form")
    assert kept["name"] == "天生小学南楼" and kept["owner"] == "区教委后勤科"
    assert kept["version"] == "2"
    an_asset.refresh_from_db()
    assert (an_asset.name, an_asset.owner) == ("天生小学北楼", "区教委")

    assert kept["area"] == "320.0"  # what they did not change shows what is stored now

    assert second.post(url, kept).status_code == 302  # re-applied without retyping
    an_asset.refresh_from_db()
    assert (an_asset.name, an_asset.owner, an_asset.area) == ("天生小学南楼", "区教委后勤科", 320)


def second_asset_save(asset, users, first_changes: dict, second_changes: dict):
    """Both users read the asset's page; the first saves `first_changes`, then the second
    posts `second_changes` on what it read: refused with 409, whose answer is returned."""
    first, second = users
    url = f"/assets/{asset.pk}/"
    mine = form_values(first.get(url).content.decode(), "asset-form")
    theirs = form_values(second.get(url).content.decode(), "asset-form")
    assert first.post(url, mine | first_changes).status_code == 302
    refused = second.post(url, theirs | second_changes)
    assert refused.status_code == 409
    return refused


def test_a_conflicting_figure_reads_as_the_page_shows_its_column(an_asset, two_street_users):
    """630.0 ㎡ stored beside 610.0 typed, as the form shows them (a whole number cut to
    “630” read as another figure), and a budget in 万元 with its two places."""
    refused = second_asset_save(an_asset, two_street_users, {"area": "630"}, {"area": "610"})
    row = refused.content.decode().split('data-testid="conflict-area"')[1].split("</tr>")[0]
    assert "<td>630.0</td><td>610.0</td>" in row
    measure = Measure._meta.get_field("budget")
    assert measure.decimal_places == 2
    assert versions_text(Measure, "budget", Decimal("12")) == "12.00"


def test_a_page_edit_after_someone_elses_names_only_its_own_changes_and_keeps_theirs(
    an_asset, two_street_users
):
    """The page sends only what its user changed: the 409 names those fields, and sent
    again the form puts them on top of the other's change, which stands."""
    refused = second_asset_save(
        an_asset, two_street_users, {"area": "320"}, {"notes": "钥匙在社区"}
    )
    html = refused.content.decode()
    second, url = two_street_users[1], f"/assets/{an_asset.pk}/"
    assert 'data-testid="conflict-notes"' in html and 'data-testid="conflict-area"' not in html
    assert second.post(url, form_values(html, "asset-form")).status_code == 302
    an_asset.refresh_from_db()
    assert (an_asset.area, an_asset.notes, an_asset.version) == (320, "钥匙在社区", 3)


def test_a_stale_service_call_is_refused_where_its_values_differ_only(an_asset):
    scope = operator_scope()
    read = an_asset.version
    asset_update(scope=scope, asset=an_asset, values={"notes": "x"}, expected_version=read)
    with pytest.raises(StaleEdit) as refused:
        asset_update(scope=scope, asset=an_asset, values={"notes": "y"}, expected_version=read)
    assert [(c.field, c.yours, c.current) for c in refused.value.conflicts] == [("notes", "y", "x")]
    # The same value as stored loses nobody's change.
    asset_update(scope=scope, asset=an_asset, values={"notes": "x"}, expected_version=read)


# ---------------------------------------------------------------- checklist items


def test_two_api_edits_of_a_checklist_item_one_200_one_409_with_both_values(
    two_street_users,
):
    first, second = two_street_users
    url = f"/api/v1/checklists/{COMMUNITY}"
    hall = next(i for i in first.get(url).json()["items"] if i["code"] == "hall")
    assert hall["version"] == 0  # never saved

    saved = patch(first, url, {"items": {"hall": {"present": True, "area": 80, "version": 0}}})
    refused = patch(
        second,
        url,
        {
            "items": {
                "hall": {"present": True, "area": 95, "room_name": "一楼", "version": 0},
                "reading": {"present": True, "version": 0},
            }
        },
    )
    assert saved.status_code == 200
    assert refused.status_code == 409
    conflicts = by_field(refused)
    assert conflicts["items.hall.area"] == {
        "field": "items.hall.area",
        "label": "服务大厅·面积",
        "yours": 95.0,
        "current": 80.0,
    }
    assert conflicts["items.hall.room_name"]["yours"] == "一楼"
    assert "items.hall.present" not in conflicts  # the same on both sides
    current = {i["code"]: i for i in refused.json()["current"]["items"]}
    assert current["hall"]["version"] == 1 and current["hall"]["area"] == 80
    # All or nothing: the other item of the refused save is not written either.
    assert not ChecklistEntry.objects.filter(community__code=COMMUNITY, item="reading").exists()


def test_two_page_edits_of_a_checklist_item_the_second_sees_both_and_keeps_its_input(
    two_street_users,
):
    first, second = two_street_users
    url = f"/checklist/{COMMUNITY}/"
    mine = form_values(first.get(url).content.decode(), "checklist-form")
    theirs = form_values(second.get(url).content.decode(), "checklist-form")
    assert mine["hall-version"] == theirs["hall-version"] == "0"

    typed = {"hall-present": "on", "hall-area": "80"}
    assert first.post(url, mine | typed).status_code == 302
    refused = second.post(url, theirs | {"hall-present": "on", "hall-area": "95"})

    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'data-testid="conflict"' in html and "服务大厅·面积" in html
    kept = form_values(html, "checklist-form")
    assert kept["hall-area"] == "95" and kept["hall-version"] == "1"
    entry = ChecklistEntry.objects.get(community__code=COMMUNITY, item="hall")
    assert entry.area == Decimal("80.0")

    assert second.post(url, kept).status_code == 302
    entry.refresh_from_db()
    assert entry.area == Decimal("95.0") and entry.version == 2


# ---------------------------------------------------------------- measures


@pytest.fixture
def a_measure(beibei) -> Measure:
    approve_street(open_period("2026H1"), TONGJIAXI, households=1000, service_center="250.0")
    plan = Plan.objects.filter(street__code=TONGJIAXI).order_by("community__code").first()
    return measures.measure_save(
        scope=operator_scope(),
        plan=plan,
        values={
            "method": Measure.Method.RENOVATE,
            "description": "改造闲置用房",
            "planned_area": Decimal("60.0"),
            "planned_date": TODAY + datetime.timedelta(days=90),
            "status": Measure.Status.NOT_STARTED,
        },
    )


@pytest.fixture
def two_tongjiaxi_users(beibei) -> tuple[Client, Client]:
    return (
        signed_in("tongjiaxi-editor", TONGJIAXI, Role.EDITOR),
        signed_in("tongjiaxi-approver", TONGJIAXI, Role.APPROVER),
    )


def measure_body(measure: Measure, **changes) -> dict:
    return {
        "method": measure.method,
        "description": measure.description,
        "planned_area": float(measure.planned_area),
        "planned_date": measure.planned_date.isoformat(),
        "status": measure.status,
        "version": measure.version,
    } | changes


def test_two_api_edits_of_a_measure_one_200_one_409_with_both_values(
    a_measure, two_tongjiaxi_users
):
    first, second = two_tongjiaxi_users
    url = f"/api/v1/plans/{a_measure.plan_id}/measures/{a_measure.pk}"
    saved = patch(first, url, measure_body(a_measure, planned_area=80, responsible="街道办"))
    refused = patch(second, url, measure_body(a_measure, planned_area=70))
    assert saved.status_code == 200
    assert refused.status_code == 409
    assert by_field(refused)["planned_area"] == {
        "field": "planned_area",
        "label": "计划面积（㎡）",
        "yours": 70.0,
        "current": 80.0,
    }
    # Their form had no 责任单位: the stored one is named as a difference too.
    assert by_field(refused)["responsible"]["current"] == "街道办"
    assert refused.json()["current"]["measures"][0]["version"] == 2
    a_measure.refresh_from_db()
    assert (a_measure.planned_area, a_measure.responsible) == (Decimal("80.0"), "街道办")


def test_two_page_edits_of_a_measure_the_second_sees_both_and_keeps_its_input(
    a_measure, two_tongjiaxi_users
):
    first, second = two_tongjiaxi_users
    url = f"/plans/{a_measure.plan_id}/"
    edit = f"{url}?edit={a_measure.pk}"
    mine = form_values(first.get(edit).content.decode(), "measure-form")
    theirs = form_values(second.get(edit).content.decode(), "measure-form")
    assert mine["m-version"] == theirs["m-version"] == "1"

    assert first.post(url, mine | {"m-planned_area": "80"}).status_code == 302
    refused = second.post(url, theirs | {"m-description": "改造闲置校舍"})

    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'data-testid="conflict"' in html and "计划面积（㎡）" in html
    kept = form_values(html, "measure-form")
    assert kept["m-description"] == "改造闲置校舍" and kept["m-version"] == "2"
    a_measure.refresh_from_db()
    assert (a_measure.description, a_measure.planned_area) == ("改造闲置用房", Decimal("80.0"))


# ---------------------------------------------------------------- allocations


@pytest.fixture
def an_allocation(beibei) -> SubsidyAllocation:
    set_target(2026)
    scope = operator_scope()
    subsidy.budget_set(scope=scope, year=2026, amount=Decimal("100"))
    return subsidy.allocation_create(
        scope=scope,
        year=2026,
        street=region(TIANSHENG),
        purpose=SubsidyAllocation.Purpose.SERVICE_CENTER,
        amount=Decimal("20"),
    ).allocation


@pytest.fixture
def two_admins(beibei) -> tuple[Client, Client]:
    return (
        signed_in("qu-admin", "500109", Role.ADMIN),
        signed_in("qu-admin-2", "500109", Role.ADMIN),
    )


def test_two_api_edits_of_an_allocation_one_200_one_409_with_both_values(an_allocation, two_admins):
    first, second = two_admins
    url = f"/api/v1/subsidies/allocations/{an_allocation.pk}"
    body = {"year": 2026, "street": TIANSHENG, "purpose": "service_center", "version": 1}
    saved = patch(first, url, body | {"amount": 30})
    refused = patch(second, url, body | {"amount": 25, "notes": "按进度"})
    assert saved.status_code == 200
    assert refused.status_code == 409
    assert by_field(refused)["amount"] == {
        "field": "amount",
        "label": "金额（万元）",
        "yours": 25.0,
        "current": 30.0,
    }
    assert refused.json()["current"]["amount"] == 30 and refused.json()["current"]["version"] == 2
    an_allocation.refresh_from_db()
    assert (an_allocation.amount, an_allocation.notes) == (Decimal("30.00"), "")


def test_two_page_edits_of_an_allocation_the_second_sees_both_and_keeps_its_input(
    an_allocation, two_admins
):
    first, second = two_admins
    edit = f"/subsidy/?year=2026&edit={an_allocation.pk}"
    mine = form_values(first.get(edit).content.decode(), "allocation-form")
    theirs = form_values(second.get(edit).content.decode(), "allocation-form")
    assert mine["a-version"] == theirs["a-version"] == "1"

    assert first.post("/subsidy/", mine | {"a-amount": "30"}).status_code == 302
    refused = second.post("/subsidy/", theirs | {"a-amount": "25"})

    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'data-testid="conflict"' in html and "金额（万元）" in html
    kept = form_values(html, "allocation-form")
    assert kept["a-amount"] == "25" and kept["a-version"] == "2"
    an_allocation.refresh_from_db()
    assert an_allocation.amount == Decimal("30.00")
    assert second.post("/subsidy/", kept).status_code == 302
    an_allocation.refresh_from_db()
    assert an_allocation.amount == Decimal("25.00")


def test_paying_an_allocation_moves_its_version(an_allocation):
    paid = subsidy.allocation_mark_paid(
        scope=operator_scope(), allocation=an_allocation, paid_on=TODAY
    )
    assert paid.version == an_allocation.version + 1


# ---------------------------------------------------------------- acts on what the user saw
# Deleting a measure, paying or cancelling an allocation send the version the page or the
# client read: decided on what someone has since changed, they are refused (409) and
# nothing happens; read again, they go through.


def post_json(client: Client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


def audited(action: str, target_id) -> int:
    return AuditEvent.objects.filter(action=action, target_id=str(target_id)).count()


def test_a_page_deleting_a_measure_someone_changed_since_is_refused(a_measure, two_tongjiaxi_users):
    first, second = two_tongjiaxi_users
    url = f"/plans/{a_measure.plan_id}/"
    edit = f"{url}?edit={a_measure.pk}"
    mine = form_values(first.get(edit).content.decode(), "measure-form")
    theirs = form_values(second.get(url).content.decode(), "measure-delete-form")
    assert theirs["version"] == "1"

    assert first.post(url, mine | {"m-planned_area": "80"}).status_code == 302
    refused = second.post(url, theirs | {"action": "delete"})

    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'data-testid="conflict"' in html and "已被他人修改，没有删除" in html
    a_measure.refresh_from_db()
    assert (a_measure.planned_area, a_measure.version) == (Decimal("80.0"), 2)
    assert audited("plans.measure", a_measure.plan_id) == 2  # added, then changed once
    assert audited("plans.measure_delete", a_measure.plan_id) == 0
    # The page drew it as it is now: deleting from there goes through.
    fresh = form_values(html, "measure-delete-form")
    assert fresh["version"] == "2"
    assert second.post(url, fresh | {"action": "delete"}).status_code == 302
    assert not Measure.objects.filter(pk=a_measure.pk).exists()
    assert audited("plans.measure_delete", a_measure.plan_id) == 1


def test_a_stale_measure_delete_is_refused_by_the_service_too(a_measure):
    scope = operator_scope()
    measures.measure_save(
        scope=scope,
        plan=a_measure.plan,
        values={name: getattr(a_measure, name) for name in MEASURE_FIELDS}
        | {"description": "改造闲置校舍"},
        measure=a_measure,
        expected_version=1,
    )
    with pytest.raises(StaleEdit, match="没有删除"):
        measures.measure_delete(scope=scope, measure=a_measure, expected_version=1)
    assert Measure.objects.filter(pk=a_measure.pk, version=2).exists()
    measures.measure_delete(scope=scope, measure=a_measure, expected_version=2)
    assert not Measure.objects.filter(pk=a_measure.pk).exists()


def test_deleting_a_measure_outside_ones_street_is_still_not_found(a_measure, beibei):
    outsider = signed_in("tiansheng-editor", TIANSHENG, Role.EDITOR)
    url = f"/plans/{a_measure.plan_id}/"
    for version in ("1", "7"):  # neither the right version nor a stale one gets past scope
        post = {"action": "delete", "measure": a_measure.pk, "version": version}
        assert outsider.post(url, post).status_code == 404
    scope = scope_for(User.objects.get(username="tiansheng-editor"))
    with pytest.raises((NotAllowed, OutOfScope)):
        measures.measure_delete(scope=scope, measure=a_measure, expected_version=7)
    assert Measure.objects.filter(pk=a_measure.pk, version=1).exists()


@pytest.fixture
def district_approver(beibei) -> Client:
    return signed_in("qu-approver", "500109", Role.APPROVER)


def test_an_api_payment_of_an_allocation_someone_changed_since_is_refused(
    an_allocation, two_admins, district_approver
):
    admin, _ = two_admins
    url = f"/api/v1/subsidies/allocations/{an_allocation.pk}"
    read = district_approver.get(url).json()["version"]
    body = {"year": 2026, "street": TIANSHENG, "purpose": "service_center", "version": read}
    assert patch(admin, url, body | {"amount": 30}).status_code == 200

    refused = post_json(district_approver, f"{url}/pay", {"paid_on": str(TODAY), "version": read})

    assert refused.status_code == 409
    answer = refused.json()
    assert "已被他人修改，没有拨付" in answer["message"] and answer["field"] is None
    assert answer["conflicts"] == []
    assert answer["current"]["amount"] == 30 and answer["current"]["version"] == read + 1
    an_allocation.refresh_from_db()
    assert (an_allocation.state, an_allocation.amount) == ("allocated", Decimal("30.00"))
    assert audited("subsidy.change", an_allocation.pk) == 1
    assert audited("subsidy.pay", an_allocation.pk) == 0

    paid = post_json(district_approver, f"{url}/pay", {"paid_on": str(TODAY), "version": read + 1})
    assert paid.status_code == 200
    assert paid.json()["state"] == "paid" and paid.json()["version"] == read + 2
    assert audited("subsidy.pay", an_allocation.pk) == 1


def test_an_api_payment_or_cancel_without_the_version_is_malformed(
    an_allocation, two_admins, district_approver
):
    url = f"/api/v1/subsidies/allocations/{an_allocation.pk}"
    payment = post_json(district_approver, f"{url}/pay", {"paid_on": str(TODAY)})
    cancel = post_json(two_admins[0], f"{url}/cancel", {"reason": "重复安排"})
    assert (payment.status_code, payment.json()["field"]) == (422, "version")
    assert (cancel.status_code, cancel.json()["field"]) == (422, "version")
    assert SubsidyAllocation.objects.filter(pk=an_allocation.pk, state="allocated").exists()


def refused_after_a_change(
    changer: Client, changes: dict, actor: Client, form: str, act: dict, allocation
) -> str:
    """`actor` reads the subsidy page (its `form` for `allocation` at version 1), `changer`
    then changes the allocation, and `actor` posts the form read: refused with 409 and the
    conflict notice, whose page is returned."""
    edit = f"/subsidy/?year=2026&edit={allocation.pk}"
    change = form_values(changer.get(edit).content.decode(), "allocation-form")
    read = form_values(actor.get("/subsidy/?year=2026").content.decode(), form)
    assert read["version"] == "1"
    assert changer.post("/subsidy/", change | changes).status_code == 302
    refused = actor.post("/subsidy/", read | act)
    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'data-testid="conflict"' in html
    return html


def test_a_page_payment_of_an_allocation_someone_changed_since_is_refused(
    an_allocation, two_admins, district_approver
):
    html = refused_after_a_change(
        two_admins[0], {"a-amount": "30"}, district_approver, "pay-form", {}, an_allocation
    )
    assert "已被他人修改，没有拨付" in html
    an_allocation.refresh_from_db()
    assert (an_allocation.state, an_allocation.amount) == ("allocated", Decimal("30.00"))
    assert audited("subsidy.change", an_allocation.pk) == 1
    assert audited("subsidy.pay", an_allocation.pk) == 0
    fresh = form_values(html, "pay-form")
    assert fresh["version"] == "2"
    assert district_approver.post("/subsidy/", fresh).status_code == 302
    an_allocation.refresh_from_db()
    assert (an_allocation.state, an_allocation.version) == ("paid", 3)


def test_an_api_cancel_of_an_allocation_someone_changed_since_is_refused(an_allocation, two_admins):
    first, second = two_admins
    url = f"/api/v1/subsidies/allocations/{an_allocation.pk}"
    read = second.get(url).json()["version"]
    body = {"year": 2026, "street": TIANSHENG, "purpose": "service_center", "version": read}
    assert patch(first, url, body | {"amount": 30}).status_code == 200

    refused = post_json(second, f"{url}/cancel", {"reason": "重复安排", "version": read})

    assert refused.status_code == 409
    answer = refused.json()
    assert "已被他人修改，没有取消" in answer["message"] and answer["conflicts"] == []
    assert answer["current"]["amount"] == 30 and answer["current"]["version"] == read + 1
    assert SubsidyAllocation.objects.filter(pk=an_allocation.pk, amount=30).exists()
    assert audited("subsidy.change", an_allocation.pk) == 1
    assert audited("subsidy.cancel", an_allocation.pk) == 0

    done = post_json(second, f"{url}/cancel", {"reason": "重复安排", "version": read + 1})
    assert done.status_code == 200 and done.json() == {"id": an_allocation.pk, "cancelled": True}
    assert not SubsidyAllocation.objects.filter(pk=an_allocation.pk).exists()
    assert audited("subsidy.cancel", an_allocation.pk) == 1


def test_a_page_cancel_of_an_allocation_someone_changed_since_is_refused(an_allocation, two_admins):
    first, second = two_admins
    changed, act = {"a-notes": "按进度拨付"}, {"reason": "重复安排"}
    html = refused_after_a_change(first, changed, second, "cancel-form", act, an_allocation)
    assert "已被他人修改，没有取消" in html
    an_allocation.refresh_from_db()
    assert (an_allocation.notes, an_allocation.version) == ("按进度拨付", 2)
    assert audited("subsidy.change", an_allocation.pk) == 1
    assert audited("subsidy.cancel", an_allocation.pk) == 0
    fresh = form_values(html, "cancel-form")
    assert fresh["version"] == "2"
    assert second.post("/subsidy/", fresh | {"reason": "重复安排"}).status_code == 302
    assert not SubsidyAllocation.objects.filter(pk=an_allocation.pk).exists()


def test_paying_or_cancelling_from_outside_is_still_refused_whatever_the_version(
    an_allocation, beibei
):
    url = f"/api/v1/subsidies/allocations/{an_allocation.pk}"
    other_street = signed_in("tongjiaxi-admin", TONGJIAXI, Role.EDITOR)
    own_street = signed_in("tiansheng-editor", TIANSHENG, Role.EDITOR)
    for version in (1, 7):
        pay = {"paid_on": str(TODAY), "version": version}
        cancel = {"reason": "重复安排", "version": version}
        assert post_json(other_street, f"{url}/pay", pay).status_code == 404
        assert post_json(other_street, f"{url}/cancel", cancel).status_code == 404
        assert post_json(own_street, f"{url}/pay", pay).status_code == 403
        assert post_json(own_street, f"{url}/cancel", cancel).status_code == 403
        page = {"year": "2026", "allocation": an_allocation.pk, "version": version}
        assert other_street.post("/subsidy/", page | pay | {"action": "pay"}).status_code == 404
        assert own_street.post("/subsidy/", page | cancel | {"action": "cancel"}).status_code == 403
    # The services too answer who may act before whether the version is current.
    for username in ("tongjiaxi-admin", "tiansheng-editor"):
        scope = scope_for(User.objects.get(username=username))
        with pytest.raises((NotAllowed, OutOfScope)):
            subsidy.allocation_mark_paid(
                scope=scope, allocation=an_allocation, paid_on=TODAY, expected_version=7
            )
        with pytest.raises((NotAllowed, OutOfScope)):
            subsidy.allocation_cancel(
                scope=scope, allocation=an_allocation, reason="重复安排", expected_version=7
            )
    an_allocation.refresh_from_db()
    assert (an_allocation.state, an_allocation.version) == ("allocated", 1)


# ---------------------------------------------------------------- the rule itself


@given(
    stored=st.text(max_size=5),
    sent=st.text(max_size=5),
    moved=st.booleans(),
)
def test_a_stale_save_is_refused_exactly_when_a_value_sent_differs(stored, sent, moved):
    asset = IdleAsset(name=stored, version=3)
    read = 2 if moved else 3
    if moved and stored != sent:
        with pytest.raises(StaleEdit) as refused:
            require_current(asset, read, {"name": sent}, what="闲置资产")
        (conflict,) = refused.value.conflicts
        assert (conflict.yours, conflict.current) == (sent, stored)
    else:
        require_current(asset, read, {"name": sent}, what="闲置资产")
    assert bool(conflicts_with(asset, {"name": sent})) == (stored != sent)


def test_a_measure_someone_deleted_since_is_a_conflict_not_a_crash(a_measure):
    """Deleted between the page's read and the save or the delete: the same conflict as a
    change (409 and its notice), not a server error."""
    scope = operator_scope()
    stale = Measure.objects.get(pk=a_measure.pk)
    values = {name: getattr(stale, name) for name in MEASURE_FIELDS}
    measures.measure_delete(scope=scope, measure=a_measure, expected_version=1)
    with pytest.raises(StaleEdit, match="已被他人删除"):
        measures.measure_delete(scope=scope, measure=stale, expected_version=1)
    with pytest.raises(StaleEdit, match="已被他人删除"):
        measures.measure_save(
            scope=scope, plan=stale.plan, values=values, measure=stale, expected_version=1
        )
    assert not Measure.objects.filter(pk=a_measure.pk).exists()
