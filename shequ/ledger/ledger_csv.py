"""The ledger as CSV for data exchange: UTF-8 with BOM (Excel opens it as Chinese), one
header row of Chinese labels, one row per community.

The region codes are written after a tab (`\t500109001033`): Excel and WPS keep such a
field as text (a 12-digit code written bare opens as 5.00109E+11 and is saved back so), and
every reader that trims a field's whitespace, our importer included, reads the code itself.
Files of earlier versions (headers `period（报告期）`, bare codes) are still imported."""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import TextIO

from shequ.accounts.scope import Scope
from shequ.ledger import rules
from shequ.ledger.fields import INPUT_FIELDS, LABELS
from shequ.ledger.fingerprint import chain_head_line
from shequ.ledger.models import Period, Submission
from shequ.ledger.queries import filled_compliance_years, names_in_period
from shequ.ledger.remarks import guard_formula
from shequ.ledger.rows import rows_visible_to
from shequ.regions.levels import UrbanRural
from shequ.regions.models import Region

IDENTITY = [
    ("period", "报告期"),
    ("street_code", "街镇代码"),
    ("street", "所在街道（乡镇）"),
    ("community_code", "社区代码"),
    ("community", "社区名称"),
    ("urban_rural_class", "城乡类别"),
]
DERIVED = [
    ("total_area", LABELS["total_area"]),
    ("per_100_households", LABELS["per_100_households"]),
    ("compliant", LABELS["compliant"]),
    ("shortfall", LABELS["shortfall"]),
    ("approved", "已审核"),
]
COLUMNS = [*IDENTITY, *((f, LABELS[f]) for f in INPUT_FIELDS), *DERIVED]


def csv_header() -> list[str]:
    """The header row: the columns' Chinese labels, in the contract's order."""
    return [label for _name, label in COLUMNS]


# Before a code: keeps it text when Excel or WPS opens the file (see the module's doc).
CODE_PREFIX = "\t"


def code_text(code: str) -> str:
    return CODE_PREFIX + code


def safe_text(text: str) -> str:
    """Typed text that a spreadsheet would read as a formula gets a leading apostrophe (and
    so does text that starts as such a guard already: the import takes one off)."""
    return guard_formula(text, plain_formulas=True)


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    return str(value)


def _input_value(row, field: str, years: dict[int, rules.ComplianceYear]) -> str:
    if field == "remarks":
        return safe_text(row.remarks)
    if field == "compliance_year":
        return str(years.get(row.pk, ""))
    return _value(getattr(row, field))


def write_csv(
    *,
    scope: Scope,
    period: Period,
    street: Region | None,
    stream: TextIO,
    standard: Decimal,
    plan_target_years: dict[int, int],
) -> int:
    """The caller's rows of `period` as CSV; `standard` and `plan_target_years` as for the
    workbook."""
    rows = rows_visible_to(scope).filter(period=period)
    if street is not None:
        rows = rows.filter(street=street)
    rows = rows.select_related("community", "street", "period").order_by(
        "street__code", "community__code"
    )
    approved = set(
        Submission.objects.approved().filter(period=period).values_list("street_id", flat=True)
    )
    # A subquery, not a city's 11,000 ids as parameters.
    communities = rows.values("community_id")
    # Names and 城乡类别 as the period knows them (as the workbook prints them): a rename
    # or a 村改居 from a later period on does not show in this period's figures.
    then = names_in_period(period, rows)
    rows = list(rows)
    # 达标年度 as the workbook shows it: stated, achieved, or a plan's year marked 计划.
    years = filled_compliance_years(rows, standard, plan_target_years, communities=communities)
    stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(csv_header())
    count = 0
    for row in rows:
        derived = rules.derive(row, standard)
        writer.writerow(
            [
                period.code,
                code_text(row.street.code),
                safe_text(_name_then(row.street, then)),
                code_text(row.community.code),
                safe_text(_name_then(row.community, then)),
                _class_then(row.community, then),
                *(_input_value(row, f, years) for f in INPUT_FIELDS),
                _value(derived.total_area),
                rules.display_ratio(derived.per_100_households),
                _value(derived.compliant),
                _value(derived.shortfall),
                _value(row.street_id in approved),
            ]
        )
        count += 1
    head = chain_head_line() if count and all(r.street_id in approved for r in rows) else ""
    if head:
        writer.writerow([head_note(head)])
    return count


def _name_then(region: Region, then: dict[int, tuple[str, str]]) -> str:
    return then.get(region.pk, (region.name, ""))[0]


def _class_then(community: Region, then: dict[int, tuple[str, str]]) -> str:
    klass = then.get(community.pk, ("", ""))[1] or community.urban_rural_class
    return UrbanRural(klass).label


def head_note(head: str) -> str:
    """The chain head under an approved ledger, as a 说明 line: the import skips it as the
    notes below a table."""
    return f"说明：{head}"
