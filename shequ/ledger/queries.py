"""Reads over the ledger that several screens and exports share."""

from decimal import Decimal

from django.db.models import Exists, Min, OuterRef

from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Submission


def approved_only(rows):
    """Rows whose street ledger for their period is approved."""
    approved = Submission.objects.filter(
        period=OuterRef("period"), street=OuterRef("street"), state=Submission.State.APPROVED
    )
    return rows.filter(Exists(approved))


def first_compliant_years(
    community_ids: list[int], standard: Decimal, up_to_ordinal: int | None = None
) -> dict[int, int]:
    """The year each community first met the standard on approved data (up to a period)."""
    rows = LedgerRow.objects.filter(community_id__in=community_ids)
    if up_to_ordinal is not None:
        rows = rows.filter(period__ordinal__lte=up_to_ordinal)
    compliant = approved_only(rows.filter(rules.compliant_condition(standard)))
    firsts = compliant.values("community_id").annotate(first=Min("period__ordinal"))
    return {item["community_id"]: item["first"] // 2 for item in firsts}


def filled_compliance_years(
    rows: list[LedgerRow],
    standard: Decimal,
    plan_target_years: dict[int, int] | None = None,
) -> dict[int, int | None]:
    """达标年度 for each row (by row id), as of the row's own period."""
    if not rows:
        return {}
    up_to = max(row.period.ordinal for row in rows)
    firsts = first_compliant_years([row.community_id for row in rows], standard, up_to)
    targets = plan_target_years or {}
    return {
        row.pk: rules.filled_compliance_year(
            row.compliance_year,
            compliant=rules.is_compliant(rules.total_area(row), row.households, standard),
            first_compliant_year=firsts.get(row.community_id),
            plan_target_year=targets.get(row.community_id),
        )
        for row in rows
    }
