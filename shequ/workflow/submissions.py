"""A street's ledger on its way up, with what each step changes beyond the ledger: every
transition brings the street's tally (and the regions' above it) up to date, and an
approval drafts or follows the community plans, in the transition's transaction."""

from __future__ import annotations

import datetime

from django.db import transaction

from shequ.accounts.scope import Scope
from shequ.compliance.tallies import tally_refresh_street
from shequ.compliance.targets import thresholds_for
from shequ.ledger import submissions as ledger
from shequ.ledger.models import Submission
from shequ.plans.lifecycle import plans_follow_approval


def _counted(submission: Submission) -> Submission:
    tally_refresh_street(submission.period, submission.street)
    return submission


def _approved(scope: Scope, submission: Submission) -> Submission:
    # One plan per non-compliant community, drafted from the figures just approved.
    plans_follow_approval(submission.period, submission.street, scope.actor)
    return _counted(submission)


@transaction.atomic
def submission_submit(
    *, scope: Scope, submission: Submission, now: datetime.datetime | None = None
) -> Submission:
    limits = thresholds_for(submission.period.year)
    return _counted(
        ledger.submission_submit(scope=scope, submission=submission, limits=limits, now=now)
    )


@transaction.atomic
def submission_approve(
    *, scope: Scope, submission: Submission, now: datetime.datetime | None = None
) -> Submission:
    approved = ledger.submission_approve(scope=scope, submission=submission, now=now)
    return _approved(scope, approved)


@transaction.atomic
def submission_return(
    *, scope: Scope, submission: Submission, reason: str, now: datetime.datetime | None = None
) -> Submission:
    returned = ledger.submission_return(scope=scope, submission=submission, reason=reason, now=now)
    return _counted(returned)


@transaction.atomic
def submission_reopen(*, scope: Scope, submission: Submission, reason: str) -> Submission:
    return _counted(ledger.submission_reopen(scope=scope, submission=submission, reason=reason))


@transaction.atomic
def submission_open_for_backfill(
    *, scope: Scope, submission: Submission, reason: str
) -> Submission:
    opened = ledger.submission_open_for_backfill(scope=scope, submission=submission, reason=reason)
    return _counted(opened)


@transaction.atomic
def submission_load_approved(
    *, scope: Scope, submission: Submission, reason: str, now: datetime.datetime | None = None
) -> Submission:
    loaded = ledger.submission_load_approved(
        scope=scope, submission=submission, reason=reason, now=now
    )
    return _approved(scope, loaded)
