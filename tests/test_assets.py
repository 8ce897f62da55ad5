"""闲置资产: the register (scoped, audited, checked), suggestions for a plan's gap (closest
fit first, the plan's street first, other streets for the district only), and an asset's
status following the measure that uses it (已分配 → 已使用, back to 可用 when unlinked)."""

import datetime
from decimal import Decimal

import pytest

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope, scope_for
from shequ.assets.models import IdleAsset
from shequ.assets.services import asset_create, asset_update
from shequ.assets.suggestions import suggest_assets
from shequ.core.models import AuditEvent
from shequ.ledger.permissions import LedgerError, NotAllowed, OutOfScope
from shequ.plans import services
from shequ.plans.models import Measure, Plan

from .conftest import CHENGJIANG, TIANSHENG, make_user, region
from .ledger_helpers import approve_street, open_period

pytestmark = pytest.mark.django_db

TONGJIAXI = "500109104"  # 童家溪镇: five communities
SHORT = {"households": 1000, "service_center": "250.0"}  # 50 m² short each
TODAY = datetime.date.today()


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
    measure = services.measure_save(scope=scope, plan=plan, values=measure_values(asset=close))
    assert status(close) == "allocated"

    done = measure_values(asset=close, status="done", actual_area=Decimal("60.0"))
    services.measure_save(
        scope=scope, plan=plan, measure=measure, values=done | {"actual_date": TODAY}
    )
    assert status(close) == "used"

    services.measure_save(scope=scope, plan=plan, measure=measure, values=measure_values(asset=tie))
    assert (status(close), status(tie)) == ("available", "allocated")

    services.measure_save(
        scope=scope, plan=plan, measure=measure, values=measure_values(asset=None)
    )
    assert status(tie) == "available"

    services.measure_save(scope=scope, plan=plan, measure=measure, values=measure_values(asset=tie))
    services.measure_delete(scope=scope, measure=Measure.objects.get(pk=measure.pk))
    assert status(tie) == "available"
    actions = AuditEvent.objects.filter(target_type="asset", target_id=str(tie.pk))
    assert actions.filter(action="assets.status").count() == 4


def test_an_allocated_asset_cannot_serve_a_second_measure(plan, register, tongjiaxi_editor):
    scope = scope_for(tongjiaxi_editor)
    services.measure_save(scope=scope, plan=plan, values=measure_values(asset=register["close"]))
    with pytest.raises(LedgerError, match="已分配，不能再用于其他措施") as refused:
        services.measure_save(
            scope=scope, plan=plan, values=measure_values(asset=register["close"])
        )
    assert refused.value.field == "asset"
    assert plan.measures.count() == 1


def test_a_street_user_cannot_use_another_streets_asset(plan, register, tongjiaxi_editor):
    with pytest.raises(OutOfScope):
        services.measure_save(
            scope=scope_for(tongjiaxi_editor),
            plan=plan,
            values=measure_values(asset=register["tiansheng"]),
        )
    assert status(register["tiansheng"]) == "available" and not plan.measures.exists()


def test_district_approvers_assign_across_streets_but_edit_no_other_measure(
    plan, register, district_approver, tongjiaxi_editor
):
    scope = scope_for(district_approver)
    measure = services.measure_save(
        scope=scope, plan=plan, values=measure_values(asset=register["chengjiang"])
    )
    assert (measure.asset, status(register["chengjiang"])) == (register["chengjiang"], "allocated")
    with pytest.raises(NotAllowed):
        services.measure_save(scope=scope, plan=plan, values=measure_values())
    # The street keeps working on the measure the district assigned.
    services.measure_save(
        scope=scope_for(tongjiaxi_editor),
        plan=plan,
        measure=measure,
        values=measure_values(description="整合澄江镇闲置厂房"),
    )
    assert status(register["chengjiang"]) == "allocated"


def test_district_viewers_cannot_assign(plan, register, district_viewer):
    with pytest.raises(NotAllowed):
        services.measure_save(
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
    with pytest.raises(LedgerError, match=message) as refused:
        asset_create(
            scope=operator_scope(), values=asset_values(TONGJIAXI, "70.0", "T-2") | overrides
        )
    assert refused.value.field == field


def test_a_street_cannot_be_given_a_community_as_its_street(beibei):
    with pytest.raises(LedgerError, match="街镇") as refused:
        asset(TONGJIAXI, "60.0", "T-1", street=region("500109001028"))
    assert refused.value.field == "street"


def test_the_status_of_an_asset_in_a_measure_follows_the_measure(plan, register):
    services.measure_save(
        scope=operator_scope(), plan=plan, values=measure_values(asset=register["close"])
    )
    with pytest.raises(LedgerError, match="状态随措施自动变化") as refused:
        asset_update(
            scope=operator_scope(), asset=register["close"], values={"status": "available"}
        )
    assert refused.value.field == "status"
    updated = asset_update(
        scope=operator_scope(), asset=register["close"], values={"notes": "钥匙在街道"}
    )
    assert (updated.notes, updated.status) == ("钥匙在街道", "allocated")
