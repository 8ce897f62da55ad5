"""What each role has to do now, for its start page: a street's ledger of the open period
(its state, deadline, return and blockers), and the district's ledgers waiting for review.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from shequ.accounts.scope import Scope
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.periods import deadline_for, overdue_street_ids
from shequ.ledger.rows import may_edit_row
from shequ.ledger.submissions import Blocker, submission_blockers
from shequ.regions.models import Region


def current_period() -> Period | None:
    """The period users work on: the latest open one, else the latest of all."""
    periods = Period.objects.all()  # latest first
    return next((p for p in periods if p.is_open), None) or periods.first()


@dataclass
class StreetTask:
    """A street's ledger of a period, as its start page tells it."""

    period: Period
    street: Region
    submission: Submission | None
    deadline: datetime.date
    today: datetime.date
    filled: int  # rows whose households are filled in (an area of 0 is a figure too)
    rows: int
    blockers: list[Blocker]
    editable: bool  # may the user change its rows now (`rows.may_edit_row`)

    @property
    def days_left(self) -> int:
        return (self.deadline - self.today).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    @property
    def unfilled(self) -> int:
        return self.rows - self.filled

    @property
    def state(self) -> str:
        return self.submission.state if self.submission else Submission.State.DRAFT

    @property
    def to_fill(self) -> bool:
        """The street still has work on it: a draft or a returned ledger of an open period."""
        return self.period.is_open and self.state in Submission.EDITABLE_STATES

    @property
    def overdue(self) -> bool:
        return self.to_fill and self.days_left < 0


def street_task(
    scope: Scope,
    period: Period,
    street: Region,
    limits: rules.Thresholds,
    today: datetime.date | None = None,
) -> StreetTask:
    """The street's ledger of `period` as `scope`'s user sees it on their start page."""
    submission = Submission.objects.filter(period=period, street=street).first()
    rows = LedgerRow.objects.filter(period=period, street=street)
    editable = period.is_open and (submission is None or submission.is_editable)
    first_row = rows.select_related("community", "period").order_by("pk").first()
    return StreetTask(
        period=period,
        street=street,
        submission=submission,
        deadline=deadline_for(period, street),
        today=today or timezone.localdate(),
        filled=rows.exclude(households=None).count(),
        rows=rows.count(),
        # Only what still has to be done: a submitted ledger has no blockers to show.
        blockers=submission_blockers(submission, limits) if submission and editable else [],
        editable=first_row is not None and may_edit_row(scope, first_row, submission),
    )


@dataclass
class ReviewQueue:
    """The district's ledgers of a period that wait for it: submitted ones, oldest first,
    then the streets past their deadline that have not submitted."""

    period: Period
    waiting: list[Submission]
    overdue: list[Submission]


def review_queue(period: Period, within: Region) -> ReviewQueue:
    submissions = Submission.objects.filter(
        period=period, street__path__startswith=within.path
    ).select_related("street", "submitted_by")
    waiting = submissions.filter(state=Submission.State.SUBMITTED).order_by(
        "submitted_at", "street__code"
    )
    late = overdue_street_ids(period)
    overdue = [s for s in submissions.order_by("street__code") if s.street_id in late]
    return ReviewQueue(period, list(waiting), overdue)
