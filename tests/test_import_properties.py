"""Random ledgers, written in the layouts streets send (tests/import_layouts.py), imported
into a period whose rows hold random earlier values: every figure of every row comes in
exactly as generated, nothing else changes, and the same file again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from shequ.accounts.models import Role, User
from shequ.accounts.scope import Scope, operator_scope, scope_for
from shequ.core.errors import DomainError
from shequ.ledger.fields import INPUT_FIELDS, LABELS
from shequ.ledger.importing.apply import import_apply
from shequ.ledger.importing.files import read_sheets
from shequ.ledger.importing.plan import ImportPlan
from shequ.ledger.importing.report import plan_document
from shequ.ledger.models import LedgerRow
from shequ.ledger.rows import rows_bulk_update
from shequ.regions.models import Region
from shequ.workflow.ledger_files import plan_import

from .conftest import make_user
from .import_layouts import (
    CHENGJIANG_CODE,
    FACILITIES,
    IN_CENTRE_FLAGS,
    TIANSHENG_CODE,
    Case,
    cases,
    column_letter,
    write_case,
)
from .ledger_helpers import open_period

# Families of layouts, each with its own examples: the formulas are an .xlsx's only.
FAMILIES = {
    "xlsx": {"formats": ("xlsx",)},
    "xlsx formulas": {"formats": ("xlsx",), "formulas": True},
    "xls": {"formats": ("xls",)},
    "csv": {"formats": ("csv",)},
}
# Deterministic (the same examples on every run and machine), no example database, and
# the per-test fixtures (the period) shared by the examples, each of which rolls back.
# No shrinking: an example is a whole file and its import, and shrinking one took Hypothesis
# over five minutes; the assertion messages name the layout, the row and the cell instead.
PROPERTY_SETTINGS = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
def period(beibei):
    for street in (TIANSHENG_CODE, CHENGJIANG_CODE):
        make_user(f"editor-{street}", street, Role.EDITOR)
    return open_period("2026H2")


# ------------------------------------------------------------------ the earlier values

tenths = st.integers(min_value=0, max_value=30000).map(lambda n: Decimal(n) / 10)
maybe_area = st.one_of(st.none(), tenths)


@st.composite
def earlier_values(draw) -> dict:
    """A row as a period carried forward may hold it: any figure, flags, year, remarks."""
    values = {
        "households": draw(st.one_of(st.none(), st.integers(1, 60000))),
        "resident_households": draw(st.one_of(st.none(), st.integers(0, 60000))),
        "other": draw(maybe_area),
        "compliance_year": draw(st.one_of(st.none(), st.integers(2018, 2030))),
        "remarks": draw(st.sampled_from(("", "上期备注", "原址改造；待验收", "=旧数据"))),
    }
    for facility in FACILITIES:
        flag = IN_CENTRE_FLAGS.get(facility)
        in_centre = flag is not None and draw(st.booleans())
        values[facility] = None if in_centre else draw(maybe_area)
        if flag:
            values[flag] = in_centre
    return values


# One earlier row for each of the two streets' 23 communities.
earlier_ledgers = st.lists(earlier_values(), min_size=23, max_size=23)


def street_rows(period) -> list[LedgerRow]:
    return list(
        LedgerRow.objects.filter(period=period, street__code__in=(TIANSHENG_CODE, CHENGJIANG_CODE))
        .select_related("community", "street", "period")
        .order_by("community__code")
    )


def stored_values(period) -> dict[str, dict]:
    """Every row of the period: community code → its input fields as stored."""
    rows = LedgerRow.objects.filter(period=period).select_related("community")
    return {row.community.code: {n: getattr(row, n) for n in INPUT_FIELDS} for row in rows}


def carry_forward(period, values: list[dict]) -> None:
    rows = street_rows(period)
    rows_bulk_update(
        scope=operator_scope(),
        updates=list(zip(rows, values, strict=False)),
        reason="上期数据",
        action="ledger.test",
    )


# ------------------------------------------------------------------ importing


@dataclass(frozen=True)
class Importer:
    """Who imports: the command line's operator, or the street's editor through the import
    page, which names the street (the editor's own) for every file."""

    scope: Scope
    street: str | None = None


def importer_for(case: Case, as_editor: bool) -> Importer:
    if as_editor and len(case.streets) == 1:
        (street,) = case.streets
        return Importer(scope_for(User.objects.get(username=f"editor-{street}")), street)
    return Importer(operator_scope())


def plan_for(case: Case, period, importer: Importer | None = None) -> ImportPlan:
    importer = importer or Importer(operator_scope())
    street = importer.street or case.needs_street
    return plan_import(
        scope=importer.scope,
        period=period,
        sheets=read_sheets(case.content, case.filename),
        filename=case.filename,
        street=Region.objects.get(code=street) if street else None,
    )


def problems(plan: ImportPlan) -> str:
    return "\n".join(f"  {p}" for p in plan.errors.listed) or "  (none)"


def differences(case: Case, actual: dict[str, dict], what: str) -> list[str]:
    """Each stated field of each generated row whose `actual` value is not the generated one,
    as one readable line."""
    lines = []
    for entry in case.entries:
        got = actual.get(entry.place.code)
        where = f"{entry.place.street_name} {entry.place.name}（{entry.place.code}）"
        if got is None:
            lines.append(f"{where}: no {what} row")
            continue
        for name, expected in entry.expected().items():
            if got[name] != expected:
                lines.append(
                    f"{where} {LABELS[name]}（{name}）: generated {expected!r}, "
                    f"{what} {got[name]!r} (cell {entry.cells.get(name)!r})"
                )
    return lines


def must_be_empty(lines: list[str], case: Case, heading: str) -> None:
    assert not lines, f"{heading} — {case.describe()}\n" + "\n".join(lines)


# ------------------------------------------------------------------ the properties


@pytest.mark.parametrize("family", FAMILIES)
def test_every_generated_figure_is_imported_exactly_and_nothing_else(period, family):
    @PROPERTY_SETTINGS
    @given(case=cases(**FAMILIES[family]), earlier=earlier_ledgers, as_editor=st.booleans())
    def imports_exactly(case: Case, earlier: list[dict], as_editor: bool):
        with transaction.atomic():
            carry_forward(period, earlier)
            before = stored_values(period)
            check_import(case, period, before, importer_for(case, as_editor))
            transaction.set_rollback(True)

    imports_exactly()


def check_import(case: Case, period, before: dict[str, dict], importer: Importer) -> None:
    """The contract, for one file: a valid file is planned without errors, one row for each
    generated community from the sheet row it was written in; every figure the file states
    (households, the six areas, 其他, the four 设在便民服务中心 flags, 达标年度, 备注) is
    planned and stored exactly as generated, and the total is the file's; a field the file
    has no column for (常住户数) keeps its stored value; no other row changes; the same
    file imported again finds every row unchanged; 小计/合计 rows, whose sums are right,
    draw no warning.

    其他 is what the file states: its column; the stated total minus the parts (none when
    they are equal, as a system export of a row without 其他 reads back); the 其他用房 the
    export appends to 备注; and none at all when the file has neither column nor remark."""
    plan = plan_for(case, period, importer)
    assert plan.ok, f"a valid file refused — {case.describe()}\n{problems(plan)}"
    sums_doubted = [f"  {p}" for p in plan.warnings.listed if "按各行计算应为" in p.message]
    must_be_empty(sums_doubted, case, "小计/合计 rows with the right sums reported wrong")
    planned = {p.row.community.code: p for p in plan.rows}
    generated = {e.place.code for e in case.entries}
    assert len(plan.rows) == len(case.entries) and set(planned) == generated, (
        f"{len(case.entries)} communities generated, {len(plan.rows)} planned; "
        f"missing {sorted(generated - set(planned))}, extra {sorted(set(planned) - generated)}"
        f" — {case.describe()}"
    )
    where_written = {
        code: (sheet.name, row) for sheet in case.sheets for code, row in sheet.data_rows.items()
    }
    misplaced = [
        f"{code}: written at {where_written[code]}, planned from {(p.source.sheet, p.source.row)}"
        for code, p in planned.items()
        if (p.source.sheet, p.source.row) != where_written[code]
    ]
    must_be_empty(misplaced, case, "rows planned from another sheet row")
    must_be_empty(
        differences(case, {c: p.values for c, p in planned.items()}, "planned"),
        case,
        "planned values differ from the file",
    )
    kept = [
        f"{code} resident_households: stored {before[code]['resident_households']!r}, "
        f"planned {p.values['resident_households']!r}"
        for code, p in planned.items()
        if p.values["resident_households"] != before[code]["resident_households"]
    ]
    must_be_empty(kept, case, "a field the file has no column for was not kept")
    derived = {code: p.derived.total_area for code, p in planned.items()}
    totals = [
        f"{e.place.name}: generated total {e.total}, derived {derived[e.place.code]}"
        for e in case.entries
        if derived[e.place.code] != e.total
    ]
    must_be_empty(totals, case, "the derived total differs from the file's total")

    import_apply(scope=importer.scope, plan=plan)
    after = stored_values(period)
    must_be_empty(differences(case, after, "stored"), case, "stored values differ from the file")
    untouched = [
        f"{code}: {before[code]} became {after[code]}"
        for code in before
        if code not in generated and after[code] != before[code]
    ]
    must_be_empty(untouched, case, "rows the file does not hold were changed")

    again = plan_for(case, period, importer)
    changed = [
        f"{p.row.community.name}: {p.status} {p.changes}"
        for p in again.rows
        if p.status != "unchanged"
    ]
    assert again.ok, f"the same file refused the second time — {case.describe()}\n{problems(again)}"
    must_be_empty(changed, case, "importing the same file again changes rows")


@PROPERTY_SETTINGS
@given(case=cases())
def test_every_row_of_every_sheet_is_accounted_for(period, case):
    document = plan_document(plan_for(case, period))
    assert "sheets" in document, (
        'the report has no per-sheet accounting ("sheets": rows_read, imported, skipped)'
    )
    by_name = {sheet["sheet"]: sheet for sheet in document["sheets"]}
    for sheet in case.sheets:
        name = sheet.name  # a CSV's one sheet is named after the file: 台账
        accounted = by_name.get(name)
        assert accounted is not None, f"sheet {name} not in the report — {case.describe()}"
        data_rows = set(sheet.data_rows.values())
        skipped = {item["row"]: item["reason"] for item in accounted["skipped"]}
        assert accounted["imported"] == len(data_rows), (
            f"{name}: {len(data_rows)} rows generated, {accounted['imported']} imported "
            f"— {case.describe()}"
        )
        # Down to the last row with content: blank rows after it are no rows a clerk sees
        # (a reader may not even return them), and are neither read nor listed.
        written = last_row_with_content(sheet.grid)
        assert accounted["rows_read"] == written, (
            f"{name}: {written} rows written, {accounted['rows_read']} read"
        )
        unaccounted = set(range(1, written + 1)) - data_rows - set(skipped)
        assert not unaccounted, (
            f"{name}: rows {sorted(unaccounted)} neither imported nor skipped — {case.describe()}"
        )
        assert not data_rows & set(skipped), f"{name}: data rows reported skipped"
        assert all(reason.strip() for reason in skipped.values()), f"{name}: a skip without reason"


def last_row_with_content(grid: list[list]) -> int:
    filled = [
        number
        for number, row in enumerate(grid, start=1)
        if any(cell is not None and str(cell).strip() for cell in row)
    ]
    return filled[-1] if filled else 0


@PROPERTY_SETTINGS
@given(case=cases(), data=st.data())
def test_a_row_without_households_is_refused_at_its_cell_and_nothing_is_written(period, case, data):
    entry = data.draw(st.sampled_from(case.entries))
    entry.cells["households"] = data.draw(st.sampled_from((None, "", "/")))
    write_case(case)
    plan = plan_for(case, period)
    (sheet,) = [s for s in case.sheets if entry.place.code in s.data_rows]
    row = sheet.data_rows[entry.place.code]
    column = column_letter(case.layout.left_margin + case.layout.columns.index("households"))
    found = [(p.sheet, p.row, p.column, p.field) for p in plan.errors.listed]
    assert found == [(sheet.name, row, column, "households")], (
        f"blank households of {entry.place.name} at {sheet.name}!{column}{row}: errors {found}"
        f" — {case.describe()}\n{problems(plan)}"
    )
    before = stored_values(period)
    with pytest.raises(DomainError):
        import_apply(scope=operator_scope(), plan=plan)
    assert stored_values(period) == before
