"""闲置资产: the register (scoped, audited, checked), suggestions for a plan's gap (closest
fit first, the plan's street first, other streets for the district only), and an asset's
status following the measure that uses it (已分配 → 已使用, back to 可用 when unlinked)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope, scope_for
from shequ.assets.models import IdleAsset
from shequ.assets.services import asset_create, asset_update
from shequ.assets.suggestions import suggest_assets
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.models import AuditEvent
from shequ.plans.models import Measure, Plan
from shequ.workflow import measures

from .conftest import CHENGJIANG, TIANSHENG, make_user, region
from .ledger_helpers import approve_street, open_period

pytestmark = pytest.mark.django_db

TONGJIAXI = "500109104"  # 童家溪镇: five communities
SHORT = {"households": 1000, "service_center": "250.0"}  # 50 m² short each
TODAY = timezone.localdate()


def asset_values(street_code: str, area: str, code: str) -> dict:
    return {
        "code": code,
        "kind": IdleAsset.Kind.SCHOOL,
        "name": f"闲置用房{code}",
        "owner": "区教委",
        "address": "测试路 1 号",
        "street": region(street_code),
        "area": Decimal(area),
    }


def asset(street_code: str, area: str, code: str, **overrides) -> IdleAsset:
    values = asset_values(street_code, area, code) | overrides
    return asset_create(scope=operator_scope(), values=values)


@pytest.fixture
def plan(beibei) -> Plan:
    approve_street(open_period("2026H1"), TONGJIAXI, **SHORT)
    return Plan.objects.filter(street__code=TONGJIAXI).order_by("community__code").first()


@pytest.fixture
def tongjiaxi_editor(beibei):
    return make_user("tongjiaxi-editor", TONGJIAXI, Role.EDITOR)


@pytest.fixture
def register(beibei) -> dict[str, IdleAsset]:
    """Assets around a 50 m² gap: in the plan's street and in two others."""
    return {
        "big": asset(TONGJIAXI, "300.0", "T-3"),
        "close": asset(TONGJIAXI, "60.0", "T-2"),
        "tie": asset(TONGJIAXI, "60.0", "T-1"),
        "small": asset(TONGJIAXI, "20.0", "T-0"),
        "taken": asset(TONGJIAXI, "55.0", "T-9", status=IdleAsset.Status.USED),
        "tiansheng": asset(TIANSHENG, "52.0", "S-1"),
        "chengjiang": asset(CHENGJIANG, "500.0", "C-1"),
    }


def measure_values(**overrides) -> dict:
    values = {
        "method": Measure.Method.SHARE,
        "description": "整合闲置校舍",
        "planned_area": Decimal("60.0"),
        "planned_date": TODAY + datetime.timedelta(days=60),
        "status": Measure.Status.NOT_STARTED,
        "actual_area": None,
        "actual_date": None,
    }
    return values | overrides


def codes(suggestions) -> list[tuple[str, bool]]:
    return [(s.asset.code, s.other_street) for s in suggestions.items]


# ---------------------------------------------------------------- suggestions


def test_street_users_get_their_streets_covering_assets_closest_fit_first(
    plan, register, tongjiaxi_editor
):
    found = suggest_assets(scope_for(tongjiaxi_editor), plan)
    # 60 before 300 (closer to the 50 m² gap), the tie by code; too small or taken: never.
    assert codes(found) == [("T-1", False), ("T-2", False), ("T-3", False)]
    assert found.covering and [s.slack for s in found.items] == [10, 10, 250]


def test_district_users_also_get_other_streets_after_the_plans_own(plan, register, district_viewer):
    found = suggest_assets(scope_for(district_viewer), plan)
    assert codes(found) == [
        ("T-1", False),
        ("T-2", False),
        ("T-3", False),
        ("S-1", True),  # 52 m²: the closest fit of the others
        ("C-1", True),
    ]
    assert found.other_streets


def test_when_nothing_covers_the_gap_the_largest_are_offered_and_it_says_so(plan, tongjiaxi_editor):
    asset(TONGJIAXI, "20.0", "T-0")
    asset(TONGJIAXI, "30.0", "T-1")
    asset(TIANSHENG, "900.0", "S-1")  # another street: not for a street user
    found = suggest_assets(scope_for(tongjiaxi_editor), plan)
    assert not found.covering
    assert codes(found) == [("T-1", False), ("T-0", False)]
    assert [s.covers for s in found.items] == [False, False]


def test_a_closed_or_met_plan_gets_no_suggestions(plan, register, district_viewer):
    plan.gap_m2 = Decimal("0.0")
    assert suggest_assets(scope_for(district_viewer), plan).items == []


# ---------------------------------------------------------------- measures and status


def status(an_asset: IdleAsset) -> str:
    an_asset.refresh_from_db()
    return an_asset.status


def test_using_an_asset_allocates_it_done_uses_it_unlinking_frees_it(
    plan, register, tongjiaxi_editor
):
    scope = scope_for(tongjiaxi_editor)
    close, tie = register["close"], register["tie"]
    measure = measures.measure_save(scope=scope, plan=plan, values=measure_values(asset=close))
    assert status(close) == "allocated"

    done = measure_values(asset=close, status="done", actual_area=Decimal("60.0"))
    measures.measure_save(
        scope=scope, plan=plan, measure=measure, values=done | {"actual_date": TODAY}
    )
    assert status(close) == "used"

    measures.measure_save(scope=scope, plan=plan, measure=measure, values=measure_values(asset=tie))
    assert (status(close), status(tie)) == ("available", "allocated")

    measures.measure_save(
        scope=scope, plan=plan, measure=measure, values=measure_values(asset=None)
    )
    assert status(tie) == "available"

    measures.measure_save(scope=scope, plan=plan, measure=measure, values=measure_values(asset=tie))
    measures.measure_delete(scope=scope, measure=Measure.objects.get(pk=measure.pk))
    assert status(tie) == "available"
    actions = AuditEvent.objects.filter(target_type="asset", target_id=str(tie.pk))
    assert actions.filter(action="assets.status").count() == 4


def test_an_allocated_asset_cannot_serve_a_second_measure(plan, register, tongjiaxi_editor):
    scope = scope_for(tongjiaxi_editor)
    measures.measure_save(scope=scope, plan=plan, values=measure_values(asset=register["close"]))
    with pytest.raises(DomainError, match="已分配，不能再用于其他措施") as refused:
        measures.measure_save(
            scope=scope, plan=plan, values=measure_values(asset=register["close"])
        )
    assert refused.value.field == "asset"
    assert plan.measures.count() == 1


def test_a_street_user_cannot_use_another_streets_asset(plan, register, tongjiaxi_editor):
    with pytest.raises(OutOfScope):
        measures.measure_save(
            scope=scope_for(tongjiaxi_editor),
            plan=plan,
            values=measure_values(asset=register["tiansheng"]),
        )
    assert status(register["tiansheng"]) == "available" and not plan.measures.exists()


def test_district_approvers_assign_across_streets_but_edit_no_other_measure(
    plan, register, district_approver, tongjiaxi_editor
):
    scope = scope_for(district_approver)
    measure = measures.measure_save(
        scope=scope, plan=plan, values=measure_values(asset=register["chengjiang"])
    )
    assert (measure.asset, status(register["chengjiang"])) == (register["chengjiang"], "allocated")
    with pytest.raises(NotAllowed):
        measures.measure_save(scope=scope, plan=plan, values=measure_values())
    # The street keeps working on the measure the district assigned.
    measures.measure_save(
        scope=scope_for(tongjiaxi_editor),
        plan=plan,
        measure=measure,
        values=measure_values(description="整合澄江镇闲置厂房"),
    )
    assert status(register["chengjiang"]) == "allocated"


def test_district_viewers_cannot_assign(plan, register, district_viewer):
    with pytest.raises(NotAllowed):
        measures.measure_save(
            scope=scope_for(district_viewer),
            plan=plan,
            values=measure_values(asset=register["close"]),
        )


# ---------------------------------------------------------------- the register


def test_street_editors_manage_their_streets_assets_only(beibei, tiansheng_editor):
    scope = scope_for(tiansheng_editor)
    created = asset_create(
        scope=scope,
        values={
            "code": "",
            "kind": "office",
            "name": "原天生街道办事处附楼",
            "owner": "天生街道办事处",
            "address": "天生路 1 号",
            "street": region(TIANSHENG),
            "area": Decimal("180.0"),
        },
    )
    assert (created.code, created.status) == ("500109001-001", "available")
    assert AuditEvent.objects.filter(action="assets.create", target_id=str(created.pk)).exists()
    with pytest.raises(OutOfScope):
        asset_create(scope=scope, values={**created_values(created), "street": region(CHENGJIANG)})
    other = asset(CHENGJIANG, "90.0", "C-9")
    with pytest.raises(OutOfScope):
        asset_update(scope=scope, asset=other, values={"area": Decimal("91.0")})


def created_values(an_asset: IdleAsset) -> dict:
    names = ("kind", "name", "owner", "address", "street", "area")
    return {name: getattr(an_asset, name) for name in names} | {"code": ""}


def test_viewers_and_community_editors_only_read(beibei, district_viewer, xinxinglu_editor):
    tiansheng = asset(TIANSHENG, "80.0", "S-2")
    for user in (district_viewer, xinxinglu_editor):
        with pytest.raises(NotAllowed):
            asset_update(scope=scope_for(user), asset=tiansheng, values={"notes": "x"})


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"area": Decimal("0")}, "area", "建筑面积应大于 0"),
        ({"area": Decimal("-5")}, "area", "建筑面积应大于 0"),
        ({"area": None}, "area", "请填写建筑面积"),
        ({"area": Decimal("12.34")}, "area", "最多保留 1 位小数"),
        ({"kind": "castle"}, "kind", "请选择资产类别"),
        ({"name": "  "}, "name", "请填写资产名称"),
        ({"owner": ""}, "owner", "请填写产权（管理）单位"),
        ({"address": ""}, "address", "请填写地址"),
        ({"street": None}, "street", "请选择资产所在的街镇"),
        ({"status": "lost"}, "status", "请选择状态"),
        ({"code": "T-1"}, "code", "资产编号“T-1”已被使用"),
    ],
)
def test_bad_input_is_refused_in_chinese_naming_the_field(beibei, overrides, field, message):
    asset(TONGJIAXI, "60.0", "T-1")
    with pytest.raises(DomainError, match=message) as refused:
        asset_create(
            scope=operator_scope(), values=asset_values(TONGJIAXI, "70.0", "T-2") | overrides
        )
    assert refused.value.field == field


def test_a_street_cannot_be_given_a_community_as_its_street(beibei):
    with pytest.raises(DomainError, match="街镇") as refused:
        asset(TONGJIAXI, "60.0", "T-1", street=region("500109001028"))
    assert refused.value.field == "street"


def test_the_status_of_an_asset_in_a_measure_follows_the_measure(plan, register):
    measures.measure_save(
        scope=operator_scope(), plan=plan, values=measure_values(asset=register["close"])
    )
    with pytest.raises(DomainError, match="状态随措施自动变化") as refused:
        asset_update(
            scope=operator_scope(), asset=register["close"], values={"status": "available"}
        )
    assert refused.value.field == "status"
    updated = asset_update(
        scope=operator_scope(), asset=register["close"], values={"notes": "钥匙在街道"}
    )
    assert (updated.notes, updated.status) == ("钥匙在街道", "allocated")


# ---------------------------------------------------------------- pages


@pytest.fixture
def tiansheng_asset(beibei) -> IdleAsset:
    return asset(TIANSHENG, "120.0", "S-7", name="原天生小学教学楼")


@pytest.mark.parametrize("url", ["/assets/", "/assets/new/", "/assets/{pk}/"])
def test_anonymous_visitors_are_sent_to_log_in(client, tiansheng_asset, url):
    response = client.get(url.format(pk=tiansheng_asset.pk))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_other_streets_assets_are_not_found_nor_listed(login, tiansheng_asset, chengjiang_editor):
    client = login(chengjiang_editor)
    assert client.get(f"/assets/{tiansheng_asset.pk}/").status_code == 404
    assert client.post(f"/assets/{tiansheng_asset.pk}/", {"notes": "x"}).status_code == 404
    assert "原天生小学教学楼" not in client.get("/assets/").content.decode()
    assert client.get("/assets/").status_code == 200


def test_viewers_read_but_cannot_edit(login, tiansheng_asset, district_viewer):
    client = login(district_viewer)
    page = client.get(f"/assets/{tiansheng_asset.pk}/").content.decode()
    assert "原天生小学教学楼" in page and 'data-testid="asset-form"' not in page
    assert client.get("/assets/new/").status_code == 403
    assert client.post("/assets/new/", {}).status_code == 403
    assert client.post(f"/assets/{tiansheng_asset.pk}/", {"notes": "x"}).status_code == 403
    assert "登记闲置资产" not in client.get("/assets/").content.decode()


def test_users_without_a_node_get_404(login, outsider):
    assert login(outsider).get("/assets/").status_code == 404


def form_data(**overrides) -> dict:
    data = {
        "kind": "school",
        "name": "原静观中学旧校舍",
        "street": TIANSHENG,
        "area": "260.0",
        "owner": "区教委",
        "address": "天生路 88 号",
        "status": "available",
        "code": "",
        "description": "",
        "notes": "",
    }
    return data | overrides


def test_a_street_editor_registers_and_edits_an_asset_on_the_page(login, tiansheng_editor):
    client = login(tiansheng_editor)
    refused = client.post("/assets/new/", form_data(area="0", owner=""))
    page = refused.content.decode()
    assert "请填写产权（管理）单位" in page
    assert not IdleAsset.objects.exists()
    response = client.post("/assets/new/", form_data())
    created = IdleAsset.objects.get()
    assert response.status_code == 302 and response.url == f"/assets/{created.pk}/"
    assert (created.street.code, created.area, created.code) == (
        TIANSHENG,
        Decimal("260.0"),
        "500109001-001",
    )
    zero = client.post(f"/assets/{created.pk}/", form_data(area="0"))
    assert "建筑面积应大于 0" in zero.content.decode()
    other_street = client.post(f"/assets/{created.pk}/", form_data(street=CHENGJIANG))
    assert other_street.status_code == 200  # not one of the choices: refused in the form
    client.post(f"/assets/{created.pk}/", form_data(notes="需加装无障碍坡道"))
    created.refresh_from_db()
    assert (created.notes, created.street.code) == ("需加装无障碍坡道", TIANSHENG)


def test_the_register_filters_by_kind_status_and_street(login, register, district_viewer):
    client = login(district_viewer)
    page = client.get("/assets/?kind=school&status=used").content.decode()
    assert "闲置用房T-9" in page and "闲置用房T-1" not in page
    page = client.get(f"/assets/?street={TIANSHENG}").content.decode()
    assert "闲置用房S-1" in page and "闲置用房T-1" not in page


def test_the_plan_page_suggests_assets_and_a_button_fills_a_measure(
    login, plan, register, tongjiaxi_editor
):
    client = login(tongjiaxi_editor)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert 'data-testid="asset-suggestions"' in page
    assert page.index("闲置用房T-1") < page.index("闲置用房T-3")
    assert "闲置用房S-1" not in page and "其他街镇" not in page
    filled = client.get(f"/plans/{plan.pk}/?asset={register['close'].pk}").content.decode()
    assert 'value="60.0"' in filled and f'<option value="{register["close"].pk}" selected' in filled
    assert client.get(f"/plans/{plan.pk}/?asset={register['tiansheng'].pk}").status_code == 404


def test_a_street_user_cannot_post_another_streets_asset(login, plan, register, tongjiaxi_editor):
    client = login(tongjiaxi_editor)
    response = client.post(
        f"/plans/{plan.pk}/",
        {
            "action": "measure",
            "m-method": "share",
            "m-description": "整合天生街道校舍",
            "m-planned_area": "52",
            "m-planned_date": "2026-12-31",
            "m-status": "not_started",
            "m-asset": register["tiansheng"].pk,
        },
    )
    assert "所选闲置资产不可用" in response.content.decode()
    assert not plan.measures.exists() and status(register["tiansheng"]) == "available"


def test_the_district_sees_other_streets_and_assigns_on_the_page(
    login, plan, register, district_approver, chengjiang_editor
):
    client = login(district_approver)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "其他街镇 · 天生街道" in page and 'data-testid="use-asset"' in page
    response = client.post(
        f"/plans/{plan.pk}/",
        {
            "action": "measure",
            "m-method": "purchase",
            "m-description": "购置澄江镇闲置厂房",
            "m-planned_area": "500",
            "m-planned_date": "2026-12-31",
            "m-status": "not_started",
            "m-asset": register["chengjiang"].pk,
        },
    )
    assert response.status_code == 302
    assert status(register["chengjiang"]) == "allocated"
    listed = login(district_approver).get("/assets/?status=allocated").content.decode()
    assert plan.community.name in listed
    # The asset's own street sees it allocated, not which other street's plan uses it.
    theirs = login(chengjiang_editor).get("/assets/").content.decode()
    assert "其他街镇的方案" in theirs and plan.community.name not in theirs


def test_an_allocated_assets_status_cannot_be_typed_on_its_page(
    login, plan, register, tongjiaxi_editor
):
    close = register["close"]
    measures.measure_save(
        scope=scope_for(tongjiaxi_editor), plan=plan, values=measure_values(asset=close)
    )
    client = login(tongjiaxi_editor)
    page = client.get(f"/assets/{close.pk}/").content.decode()
    assert "状态随措施自动变化" in page and plan.community.name in page
    data = form_data(street=TONGJIAXI, area="60.0", status="available", notes="钥匙在社区")
    assert client.post(f"/assets/{close.pk}/", data).status_code == 302
    close.refresh_from_db()
    assert (close.notes, close.status) == ("钥匙在社区", "allocated")
