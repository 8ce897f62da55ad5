"""The dry run: every row of the file matched to its community, read into ledger values,
checked by the rules, and compared with the period's current row."""

from __future__ import annotations

import operator
from array import array
from collections.abc import Iterator
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
    warnings: ProblemList = field(default_factory=lambda: ProblemList(marks_rows=False))
    sheets: list[SheetAccount] = field(default_factory=list)
    # new, changed, unchanged, and the rows an error names (counted there only), as planned
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("new", "changed", "unchanged", "error"), 0)
    )

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
        return dict(self.counts)


BATCH_ROWS = 20_000  # data rows planned at a time: what an import holds of its rows


class _Context:
    """What the rows of one import share: name indexes and streets, and the period's rows
    the batch being planned may name (all those in the caller's scope when they fit in a
    batch, else the batch's own: a country has 600,000)."""

    def __init__(
        self,
        scope: Scope,
        period: Period,
        street: Region | None,
        limits: rules.Thresholds,
        batch_rows: int,
    ):
        self.scope, self.period, self.street = scope, period, street
        self.rows: dict[int, RowRecord] = {}
        self.by_code: dict[str, Place] = {}
        self._indexes: dict[int, CommunityNameIndex] = {}
        self._streets: dict[str, object] = {}
        self.limits = limits
        self._batch_rows = batch_rows
        self._whole: bool | None = None  # whether all the rows in scope are read, once

    def load(self, sources: list[SourceRow]) -> list[Region | Place | _Refusal]:
        """The batch's communities, each found or refused, with the period's rows they
        have. Where the caller's scope holds no more rows than a batch (a district, a
        city), they are all read once, in one query; else a batch's at a time: those the
        batch names by division code (one query), then those it names by name."""
        if self._whole is None:
            self._whole = self._visible().count() <= self._batch_rows
            if self._whole:
                self._take(self._visible())
        if self._whole:
            return [_community(source, self) for source in sources]
        self.rows, self.by_code = {}, {}
        codes = _codes(sources)
        if codes:
            self._take(self._visible().filter(among("community__code", codes)))
        found = [_community(source, self) for source in sources]
        named = {f.pk for f in found if type(f) is not _Refusal} - self.rows.keys()
        if named:
            self._take(self._visible().filter(among("community_id", named)))
        return found

    def _visible(self) -> QuerySet:
        rows = rows_visible_to(self.scope).filter(period=self.period)
        return rows if self.street is None else rows.filter(street=self.street)

    def _take(self, rows: QuerySet) -> None:
        # Unordered: the rows are looked up by community, and the model's ordering made the
        # database join the periods and sort a city's rows for nothing.
        for record in row_records(rows.order_by(), self.period):
            self.rows[record.community_id] = record
            self.by_code[record.community.code] = record.community

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


def _codes(sources: list[SourceRow]) -> set[str]:
    """The division codes the rows give, as written and as read (`_community` tries both)."""
    codes = set()
    for source in sources:
        raw = source.cells.get("code")
        if type(raw) is str:
            codes.add(raw)
        text = source.text("code")
        if text:
            codes.add(text)
    return codes


@dataclass(slots=True)
class _Refusal:
    """Why a row's community was not found; reported when the row's turn comes, so that
    the problems keep the file's order."""

    column_of: str
    field: str
    message: str


@without_cycle_search  # the plan's objects are acyclic and alive until it is done
def plan_import(**arguments: Any) -> ImportPlan:
    """The file's rows against the period's: what would change, and every problem, with
    every planned row kept in `rows` (the page's preview, loading history). The arguments
    are `ImportRun`'s, which plans a batch at a time."""
    run = ImportRun(**arguments)
    for batch in run.batches():
        run.plan.rows += batch
    return run.plan


class ImportRun:
    """The file's rows planned a batch at a time (`batches`), each batch complete when it is
    given: matched, read, compared with the period's row, checked by the rules. The plan
    gathers the problems, the sheets' accounts and the counts, never the rows: a caller
    writes each batch (the JSON document, the database) and drops it, so that a country's
    file needs the memory of one batch. The results do not depend on the batch size: the
    problems come in the order of planning the whole file at once (each sheet's reading
    problems, its rows', its sums'; then the 城乡合计; then the rules' findings; then the
    kept fields), which is why the later kinds wait in lists of their own.

    `limits` are the thresholds of the period's year (`compliance.targets.thresholds_for`);
    `plan_target_years` (community id → its open plan's target year) fills a blank 达标年度
    as the export does, so that a file's year equal to it is not read as stated."""

    def __init__(
        self,
        *,
        scope: Scope,
        period: Period,
        sheets: list[RawSheet],
        filename: str,
        limits: rules.Thresholds,
        plan_target_years: dict[int, int],
        street: Region | None = None,
        batch_rows: int | None = None,  # BATCH_ROWS
    ):
        self.plan = ImportPlan(file=filename, period=period)
        self._batch_rows = batch_rows or BATCH_ROWS
        self._context = _Context(scope, period, street, limits, self._batch_rows)
        self._targets = plan_target_years
        self._tables = [read_table(sheet) for sheet in sheets]
        self._findings = _Findings()
        self._seen = _FirstSeen()
        self._book = _BookTotals(self._tables)
        self._sheets: list[_Sheet] = []
        self._done = False

    @property
    def ok_so_far(self) -> bool:
        """No error found yet: a writer stops writing at the first (all or nothing)."""
        sheets = any(sheet.errors for sheet in self._sheets)
        return not (self.plan.errors or sheets or self._findings.errors)

    def batches(self) -> Iterator[list[PlannedRow]]:
        """The planned rows, a batch at a time; once they are all given, the plan is whole.
        To be iterated once."""
        if self._done:
            raise RuntimeError("an import is planned once")
        self._done = True
        if not any(table.layout for table in self._tables):
            self._refuse_headerless()
            return
        segments: list[_Segment] = []
        data = 0
        for table in self._tables:
            sheet = _Sheet(table, self._book)
            self._sheets.append(sheet)
            segments.append(segment := _Segment(sheet))
            for source in table.rows:  # read as they are taken
                segment.sources.append(source)
                if source.kind == "data":
                    data += 1
                    if data == self._batch_rows:
                        yield self._plan_batch(segments)
                        segments, data = [segment := _Segment(sheet)], 0
            segment.ends = True
        yield self._plan_batch(segments)
        self._finish()

    def _refuse_headerless(self) -> None:
        plan = self.plan
        for table in self._tables:
            _take_problems(table, plan)
        if not plan.errors:
            first = self._tables[0].sheet if self._tables else ""
            message = "找不到表头：表格中应有“社区名称”“户数”等列名"
            plan.errors.add(Problem(first, None, "", "", message))
        plan.sheets = [_account(table, []) for table in self._tables]

    def _plan_batch(self, segments: list[_Segment]) -> list[PlannedRow]:
        plan, context, seen = self.plan, self._context, self._seen
        data = [s for segment in segments for s in segment.sources if s.kind == "data"]
        found = iter(context.load(data))
        planned: list[PlannedRow] = []
        for segment in segments:
            sheet = segment.sheet
            for source in segment.sources:
                if source.kind != "data":
                    sheet.check_sum(source)
                elif (row := _plan_row(source, next(found), context, seen, sheet)) is not None:
                    planned.append(row)
                    sheet.took(row)
                else:
                    sheet.refused.append(_refused_row(source, sheet))
            if segment.ends:
                sheet.finish(plan)
        _status(planned, context, self._targets, self._findings)
        self._count(planned)
        return planned

    def _count(self, planned: list[PlannedRow]) -> None:
        """new / changed / unchanged, and the rows an error names, counted there only: their
        status compares figures the file does not state."""
        counts = self.plan.counts
        if self.ok_so_far:  # no row an error names
            for p in planned:
                counts[p.status] += 1
            return
        named, found = self.plan.errors.names_row, self._findings.errors.names_row
        sheets = {sheet.table.sheet: sheet.errors.names_row for sheet in self._sheets}
        for p in planned:
            sheet, row = p.source.sheet, p.source.row
            erroneous = named(sheet, row) or sheets[sheet](sheet, row) or found(sheet, row)
            counts["error" if erroneous else p.status] += 1

    def _finish(self) -> None:
        plan = self.plan
        self._book.check(plan)
        plan.errors.extend(self._findings.errors)
        plan.warnings.extend(self._findings.warnings)
        for sheet in self._sheets:
            _warn_kept_fields(sheet, plan)


class _Segment:
    """A sheet's rows in one batch, in its order; `ends` when the sheet's last is among
    them."""

    __slots__ = ("ends", "sheet", "sources")

    def __init__(self, sheet: _Sheet):
        self.sheet, self.sources, self.ends = sheet, [], False


class _Findings:
    """The rules' findings, listed after every reading problem as when a file was planned
    whole."""

    def __init__(self) -> None:
        self.errors, self.warnings = ProblemList(), ProblemList(marks_rows=False)


def _take_problems(table: SheetTable, plan: ImportPlan) -> None:
    """The errors the reading found in a sheet (header or data it cannot tell apart, data
    below the table's end)."""
    for problem in table.problems:
        plan.errors.add(
            Problem(table.sheet, problem.row, problem.column, problem.field, problem.message)
        )


def _refused_row(source: SourceRow, sheet: _Sheet) -> Skipped:
    """A data row the plan did not take: skipped with the error that refused it, the
    first error naming the row, listed or only counted (the reader's errors name only
    rows it did not give as data, so the first is the row's own). A row left without
    one would vanish silently, so it gets an error of its own."""
    message = sheet.errors.first_message(source.sheet, source.row)
    if message is None:
        message = "未能读入此行（没有对应的社区台账行）"
        sheet.errors.add(Problem(source.sheet, source.row, "", "", message))
    return Skipped(source.row, refused(message))


def _account(table: SheetTable, refused_rows: list[Skipped], imported: int = 0) -> SheetAccount:
    skipped = table.skipped + refused_rows
    if refused_rows:
        skipped.sort(key=_row_number)  # the reader's skips and the refusals, in sheet order
    return SheetAccount(table.sheet, table.rows_read, imported, skipped)


_row_number = operator.attrgetter("row")


class _FirstSeen:
    """Where each community of the file came first, for its duplicates' message. A
    country's 600,000 are kept across batches: as a dict of ids to positions they took
    60 MB, the peak's largest growth with the file. Most files name each community once,
    so the ids seen are a bitmap and the positions two arrays in the order seen (16 bytes a
    community); the first time a community comes again, its position is found by a
    dictionary made then, and kept up from there on."""

    ROWS = 1 << 32  # a sheet's rows are fewer (Excel's last is 1,048,576)

    def __init__(self) -> None:
        self._seen = bytearray()  # bit `id` is set once community `id` has come
        self._ids, self._where = array("q"), array("q")  # where: sheet number × ROWS + row
        self._positions: dict[int, int] | None = None  # made at the first duplicate
        self._sheets: dict[str, int] = {}

    def first(self, community: int, source: SourceRow) -> tuple[str, int] | None:
        """(sheet, row) where `community` came before `source`, or None: it comes first
        at `source`, and is noted there."""
        seen, byte, bit = self._seen, community >> 3, 1 << (community & 7)
        if byte >= len(seen):
            seen.extend(bytes(byte + 1 - len(seen)))
        elif seen[byte] & bit:
            where = self._position(community)
            return list(self._sheets)[where // self.ROWS], where % self.ROWS
        seen[byte] |= bit
        where = self._sheets.setdefault(source.sheet, len(self._sheets)) * self.ROWS + source.row
        self._ids.append(community)
        self._where.append(where)
        if self._positions is not None:
            self._positions[community] = where
        return None

    def _position(self, community: int) -> int:
        if self._positions is None:
            self._positions = dict(zip(self._ids, self._where, strict=True))
        return self._positions[community]


def _plan_row(
    source: SourceRow,
    found: Region | Place | _Refusal,
    context: _Context,
    seen: _FirstSeen,
    sheet: _Sheet,
) -> PlannedRow | None:
    if type(found) is _Refusal:
        sheet.refuse(source, found.column_of, found.field, found.message)
        return None
    community = found
    row = context.rows.get(community.pk)
    if row is None:
        message = f"{community.name}在{context.period.label}没有台账行，或不在您的范围内"
        sheet.refuse(source, "community", "community", message)
        return None
    if (first := seen.first(community.pk, source)) is not None:
        first_sheet, number = first
        message = f"{community.name}重复出现（第一次在{first_sheet} 第{number}行）"
        sheet.refuse(source, "community", "community", message)
        return None
    read = row_values(source, row)
    if read.errors or read.warnings:
        _collect(source, read, sheet)
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


def _collect(source: SourceRow, read: RowValues, sheet: _Sheet) -> None:
    for problem in read.errors:
        sheet.errors.add(
            Problem(source.sheet, source.row, problem.column, problem.field, problem.message)
        )
    for problem in read.warnings:
        sheet.warnings.add(
            Problem(source.sheet, source.row, problem.column, problem.field, problem.message)
        )


def _community(source: SourceRow, context: _Context) -> Region | Place | _Refusal:
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
            return _Refusal("code", "community", f"区划代码 {code} 不是本{where}的社区/村")
        return community
    street = context.street
    street_text = source.text("street")
    if street_text and (street is None or street_text != street.name):
        match = context.find_street(street_text)
        if not match.found:
            return _Refusal("street", "street", match.message())
        if street is not None and match.region.pk != street.pk:
            return _Refusal("street", "street", f"{match.region.name}不是本次导入的{street.name}")
        street = match.region
    if street is None:
        message = "文件中没有“所在街道（乡镇）”列，请用 --street 指明街镇，或加上区划代码列"
        return _Refusal("", "street", message)
    match = context.index(street).find(source.text("community"))
    if not match.found:
        return _Refusal("community", "community", match.message(street.name))
    return match.region


class _Sums:
    """Running sums of the figures a 合计/小计 row states, over the rows it covers: the
    file's own arithmetic, each area column as written (a co-located facility's included,
    as a spreadsheet's SUM adds it), and the total as the rules work it out. Not
    `rules.sums`, the ledger's own 小计, which leaves co-located areas out and the
    households of rows without a valid count."""

    __slots__ = ("count", "values")

    def __init__(self) -> None:
        self.count = 0
        self.values = dict.fromkeys(_SUMMED, Decimal("0"))

    def add(self, planned: PlannedRow) -> None:
        self.count += 1
        values = self.values
        for name, value_of in _SUMMED.items():
            values[name] += Decimal(value_of(planned))


_SUMMED = {
    "households": lambda p: p.values["households"] or 0,
    "total": lambda p: p.derived.total_area,
    **{n: (lambda p, n=n: p.values[n] or 0) for n in AREA_FIELDS if n != "other"},
}


class _Sheet:
    """One sheet as its rows are planned: its account; its rows' problems, joined to the
    plan's after its reading problems, which are complete only once its rows are read;
    the sums its 合计/小计 rows are checked against; the kept fields its rows hold values
    for."""

    def __init__(self, table: SheetTable, book: _BookTotals):
        self.table = table
        self.imported = 0
        self.refused: list[Skipped] = []
        self.errors, self.warnings = ProblemList(), ProblemList(marks_rows=False)
        self.kept = kept_fields(table.columns) if table.layout else ()
        self.waiting = list(self.kept)  # kept fields no row has shown a value for yet
        # Summed only where the sheet may have sum rows: a city's rows would add for nothing.
        self.has_sums = table.may_have_sums
        self.block, self.everything = _Sums(), _Sums()  # since the last 小计; all rows above
        self.named: dict[str, _Sums] = {}  # by the street's name
        self.above: list[SourceRow] = []  # 合计 rows written above the rows they sum
        # Listed after the sheet's rows' problems, as they were when a file was planned whole.
        self.sum_warnings = ProblemList(marks_rows=False)
        self.book = book

    def refuse(self, source: SourceRow, column_of: str, field: str, message: str) -> None:
        """An error at the cell of `column_of` in the source row ("" for the whole row)."""
        column = source.column(column_of) if column_of else ""
        self.errors.add(Problem(source.sheet, source.row, column, field, message))

    def took(self, planned: PlannedRow) -> None:
        self.imported += 1
        if self.waiting:
            values = planned.values
            if any(_has_value(values[name]) for name in self.waiting):
                self.waiting = [name for name in self.waiting if not _has_value(values[name])]
        if self.has_sums:
            self.block.add(planned)
            self.everything.add(planned)
            street = planned.row.street.name
            if street not in self.named:
                self.named[street] = _Sums()
            self.named[street].add(planned)
        if self.book.wanted:
            self.book.sums.add(planned)

    def check_sum(self, source: SourceRow) -> None:
        if source.kind == "total" and source.label == BOOK_TOTAL:
            self.book.totals.append(source)  # 城乡合计 sums every sheet's rows
        elif source.kind == "total" and not self.everything.count:
            self.above.append(source)
        elif source.kind == "total":
            _compare_sum(source, self.everything, self.sum_warnings)
        else:
            # A 小计 naming a street sums that street's rows above it, else the block.
            named = self.named.get(source.label) if source.label else None
            _compare_sum(source, named or self.block, self.sum_warnings)
            self.block = _Sums()

    def finish(self, plan: ImportPlan) -> None:
        """The sheet's account, and its problems in the plan's lists: those of reading it,
        then its rows', then its sums'."""
        plan.sheets.append(_account(self.table, self.refused, imported=self.imported))
        _take_problems(self.table, plan)
        plan.errors.extend(self.errors)
        plan.warnings.extend(self.warnings)
        for source in self.above:  # a 合计 above the table's rows sums them all
            _compare_sum(source, self.everything, self.sum_warnings)
        plan.warnings.extend(self.sum_warnings)


class _BookTotals:
    """The 城乡合计 rows, which sum every sheet's rows."""

    def __init__(self, tables: list[SheetTable]):
        self.wanted = any(table.may_have_sums for table in tables)
        self.sums = _Sums()
        self.totals: list[SourceRow] = []

    def check(self, plan: ImportPlan) -> None:
        for source in self.totals:
            _compare_sum(source, self.sums, plan.warnings)


def _compare_sum(source: SourceRow, covered: _Sums, warnings: ProblemList) -> None:
    for name, expected in covered.values.items():
        if name not in source.cells:
            continue
        parsed = parse_number(source.cells[name], what=name)
        if parsed.value is None or parsed.error:
            continue
        if abs(parsed.value - expected) > Decimal("0.05"):
            label = "户数" if name == "households" else LABELS.get(name, "总建筑面积")
            kind = "合计" if source.kind == "total" else "小计"
            warnings.add(
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


def _status(
    rows: list[PlannedRow], context: _Context, plan_target_years: dict, findings: _Findings
) -> None:
    """new / changed / unchanged against the period's current row, and the rules' findings.
    A blank 达标年度 the export would fill in for the row as imported counts as unchanged
    when the file brings it back."""
    if not rows:
        return
    period, limits = context.period, context.limits
    communities = _communities(rows, period)
    filled = _filled_years(rows, communities, plan_target_years, limits.standard)
    # As tuples, each made a record only while its row is checked: a country's previous
    # rows as model instances took gigabytes.
    previous = approved_values_before(period, communities)
    origins = lineage.origins(period.ordinal, communities)
    year = period.year
    for planned in rows:
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
        found = (previous.get(community), origins.get(community))
        _validate(planned, *found, year, limits, problems=findings)


def _filled_years(
    rows: list[PlannedRow], communities: QuerySet, targets: dict[int, int], standard: Decimal
) -> dict[int, int | None]:
    """The 达标年度 the export would fill in for a blank, by row id, for the stored blanks
    the file fills: worked out on the row as imported, so that a file whose year is the
    one the system fills (its own export, or a file imported before) leaves the blank as
    it is, now and on every later import of the same file."""
    blanks = [
        _Filling(p)
        for p in rows
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


def _warn_kept_fields(sheet: _Sheet, plan: ImportPlan) -> None:
    """One warning a sheet naming the fields it has no column for whose stored values the
    import keeps (a figure kept is never kept silently)."""
    holding = [name for name in sheet.kept if name not in sheet.waiting]
    if sheet.imported and holding:
        names = "".join(f"“{LABELS[name]}”" for name in holding)
        message = f"本表没有{names}列，这些项保留系统中原有的数值，未从文件导入"
        # No one field: the message names them all, in Chinese, as every reader shows it.
        plan.warnings.add(Problem(sheet.table.sheet, None, "", "", message))


def _has_value(value: Any) -> bool:
    return value is not None and value is not False and value != ""


def _communities(rows: list[PlannedRow], period: Period) -> QuerySet:
    """The planned rows' communities as a subquery: every community of the streets the rows
    cover (a few more than the rows', never fewer), named by a thousand street ids at most
    where the communities themselves would take eleven thousand parameters. (Named by the
    caller's region instead, PostgreSQL joined both regions tables to a country's
    lookups.)"""
    streets = {p.row.street_id for p in rows}
    # The streets as one parameter (`core.lookups`): a country's 37,500 named one by one
    # cost Django and the driver more than the queries.
    in_streets = LedgerRow.objects.filter(among("street_id", streets), period=period)
    return in_streets.values("community_id")


def _validate(
    planned: PlannedRow,
    before: tuple | None,
    origin: lineage.Origin | None,
    year: int,
    limits: rules.Thresholds,
    *,
    problems: _Findings,
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
        target = problems.errors if finding.is_error else problems.warnings
        target.add(
            Problem(
                planned.source.sheet,
                planned.source.row,
                planned.source.column(finding.field),
                finding.field,
                finding.message,
            )
        )
