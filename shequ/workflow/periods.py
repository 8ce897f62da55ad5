"""Opening a reporting period, with the dashboards' tallies of it built in the same
transaction (new communities count in the denominator from the moment it opens)."""

from __future__ import annotations

import datetime

from django.db import transaction

from shequ.accounts.scope import Scope
from shequ.compliance.tallies import tallies_rebuild
from shequ.core.periods import PeriodCode
from shequ.ledger import periods as ledger
from shequ.ledger.periods import OpenReport


@transaction.atomic
def period_open(
    *, scope: Scope, code: PeriodCode, deadline: datetime.date | None = None
) -> OpenReport:
    report = ledger.period_open(scope=scope, code=code, deadline=deadline)
    tallies_rebuild(report.period)
    return report
