"""What a street changed after its ledger was returned (issue 21, item 3)."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope, scope_for
from shequ.ledger.models import LedgerRow
from shequ.ledger.rows import row_update
from shequ.ledger.since_return import changes_since_return
from shequ.workflow.submissions import (
    submission_approve,
    submission_return,
    submission_submit,
)

from .conftest import TIANSHENG
from .ledger_helpers import fill_street, open_period, street_rows, submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(beibei, district_approver):
    period = open_period("2024H1")
    fill_street(period, TIANSHENG)
    sub = submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))
    submission_return(scope=scope_for(district_approver), submission=sub, reason="户数有误")
    return period


def edit(row: LedgerRow, **values) -> LedgerRow:
    return row_update(scope=operator_scope(), row=row, changes=values, expected_version=row.version)


def since(period):
    return changes_since_return(submission(period, TIANSHENG), street_rows(period, TIANSHENG))


def test_a_ledger_never_returned_has_nothing_since(beibei):
    period = open_period("2024H1")
    fill_street(period, TIANSHENG)
    assert since(period) is None


def test_the_return_its_reason_and_who_gave_it(returned, district_approver):
    found = since(returned)
    assert found.reason == "户数有误" and found.returned_by == district_approver.display_name
    assert found.returned == {} and found.cells == 0


def test_each_changed_cell_with_its_value_as_returned(returned):
    first, second = street_rows(returned, TIANSHENG)[:2]
    was_households, was_center = first.households, first.service_center
    first = edit(first, households=first.households + 7)
    edit(first, service_center=Decimal("999.9"))
    edit(second, remarks="改了又改回", other=second.other)  # other unchanged
    second = LedgerRow.objects.get(pk=second.pk)
    edit(second, remarks="")
    found = since(returned)
    assert found.returned == {
        first.pk: {"households": was_households, "service_center": str(was_center)}
    }


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=6))
def test_a_cell_edited_many_times_is_listed_exactly_when_it_ends_elsewhere(returned, counts):
    row = street_rows(returned, TIANSHENG)[0]
    as_returned = row.households
    for count in counts:
        row = edit(row, households=count)
    found = since(returned).returned.get(row.pk, {})
    if counts[-1] == as_returned:
        assert "households" not in found
    else:
        assert found["households"] == as_returned
    edit(row, households=as_returned)  # the next example starts from the returned value


def test_an_approval_after_the_return_ends_it(returned, district_approver):
    row = street_rows(returned, TIANSHENG)[0]
    edit(row, households=row.households + 1)
    sub = submission_submit(scope=operator_scope(), submission=submission(returned, TIANSHENG))
    submission_approve(scope=scope_for(district_approver), submission=sub)
    assert since(returned) is None
