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


def first_compliant_years(community_ids: list[int], standard: Decimal) -> dict[int, int]:
    """The year each community first met the standard on approved data."""
    compliant = approved_only(
        LedgerRow.objects.filter(community_id__in=community_ids).filter(
            rules.compliant_condition(standard)
        )
    )
    firsts = compliant.values("community_id").annotate(first=Min("period__ordinal"))
    return {item["community_id"]: item["first"] // 2 for item in firsts}


def filled_compliance_years(
    rows: list[LedgerRow],
    standard: Decimal,
    plan_target_years: dict[int, int] | None = None,
) -> dict[int, int | None]:
    """达标年度 for each row (by row id): as stated, else from approved data, else the plan's."""
    firsts = first_compliant_years([row.community_id for row in rows], standard)
    targets = plan_target_years or {}
    return {
        row.pk: rules.filled_compliance_year(
            row.compliance_year, firsts.get(row.community_id), targets.get(row.community_id)
        )
        for row in rows
    }
