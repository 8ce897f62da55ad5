"""`shequ gen-scale`: a city or a country of approved ledgers in an empty database.

The regions (the real 重庆 divisions, or a synthetic country under 全国), an `admin` at
the root with a random password, the notice's targets, periods 2026H1 (closed) and 2026H2
(open), every street's ledger approved and sealed in both, and the tallies the dashboards
and the summary read. One transaction: a failure leaves the database empty.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from shequ.accounts.models import Role, User
from shequ.accounts.scope import operator_scope
from shequ.accounts.services import user_create
from shequ.compliance.demo import demo_targets_create
from shequ.compliance.tallies import tallies_rebuild
from shequ.core.actors import Actor
from shequ.core.audit import audit_record
from shequ.core.bulk import analyze
from shequ.core.periods import PeriodCode
from shequ.ledger.models import LedgerRow, Period, SealedVersion, Submission
from shequ.ledger.periods import default_deadline
from shequ.regions.levels import Level
from shequ.regions.loading import regions_load, resolve_file
from shequ.regions.models import Region, RegionVersion
from shequ.scale.ledgers import ledgers_generate
from shequ.scale.national import national_units
from shequ.scale.tree import tree_insert

CITY_FILES = ("chongqing_counties.csv", "chongqing_villages.csv")
PERIODS = (PeriodCode(2026, 1), PeriodCode(2026, 2))
ADMIN = "admin"
NATIONAL_DEFAULT = 600_000


class NotEmpty(Exception):
    """The database already holds data: gen-scale writes only into an empty one."""


@dataclass
class ScaleReport:
    root: Region
    levels: dict[str, int] = field(default_factory=dict)
    periods: list[str] = field(default_factory=list)
    rows: int = 0
    streets_approved: int = 0
    tallies: int = 0
    admin: str = ADMIN
    password: str = ""

    def as_json(self) -> dict:
        return {
            "root": {"code": self.root.code, "name": self.root.name},
            "regions": self.levels,
            "periods": self.periods,
            "ledger_rows": self.rows,
            "streets_approved": self.streets_approved,
            "tallies": self.tallies,
            "admin": {"username": self.admin, "password": self.password},
        }


def require_empty() -> None:
    found = {
        "区划": Region.objects.count(),
        "报告期": Period.objects.count(),
        "用户": User.objects.count(),
    }
    present = "、".join(f"{label} {count} 个" for label, count in found.items() if count)
    if present:
        raise NotEmpty(
            f"数据库不是空的（已有{present}）：gen-scale 只能写入空数据库，"
            "请换一个新建的数据库（DATABASE_URL）后重试"
        )


def scale_generate(
    *, national: int | None = None, progress: Callable[[str], None] = lambda text: None
) -> ScaleReport:
    """重庆 when `national` is None, else a synthetic country of `national` communities."""
    require_empty()
    with transaction.atomic():
        progress("① 区划 …")
        root = _regions(national)
        report = ScaleReport(root=root, levels=_level_counts())
        progress("② 管理员账号、达标目标和报告期 …")
        report.password = secrets.token_urlsafe(12)
        operator = operator_scope()
        user_create(
            scope=operator,
            username=ADMIN,
            password=report.password,
            node=root,
            role=Role.ADMIN,
            full_name="管理员",
            validate=False,
        )
        demo_targets_create(root)
        periods = [_period(code) for code in PERIODS]
        report.periods = [period.code for period in periods]
        progress("③ 台账（全部审核通过）…")
        ledgers = ledgers_generate(periods, progress=progress)
        report.rows, report.streets_approved = ledgers.rows, ledgers.streets
        analyze(Region, RegionVersion, LedgerRow, Submission, SealedVersion)
        progress("④ 达标统计 …")
        report.tallies = sum(tallies_rebuild(period) for period in periods)
        audit_record(
            actor=operator.actor,
            action="scale.generate",
            target_type="region",
            target_id=root.code,
            summary=f"生成规模测试数据：{root.name}，社区/村 {report.levels[Level.COMMUNITY]} 个，"
            f"台账 {report.rows} 行（模拟数据）",
            changes=report.levels,
        )
    return report


def _regions(national: int | None) -> Region:
    if national is None:
        paths = [resolve_file(name) for name in CITY_FILES]
        return regions_load(paths=paths, actor=Actor.command_line()).root
    tree_insert(national_units(national))
    return Region.objects.get(parent__isnull=True)


def _level_counts() -> dict[str, int]:
    return {level: Region.objects.filter(level=level).count() for level in Level.values}


def _period(code: PeriodCode) -> Period:
    """Every period but the last is closed, as after a normal year."""
    state = Period.State.OPEN if code == PERIODS[-1] else Period.State.CLOSED
    return Period.objects.create(
        code=code.code, ordinal=code.ordinal, deadline=default_deadline(code), state=state
    )
