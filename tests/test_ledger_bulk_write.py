"""Writing an import in bulk: the same rows, versions and audit entries on SQLite and on
PostgreSQL (where changed rows and their audit entries go a chunk at a time by COPY into a
temporary table, and statements sent without waiting for them write them), all or
nothing.

Each test runs on SQLite and, in the PostgreSQL pass of CI, on PostgreSQL.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from shequ.accounts.scope import operator_scope
from shequ.core import audited_updates
from shequ.core.audit import AuditEntry
from shequ.core.audited_updates import AuditedUpdates
from shequ.core.bulk import insert_rows, update_rows
from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.ledger import rows as ledger_rows
from shequ.ledger.importing.apply import import_apply
from shequ.ledger.importing.files import COMMAND_LINE_LIMITS, read_sheets
from shequ.ledger.models import LedgerRow
from shequ.workflow.ledger_files import plan_import

from .conftest import CHENGJIANG, YUNHE_CUN, YUNHE_SHEQU
from .import_fixtures import xlsx
from .ledger_helpers import open_period, street_rows

HEADER = [
    "所在街道（乡镇）",
    "社区名称",
    "辖区户籍人口总户数（户）",
    "便民服务中心",
    "警务室",
    "备注",
]
# Text the COPY format must escape: a tab, a newline, a backslash, quotes.
AWKWARD_REMARKS = '东区\t新建\n"综合楼"\\二楼'


@pytest.fixture
def period(beibei):
    return open_period("2026H2")


def planned(period, *data_rows):
    content = xlsx({"台账": [HEADER, *data_rows]})
    return plan_import(
        scope=operator_scope(),
        period=period,
        sheets=read_sheets(content, "台账.xlsx", COMMAND_LINE_LIMITS),
        filename="台账.xlsx",
    )


def two_rows(period):
    return planned(
        period,
        ["澄江镇", "运河村", 1500, 520, 30, AWKWARD_REMARKS],
        ["澄江镇", "运河社区", 3000, "900.5", "", ""],
    )


def row(period, code) -> LedgerRow:
    return LedgerRow.objects.get(period=period, community__code=code)


def test_an_import_writes_the_values_totals_versions_and_one_audit_entry_a_row(period):
    plan = two_rows(period)
    assert plan.ok, plan.errors.listed

    assert import_apply(scope=operator_scope(), plan=plan) == 2

    village = row(period, YUNHE_CUN)
    assert (village.households, village.service_center, village.police_room) == (
        1500,
        Decimal("520.0"),
        Decimal("30.0"),
    )
    assert village.remarks == AWKWARD_REMARKS
    assert village.total_area == Decimal("550.0") and village.version == 2
    assert village.warning_comments == {}
    community = row(period, YUNHE_SHEQU)
    assert (community.households, community.service_center, community.total_area) == (
        3000,
        Decimal("900.5"),
        Decimal("900.5"),
    )
    assert community.version == 2
    # The street's other rows were not in the file: untouched.
    untouched = LedgerRow.objects.filter(period=period, street__code=CHENGJIANG, version=1)
    assert untouched.count() == street_rows(period, CHENGJIANG).count() - 2

    events = AuditEvent.objects.filter(action="ledger.import").order_by("id")
    assert [
        (e.target_type, e.target_id, e.region_path, e.summary, e.actor, e.user, e.reason)
        for e in events
    ] == [
        (
            "ledger_row",
            str(village.pk),
            village.community.path,
            f"修改2026年下半年{village.community.name}",
            "命令行",
            None,
            "导入 台账.xlsx",
        ),
        (
            "ledger_row",
            str(community.pk),
            community.community.path,
            f"修改2026年下半年{community.community.name}",
            "命令行",
            None,
            "导入 台账.xlsx",
        ),
    ]
    assert events[0].changes == {
        "households": [None, 1500],
        "service_center": [None, "520.0"],
        "police_room": [None, "30.0"],
        "remarks": ["", AWKWARD_REMARKS],
    }
    assert events[1].changes == {"households": [None, 3000], "service_center": [None, "900.5"]}
    assert [e.changes for e in ledger_rows.row_history(village)] == [events[0].changes]


def street_import(period, households=lambda i: 1000 + i):
    """Every community of 澄江镇, in the street's order, with new figures."""
    names = [r.community.name for r in street_rows(period, CHENGJIANG)]
    return planned(
        period, *[["澄江镇", name, households(i), 400, "", ""] for i, name in enumerate(names)]
    )


def nothing_written(period) -> bool:
    return not (
        LedgerRow.objects.filter(period=period, version__gt=1).exists()
        or AuditEvent.objects.filter(target_type="ledger_row").exists()
    )


def test_a_write_in_several_chunks_writes_every_row_once_audited_in_order(period, monkeypatch):
    monkeypatch.setattr(audited_updates, "CHUNK", 2)
    plan = street_import(period)
    assert plan.ok, plan.errors.listed

    assert import_apply(scope=operator_scope(), plan=plan) == 13

    written = list(street_rows(period, CHENGJIANG))
    assert [r.households for r in written] == list(range(1000, 1013))
    assert {r.version for r in written} == {2}
    events = AuditEvent.objects.filter(action="ledger.import").order_by("id")
    assert [e.target_id for e in events] == [str(r.pk) for r in written]
    assert len({e.at for e in events}) == 1  # one moment: one transaction


@pytest.mark.parametrize("chunk", [2, audited_updates.CHUNK])
def test_a_refusal_part_way_through_the_write_leaves_nothing(period, monkeypatch, chunk):
    """With chunks of 2 the first rows are written (and their audit rows sent) before the
    sixth row's households are refused."""
    monkeypatch.setattr(audited_updates, "CHUNK", chunk)
    rows = list(street_rows(period, CHENGJIANG))
    updates = [(r, {"households": 1000 + i}) for i, r in enumerate(rows)]
    updates[5] = (rows[5], {"households": "一千"})

    with pytest.raises(DomainError, match="辖区户籍人口总户数应为整数"):
        ledger_rows.rows_bulk_update(
            scope=operator_scope(), updates=updates, reason="测试", action="ledger.test"
        )

    assert nothing_written(period)
    # Nothing was left behind on the connection (no pipeline, no temporary table): the same
    # import goes through now.
    assert import_apply(scope=operator_scope(), plan=street_import(period)) == 13


@pytest.mark.parametrize("chunk", [1, audited_updates.CHUNK])
def test_a_database_error_in_the_write_leaves_nothing(period, monkeypatch, chunk):
    """The database refuses the second row (a negative version): on PostgreSQL while the
    statements are in flight, reported when they are waited for."""
    monkeypatch.setattr(audited_updates, "CHUNK", chunk)
    first, second = list(street_rows(period, CHENGJIANG))[:2]

    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        AuditedUpdates(
            LedgerRow,
            ("households", "version"),
            actor=operator_scope().actor,
            action="ledger.test",
            target_type="ledger_row",
            reason="测试",
        ) as writes,
    ):
        writes.add((first.pk, 1200, 2), AuditEntry(first.pk, "", "第一行", {}))
        writes.add((second.pk, 1300, -1), AuditEntry(second.pk, "", "第二行", {}))

    assert nothing_written(period)
    assert import_apply(scope=operator_scope(), plan=street_import(period)) == 13


def test_bulk_updates_and_inserts_read_back_exactly(period):
    """Values the COPY text format escapes, JSON with Chinese text, NULLs and decimals come
    back as they were written, through both helpers."""
    target = row(period, YUNHE_CUN)
    comments = {"center_small": '正在扩建\t"二期"\\东侧', "ratio_high": "核实\n无误"}
    with transaction.atomic():
        update_rows(
            LedgerRow,
            ("households", "service_center", "remarks", "warning_comments", "total_area"),
            [(target.pk, None, Decimal("12.5"), AWKWARD_REMARKS, comments, Decimal("12.5"))],
        )
        written = {
            "at": timezone.now(),
            "actor": "命令行",
            "action": "test.bulk",
            "target_type": "ledger_row",
            "target_id": "1",
            "region_path": "",
            "summary": "摘要",
            "changes": comments,
            "reason": AWKWARD_REMARKS,
        }
        insert_rows(AuditEvent, tuple(written), [list(written.values())])
    target.refresh_from_db()
    assert target.households is None and target.service_center == Decimal("12.5")
    assert target.remarks == AWKWARD_REMARKS and target.warning_comments == comments
    event = AuditEvent.objects.get(action="test.bulk")
    assert event.changes == comments and event.reason == AWKWARD_REMARKS


def test_no_temporary_table_outlives_a_write(period):
    assert import_apply(scope=operator_scope(), plan=two_rows(period)) == 2
    with transaction.atomic():
        update_rows(LedgerRow, ("households",), [(row(period, YUNHE_CUN).pk, 1600)])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'pg_temp%'")
            assert cursor.fetchone() == (0,)


def test_ledger_pages_keep_room_for_updated_rows(db):
    """fillfactor 50 (ledger migration 0002): an import's new row versions fit beside the
    old ones, so PostgreSQL touches no index to update them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'ledger_ledgerrow'")
            assert cursor.fetchone() == (["fillfactor=50"],)
