"""Editing rows: scope, optimistic locking, frozen ledgers, strict values, history."""

from decimal import Decimal

import pytest

from shequ.accounts.scope import operator_scope, scope_for
from shequ.compliance.targets import thresholds_for
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow
from shequ.ledger.rows import (
    StaleRow,
    last_approved_row,
    row_history,
    row_update,
    rows_check,
    rows_visible_to,
)
from shequ.workflow.submissions import submission_submit

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, YUNHE_CUN
from .ledger_helpers import approve_street, fill_street, open_period, submission


def row_of(period, code) -> LedgerRow:
    return LedgerRow.objects.select_related("period", "community", "street").get(
        period=period, community__code=code
    )


def test_a_street_editor_changes_a_row_and_the_version_moves(tiansheng_editor):
    period = open_period("2024H1")
    row = row_of(period, XINXINGLU)
    updated = row_update(
        scope=scope_for(tiansheng_editor),
        row=row,
        changes={"households": "3200", "service_center": "640.5", "police_room": 30},
        expected_version=1,
    )
    assert updated.version == 2
    assert updated.households == 3200 and updated.service_center == Decimal("640.5")
    assert updated.total_area == Decimal("670.5")


def test_a_stale_version_is_refused_and_nothing_is_overwritten(tiansheng_editor):
    period = open_period("2024H1")
    scope = scope_for(tiansheng_editor)
    row = row_of(period, XINXINGLU)
    row_update(scope=scope, row=row, changes={"households": 3000}, expected_version=1)
    with pytest.raises(StaleRow) as stale:
        row_update(scope=scope, row=row, changes={"households": 3999}, expected_version=1)
    assert stale.value.current.households == 3000 and stale.value.current.version == 2
    assert row_of(period, XINXINGLU).households == 3000


def test_another_streets_row_is_out_of_scope(tiansheng_editor):
    period = open_period("2024H1")
    with pytest.raises(OutOfScope):
        row_update(
            scope=scope_for(tiansheng_editor),
            row=row_of(period, YUNHE_CUN),
            changes={"households": 1},
            expected_version=1,
        )


def test_a_community_editor_edits_only_its_own_row(xinxinglu_editor):
    period = open_period("2024H1")
    scope = scope_for(xinxinglu_editor)
    row_update(
        scope=scope, row=row_of(period, XINXINGLU), changes={"households": 10}, expected_version=1
    )
    with pytest.raises(OutOfScope):
        row_update(
            scope=scope,
            row=row_of(period, "500109001033"),
            changes={"households": 10},
            expected_version=1,
        )
    assert list(
        rows_visible_to(scope).filter(period=period).values_list("community__code", flat=True)
    ) == [XINXINGLU]


def test_viewers_and_approvers_cannot_edit_rows(district_viewer, tiansheng_approver):
    period = open_period("2024H1")
    for user in (district_viewer, tiansheng_approver):
        with pytest.raises(NotAllowed):
            row_update(
                scope=scope_for(user),
                row=row_of(period, XINXINGLU),
                changes={"households": 10},
                expected_version=1,
            )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"households": "三千"}, "辖区户籍人口总户数应为整数"),
        ({"households": "2086.5"}, "辖区户籍人口总户数应为整数"),
        ({"service_center": "12.34"}, "便民服务中心最多保留一位小数"),
        ({"police_room": "abc"}, "警务室应为数字"),
        ({"compliance_year": "明年"}, "达标年度应为四位年份"),
        ({"police_room_in_center": "也许"}, "警务室设在便民服务中心应为“是”或“否”"),
        ({"population": 5}, "未知字段“population”"),
    ],
)
def test_bad_values_are_refused_by_field_in_chinese(tiansheng_editor, changes, message):
    period = open_period("2024H1")
    with pytest.raises(DomainError, match=message) as error:
        row_update(
            scope=scope_for(tiansheng_editor),
            row=row_of(period, XINXINGLU),
            changes=changes,
            expected_version=1,
        )
    assert error.value.field == next(iter(changes))
    assert row_of(period, XINXINGLU).version == 1


def test_a_whole_number_written_with_point_zero_is_whole(tiansheng_editor):
    period = open_period("2024H1")
    row = row_update(
        scope=scope_for(tiansheng_editor),
        row=row_of(period, XINXINGLU),
        changes={"households": "2086.0"},
        expected_version=1,
    )
    assert row.households == 2086


def test_submitted_and_approved_ledgers_are_frozen(tiansheng_editor):
    period = open_period("2024H1")
    fill_street(period, TIANSHENG)
    submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))
    row = row_of(period, XINXINGLU)
    with pytest.raises(DomainError, match="已上报，不能修改"):
        row_update(
            scope=scope_for(tiansheng_editor),
            row=row,
            changes={"households": 1},
            expected_version=row.version,
        )


def test_every_change_is_in_the_rows_history_with_before_and_after(tiansheng_editor):
    period = open_period("2024H1")
    scope = scope_for(tiansheng_editor)
    row = row_update(
        scope=scope,
        row=row_of(period, XINXINGLU),
        changes={"households": 3000},
        expected_version=1,
        reason="入户核查",
    )
    row_update(
        scope=scope,
        row=row,
        changes={"households": 3100, "remarks": "新增小区"},
        expected_version=2,
    )
    history = list(row_history(row))
    assert [e.changes for e in history] == [
        {"households": [3000, 3100], "remarks": ["", "新增小区"]},
        {"households": [None, 3000]},
    ]
    assert history[1].actor == "tiansheng-editor" and history[1].reason == "入户核查"


def test_saving_the_same_values_writes_nothing(tiansheng_editor):
    period = open_period("2024H1")
    scope = scope_for(tiansheng_editor)
    row = row_update(
        scope=scope, row=row_of(period, XINXINGLU), changes={"households": 3000}, expected_version=1
    )
    again = row_update(scope=scope, row=row, changes={"households": "3000"}, expected_version=2)
    assert again.version == 2 and row_history(row).count() == 1


def test_warning_comments_are_kept_per_warning(tiansheng_editor):
    period = open_period("2024H1")
    row = row_update(
        scope=scope_for(tiansheng_editor),
        row=row_of(period, XINXINGLU),
        changes={"households": 1000, "service_center": "150.0"},
        comments={"center_small": "正在扩建"},
        expected_version=1,
    )
    check = rows_check([row], thresholds_for(row.period.year))[0]
    assert [f.code for f in check.warnings] == ["center_small"]
    assert check.blocking == []


def test_the_last_approved_row_is_the_latest_approved_period_before(beibei):
    first = open_period("2024H1")
    approve_street(first, TIANSHENG, households=3000, service_center="700.0")
    open_period("2024H2")
    third = open_period("2025H1")
    previous = last_approved_row(row_of(third, XINXINGLU))
    assert previous.period == first and previous.households == 3000
    assert last_approved_row(row_of(third, YUNHE_CUN)) is None


def test_of_two_approved_periods_the_later_one_counts(beibei):
    approve_street(open_period("2024H1"), TIANSHENG, households=3000, service_center="700.0")
    second = open_period("2024H2")
    approve_street(second, TIANSHENG, households=3100, service_center="710.0")
    third = open_period("2025H1")
    assert row_of(third, XINXINGLU).households == 3100  # carried forward from 2024H2
    assert last_approved_row(row_of(third, XINXINGLU)).period == second
    assert last_approved_row(row_of(second, XINXINGLU)).households == 3000


def test_the_database_compliance_condition_is_the_rules_condition(beibei):
    period = open_period("2024H1")
    values = [(2000, "599.9"), (2000, "600.0"), (1, "0.3"), (3333, "999.9"), (3333, "1000.0")]
    rows = list(LedgerRow.objects.filter(period=period, street__code=CHENGJIANG)[: len(values)])
    for row, (count, center) in zip(rows, values, strict=True):
        row.households, row.service_center = count, Decimal(center)
        row.total_area = rules.total_area(row)
        row.save()
    standard = rules.Thresholds().standard
    in_sql = set(
        LedgerRow.objects.filter(pk__in=[r.pk for r in rows])
        .filter(rules.compliant_condition(standard))
        .values_list("pk", flat=True)
    )
    in_python = {r.pk for r in rows if rules.is_compliant(r.total_area, r.households, standard)}
    assert in_sql == in_python and len(in_python) == 4  # 999.9 ÷ 3333 is exactly 30
    assert rows[0].pk not in in_sql  # 29.995


def test_a_blank_compliance_year_is_the_first_compliant_year_on_approved_data(beibei):
    from shequ.ledger.queries import filled_compliance_years
    from shequ.ledger.rules import ComplianceYear

    first = open_period("2023H2")
    approve_street(first, TIANSHENG, households=1000, service_center="250.0")  # short
    second = open_period("2024H1")
    approve_street(second, TIANSHENG, households=1000, service_center="320.0")  # compliant
    third = open_period("2024H2")
    fill_street(third, CHENGJIANG, households=1000, service_center="250.0")  # short, a plan
    rows = [row_of(third, XINXINGLU), row_of(third, YUNHE_CUN), row_of(second, "500109001033")]
    rows[2].compliance_year = 2030  # stated years win
    years = filled_compliance_years(
        rows, Decimal("30"), plan_target_years={rows[1].community_id: 2027}
    )
    assert years == {
        rows[0].pk: ComplianceYear(2024),
        rows[1].pk: ComplianceYear(2027, planned=True),
        rows[2].pk: ComplianceYear(2030),
    }
    # As of 2023H2 新星路 had not yet met the standard: no year, whatever came later.
    assert filled_compliance_years([row_of(first, XINXINGLU)], Decimal("30")) == {
        row_of(first, XINXINGLU).pk: ComplianceYear(None)
    }
