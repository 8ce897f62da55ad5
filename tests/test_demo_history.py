"""The demo's seven years of history: shape, targets, workflow states, and a clean chain."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from shequ.compliance.targets import thresholds_for
from shequ.ledger import rules
from shequ.ledger.models import Period, Submission
from shequ.ledger.rows import rows_check
from shequ.ledger.verify import ledger_verify
from shequ.regions.levels import Level
from shequ.regions.models import Region
from shequ.workflow.demo_history import build_profiles, values_for

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Build the demo once for this module (it takes seconds), and remove it after."""
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("demo", "--no-serve", stdout=out)
        yield out.getvalue()
        from django.db import connection

        from shequ.accounts.models import User
        from shequ.assets.models import IdleAsset
        from shequ.checklist.models import ChecklistEntry
        from shequ.compliance.models import ReminderSent, Tally, Target
        from shequ.core.models import AuditEvent, Setting
        from shequ.ledger.models import LedgerRow, SealedVersion, StreetExtension
        from shequ.plans.models import Plan, StreetPlan
        from shequ.subsidy.models import SubsidyAllocation, SubsidyBudget

        for model in (
            SubsidyAllocation,  # before Plan: an allocation protects its measure
            SubsidyBudget,
            ChecklistEntry,
            StreetPlan,
            Plan,
            IdleAsset,
            Tally,
            ReminderSent,
            Target,
            SealedVersion,
            StreetExtension,
            LedgerRow,
            Submission,
            Period,
            AuditEvent,
            User,
            Setting,
        ):
            model.objects.all().delete()
        connection.close()


def rate(period: Period) -> float:
    compliant = period.rows.filter(rules.compliant_condition(Decimal(30))).count()
    return compliant / period.rows.count()


def test_demo_creates_the_contract_accounts(demo):
    from shequ.accounts.models import Role, User
    from shequ.core.settings_store import is_demo

    assert "街镇 17 个，社区/村 192 个" in demo
    assert "共 229 个演示账号，密码均为：demo1234" in demo
    assert User.objects.get(username="admin").role == Role.ADMIN
    assert User.objects.get(username="viewer").node.code == "500109"
    assert User.objects.get(username="approver").role == Role.APPROVER
    approver = User.objects.get(username="500109001-approver")
    assert (approver.node.code, approver.role) == ("500109001", Role.APPROVER)
    community = User.objects.get(username="500109001028-editor")
    assert (community.node.code, community.role) == ("500109001028", Role.EDITOR)
    assert community.check_password("demo1234")
    assert User.objects.filter(username__endswith="-editor").count() == 17 + 192
    assert is_demo()


def test_the_demo_has_every_half_year_from_2020_to_2026_for_all_192(demo):
    assert "报告期 14 个" in demo and "均为演示数据" in demo
    periods = list(Period.objects.order_by("ordinal"))
    assert [p.code for p in periods][:2] == ["2020H1", "2020H2"]
    assert periods[-1].code == "2026H2" and len(periods) == 14
    assert all(p.rows.count() == 192 for p in periods)


def test_compliance_climbs_around_the_notices_targets(demo):
    by_code = {p.code: p for p in Period.objects.all()}
    for code, target in (("2020H2", 0.6), ("2021H2", 0.7), ("2022H2", 0.8)):
        assert abs(rate(by_code[code]) - target) <= 0.10, code
    rates = [rate(p) for p in Period.objects.order_by("ordinal")]
    assert rates == sorted(rates) and rates[-1] > 0.85


def test_households_are_plausible(demo):
    rows = Period.objects.get(code="2026H1").rows.select_related("community")
    urban = [r.households for r in rows if r.community.urban_rural_class == "urban"]
    rural = [r.households for r in rows if r.community.urban_rural_class == "rural"]
    assert 1500 <= sorted(urban)[len(urban) // 2] <= 7000
    assert 400 <= sorted(rural)[len(rural) // 2] <= 2500


def test_approved_to_2026h1_and_2026h2_is_open_and_mixed(demo):
    closed = Submission.objects.exclude(period__code="2026H2")
    assert set(closed.values_list("state", flat=True)) == {"approved"}
    assert closed.filter(late=True).exists()
    last = Period.objects.get(code="2026H2")
    assert last.is_open
    states = set(last.submissions.values_list("state", flat=True))
    assert {"draft", "submitted", "returned"} <= states
    assert Period.objects.filter(state="open").count() == 1


def test_returned_submissions_appear_in_the_audit_trail(demo):
    from shequ.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="ledger.return").count() >= 3


def test_the_demo_history_verifies_and_no_approved_row_has_a_blocker(demo):
    assert ledger_verify().ok
    period = Period.objects.get(code="2025H2")
    rows = list(period.rows.select_related("community", "period"))
    assert all(
        check.blocking == [] for check in rows_check(rows, thresholds_for(rows[0].period.year))
    )


def test_the_demo_registers_idle_assets_one_used_by_a_plans_measure(demo):
    from shequ.assets.models import IdleAsset

    assert "闲置资产 9 处，其中 1 处已用于" in demo
    assets = IdleAsset.objects.all()
    assert assets.values("street").distinct().count() >= 6
    allocated = assets.get(status="allocated")
    measure = allocated.measures.get()
    assert (measure.plan.street, measure.planned_area) == (allocated.street, allocated.area)
    assert measure.plan.gap_m2 <= allocated.area


def test_running_the_demo_again_changes_nothing(demo):
    rows = Period.objects.get(code="2024H1").rows.count()
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    assert "已有报告期，保持不变" in out.getvalue()
    assert "已有补助资金预算，保持不变" in out.getvalue()
    assert "新建 0 个，共 229 个演示账号" in out.getvalue()
    assert "已有闲置资产登记，保持不变" in out.getvalue()
    assert "已有功能设置，保持不变" in out.getvalue()
    assert Period.objects.count() == 14
    assert Period.objects.get(code="2024H1").rows.count() == rows


def test_the_generated_figures_are_deterministic(demo):
    communities = list(Region.objects.filter(level=Level.COMMUNITY))
    first, second = build_profiles(communities), build_profiles(communities)
    some = communities[7].pk
    assert values_for(first[some], 5) == values_for(second[some], 5)


def test_the_demo_has_three_years_of_subsidy_partly_spent(demo):
    from shequ.subsidy.services import budget_status

    assert "每年预算 500 万元" in demo
    for year in (2024, 2025, 2026):
        status = budget_status(year)
        assert status.budget == Decimal("500.00")
        assert 0 < status.paid <= status.allocated < status.budget
    this_year = budget_status(2026)
    assert this_year.paid < this_year.allocated  # some money still to be paid out
    assert budget_status(2025).near_limit  # the demo shows the 90 % warning


def test_every_community_has_a_plausible_checklist(demo):
    from shequ.checklist.models import ChecklistEntry
    from shequ.checklist.queries import communities_completeness, shared_rooms

    assert "社区/村 192 个，19 项全部设置" in demo and "照片 2 张" in demo
    root = Region.objects.get(code="500109")
    lines = communities_completeness(root)
    assert len(lines) == 192
    assert ChecklistEntry.objects.values("community").distinct().count() == 192
    urban = [line.present for line in lines if line.community.urban_rural_class == "urban"]
    rural = [line.present for line in lines if line.community.urban_rural_class == "rural"]
    assert sum(urban) / len(urban) > sum(rural) / len(rural) > 15
    assert 0 < sum(line.complete for line in lines) < 192
    entries = ChecklistEntry.objects.all()
    by_community: dict[int, list] = {}
    for entry in entries:
        by_community.setdefault(entry.community_id, []).append(entry)
    shared = sum(bool(shared_rooms(found)) for found in by_community.values())
    assert 10 < shared < 150
    assert ChecklistEntry.objects.exclude(photo="").count() == 2
