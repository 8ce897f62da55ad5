"""Demo idle assets: a few plausible idle public buildings in several 北碚区 streets, one of
them used by a measure of a demo plan. Deterministic, and only on a register still empty."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from shequ.accounts.scope import Scope, operator_scope
from shequ.assets.models import IdleAsset
from shequ.assets.services import asset_create
from shequ.assets.suggestions import measure_defaults
from shequ.plans.models import Plan
from shequ.plans.queries import OPEN
from shequ.regions.models import Region
from shequ.workflow.measures import measure_save

# street code | kind | name | owner unit | address | area m² | status | notes (demo data)
DEMO_ASSETS = """
500109001|school|原天生路小学北校区教学楼|区教委|天生街道天生路 6 号|620.0|available|一至二层可先行使用
500109001|school|闲置学生活动中心|西南大学|天生街道天生路 2 号附近|800.0|available|
500109001|office|原街道档案楼|天生街道办事处|天生街道云华路 15 号|240.0|available|
500109002|office|原区粮食局办公楼三层|区机关事务服务中心|朝阳街道中山路 120 号|150.0|available|需加装无障碍设施
500109003|other|原林场职工宿舍|区林业局|北温泉街道缙云山路 8 号|260.0|available|
500109006|factory|原仪表厂二号厂房|区国资委|蔡家岗街道同兴路 33 号|1100.0|available|区属国有企业闲置厂房，需改造
500109008|school|原中心小学旧校舍|区教委|水土街道水土老街 21 号|420.0|available|
500109102|other|原供销社门市|区供销合作社|澄江镇澄江老街 9 号|95.0|available|
500109110|other|原兽医站|区农业农村委|静观镇素心路 3 号|120.0|used|2023 年已改建为素心村便民服务中心
"""  # noqa: E501 (one asset a line reads better than wrapped tuples)
FIELDS = ("street", "kind", "name", "owner", "address", "area", "status", "notes")
DEMO_ALLOCATED = "原区粮食局办公楼三层"  # used by a measure of its street's plan, if one fits
DEMO_MEASURE_DATE = datetime.date(2027, 6, 30)


@dataclass
class DemoAssets:
    created: int = 0
    allocated_to: str = ""  # the community whose plan uses the allocated asset


@transaction.atomic
def demo_assets_create() -> DemoAssets:
    if IdleAsset.objects.exists():
        return DemoAssets()
    scope = operator_scope()
    rows = [dict(zip(FIELDS, line.split("|"), strict=True)) for line in _lines(DEMO_ASSETS)]
    streets = {r.code: r for r in Region.objects.filter(code__in={row["street"] for row in rows})}
    report = DemoAssets()
    for row in rows:
        if row["street"] not in streets:
            continue  # another district's tree: no demo assets there
        values = row | {"code": "", "street": streets[row["street"]], "area": Decimal(row["area"])}
        asset = asset_create(scope=scope, values=values)
        report.created += 1
        if asset.name == DEMO_ALLOCATED:
            report.allocated_to = _use_in_a_plan(scope, asset)
    return report


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _use_in_a_plan(scope: Scope, asset: IdleAsset) -> str:
    """A measure using `asset` in the open plan of its street whose gap it fits best."""
    plan = (
        Plan.objects.filter(street=asset.street, state__in=OPEN, gap_m2__gt=0)
        .filter(gap_m2__lte=asset.area)
        .select_related("community", "street")
        .order_by("-gap_m2", "community__code")
        .first()
    )
    if plan is None:
        return ""
    values = measure_defaults(asset, plan) | {
        "asset": asset,
        "planned_date": DEMO_MEASURE_DATE,
        "budget": Decimal("18.00"),
        "funding": "district",
    }
    measure_save(scope=scope, plan=plan, values=values)
    return plan.community.name
