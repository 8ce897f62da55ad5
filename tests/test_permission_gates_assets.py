"""One gate per question, for the idle assets (issue 24, item 3): for every persona, in and
out of their node, the register's pages and API offer adding and changing an asset exactly
where `asset_create` / `asset_update` take it, and the plan page and the API offer an
asset for a measure exactly where `workflow.measures` takes it."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from shequ.accounts.scope import operator_scope, scope_for
from shequ.assets import services
from shequ.assets.models import IdleAsset
from shequ.plans.models import Measure, Plan
from shequ.plans.services import may_edit_plan
from shequ.workflow import measures
from shequ.workflow.measures import may_delete_measure

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region
from .gates import api_allows, service_allows
from .ledger_helpers import approve_street, open_period

pytestmark = pytest.mark.django_db

SHORT = {"households": 1000, "service_center": "250.0"}  # 50 m² short each
PLANNED = timezone.localdate() + datetime.timedelta(days=60)


def asset(street_code: str, code: str) -> IdleAsset:
    return services.asset_create(scope=operator_scope(), values=asset_values(street_code, code))


def asset_values(street_code: str, code: str) -> dict:
    return {
        "code": code,
        "kind": IdleAsset.Kind.OFFICE,
        "name": f"闲置用房{code}",
        "owner": "区机关事务中心",
        "address": "测试路 1 号",
        "street": region(street_code),
        "area": Decimal("60.0"),
    }


def as_json(values: dict) -> str:
    return json.dumps({**values, "street": values["street"].code, "area": float(values["area"])})


@pytest.fixture
def register(beibei) -> dict[str, IdleAsset]:
    used = asset(TIANSHENG, "S-9")
    IdleAsset.objects.filter(pk=used.pk).update(status=IdleAsset.Status.USED)
    used.refresh_from_db()
    return {
        "tiansheng": asset(TIANSHENG, "S-1"),
        "chengjiang": asset(CHENGJIANG, "C-1"),
        "used": used,
    }


@pytest.fixture
def plans(beibei) -> dict[str, Plan]:
    """新星路's open plan, another 天生 community's closed one, and an open one in 澄江镇."""
    period = open_period("2026H1")
    approve_street(period, TIANSHENG, **SHORT)
    approve_street(period, CHENGJIANG, **SHORT)
    closed = Plan.objects.filter(street__code=TIANSHENG).exclude(community__code=XINXINGLU)
    closed = closed.order_by("community__code").first()
    Plan.objects.filter(pk=closed.pk).update(state=Plan.State.CLOSED)
    return {
        "xinxinglu": Plan.objects.get(community__code=XINXINGLU),
        "closed": Plan.objects.get(pk=closed.pk),
        "chengjiang": Plan.objects.filter(street__code=CHENGJIANG).order_by("pk").first(),
    }


def measure_values(asset: IdleAsset | None = None) -> dict:
    return {
        "method": Measure.Method.SHARE,
        "description": "整合闲置用房",
        "planned_area": Decimal("60.0"),
        "planned_date": PLANNED,
        "status": Measure.Status.NOT_STARTED,
        "actual_area": None,
        "actual_date": None,
        "asset": asset,
    }


def measure_json(asset: IdleAsset | None) -> str:
    values = measure_values(asset)
    return json.dumps(
        {
            "method": values["method"],
            "description": values["description"],
            "planned_area": 60,
            "planned_date": PLANNED.isoformat(),
            "asset": asset.code if asset else None,
        }
    )


# ---------------------------------------------------------------- the register


def test_the_register_offers_adding_an_asset_exactly_where_asset_create_takes_it(
    client, people, register
):
    streets = [region(TIANSHENG), region(CHENGJIANG)]
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        for street in streets:
            may = services.may_manage_assets(scope, street)
            values = asset_values(street.code, f"N-{street.code}")

            def create(scope=scope, values=values):
                services.asset_create(scope=scope, values=values)

            assert may == service_allows(create), (name, street.name)

            def post(values=values):
                return client.post(
                    "/api/v1/assets", as_json(values), content_type="application/json"
                )

            assert may == api_allows(post), (name, street.name)
        # The page's button: some street whose register the caller keeps.
        listed = client.get("/assets/")
        offered = listed.status_code == 200 and 'data-testid="asset-add"' in listed.content.decode()
        assert offered == services.may_manage_assets(scope), name
        assert offered == any(services.may_manage_assets(scope, s) for s in streets), name
        assert (client.get("/assets/new/").status_code == 200) == offered, name


def test_the_asset_page_and_the_api_offer_changes_exactly_where_asset_update_takes_them(
    client, people, register
):
    offered = set()
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        for key in ("tiansheng", "chengjiang"):
            item = register[key]
            may = services.may_edit_asset(scope, item)

            def update(scope=scope, item=item):
                services.asset_update(scope=scope, asset=item, values={"notes": "钥匙在社区"})

            assert may == service_allows(update), (name, key)
            page = client.get(f"/assets/{item.pk}/")
            assert page.status_code in (200, 404)
            drawn = page.status_code == 200 and 'data-testid="asset-form"' in page.content.decode()
            assert drawn == may, (name, key)

            def patch(item=item):
                version = IdleAsset.objects.get(pk=item.pk).version
                body = json.dumps({"notes": "钥匙在社区", "version": version})
                return client.patch(
                    f"/api/v1/assets/{item.pk}", body, content_type="application/json"
                )

            assert may == api_allows(patch), (name, key)
            if may:
                offered.add((name, key))
    assert ("tiansheng-approver", "tiansheng") in offered
    assert ("qu-approver", "chengjiang") in offered
    assert not {("tiansheng-editor", "chengjiang"), ("xinxinglu-editor", "tiansheng")} & offered
    assert not any(name == "qu-viewer" for name, _ in offered)


# ---------------------------------------------------------------- assets for measures


def test_the_plan_page_offers_an_asset_exactly_where_measure_save_takes_it(
    client, people, register, plans
):
    taken = set()
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        for key, plan in plans.items():
            for item in (None, *register.values()):
                may = services.may_assign_asset(scope, plan, item)
                if item is None:
                    # A measure without an asset is the plan editors' alone.
                    may = may_edit_plan(scope, plan)

                def save(scope=scope, plan=plan, item=item):
                    measures.measure_save(scope=scope, plan=plan, values=measure_values(item))

                assert may == service_allows(save), (name, key, item and item.code)
                if may:
                    taken.add((name, key, item and item.code))

                def post(plan=plan, item=item):
                    url = f"/api/v1/plans/{plan.pk}/measures"
                    return client.post(url, measure_json(item), content_type="application/json")

                assert may == api_allows(post), (name, key, item and item.code)
            page = client.get(f"/plans/{plan.pk}/")
            assert page.status_code in (200, 404)
            html = page.content.decode() if page.status_code == 200 else ""
            may = services.may_assign_asset(scope, plan)
            assert ('id="measure-form"' in html) == may, (name, key)
            # Every open plan here is short and has an asset nearby to suggest.
            assert ('data-testid="use-asset"' in html) == may, (name, key)
            only = 'data-testid="measure-form"' in html and "须选择所用资产" in html
            assert only == services.assigns_only(scope, plan), (name, key)
    # Not all one way: the district assigns any street's asset, a street its own only.
    assert ("qu-approver", "xinxinglu", "C-1") in taken
    assert ("xinxinglu-editor", "xinxinglu", "S-1") in taken
    assert ("tiansheng-editor", "xinxinglu", None) in taken
    assert ("qu-approver", "xinxinglu", None) not in taken
    assert ("tiansheng-editor", "xinxinglu", "C-1") not in taken
    assert not any(item == "S-9" or key == "closed" for _, key, item in taken)


def test_the_plan_page_offers_each_measure_exactly_where_the_services_take_it(
    client, people, register, plans
):
    plan = plans["xinxinglu"]
    operator = operator_scope()
    with_asset = measures.measure_save(
        scope=operator, plan=plan, values=measure_values(register["tiansheng"])
    )
    without = measures.measure_save(scope=operator, plan=plan, values=measure_values())
    spare = register["chengjiang"]  # free: what a change may newly choose
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        page = client.get(f"/plans/{plan.pk}/")
        html = page.content.decode() if page.status_code == 200 else ""
        for pk in (with_asset.pk, without.pk):
            measure = Measure.objects.select_related("plan", "asset").get(pk=pk)
            may_delete = may_delete_measure(scope, measure)
            assert (f'name="measure" value="{pk}"><button' in html) == may_delete, (name, pk)

            def delete(scope=scope, pk=pk):
                measures.measure_delete(scope=scope, measure=Measure.objects.get(pk=pk))

            assert may_delete == service_allows(delete), (name, pk)

            # A change that (still) uses an asset: the editors', and the district's. The
            # asset a measure keeps is not chosen anew (nor asked whether it is free).
            chosen = measure.asset or spare
            may_change = services.may_assign_asset(scope, plan, None if measure.asset else spare)

            def change(scope=scope, measure=measure, chosen=chosen):
                values = measure_values(chosen)
                measures.measure_save(scope=scope, plan=plan, measure=measure, values=values)

            assert may_change == service_allows(change), (name, pk)
            offered = f'href="?edit={pk}#measure-form"' in html
            assert offered == services.may_assign_asset(scope, plan), (name, pk)


def test_the_district_is_offered_to_put_an_asset_on_a_streets_measure_as_the_service_allows(
    client, district_approver, register, plans
):
    """The page used to hide 修改 from the district on a measure without an asset, which
    `measure_save` lets the district change by giving it one."""
    plan = plans["xinxinglu"]
    measure = measures.measure_save(scope=operator_scope(), plan=plan, values=measure_values())
    client.force_login(district_approver)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert f'href="?edit={measure.pk}#measure-form"' in page
    assert f'name="measure" value="{measure.pk}"><button' not in page  # no asset: not theirs
    form = client.get(f"/plans/{plan.pk}/?edit={measure.pk}").content.decode()
    assert "须选择所用资产" in form
    data = {
        "action": "measure",
        "measure": measure.pk,
        "m-method": "share",
        "m-description": "整合澄江镇闲置用房",
        "m-planned_area": "60",
        "m-planned_date": PLANNED.isoformat(),
        "m-status": "not_started",
        "m-asset": register["chengjiang"].pk,
    }
    assert client.post(f"/plans/{plan.pk}/", data).status_code == 302
    measure.refresh_from_db()
    assert measure.asset == register["chengjiang"]
