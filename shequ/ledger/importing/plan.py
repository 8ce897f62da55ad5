"""The dry run: every row of the file matched to its community, read into ledger values,
checked by the rules, and compared with the period's current row."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from shequ.accounts.scope import Scope
from shequ.core.collection import without_cycle_search
from shequ.core.lookups import among
from shequ.ledger import lineage, rules
from shequ.ledger.fields import AREA_FIELDS, CARRIED_FIELDS, INPUT_FIELDS, LABELS, InputValues
from shequ.ledger.importing.cells import parse_number
from shequ.ledger.importing.files import RawSheet
from shequ.ledger.importing.problem_list import NotListed, Problem, ProblemList, not_listed_items
from shequ.ledger.importing.reader import (
    BOOK_TOTAL,
    SheetTable,
    Skipped,
    SourceRow,
    read_table,
    refused,
)
from shequ.ledger.importing.values import RowValues, kept_fields, row_values
from shequ.ledger.models import LedgerRow, Period
from shequ.ledger.queries import filled_compliance_years
from shequ.ledger.records import Place, RowRecord, row_records
from shequ.ledger.rows import approved_values_before, rows_visible_to
from shequ.regions.models import Region
from shequ.regions.names import CommunityNameIndex, find_street


@dataclass(slots=True)  # a city's file makes tens of thousands
class PlannedRow:
    source: SourceRow
    row: RowRecord  # the period's stored row
    values: dict[str, Any]  # every input field, as it will be stored
    status: str  # new, changed, unchanged
    changes: list[str]
    derived: rules.Derived
    findings: list[rules.Finding] = field(default_factory=list)

    @property
    def change_labels(self) -> list[str]:
        return [LABELS[name] for name in self.changes]

    @property
    def changed_values(self) -> list[tuple[str, Any, Any]]:
        """(label, stored value, imported value) of each field the import changes."""
        return [(LABELS[name], getattr(self.row, name), self.values[name]) for name in self.changes]


@dataclass(slots=True)
class SheetAccount:
    """What became of every row of one sheet, as the import contract's "sheets" item (its
    fields are the contract's keys, in order): rows_read == imported + len(skipped), where
    imported counts the sheet's rows in the plan's rows and every other row up to the
    sheet's last with content is skipped with its reason (docs/decisions/0020)."""

    sheet: str
    rows_read: int
    imported: int
    skipped: list[Skipped]


@dataclass
class ImportPlan:
    file: str
    period: Period
    rows: list[PlannedRow] = field(default_factory=list)
    # Every problem goes through add(): the first ones listed, the rest counted (problem_list).
    errors: ProblemList = field(default_factory=ProblemList)
    warnings: ProblemList = field(default_factory=ProblemList)
    sheets: list[SheetAccount] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors  # any error, listed or only counted, refuses the whole file

    def not_listed(self) -> list[NotListed]:
        return not_listed_items(self.errors, self.warnings)

    def rows_marked(self) -> list[tuple[PlannedRow, bool]]:
        """Each planned row with whether an error names it: such a row's figures are not
        what the file states (the cell could not be read), so they are not to be shown as
        its values."""
        names_row = self.errors.names_row
        return [(p, names_row(p.source.sheet, p.source.row)) for p in self.rows]

    def status_counts(self) -> dict[str, int]:
        """How many rows are new, changed, unchanged, and how many an error names (those
        are counted there only: their status compares figures the file does not state)."""
        counts = dict.fromkeys(("new", "changed", "unchanged", "error"), 0)
        for planned, erroneous in self.rows_marked():
            counts["error" if erroneous else planned.status] += 1
        return counts

    def refuse(self, source: SourceRow, column_of: str, field: str, message: str) -> None:
        """An error at the cell of `column_of` in the source row ("" for the whole row)."""
        column = source.column(column_of) if column_of else ""
        self.errors.add(Problem(source.sheet, source.row, column, field, message))


class _Context:
    """What the rows of one import share: the period's rows, name indexes, streets."""

    def __init__(
        self, scope: Scope, period: Period, street: Region | None, limits: rules.Thresholds
    ):
        self.scope, self.period, self.street = scope, period, street
        rows = rows_visible_to(scope).filter(period=period)
        if street is not None:
            rows = rows.filter(street=street)
        # Unordered: the rows are looked up by community, and the model's ordering made the
        # database join the periods and sort a city's rows for nothing.
        records = row_records(rows.order_by(), period)
        self.rows = {record.community_id: record for record in records}
        self._indexes: dict[int, CommunityNameIndex] = {}
        self._streets: dict[str, object] = {}
        self.limits = limits
        # Communities by code, for files with a division-code column: one query, not one a row.
        self.by_code = {row.community.code: row.community for row in self.rows.values()}

    def index(self, street: Region) -> CommunityNameIndex:
        if street.pk not in self._indexes:
            self._indexes[street.pk] = CommunityNameIndex.build(street, self.period.period_code)
        return self._indexes[street.pk]

    def find_street(self, text: str):
        if text not in self._streets:
            self._streets[text] = find_street(text, within=self._streets_within())
        return self._streets[text]

    def _streets_within(self) -> Region:
        """Where the file's streets are looked for: the caller's node, or for a community's
        user their own street, which their file (and their blank template) names."""
        node = self.scope.node
        return self.scope.own_street if node is not None and node.is_community else node


@without_cycle_search  # the plan's objects are acyclic and alive until it is done
def plan_import(
    *,
    scope: Scope,
    period: Period,
    sheets: list[RawSheet],
    filename: str,
    limits: rules.Thresholds,
    plan_target_years: dict[int, int],
    street: Region | None = None,
) -> ImportPlan:
    """The file's rows against the period's: what would change, and every problem.
    `limits` are the thresholds of the period's year (`compliance.targets.thresholds_for`);
    `plan_target_years` (community id → its open plan's target year) fills a blank 达标年度
    as the export does, so that a file's year equal to it is not read as stated."""
    plan = ImportPlan(file=filename, period=period)
    context = _Context(scope, period, street, limits)
    seen: dict[int, SourceRow] = {}
    tables = [read_table(sheet) for sheet in sheets]
    if not any(table.layout for table in tables):
        for table in tables:
            _take_problems(table, plan)
        if not plan.errors:
            plan.errors.add(
                Problem(
                    sheets[0].name if sheets else "",
                    None,
                    "",
                    "",
                    "找不到表头：表格中应有“社区名称”“户数”等列名",
                )
            )
        plan.sheets = [_account(table, []) for table in tables]
        return plan
    book_totals: list[SourceRow] = []
    for table in tables:
        _take_problems(table, plan)
        data = [r for r in table.rows if r.kind == "data"]
        planned_here = []
        refused_here = []
        for source in data:
            planned = _plan_row(source, context, seen, plan)
            if planned is not None:
                planned_here.append(planned)
            else:
                refused_here.append(_refused_row(source, plan))
        plan.rows += planned_here
        plan.sheets.append(_account(table, refused_here, imported=len(planned_here)))
        if len(data) < len(table.rows):  # the table has 合计/小计 rows
            book_totals += _check_sums(table.rows, planned_here, plan)
    for source in book_totals:  # 城乡合计 sums every sheet's rows
        _compare_sum(source, plan.rows, plan)
    _status(plan, context.limits, plan_target_years)
    return plan


def _take_problems(table: SheetTable, plan: ImportPlan) -> None:
    """The errors the reading found in a sheet (header or data it cannot tell apart, data
    below the table's end)."""
    for problem in table.problems:
        plan.errors.add(
            Problem(table.sheet, problem.row, problem.column, problem.field, problem.message)
        )


def _refused_row(source: SourceRow, plan: ImportPlan) -> Skipped:
    """A data row the plan did not take: skipped with the error that refused it, the
    first error naming the row, listed or only counted (the reader's errors name only
    rows it did not give as data, so the first is the row's own). A row left without
    one would vanish silently, so it gets an error of its own."""
    message = plan.errors.first_message(source.sheet, source.row)
    if message is None:
        message = "未能读入此行（没有对应的社区台账行）"
        plan.errors.add(Problem(source.sheet, source.row, "", "", message))
    return Skipped(source.row, refused(message))


def _account(table: SheetTable, refused_rows: list[Skipped], imported: int = 0) -> SheetAccount:
    skipped = table.skipped + refused_rows
    if refused_rows:
        skipped.sort(key=_row_number)  # the reader's skips and the refusals, in sheet order
    return SheetAccount(table.sheet, table.rows_read, imported, skipped)


_row_number = operator.attrgetter("row")


def _plan_row(source, context: _Context, seen: dict, plan: ImportPlan) -> PlannedRow | None:
    community = _community(source, context, plan)
    if community is None:
        return None
    row = context.rows.get(community.pk)
    if row is None:
        message = f"{community.name}在{context.period.label}没有台账行，或不在您的范围内"
        plan.refuse(source, "community", "community", message)
        return None
    if community.pk in seen:
        first = seen[community.pk]
        message = f"{community.name}重复出现（第一次在{first.sheet} 第{first.row}行）"
        plan.refuse(source, "community", "community", message)
        return None
    seen[community.pk] = source
    read = row_values(source, row)
    if read.errors or read.warnings:
        _collect(source, read, plan)
    # Every input field in the contract's order: the stored value where the file is silent.
    values = dict(zip(INPUT_FIELDS, stored_inputs(row), strict=True))
    values.update(read.values)
    derived = rules.derive(_Values(values), context.limits.standard)
    return PlannedRow(source, row, values, "", [], derived)


# A row's input values as one tuple, read at C speed: the plan compares 15 fields a row.
stored_inputs = operator.attrgetter(*INPUT_FIELDS)


class _Values(InputValues):
    """A dict of ledger values read as attributes, as the rules read a row. The dict itself
    is the object's namespace: not copied, for each of a city's rows, twice. (It holds
    every input field: the planned values, or the last approved ones.)"""

    def __init__(self, values: dict[str, Any]):
        self.__dict__ = values


def _collect(source: SourceRow, read: RowValues, plan: ImportPlan) -> None:
    for problem in read.errors:
        plan.errors.add(
            Problem(source.sheet, source.row, problem.column, problem.field, problem.message)
        )
    for problem in read.warnings:
        plan.warnings.add(
            Problem(source.sheet, source.row, problem.column, problem.field, problem.message)
        )


def _community(source: SourceRow, context: _Context, plan: ImportPlan) -> Region | Place | None:
    raw = source.cells.get("code")
    # A code as the export writes it is found as it is; only other text is normalized.
    community = context.by_code.get(raw) if type(raw) is str else None
    if community is not None:
        return community
    code = source.text("code")
    if code:
        community = context.by_code.get(code)
        if community is None:
            where = "街镇" if context.street else "区"
            plan.refuse(source, "code", "community", f"区划代码 {code} 不是本{where}的社区/村")
        return community
    street = context.street
    street_text = source.text("street")
    if street_text and (street is None or street_text != street.name):
        match = context.find_street(street_text)
        if not match.found:
            plan.refuse(source, "street", "street", match.message())
            return None
        if street is not None and match.region.pk != street.pk:
            message = f"{match.region.name}不是本次导入的{street.name}"
            plan.refuse(source, "street", "street", message)
            return None
        street = match.region
    if street is None:
        message = "文件中没有“所在街道（乡镇）”列，请用 --street 指明街镇，或加上区划代码列"
        plan.refuse(source, "", "street", message)
        return None
    match = context.index(street).find(source.text("community"))
    if not match.found:
        plan.refuse(source, "community", "community", match.message(street.name))
        return None
    return match.region


def _check_sums(
    sources: list[SourceRow], planned: list[PlannedRow], plan: ImportPlan
) -> list[SourceRow]:
    """合计/小计 rows are checked against the rows they cover where their cells are filled;
    the 城乡合计 rows, which cover every sheet, are returned for the caller to check."""
    block: list[PlannedRow] = []
    by_source = {id(p.source): p for p in planned}
    everything: list[PlannedRow] = []
    above: list[SourceRow] = []  # 合计 rows written above the rows they sum
    book: list[SourceRow] = []
    for source in sources:
        if source.kind == "data":
            if id(source) in by_source:
                block.append(by_source[id(source)])
                everything.append(by_source[id(source)])
            continue
        if source.kind == "total" and source.label == BOOK_TOTAL:
            book.append(source)
            continue
        if source.kind == "total" and not everything:
            above.append(source)
            continue
        covered = everything if source.kind == "total" else _named(block, everything, source.label)
        _compare_sum(source, covered, plan)
        if source.kind == "subtotal":
            block = []
    for source in above:  # a 合计 above the table's rows sums them all
        _compare_sum(source, everything, plan)
    return book


def _named(block, everything, label: str) -> list[PlannedRow]:
    named = [p for p in everything if label and p.row.street.name == label]
    return named or block


def _compare_sum(source: SourceRow, covered: list[PlannedRow], plan: ImportPlan) -> None:
    checks = {
        "households": lambda p: p.values["households"] or 0,
        "total": lambda p: p.derived.total_area,
        **{n: (lambda p, n=n: p.values[n] or 0) for n in AREA_FIELDS if n != "other"},
    }
    for name, value_of in checks.items():
        if name not in source.cells:
            continue
        parsed = parse_number(source.cells[name], what=name)
        if parsed.value is None or parsed.error:
            continue
        expected = sum((Decimal(value_of(p)) for p in covered), Decimal("0"))
        if abs(parsed.value - expected) > Decimal("0.05"):
            label = "户数" if name == "households" else LABELS.get(name, "总建筑面积")
            kind = "合计" if source.kind == "total" else "小计"
            plan.warnings.add(
                Problem(
                    source.sheet,
                    source.row,
                    source.column(name),
                    name,
                    f"{source.label or ''}{kind}的{label}为 "
                    f"{_as_written(parsed.value, name)}，按各行计算应为 {expected}",
                )
            )


def _as_written(value: Decimal, name: str) -> str:
    """A stated sum as the clerk wrote it: a count without the .0 a spreadsheet's number
    carries (1500, not 1500.0)."""
    if name == "households" and value == value.to_integral_value():
        return str(int(value))
    return str(value)


def _status(plan: ImportPlan, limits: rules.Thresholds, plan_target_years: dict) -> None:
    """new / changed / unchanged against the period's current row, and the rules' findings.
    A blank 达标年度 the export would fill in for the row as imported counts as unchanged
    when the file brings it back; fields a sheet cannot state are named as kept."""
    if not plan.rows:
        return
    communities = _communities(plan)
    filled = _filled_years(plan, communities, plan_target_years, limits.standard)
    # As tuples, each made a record only while its row is checked: a country's previous
    # rows as model instances took gigabytes.
    previous = approved_values_before(plan.period, communities)
    origins = lineage.origins(plan.period.ordinal, communities)
    year = plan.period.year
    for planned in plan.rows:
        current = planned.row
        values = planned.values
        if current.compliance_year is None and values["compliance_year"] == filled.get(current.pk):
            # The year the export fills in (achieved, or an older export's plan year
            # written without its 计划 mark) is not a year the street stated.
            values["compliance_year"] = None
        stored = stored_inputs(current)
        planned.changes = [
            name
            for name, new, old in zip(INPUT_FIELDS, values.values(), stored, strict=True)
            # None first: Decimal compared with None takes Python's slow numeric path.
            if (new is not old if new is None or old is None else new != old)
        ]
        # A row the file leaves as it is stays unchanged, an empty one included.
        planned.status = (
            ("new" if rules.is_unfilled(current) else "changed") if planned.changes else "unchanged"
        )
        community = current.community_id
        _validate(planned, previous.get(community), origins.get(community), year, limits, plan)
    _warn_kept_fields(plan)


def _filled_years(
    plan: ImportPlan, communities: QuerySet, targets: dict[int, int], standard: Decimal
) -> dict[int, int | None]:
    """The 达标年度 the export would fill in for a blank, by row id, for the stored blanks
    the file fills: worked out on the row as imported, so that a file whose year is the
    one the system fills (its own export, or a file imported before) leaves the blank as
    it is, now and on every later import of the same file."""
    blanks = [
        _Filling(p)
        for p in plan.rows
        if p.row.compliance_year is None and p.values["compliance_year"] is not None
    ]
    if not blanks:
        return {}
    # A row never filled in does not meet the standard, so its filled year can only be its
    # plan's target: without one there is nothing to work out (a new period's first
    # import, where the filling took a city's rows for nothing).
    blanks = [row for row in blanks if row.community_id in targets or not rules.is_unfilled(row)]
    if not blanks:
        return {}
    filled = filled_compliance_years(blanks, standard, targets, communities=communities)
    return {pk: year.year for pk, year in filled.items()}


class _Filling:
    """A planned row as `filled_compliance_years` reads a row: its id, period and
    community, the imported figures, and a blank 达标年度."""

    def __init__(self, planned: PlannedRow):
        self.__dict__.update(planned.values)
        self.compliance_year = None
        self.pk, self.period = planned.row.pk, planned.row.period
        self.community_id = planned.row.community_id


def _warn_kept_fields(plan: ImportPlan) -> None:
    """One warning a sheet naming the fields it has no column for whose stored values the
    import keeps (a figure kept is never kept silently)."""
    by_sheet: dict[str, list[PlannedRow]] = {}
    for planned in plan.rows:
        by_sheet.setdefault(planned.source.sheet, []).append(planned)
    for sheet, rows in by_sheet.items():
        kept = kept_fields(rows[0].source.columns)
        holding = [name for name in kept if any(_has_value(p.values[name]) for p in rows)]
        if holding:
            names = "".join(f"“{LABELS[name]}”" for name in holding)
            message = f"本表没有{names}列，这些项保留系统中原有的数值，未从文件导入"
            # No one field: the message names them all, in Chinese, as every reader shows it.
            plan.warnings.add(Problem(sheet, None, "", "", message))


def _has_value(value: Any) -> bool:
    return value is not None and value is not False and value != ""


def _communities(plan: ImportPlan) -> QuerySet:
    """The planned rows' communities as a subquery: every community of the streets the file
    covers (a few more than the file's, never fewer), named by a thousand street ids at
    most where the communities themselves would take eleven thousand parameters. (Named
    by the caller's region instead, PostgreSQL joined both regions tables to a country's
    lookups.)"""
    streets = {p.row.street_id for p in plan.rows}
    # The streets as one parameter (`core.lookups`): a country's 37,500 named one by one
    # cost Django and the driver more than the queries.
    rows = LedgerRow.objects.filter(among("street_id", streets), period=plan.period)
    return rows.values("community_id")


def _validate(
    planned: PlannedRow,
    before: tuple | None,
    origin: lineage.Origin | None,
    year: int,
    limits: rules.Thresholds,
    plan,
) -> None:
    """The rules' findings on one planned row; `before` is its last approved values (its
    predecessors' where it succeeded others: `origin`)."""
    findings = rules.validate(
        _Values(planned.values),
        previous=_Values(dict(zip(CARRIED_FIELDS, before, strict=True))) if before else None,
        period_year=year,
        limits=limits,
        derived=planned.derived,  # derived in _plan_row from the same values and standard
        origin=origin,
    )
    planned.findings = findings
    commented = planned.row.warning_comments
    for finding in findings:
        if not finding.is_error and (commented.get(finding.code) or "").strip():
            continue  # already explained on the row; the import keeps the comment
        target = plan.errors if finding.is_error else plan.warnings
        target.add(
            Problem(
                planned.source.sheet,
                planned.source.row,
                planned.source.column(finding.field),
                finding.field,
                finding.message,
            )
        )
