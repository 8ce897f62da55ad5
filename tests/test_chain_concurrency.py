"""Approvals of different streets at the same moment each become their own link of the
district chain (PostgreSQL: the head row is what each seal locks). The row is made by a
migration; where a database lost it, the first approvals at once create it, and only one
insert wins. A race is not certain to show in one run; a collision would fail the
approval here."""

import threading

import pytest
from django.db import connection, transaction

from shequ.accounts.scope import operator_scope
from shequ.ledger.fingerprint import HEAD_ROW, _locked_head
from shequ.ledger.models import ChainHead, SealedVersion
from shequ.ledger.verify import ledger_verify
from shequ.workflow.submissions import submission_approve, submission_submit

from .conftest import CHENGJIANG, TIANSHENG
from .ledger_helpers import fill_street, open_period, submission
from .test_faults import POSTGRES, WAIT_SECONDS, at_once

pytestmark = pytest.mark.django_db(transaction=True)
STREETS = (TIANSHENG, CHENGJIANG, "500109003")


@pytest.mark.parametrize("head_row", ["migrated", "lost"])
def test_approvals_at_once_make_consecutive_links(beibei, head_row):
    # A transactional test's database is flushed after each test: the row is made again
    # where it is meant to be there, as the migration made it.
    ChainHead.objects.all().delete()
    if head_row == "migrated":
        ChainHead.objects.create(pk=HEAD_ROW)
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


@pytest.mark.skipif(not POSTGRES, reason="SQLite has one writer at a time: no insert races")
def test_a_seal_that_loses_the_race_to_create_the_head_row_locks_the_winners():
    """The row lost, one approval inserts it and holds its transaction open; another,
    which found no row, inserts too: it waits, is refused by the key, and locks the
    winner's row once that commits, instead of failing."""
    ChainHead.objects.all().delete()
    inserted, done = threading.Event(), threading.Event()
    results: dict = {}

    def winner():
        try:
            with transaction.atomic():
                ChainHead.objects.create(pk=HEAD_ROW, sequence=1, fingerprint="a" * 64)
                inserted.set()
                # A second for the loser to reach our key and wait on it (it cannot set
                # `done` before we commit).
                done.wait(1)
        finally:
            connection.close()

    def loser():
        try:
            inserted.wait(WAIT_SECONDS)
            with transaction.atomic():
                results["head"] = _locked_head()
        except Exception as error:  # the failure this test is about
            results["head"] = error
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=winner), threading.Thread(target=loser)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    head = results["head"]
    assert isinstance(head, ChainHead), head
    assert (head.pk, head.sequence) == (HEAD_ROW, 1)
