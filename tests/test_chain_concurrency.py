"""Approvals of different streets at the same moment each become their own link of the
district chain (PostgreSQL: the head row is what each seal locks, created by the first).
A race is not certain to show in one run; a collision would fail the approval here."""

import pytest

from shequ.accounts.scope import operator_scope
from shequ.ledger.models import ChainHead, SealedVersion
from shequ.ledger.verify import ledger_verify
from shequ.workflow.submissions import submission_approve, submission_submit

from .conftest import CHENGJIANG, TIANSHENG
from .ledger_helpers import fill_street, open_period, submission
from .test_faults import at_once

pytestmark = pytest.mark.django_db(transaction=True)
STREETS = (TIANSHENG, CHENGJIANG, "500109003")


def test_approvals_at_once_make_consecutive_links(beibei):
    period = open_period("2024H1")
    for code in STREETS:
        fill_street(period, code)
        submission_submit(scope=operator_scope(), submission=submission(period, code))
    ledgers = [submission(period, code) for code in STREETS]

    results = at_once(
        *(lambda s=s: submission_approve(scope=operator_scope(), submission=s) for s in ledgers)
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    links = list(SealedVersion.objects.order_by("district_sequence"))
    assert [link.district_sequence for link in links] == [1, 2, 3]
    previous = [link.fingerprint for link in links[:2]]
    assert [link.district_previous for link in links[1:]] == previous
    assert ChainHead.objects.get().fingerprint == links[-1].fingerprint
    assert ledger_verify().ok
