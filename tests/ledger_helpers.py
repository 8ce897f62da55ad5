"""Helpers for ledger tests: open periods and fill a street's rows through the services."""

from decimal import Decimal

from shequ.accounts.scope import operator_scope
from shequ.core.periods import PeriodCode
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.rows import rows_bulk_update
from shequ.workflow.periods import period_open
from shequ.workflow.submissions import submission_approve, submission_submit

from .conftest import region


def open_period(code: str, deadline=None) -> Period:
    return period_open(
        scope=operator_scope(), code=PeriodCode.parse(code), deadline=deadline
    ).period


def valid_values(households: int = 2000, center: str = "500.0") -> dict:
    """A row with no errors and no warnings: 25 m² per 100 households (not compliant)."""
    return {"households": households, "service_center": center}


def fill_street(period: Period, street_code: str, **values) -> list[LedgerRow]:
    rows = list(street_rows(period, street_code))
    rows_bulk_update(
        scope=operator_scope(),
        updates=[(row, values or valid_values()) for row in rows],
        reason="测试数据",
        action="ledger.test_fill",
    )
    return list(street_rows(period, street_code))


def street_rows(period: Period, street_code: str):
    return (
        LedgerRow.objects.filter(period=period, street__code=street_code)
        .select_related("community", "period", "street")
        .order_by("community__code")
    )


def submission(period: Period, street_code: str) -> Submission:
    return Submission.objects.select_related("period", "street").get(
        period=period, street=region(street_code)
    )


def approve_street(period: Period, street_code: str, **values) -> Submission:
    fill_street(period, street_code, **values)
    operator = operator_scope()
    submitted = submission_submit(scope=operator, submission=submission(period, street_code))
    return submission_approve(scope=operator, submission=submitted)


def set_target(year: int, share: str = "0.8", standard: int | None = 30) -> None:
    """The district's target for a year (the notice's 80 % at 30 m² by default)."""
    from shequ.compliance.target_changes import target_set

    target_set(
        scope=operator_scope(),
        year=year,
        region=region("500109"),
        share=Decimal(share),
        standard=None if standard is None else Decimal(standard),
    )


def area(text: str) -> Decimal:
    return Decimal(text)
