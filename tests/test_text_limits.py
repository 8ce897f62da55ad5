"""One length and character policy for every text a user or a file can store (issue 25,
ADR 0037): each text field the API writes, walked one by one — one character over its
length refused with a 400 naming the field and nothing stored, its length exactly
accepted, and a pasted control character normalised — the same on SQLite and on
PostgreSQL, where an over-long text used to be a 500 (and was stored silently on SQLite).
The pages and the command line go through the same services: their cases follow."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from shequ.accounts.models import ApiToken, Role, User
from shequ.accounts.scope import operator_scope
from shequ.assets.models import IdleAsset
from shequ.checklist.models import ChecklistEntry
from shequ.core.models import AuditEvent, Notification
from shequ.ledger.models import LedgerRow, StreetExtension, Submission
from shequ.plans.models import Consultation, Measure, Plan, StreetPlan
from shequ.regions.models import Region
from shequ.subsidy.models import SubsidyAllocation, SubsidyBudget
from shequ.workflow.submissions import submission_submit

from .conftest import PASSWORD, TIANSHENG, XINXINGLU, make_user
from .ledger_helpers import approve_street, fill_street, open_period, set_target, submission

pytestmark = pytest.mark.django_db

SHIJIALIANG = "500109108"
PASTED = "甲\x0b乙\x01丙\x7f丁\r\n戊"  # Word's line break, two invisible controls, CRLF
AS_LINES = "甲\n乙丙丁\n戊"
AS_ONE_LINE = "甲 乙丙丁 戊"


@pytest.fixture
def world(beibei):
    """石家梁 approved short in 2026H2 (so its plans exist, and its ledger can be reopened),
    天生街道 submitted in the same period, an asset, a budget and an allocation."""
    set_target(2026)
    set_target(2027)
    period = open_period("2026H2")
    approve_street(period, SHIJIALIANG, households=1000, service_center="250.0")
    fill_street(period, TIANSHENG)
    for username, code, role in (
        ("sjl-editor", SHIJIALIANG, Role.EDITOR),
        ("sjl-approver", SHIJIALIANG, Role.APPROVER),
        ("ts-editor", TIANSHENG, Role.EDITOR),
        ("qu-admin", "500109", Role.ADMIN),
        ("qu-approver", "500109", Role.APPROVER),
    ):
        make_user(username, code, role)
    return period


def _json(client, method: str, url: str, body: dict):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def _plan() -> Plan:
    return Plan.objects.filter(street__code=SHIJIALIANG).order_by("community__code").first()


def _row() -> LedgerRow:
    return LedgerRow.objects.filter(street__code=TIANSHENG, period__code="2026H2").first()


def _latest_reason(action: str) -> str | None:
    event = AuditEvent.objects.filter(action=action).order_by("-pk").first()
    return event.reason if event else None


@dataclass
class Case:
    """One text the API writes: who sends it, how, and where it is stored."""

    name: str
    user: str
    field: str
    max_length: int
    send: Callable  # (client, value) -> response
    stored: Callable[[], str | None]
    multiline: bool = True
    repeatable: bool = True  # False: the action moves a state and can be taken only once
    prepare: Callable[[], None] = lambda: None


def _row_change(name: str):
    def send(client, value):
        row = _row()
        changes = {"households": row.households + 1}
        body = {"version": row.version, "changes": changes}
        if name == "remarks":
            body["changes"]["remarks"] = value
        elif name == "reason":
            body["reason"] = value
        else:
            body["comments"] = {"households_change": value}
        return _json(client, "patch", f"/api/v1/ledger/rows/{row.pk}", body)

    return send


MEASURE = {
    "method": "renovate",
    "description": "改造闲置用房",
    "planned_area": 60,
    "planned_date": "2027-06-30",
}


def _measure(name: str):
    def send(client, value):
        return _json(
            client, "post", f"/api/v1/plans/{_plan().pk}/measures", {**MEASURE, name: value}
        )

    def stored():
        measure = Measure.objects.filter(plan=_plan()).order_by("-pk").first()
        return getattr(measure, name) if measure else None

    return send, stored


def _consultation(name: str):
    body = {"held_on": "2026-11-01", "who": "residents", "said": "同意"}

    def send(client, value):
        return _json(
            client, "post", f"/api/v1/plans/{_plan().pk}/consultations", {**body, name: value}
        )

    def stored():
        latest = Consultation.objects.filter(plan=_plan()).order_by("-pk").first()
        return getattr(latest, name) if latest else None

    return send, stored


def _asset():
    return IdleAsset.objects.first() or IdleAsset.objects.create(
        code="TS-1",
        kind="school",
        name="原天生小学",
        owner="区教委",
        address="天生路 2 号",
        street=Region.objects.get(code=TIANSHENG),
        area=Decimal("420.5"),
    )


def _asset_field(name: str):
    def send(client, value):
        asset = _asset()  # sent with the version read (ADR 0040)
        body = {"version": asset.version, name: value}
        return _json(client, "patch", f"/api/v1/assets/{asset.pk}", body)

    def stored():
        return getattr(_asset(), name)

    return send, stored


def _street_plan(name: str):
    def send(client, value):
        data = {"title": "石家梁街道2027年实施方案", "notes": "", name: value}
        return client.post(f"/api/v1/street-plans/{SHIJIALIANG}/2027", data)

    def stored():
        plan = StreetPlan.objects.filter(street__code=SHIJIALIANG, year=2027).first()
        return getattr(plan, name) if plan else None

    return send, stored


def _budget_notes(client, value):
    return _json(client, "put", "/api/v1/subsidies/budgets/2027", {"amount": 50, "notes": value})


def _allocation() -> SubsidyAllocation:
    if not SubsidyBudget.objects.filter(year=2027).exists():
        SubsidyBudget.objects.create(year=2027, amount=Decimal(50))
    return SubsidyAllocation.objects.get_or_create(
        year=2027,
        street=Region.objects.get(code=SHIJIALIANG),
        purpose="service_center",
        defaults={"amount": Decimal(5)},
    )[0]


def _allocation_notes(client, value):
    body = {"year": 2027, "street": SHIJIALIANG, "purpose": "service_center", "amount": 5}
    allocation = _allocation()
    return _json(
        client,
        "patch",
        f"/api/v1/subsidies/allocations/{allocation.pk}",
        {**body, "notes": value, "version": allocation.version},
    )


def _room_name(client, value):
    entry = ChecklistEntry.objects.filter(community__code=XINXINGLU, item="hall").first()
    version = entry.version if entry else 0  # 0: never saved (ADR 0040)
    item = {"present": True, "area": 30, "room_name": value, "version": version}
    return _json(client, "patch", f"/api/v1/checklists/{XINXINGLU}", {"items": {"hall": item}})


def _hall_room():
    entry = ChecklistEntry.objects.filter(community__code=XINXINGLU, item="hall").first()
    return entry.room_name if entry else None


def _submitted_tiansheng():
    submission_submit(scope=operator_scope(), submission=submission(_row().period, TIANSHENG))


def _pending_plan():
    plan = _plan()
    Measure.objects.create(
        plan=plan,
        method="renovate",
        description="改造",
        planned_area=Decimal(60),
        planned_date=datetime.date(2026, 10, 1),
        status="done",
        actual_area=Decimal(60),
        actual_date=datetime.date(2026, 10, 1),
    )
    Plan.objects.filter(pk=plan.pk).update(state=Plan.State.PENDING)


SUBMISSIONS = "/api/v1/submissions/2026H2"

CASES = [
    Case("ledger remarks", "ts-editor", "remarks", 2000, _row_change("remarks"),
         lambda: _row().remarks),
    Case("ledger warning comment", "ts-editor", "comments.households_change", 500,
         _row_change("comments"), lambda: _row().warning_comments.get("households_change")),
    Case("ledger change reason", "ts-editor", "reason", 500, _row_change("reason"),
         lambda: _latest_reason("ledger.row_update")),
    Case("return reason", "qu-approver", "reason", 500,
         lambda c, v: _json(c, "post", f"{SUBMISSIONS}/{TIANSHENG}/return", {"reason": v}),
         lambda: Submission.objects.get(street__code=TIANSHENG).return_reason,
         repeatable=False, prepare=_submitted_tiansheng),
    Case("reopen reason", "qu-approver", "reason", 500,
         lambda c, v: _json(c, "post", f"{SUBMISSIONS}/{SHIJIALIANG}/reopen", {"reason": v}),
         lambda: Submission.objects.get(street__code=SHIJIALIANG).reopen_reason,
         repeatable=False),
    Case("measure description", "sjl-editor", "description", 500, *_measure("description"),
         multiline=False),
    Case("measure programme", "sjl-editor", "programme", 100, *_measure("programme"),
         multiline=False),
    Case("measure responsible", "sjl-editor", "responsible", 100, *_measure("responsible"),
         multiline=False),
    Case("consultation said", "sjl-editor", "said", 2000, *_consultation("said")),
    Case("consultation changed", "sjl-editor", "changed", 2000, *_consultation("changed")),
    Case("plan send-back reason", "qu-approver", "reason", 500,
         lambda c, v: _json(c, "post", f"/api/v1/plans/{_plan().pk}/send-back", {"reason": v}),
         lambda: _latest_reason("plans.state"), repeatable=False, prepare=_pending_plan),
    Case("street plan title", "sjl-approver", "title", 200, *_street_plan("title"),
         multiline=False),
    Case("street plan notes", "sjl-approver", "notes", 2000, *_street_plan("notes")),
    Case("asset code", "ts-editor", "code", 30, *_asset_field("code"), multiline=False),
    Case("asset name", "ts-editor", "name", 100, *_asset_field("name"), multiline=False),
    Case("asset owner", "ts-editor", "owner", 100, *_asset_field("owner"), multiline=False),
    Case("asset address", "ts-editor", "address", 200, *_asset_field("address"),
         multiline=False),
    Case("asset description", "ts-editor", "description", 2000, *_asset_field("description")),
    Case("asset notes", "ts-editor", "notes", 2000, *_asset_field("notes")),
    Case("budget notes", "qu-admin", "notes", 2000, _budget_notes,
         lambda: SubsidyBudget.objects.filter(year=2027).values_list("notes", flat=True).first()),
    Case("allocation notes", "qu-admin", "notes", 300, _allocation_notes,
         lambda: _allocation().notes, multiline=False),
    Case("allocation cancel reason", "qu-admin", "reason", 500,
         lambda c, v: _json(
             c, "post", f"/api/v1/subsidies/allocations/{_allocation().pk}/cancel",
             {"reason": v, "version": _allocation().version},
         ),
         lambda: _latest_reason("subsidy.cancel"), repeatable=False),
    Case("checklist room name", "ts-editor", "items.hall.room_name", 50, _room_name, _hall_room,
         multiline=False),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_an_api_text_is_refused_one_over_its_length_and_kept_at_it(client, world, case):
    case.prepare()
    client.login(username=case.user, password=PASSWORD)
    before = case.stored()
    too_long = "长" * (case.max_length + 1)
    refused = case.send(client, too_long)
    assert refused.status_code == 400, refused.content
    assert refused.json()["field"] == case.field
    assert f"不能超过 {case.max_length} 个字" in refused.json()["message"]
    assert case.stored() == before
    at_limit = "长" * case.max_length
    accepted = case.send(client, at_limit)
    assert accepted.status_code == 200, accepted.content
    assert case.stored() == at_limit


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.repeatable], ids=[c.name for c in CASES if c.repeatable]
)
def test_an_api_text_keeps_no_control_character(client, world, case):
    """Word's line break (\\x0b) and CRLF become one line break, or a space in a one-line
    field; invisible controls are removed."""
    case.prepare()
    client.login(username=case.user, password=PASSWORD)
    answer = case.send(client, PASTED)
    assert answer.status_code == 200, answer.content
    assert case.stored() == (AS_LINES if case.multiline else AS_ONE_LINE)


def test_a_490_character_return_reason_is_kept_whole_and_its_notice_cut(client, world):
    """The original finding: 490 characters fit the reason but not the notice built from it
    (a 500 on PostgreSQL, after which nothing was returned). Now the notice is cut to its
    field and the reason up to 500 characters is kept whole."""
    _submitted_tiansheng()
    make_user("ts-approver", TIANSHENG, Role.APPROVER)
    client.login(username="qu-approver", password=PASSWORD)
    reason = "理" * 490
    answer = _json(client, "post", f"{SUBMISSIONS}/{TIANSHENG}/return", {"reason": reason})
    assert answer.status_code == 200, answer.content
    assert Submission.objects.get(street__code=TIANSHENG).return_reason == reason
    notice = Notification.objects.get(user__username="ts-approver")
    assert len(notice.message) == 500 and notice.message.endswith("…")


CHOICES = [
    ("measure method", "sjl-editor", "method", *_measure("method")),
    ("measure status", "sjl-editor", "status", *_measure("status")),
    ("measure funding", "sjl-editor", "funding", *_measure("funding")),
]


@pytest.mark.parametrize("name,user,field,send,stored", CHOICES, ids=[c[0] for c in CHOICES])
def test_a_choice_outside_its_list_is_refused_naming_the_field(
    client, world, name, user, field, send, stored
):
    client.login(username=user, password=PASSWORD)
    for value in ("x" * 40, "nonsense"):
        answer = send(client, value)
        assert answer.status_code == 400, answer.content
        assert answer.json()["field"] == field
    assert stored() is None


# ------------------------------------------------------------------ pages


def test_the_review_page_refuses_a_long_return_reason_saying_so(client, world):
    _submitted_tiansheng()
    client.login(username="qu-approver", password=PASSWORD)
    url = f"/ledger/2026H2/{TIANSHENG}/decide/"
    answer = client.post(url, {"action": "return", "reason": "理" * 501}, follow=True)
    assert answer.status_code == 200
    assert "退回原因不能超过 500 个字" in answer.content.decode()
    assert Submission.objects.get(street__code=TIANSHENG).state == Submission.State.SUBMITTED
    client.post(url, {"action": "return", "reason": "第一行\x0b第二行"})
    assert Submission.objects.get(street__code=TIANSHENG).return_reason == "第一行\n第二行"


def test_the_review_page_refuses_a_long_reopen_reason_saying_so(client, world):
    client.login(username="qu-approver", password=PASSWORD)
    url = f"/ledger/2026H2/{SHIJIALIANG}/decide/"
    answer = client.post(url, {"action": "reopen", "reason": "因" * 501}, follow=True)
    assert "重新打开原因不能超过 500 个字" in answer.content.decode()
    assert Submission.objects.get(street__code=SHIJIALIANG).state == Submission.State.APPROVED


def test_the_plan_page_shows_a_long_consultation_beside_its_field(client, world):
    client.login(username="sjl-editor", password=PASSWORD)
    plan = _plan()
    answer = client.post(
        f"/plans/{plan.pk}/",
        {
            "action": "consult",
            "c-held_on": "2026-11-01",
            "c-who": "residents",
            "c-said": "意" * 2001,
        },
    )
    assert answer.status_code == 200
    assert "2000" in answer.content.decode()
    assert not Consultation.objects.filter(plan=plan).exists()


def test_the_asset_page_refuses_a_long_note_and_keeps_a_pasted_one_clean(client, world):
    client.login(username="ts-editor", password=PASSWORD)
    values = {
        "kind": "school",
        "name": "原天生小学",
        "street": TIANSHENG,
        "area": "420.5",
        "owner": "区教委",
        "address": "天生路 2 号",
        "status": "available",
    }
    answer = client.post("/assets/new/", {**values, "notes": "备" * 2001})
    assert answer.status_code == 200 and "2000" in answer.content.decode()
    assert not IdleAsset.objects.exists()
    client.post("/assets/new/", {**values, "name": "原天生\x0b小学", "notes": PASTED})
    asset = IdleAsset.objects.get()
    assert (asset.name, asset.notes) == ("原天生 小学", AS_LINES)


# ------------------------------------------------------------------ command line


def test_extend_deadline_refuses_a_long_reason_in_chinese(world):
    with pytest.raises(CommandError, match="延期原因不能超过 500 个字"):
        call_command(
            "extend-deadline", "--period", "2026H2", "--street", TIANSHENG,
            "--until", "2027-03-31", "--reason", "因" * 501,
        )  # fmt: skip
    assert not StreetExtension.objects.exists()
    call_command(
        "extend-deadline", "--period", "2026H2", "--street", TIANSHENG,
        "--until", "2027-03-31", "--reason", "因" * 500, stdout=io.StringIO(),
    )  # fmt: skip
    assert StreetExtension.objects.get().reason == "因" * 500


def test_a_token_name_over_its_length_is_refused(world):
    with pytest.raises(CommandError, match="用途不能超过 100 个字"):
        call_command("token", "qu-admin", "--name", "令" * 101, stdout=io.StringIO())
    assert not ApiToken.objects.exists()
    call_command("token", "qu-admin", "--name", "令" * 100, stdout=io.StringIO())
    assert ApiToken.objects.get().name == "令" * 100


def test_a_region_name_over_its_length_is_refused(world):
    with pytest.raises(CommandError, match="名称不能超过 100 个字"):
        call_command(
            "region-change", "rename", XINXINGLU, "--name", "名" * 101,
            "--effective", "2027H1", "--apply", stdout=io.StringIO(),
        )  # fmt: skip
    assert Region.objects.get(code=XINXINGLU).name == "新星路社区居民委员会"


def test_a_user_name_over_its_length_is_refused(world):
    from shequ.accounts.services import user_create
    from shequ.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        user_create(
            scope=operator_scope(),
            username="long-name",
            password=PASSWORD,
            node=Region.objects.get(code=TIANSHENG),
            role=Role.EDITOR,
            full_name="姓" * 51,
            validate=False,
        )
    assert refused.value.field == "full_name"
    assert not User.objects.filter(username="long-name").exists()


def test_the_upload_name_fits_its_field(client, world):
    """An uploaded file's name is cut to its field, never a 500 (PostgreSQL)."""
    client.login(username="sjl-approver", password=PASSWORD)
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    answer = client.post(
        f"/api/v1/street-plans/{SHIJIALIANG}/2027",
        {"title": "方案", "document": SimpleUploadedFile("长" * 300 + ".pdf", pdf)},
    )
    assert answer.status_code == 200, answer.content
    assert len(StreetPlan.objects.get().document_name) <= 200


def test_an_imported_remark_over_its_length_names_sheet_row_and_column(beibei, tmp_path):
    from .import_fixtures import run_import, xlsx

    period = open_period("2026H2")
    header = ["所在街道（乡镇）", "社区名称", "辖区户籍人口总户数（户）", "便民服务中心", "备注"]
    content = xlsx(
        {
            "台账": [
                header,
                ["澄江镇", "运河村", 1000, 300, "备" * 2001],
                ["澄江镇", "澄江路社区", 1200, 300, "第一行\x0b第二行"],
            ]
        }
    )
    code, document = run_import(tmp_path, content, "--period", "2026H2", "--apply")
    assert code == 1
    [error] = document["errors"]
    assert (error["sheet"], error["row"], error["column"]) == ("台账", 2, "E")
    assert error["message"].startswith("备注不能超过 2000 个字")
    assert not LedgerRow.objects.filter(period=period).exclude(remarks="").exists()
    fixed = xlsx({"台账": [header, ["澄江镇", "澄江路社区", 1200, 300, "第一行\x0b第二行"]]})
    assert run_import(tmp_path, fixed, "--period", "2026H2", "--apply")[0] == 0
    remarks = LedgerRow.objects.get(period=period, community__code="500109102006").remarks
    assert remarks == "第一行\n第二行"
