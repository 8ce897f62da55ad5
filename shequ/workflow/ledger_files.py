"""The ledger's files with what the layers above add to them: the year's standard (kept
with the compliance targets), and the plans': a blank 达标年度 of a community
still short shows its open plan's target year (marked 计划) in the workbook and the CSV,
and the import reads that year back as no stated one. The ledger takes the plans' years as
an argument; they are looked up here, for the caller's region."""

from __future__ import annotations

from typing import Any, TextIO

from shequ.accounts.scope import Scope
from shequ.compliance.targets import standard_for_year, thresholds_for
from shequ.ledger import export, ledger_csv
from shequ.ledger.importing import plan as importing
from shequ.ledger.importing.files import RawSheet
from shequ.ledger.models import Period
from shequ.plans.queries import open_plan_target_years_within
from shequ.regions.models import Region


def plan_years(scope: Scope, street: Region | None) -> dict[int, int]:
    """Open plans' target years of the communities under the street, or the caller's node."""
    within = street or scope.node
    return open_plan_target_years_within(within) if within is not None else {}


def ledger_workbook(
    *,
    scope: Scope,
    period: Period,
    street: Region | None = None,
) -> export.LedgerWorkbook:
    return export.ledger_workbook(
        scope=scope,
        period=period,
        street=street,
        standard=standard_for_year(period.year),
        plan_target_years=plan_years(scope, street),
    )


def write_csv(*, scope: Scope, period: Period, street: Region | None, stream: TextIO) -> int:
    return ledger_csv.write_csv(
        scope=scope,
        period=period,
        street=street,
        stream=stream,
        standard=standard_for_year(period.year),
        plan_target_years=plan_years(scope, street),
    )


def plan_import(
    *,
    scope: Scope,
    period: Period,
    sheets: list[RawSheet],
    filename: str,
    street: Region | None = None,
) -> importing.ImportPlan:
    """The file planned whole, its rows kept (the page's preview, loading history)."""
    return importing.plan_import(
        **_planning(scope, period, street), sheets=sheets, filename=filename
    )


def import_run(
    *,
    scope: Scope,
    period: Period,
    sheets: list[RawSheet],
    filename: str,
    street: Region | None = None,
    batch_rows: int | None = None,
) -> importing.ImportRun:
    """The file to be planned a batch at a time (the command line's import)."""
    planning = _planning(scope, period, street)
    return importing.ImportRun(**planning, sheets=sheets, filename=filename, batch_rows=batch_rows)


def _planning(scope: Scope, period: Period, street: Region | None) -> dict[str, Any]:
    """What an import is planned with besides the file: the year's thresholds, and the
    target years of the open plans (a blank 达标年度 is filled as the export fills it)."""
    return {
        "scope": scope,
        "period": period,
        "street": street,
        "limits": thresholds_for(period.year),
        "plan_target_years": plan_years(scope, street),
    }
