"""Opening periods: rows for every community, carry-forward of approved values, deadlines."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shequ.accounts.scope import operator_scope, scope_for
from shequ.core.actors import Actor
from shequ.core.errors import DomainError, NotAllowed
from shequ.core.models import AuditEvent
from shequ.core.periods import PeriodCode
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.periods import deadline_for, period_close, period_extend
from shequ.regions.changes import region_merge
from shequ.workflow.periods import period_open

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, YUNHE_CUN, YUNHE_SHEQU, region
from .ledger_helpers import approve_street, open_period, street_rows


def test_opening_a_period_makes_a_draft_row_for_every_community(beibei):
    period = open_period("2024H1")
    assert period.code == "2024H1" and period.label == "2024年上半年"
    assert period.deadline == datetime.date(2024, 4, 30)
    assert period.rows.count() == 192
    assert Submission.objects.filter(period=period, state="draft").count() == 17
    row = period.rows.get(community__code=XINXINGLU)
    assert row.street.code == TIANSHENG and row.households is None and row.version == 1


def test_the_second_half_is_due_on_30_october_unless_set(beibei):
    assert open_period("2024H2").deadline == datetime.date(2024, 10, 30)
    custom = period_open(
        scope=operator_scope(), code=PeriodCode.parse("2025H1"), deadline=datetime.date(2025, 5, 15)
    )
    assert custom.period.deadline == datetime.date(2025, 5, 15)


def test_opening_carries_the_last_approved_values_forward(beibei):
    first = open_period("2024H1")
    approve_street(first, TIANSHENG, households=3100, service_center="620.5", remarks="甲")
    second = open_period("2024H2")
    carried = second.rows.get(community__code=XINXINGLU)
    assert carried.households == 3100
    assert str(carried.service_center) == "620.5" and carried.remarks == "甲"
    assert str(carried.total_area) == "620.5"
    untouched = second.rows.get(community__code=YUNHE_CUN)  # 澄江镇 was never approved
    assert untouched.households is None


def test_unapproved_values_are_not_carried(beibei):
    first = open_period("2024H1")
    from .ledger_helpers import fill_street

    fill_street(first, CHENGJIANG, households=999, service_center="300.0")
    second = open_period("2024H2")
    assert second.rows.get(community__code=YUNHE_CUN).households is None


def test_a_past_period_may_be_opened_and_carries_from_before_it(beibei):
    open_period("2024H1")
    earlier = open_period("2020H1")
    assert earlier.rows.count() == 192
    assert list(Period.objects.values_list("code", flat=True)) == ["2024H1", "2020H1"]


def test_opening_an_open_period_again_changes_nothing(beibei):
    open_period("2024H1")
    report = period_open(scope=operator_scope(), code=PeriodCode.parse("2024H1"))
    assert not report.created and report.rows_created == 0
    assert LedgerRow.objects.count() == 192
    assert AuditEvent.objects.filter(action="periods.open").count() == 1


def test_a_merged_community_counts_once_in_the_period_of_the_merge(beibei):
    region_merge(
        actor=Actor.command_line(),
        sources=[region(YUNHE_SHEQU), region(YUNHE_CUN)],
        code="500109102008",
        name="运河社区居民委员会",
        effective=PeriodCode.parse("2025H1"),
    )
    assert open_period("2024H2").rows.count() == 192
    after = open_period("2025H1")
    assert after.rows.count() == 191
    assert after.rows.filter(community__code="500109102008", street__code=CHENGJIANG).exists()


def test_only_the_roots_admins_open_and_close_periods(district_viewer, tiansheng_approver):
    with pytest.raises(NotAllowed):
        period_open(scope=scope_for(district_viewer), code=PeriodCode.parse("2024H1"))
    period = open_period("2024H1")
    with pytest.raises(NotAllowed):
        period_close(scope=scope_for(tiansheng_approver), period=period)


def test_closing_and_reopening(district_admin):
    period = open_period("2024H1")
    period_close(scope=scope_for(district_admin), period=period)
    assert Period.objects.get(pk=period.pk).state == "closed"
    with pytest.raises(DomainError, match="已关闭"):
        period_close(scope=scope_for(district_admin), period=Period.objects.get(pk=period.pk))
    report = period_open(scope=scope_for(district_admin), code=PeriodCode.parse("2024H1"))
    assert report.reopened and report.period.is_open


def test_an_extension_needs_a_reason_and_a_later_date(district_admin):
    period = open_period("2024H1")
    scope, street = scope_for(district_admin), region(TIANSHENG)
    with pytest.raises(DomainError, match="请填写延期原因"):
        period_extend(
            scope=scope,
            period=period,
            street=street,
            deadline=datetime.date(2024, 5, 10),
            reason=" ",
        )
    with pytest.raises(DomainError, match="应晚于本期截止日期"):
        period_extend(
            scope=scope,
            period=period,
            street=street,
            deadline=datetime.date(2024, 4, 1),
            reason="汛期",
        )
    period_extend(
        scope=scope,
        period=period,
        street=street,
        deadline=datetime.date(2024, 5, 10),
        reason="汛期抢险",
    )
    assert deadline_for(period, street) == datetime.date(2024, 5, 10)
    assert deadline_for(period, region(CHENGJIANG)) == datetime.date(2024, 4, 30)
    assert AuditEvent.objects.get(action="periods.extend").reason == "汛期抢险"


def test_the_open_period_command(beibei):
    out = io.StringIO()
    call_command("open-period", "2026H2", "--deadline", "2026-11-15", stdout=out)
    assert "已开启2026年下半年，截止 2026-11-15：台账 192 行" in out.getvalue()
    again = io.StringIO()
    call_command("open-period", "2026H2", stdout=again)
    assert "已在填报中" in again.getvalue()
    assert len(street_rows(Period.objects.get(code="2026H2"), TIANSHENG)) == 10


def test_the_open_period_command_refuses_bad_input(beibei):
    with pytest.raises(CommandError, match="格式不对"):
        call_command("open-period", "2026H3")
    with pytest.raises(CommandError, match="参数有误"):
        call_command("open-period", "2026H2", "--deadline", "2026-13-01")


def test_the_extend_deadline_command(beibei):
    open_period("2026H2")
    out = io.StringIO()
    call_command(
        "extend-deadline",
        "--period",
        "2026H2",
        "--street",
        "天生",
        "--until",
        "2026-11-20",
        "--reason",
        "暴雨",
        stdout=out,
    )
    assert out.getvalue().strip() == "天生街道2026年下半年截止日期延至 2026-11-20"
    with pytest.raises(CommandError, match="找不到街镇“天堂镇”"):
        call_command(
            "extend-deadline",
            "--period",
            "2026H2",
            "--street",
            "天堂镇",
            "--until",
            "2026-11-20",
            "--reason",
            "暴雨",
        )


def test_streets_past_their_deadline_without_submitting_are_overdue(district_admin):
    from shequ.ledger.periods import overdue_street_ids

    period = open_period("2024H1")
    period_extend(
        scope=scope_for(district_admin),
        period=period,
        street=region(CHENGJIANG),
        deadline=datetime.date(2024, 5, 10),
        reason="汛期",
    )
    overdue = overdue_street_ids(period, today=datetime.date(2024, 5, 2))
    assert region(TIANSHENG).pk in overdue and region(CHENGJIANG).pk not in overdue
    assert overdue_street_ids(period, today=datetime.date(2024, 4, 30)) == set()
