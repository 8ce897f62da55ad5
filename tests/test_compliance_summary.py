"""The summary against figures computed here from the rows, targets at their edges, and the
tallies kept in step with every transition."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope, scope_for
from shequ.compliance.models import Tally
from shequ.compliance.summary import needed_for_target, summary
from shequ.compliance.tallies import tallies_rebuild
from shequ.compliance.target_changes import target_set
from shequ.compliance.targets import TargetBook
from shequ.core.errors import DomainError, NotAllowed
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.rows import rows_bulk_update
from shequ.regions.levels import Level
from shequ.regions.models import Region
from shequ.workflow.submissions import (
    submission_load_approved,
    submission_reopen,
    submission_return,
    submission_submit,
)

from .conftest import region
from .ledger_helpers import approve_street, fill_street, open_period, set_target, submission

pytestmark = pytest.mark.django_db

TIANSHENG, TONGJIAXI, SHIJIALIANG = "500109001", "500109104", "500109108"
STREETS = (TIANSHENG, TONGJIAXI, SHIJIALIANG)


# ---------------------------------------------------------------- independent figures


def expected_figures(period, street_codes, counted_streets):
    """Compliant and communities per street, straight from the rows, by integer arithmetic
    (tenths of m² × 100 ≥ 300 × households), independent of ledger.rules."""
    result = {}
    for code in street_codes:
        rows = LedgerRow.objects.filter(period=period, street__code=code)
        compliant = 0
        for row in rows:
            if code not in counted_streets or not row.households or row.households <= 0:
                continue
            tenths = sum(
                int(getattr(row, f) * 10)
                for f in ("service_center", "day_care", "culture_room")
                if getattr(row, f) is not None
            )
            if tenths * 100 >= 300 * row.households:
                compliant += 1
        result[code] = (rows.count(), compliant)
    return result


def expected_reported(period, code, counted_streets) -> int:
    """The communities whose figures count: a counted street's rows with households."""
    if code not in counted_streets:
        return 0
    rows = LedgerRow.objects.filter(period=period, street__code=code, households__gt=0)
    return rows.count()


households = st.one_of(st.none(), st.integers(min_value=1, max_value=3000))
areas = st.one_of(st.none(), st.decimals(min_value=0, max_value=900, places=1))
row_values = st.fixed_dictionaries(
    {"households": households, "service_center": areas, "day_care": areas, "culture_room": areas}
)
street_plan = st.tuples(st.booleans(), st.lists(row_values, min_size=10, max_size=10))


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.fixed_dictionaries({code: street_plan for code in STREETS}))
def test_summary_matches_rows_for_random_ledgers_and_approvals(beibei, plans):
    with transaction.atomic():
        period = open_period("2026H2")
        approved = set()
        for code, (approve, values) in plans.items():
            rows = list(LedgerRow.objects.filter(period=period, street__code=code))
            updates = [(row, values[i % len(values)]) for i, row in enumerate(rows)]
            rows_bulk_update(
                scope=operator_scope(), updates=updates, reason="测试", action="ledger.test"
            )
            if approve:
                submission_load_approved(
                    scope=operator_scope(), submission=submission(period, code), reason="测试"
                )
                approved.add(code)
        _check_summary(period, approved)
        transaction.set_rollback(True)


def _check_summary(period, approved):
    for include_unapproved in (False, True):
        counted = set(STREETS) if include_unapproved else approved
        expected = expected_figures(period, STREETS, counted)
        result = summary(
            scope=operator_scope(), period=period, include_unapproved=include_unapproved
        )
        children = {unit.code: unit for unit in result.children}
        for code, (communities, compliant) in expected.items():
            unit = children[code]
            assert (unit.figures.communities, unit.figures.compliant) == (communities, compliant)
            assert unit.rate == compliant / communities
            reported = expected_reported(period, code, counted)
            assert unit.figures.reported == reported
            assert unit.figures.urban_reported + unit.figures.rural_reported == reported
            assert unit.rate_reported == (compliant / reported if reported else None)
            # Each street is approved or a draft: complete in both modes exactly when approved.
            assert unit.complete is (code in approved)
        # Fourteen of the seventeen streets are always drafts: the district is never complete.
        assert result.total.complete is False
        all_reported = result.total.figures.reported
        assert all_reported == sum(expected_reported(period, c, counted) for c in STREETS)
        assert result.total.rate_reported == (
            result.total.figures.compliant / all_reported if all_reported else None
        )
        # Streets not in the plan have blank rows: in the denominator, never compliant.
        assert result.total.figures.communities == 192
        assert result.total.figures.compliant == sum(c for _, c in expected.values())
        assert result.total.rate == result.total.figures.compliant / 192
    # The tallies kept in step with each approval are those a rebuild computes.
    kept = ("communities", "compliant", "status", "reported", "urban_reported", "rural_reported")
    stored = {t["region_id"]: t for t in Tally.objects.values("region_id", *kept)}
    tallies_rebuild(period)
    assert stored == {t["region_id"]: t for t in Tally.objects.values("region_id", *kept)}


# ---------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("share", "communities", "compliant", "needed"),
    [
        (None, 10, 3, None),  # no target
        (Decimal("0.8"), 10, 8, 0),  # exactly met
        (Decimal("0.8"), 10, 9, 0),  # already above
        (Decimal("0.8"), 10, 7, 1),
        (Decimal("0.8"), 7, 5, 1),  # 5.6 → 6 communities
        (Decimal("0.6"), 0, 0, 0),  # no communities
        (Decimal("1"), 3, 0, 3),
    ],
)
def test_needed_for_target_at_its_edges(share, communities, compliant, needed):
    assert needed_for_target(share, communities, compliant) == needed


def test_targets_carry_on_and_street_overrides_until_a_newer_district_target(beibei):
    scope, root, street = operator_scope(), region("500109"), region(TIANSHENG)
    target_set(scope=scope, year=2020, region=root, share=Decimal("0.6"), standard=Decimal(30))
    target_set(scope=scope, year=2021, region=street, share=Decimal("0.9"))
    target_set(scope=scope, year=2022, region=root, share=Decimal("0.8"))
    book = TargetBook.load()
    assert book.share(root.path, 2019) is None
    assert book.share(street.path, 2020) == Decimal("0.6")
    assert book.share(street.path, 2021) == Decimal("0.9")
    assert book.share(region(TONGJIAXI).path, 2021) == Decimal("0.6")
    assert book.share(street.path, 2022) == Decimal("0.8")
    assert book.share(street.path, 2030) == Decimal("0.8")
    assert book.standard(2030) == Decimal(30)


def test_target_rules_refuse_bad_values_and_other_roles(beibei, tiansheng_approver):
    scope, street = operator_scope(), region(TIANSHENG)
    with pytest.raises(DomainError, match="0% 到 100%"):
        target_set(scope=scope, year=2024, region=street, share=Decimal("1.2"))
    with pytest.raises(DomainError, match="最上级"):
        target_set(scope=scope, year=2024, region=street, share=Decimal("0.8"), standard=35)
    with pytest.raises(NotAllowed):
        target_set(
            scope=scope_for(tiansheng_approver), year=2024, region=street, share=Decimal("0.5")
        )


def test_a_new_standard_rejudges_the_stored_tallies(beibei):
    period = open_period("2026H2")
    approve_street(period, TONGJIAXI, households=1000, service_center="320.0")  # 32 m²
    scope, root = operator_scope(), region("500109")
    unit = _child(summary(scope=scope, period=period), TONGJIAXI)
    assert unit.figures.compliant == 5
    target_set(scope=scope, year=2026, region=root, share=Decimal("0.8"), standard=Decimal(35))
    unit = _child(summary(scope=scope, period=period), TONGJIAXI)
    assert (unit.figures.compliant, unit.target) == (0, Decimal("0.800"))


def _child(result, code):
    return next(unit for unit in result.children if unit.code == code)


# ---------------------------------------------------------------- tallies and transitions


def test_every_transition_updates_the_tallies(beibei, district_approver):
    period = open_period("2026H2")
    fill_street(period, TONGJIAXI, households=1000, service_center="320.0", remarks="")
    rows = LedgerRow.objects.filter(period=period, street__code=TONGJIAXI)
    rows.update(warning_comments={"center_small": "已核实"})
    operator = operator_scope()

    def street_tally():
        return Tally.objects.get(period=period, region__code=TONGJIAXI)

    def district_tally():
        return Tally.objects.get(period=period, region__code="500109")

    submitted = submission_submit(scope=operator, submission=submission(period, TONGJIAXI))
    assert (street_tally().status, street_tally().compliant) == ("submitted", 0)
    assert district_tally().streets_submitted == 1
    submission_return(scope=operator, submission=submitted, reason="请核对")
    assert street_tally().status == "returned"
    assert district_tally().streets_submitted == 0
    submitted = submission_submit(scope=operator, submission=submission(period, TONGJIAXI))
    from shequ.workflow.submissions import submission_approve

    submission_approve(scope=operator, submission=submitted)
    assert (street_tally().status, street_tally().compliant) == ("approved", 5)
    assert (district_tally().compliant, district_tally().streets_approved) == (5, 1)
    submission_reopen(scope=operator, submission=submission(period, TONGJIAXI), reason="更正")
    assert (street_tally().compliant, district_tally().compliant) == (0, 0)
    assert Submission.objects.get(period=period, street__code=TONGJIAXI).state == "draft"


def test_summary_of_a_street_lists_its_communities(beibei):
    period = open_period("2026H2")
    approve_street(period, TONGJIAXI, households=1000, service_center="320.0")
    result = summary(scope=operator_scope(), period=period, region=region(TONGJIAXI))
    assert [u.figures.compliant for u in result.children] == [1] * 5
    assert result.total.figures.compliant == 5
    assert all(u.target is None for u in result.children)


def test_summary_refuses_regions_outside_the_scope(beibei, tiansheng_approver):
    period = open_period("2026H2")
    with pytest.raises(DomainError, match="管辖范围"):
        summary(scope=scope_for(tiansheng_approver), period=period, region=region(TONGJIAXI))


# ---------------------------------------------------------------- command


def run_summary(*args):
    out = io.StringIO()
    call_command("summary", *args, stdout=out)
    return out.getvalue()


def test_summary_command_prints_the_contract_json(beibei):
    period = open_period("2026H2")
    set_target(2026)
    approve_street(period, TONGJIAXI, households=1000, service_center="320.0")
    document = json.loads(run_summary("--period", "2026H2", "--json"))
    assert set(document) == {
        "period",
        "region",
        "standard",
        "target",
        "approved_only",
        "total",
        "children",
    }
    assert document["region"] == {"code": "500109", "name": "北碚区"}
    assert (document["standard"], document["target"], document["approved_only"]) == (
        30.0,
        0.8,
        True,
    )
    total = document["total"]
    assert {
        "code",
        "name",
        "communities",
        "reported",
        "compliant",
        "rate",
        "urban",
        "rural",
        "shortfall_m2",
        "needed_for_target",
        "submission",
    } <= set(total)
    assert (total["communities"], total["compliant"], total["reported"]) == (192, 5, 5)
    assert total["rate"] == 5 / 192
    assert total["needed_for_target"] == 154 - 5  # ceil(0.8 × 192) = 154
    assert set(total["submission"]) == {"status", "submitted_at", "late"}
    assert len(document["children"]) == 17
    street = next(c for c in document["children"] if c["code"] == TONGJIAXI)
    assert street["submission"]["status"] == "approved"
    assert street["rural"]["communities"] + street["urban"]["communities"] == 5


def test_summary_command_for_a_user_defaults_to_their_node(beibei, tiansheng_approver):
    open_period("2026H2")
    document = json.loads(run_summary("--period", "2026H2", "--as", "tiansheng-approver", "--json"))
    assert document["region"]["code"] == TIANSHENG
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="管辖范围"):
        run_summary("--period", "2026H2", "--region", TONGJIAXI, "--as", "tiansheng-approver")


# ---------------------------------------------------------------- what a summary knows


def test_an_open_period_with_nothing_reported_knows_no_rate(beibei):
    period = open_period("2026H2")
    document = summary(scope=operator_scope(), period=period).as_json()
    total = document["total"]
    assert (total["rate"], total["rate_reported"], total["complete"]) == (0.0, None, False)
    assert all(c["rate_reported"] is None and c["complete"] is False for c in document["children"])


def test_one_approved_street_gives_its_rate_among_the_reported_not_a_collapse(beibei):
    """The issue's case: one street approved of seventeen. The rate over all 192 reads as a
    collapse; the rate among the reported communities is that street's, and the district
    says it is not complete."""
    period = open_period("2026H2")
    approve_street(period, TONGJIAXI, households=1000, service_center="400.0")
    result = summary(scope=operator_scope(), period=period)
    total = result.total
    assert (total.figures.reported, total.figures.compliant) == (5, 5)
    assert total.rate == 5 / 192 and total.rate_reported == 1.0
    assert total.complete is False
    street = next(c for c in result.children if c.code == TONGJIAXI)
    assert (street.rate_reported, street.complete) == (1.0, True)
    others = [c for c in result.children if c.code != TONGJIAXI]
    assert all(c.rate_reported is None and c.complete is False for c in others)


def test_a_district_with_every_street_approved_is_complete(beibei):
    period = open_period("2026H2")
    for street in Region.objects.filter(level=Level.STREET).order_by("code"):
        approve_street(period, street.code, households=2000, service_center="500.0")
    total = summary(scope=operator_scope(), period=period).total
    assert total.complete is True
    assert (total.figures.reported, total.rate_reported) == (192, 0.0)  # 25 m² per 100


def test_with_unapproved_figures_a_submitted_street_is_complete(beibei):
    period = open_period("2026H2")
    fill_street(period, TIANSHENG, households=1000, service_center="400.0")
    submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))
    approved_only = summary(scope=operator_scope(), period=period, region=region(TIANSHENG))
    with_unapproved = summary(
        scope=operator_scope(), period=period, region=region(TIANSHENG), include_unapproved=True
    )
    assert (approved_only.total.complete, approved_only.total.rate_reported) == (False, None)
    assert (with_unapproved.total.complete, with_unapproved.total.rate_reported) == (True, 1.0)
    # A community shares its street's state.
    assert all(c.complete for c in with_unapproved.children)
    assert not any(c.complete for c in approved_only.children)
    document = with_unapproved.as_json()
    assert document["children"][0]["complete"] is True
    assert document["children"][0]["rate_reported"] == 1.0
