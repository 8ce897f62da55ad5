"""Reads over the ledger that several screens and exports share."""

from decimal import Decimal

from django.db.models import Min, Q, QuerySet

from shequ.core.lookups import among
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Period
from shequ.regions.history import versions_as_of


def first_compliant_years(
    community_ids: list[int] | QuerySet, standard: Decimal, up_to_ordinal: int | None = None
) -> dict[int, int]:
    """The year each community first met the standard on approved data (up to a period).

    `community_ids` may be a `values("community_id")` queryset (a subquery)."""
    # Unordered: the model's ordering joined both regions tables to every row, even
    # grouped.
    rows = LedgerRow.objects.filter(among("community_id", community_ids)).order_by()
    if up_to_ordinal is not None:
        rows = rows.filter(period__ordinal__lte=up_to_ordinal)
    compliant = rows.filter(rules.compliant_condition(standard)).approved()
    firsts = compliant.values("community_id").annotate(first=Min("period__ordinal"))
    return {item["community_id"]: item["first"] // 2 for item in firsts}


def filled_compliance_years(
    rows: list[LedgerRow],
    standard: Decimal,
    plan_target_years: dict[int, int] | None = None,
    communities: QuerySet | None = None,
) -> dict[int, rules.ComplianceYear]:
    """达标年度 for each row (by row id), as of the row's own period. `communities` may give
    the rows' communities (or more) as a `values("community_id")` queryset: for a city's
    rows a subquery costs far less than 11,000 parameters."""
    if not rows:
        return {}
    up_to = max(row.period.ordinal for row in rows)
    if communities is None:
        communities = [row.community_id for row in rows]
    firsts = first_compliant_years(communities, standard, up_to)
    targets = plan_target_years or {}

    def filled(row) -> rules.ComplianceYear:
        # A blank year with neither a first compliant year nor a plan stays blank, whether
        # or not the row complies: no need to judge it (a new period's city of rows).
        known = row.community_id in firsts or row.community_id in targets
        if not (row.compliance_year or known):
            return NO_YEAR
        return rules.filled_compliance_year(
            row.compliance_year,
            compliant=rules.is_compliant(rules.total_area(row), row.households, standard),
            first_compliant_year=firsts.get(row.community_id),
            plan_target_year=targets.get(row.community_id),
        )

    return {row.pk: filled(row) for row in rows}


NO_YEAR = rules.ComplianceYear(None)


def names_in_period(period: Period, rows: QuerySet) -> dict[int, tuple[str, str]]:
    """Region id → (name, urban/rural class) as the region history has them in `period`,
    for the rows' communities and streets: a rename or a 村改居 after the period does not
    show in its documents, and the import of that period finds communities by these names."""
    versions = versions_as_of(period.period_code).filter(
        Q(region_id__in=rows.values("community_id")) | Q(region_id__in=rows.values("street_id"))
    )
    return {
        region_id: (name, klass)
        for region_id, name, klass in versions.values_list("region_id", "name", "urban_rural_class")
    }
