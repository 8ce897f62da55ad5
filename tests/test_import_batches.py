"""The import planned a batch at a time (`importing.plan.ImportRun`, issue 26): whatever the
batch size, the same document (rows, problems in the same order, sheets, counts) as the
file planned whole, and --apply writes all rows or none, even when the only error is in
the last batch."""

from __future__ import annotations

import io
import json
import random

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.core.models import AuditEvent
from shequ.ledger.importing import plan as planning
from shequ.ledger.importing import report
from shequ.ledger.importing.apply import import_apply, import_apply_batches
from shequ.ledger.importing.files import StreamedRows, read_sheets
from shequ.ledger.importing.reader import SourceRow
from shequ.ledger.importing.report import RowsSpool, plan_document_bytes
from shequ.ledger.models import LedgerRow
from shequ.regions.levels import Level
from shequ.regions.models import Region
from shequ.workflow.ledger_files import import_run, plan_import

from .conftest import CHENGJIANG, TIANSHENG
from .import_fixtures import xlsx
from .import_layouts import cases
from .test_import_properties import PROPERTY_SETTINGS, carry_forward, earlier_ledgers
from .test_import_properties import period as period
from .test_xlsx_stream import STREAM_ALL

HEADER = [
    "序号",
    "街镇",
    "村（社区）名称",
    "户数",
    "建筑面积(㎡)",
    "其中：便民服务中心",
    "卫生服务站",
]


def whole_and_batched(content: bytes, filename: str, period, batch_rows: int, street=None):
    """The file's document planned whole, and planned `batch_rows` rows at a time with its
    .xlsx sheets read as streams (`xlsx_stream`)."""
    arguments = {"scope": operator_scope(), "period": period, "filename": filename}
    arguments["street"] = street
    whole = plan_import(**arguments, sheets=read_sheets(content, filename))
    streamed = read_sheets(content, filename, STREAM_ALL)
    run = import_run(**arguments, sheets=streamed, batch_rows=batch_rows)
    with RowsSpool() as rows:
        for batch in run.batches():
            rows.add(batch)
        batched = b"".join(plan_document_bytes(run.plan, rows))
    assert run.plan.status_counts() == whole.status_counts()
    return b"".join(plan_document_bytes(whole)), batched


@PROPERTY_SETTINGS
@given(case=cases(), earlier=earlier_ledgers, batch_rows=st.integers(1, 5))
def test_the_layouts_streets_send_plan_alike_in_batches(period, case, earlier, batch_rows):
    with transaction.atomic():
        carry_forward(period, earlier)
        name = case.needs_street  # a file without a street column names it
        street = Region.objects.get(code=name) if name else None
        whole, batched = whole_and_batched(case.content, case.filename, period, batch_rows, street)
        assert json.loads(batched) == json.loads(whole), case.describe()
        assert batched == whole
        transaction.set_rollback(True)


def communities(street_code: str) -> list[str]:
    return list(
        Region.objects.filter(parent__code=street_code, level=Level.COMMUNITY)
        .order_by("code")
        .values_list("name", flat=True)
    )


def clerks_sheets(seed: int) -> dict[str, list[list]]:
    """Two streets' sheets as clerks make mistakes in them: communities repeated (within a
    sheet and across sheets), names no one knows, 小计 rows right and wrong, a 合计 above
    or below its rows, and a 城乡合计 of both sheets, wrong half of the time."""
    rng = random.Random(seed)
    sheets = {}
    names = {code: communities(code) for code in (TIANSHENG, CHENGJIANG)}
    street_names = {TIANSHENG: "天生街道", CHENGJIANG: "澄江镇"}
    every = [n for code in names for n in names[code]]
    for code, street in street_names.items():
        rows: list[list] = [HEADER]
        block: list[list] = []
        if rng.random() < 0.3:
            rows.append(["合计", "", "", rng.randint(1000, 90000), "", "", ""])
        chosen = rng.sample(names[code], k=min(len(names[code]), rng.randint(3, 9)))
        chosen += rng.choices(every, k=rng.randint(0, 2))  # repeated, maybe another street's
        if rng.random() < 0.3:
            chosen.append("不存在社区")
        rng.shuffle(chosen)
        for number, community in enumerate(chosen, start=1):
            households = rng.choice([rng.randint(100, 5000), None])
            centre = rng.choice([rng.randint(0, 900), None])
            health = rng.choice([rng.randint(0, 200), None])
            row = [number, street, community, households, None, centre, health]
            rows.append(row)
            block.append(row)
            if rng.random() < 0.25 or number == len(chosen):
                households_sum = sum(r[3] or 0 for r in block)
                wrong = rng.random() < 0.5
                rows.append(
                    ["", f"{street}小计", "", households_sum + (7 if wrong else 0), "", "", ""]
                )
                block = []
        if rng.random() < 0.5:
            rows.append(["合计", "", "", rng.randint(1000, 90000), "", "", ""])
        sheets[street] = rows
    last = list(sheets)[-1]
    sheets[last].append(["城乡合计", "", "", rng.randint(1000, 90000), "", "", ""])
    return sheets


@PROPERTY_SETTINGS
@given(seed=st.integers(0, 10**6), batch_rows=st.integers(1, 6))
def test_a_clerks_mistakes_are_reported_alike_in_batches(period, seed, batch_rows):
    content = xlsx(clerks_sheets(seed))
    streamed = read_sheets(content, "台账.xlsx", STREAM_ALL)
    assert {type(sheet.rows) for sheet in streamed} == {StreamedRows}  # no formula in them
    whole, batched = whole_and_batched(content, "台账.xlsx", period, batch_rows)
    document = json.loads(whole)
    assert json.loads(batched) == document
    assert batched == whole
    assert document["errors"] or document["warnings"]  # the generator makes mistakes


def stored(period) -> dict:
    return {
        row.community_id: (row.households, row.service_center, row.version)
        for row in LedgerRow.objects.filter(period=period)
    }


def clean_sheet(period, count: int) -> bytes:
    rows = [HEADER]
    for number, name in enumerate(communities(TIANSHENG)[:count], start=1):
        rows.append([number, "天生街道", name, 1000 + number, None, 300 + number, None])
    return xlsx({"天生街道": rows})


def test_applied_in_batches_the_ledger_is_as_applied_whole(period):
    content = clean_sheet(period, 7)

    def applied(batched: bool) -> tuple[dict, int]:
        with transaction.atomic():
            sheets = read_sheets(content, "台账.xlsx")
            if batched:
                run = import_run(
                    scope=operator_scope(),
                    period=period,
                    sheets=sheets,
                    filename="台账.xlsx",
                    batch_rows=2,
                )
                written = import_apply_batches(scope=operator_scope(), run=run, each=list)
            else:
                plan = plan_import(
                    scope=operator_scope(), period=period, sheets=sheets, filename="台账.xlsx"
                )
                written = import_apply(scope=operator_scope(), plan=plan)
            result = stored(period), written, AuditEvent.objects.count()
            transaction.set_rollback(True)
        return result

    whole, batched = applied(False), applied(True)
    assert batched == whole
    assert whole[1] == 7


def test_an_error_in_the_last_batch_leaves_the_ledger_untouched(period):
    rows = [HEADER]
    names = communities(TIANSHENG)[:5]
    for number, name in enumerate(names, start=1):
        rows.append([number, "天生街道", name, 1000, None, 300, None])
    rows.append([6, "天生街道", names[0], 1000, None, 300, None])  # repeated: an error
    before, events = stored(period), AuditEvent.objects.count()
    run = import_run(
        scope=operator_scope(),
        period=period,
        sheets=read_sheets(xlsx({"天生街道": rows}), "台账.xlsx"),
        filename="台账.xlsx",
        batch_rows=2,
    )
    batches = []
    assert import_apply_batches(scope=operator_scope(), run=run, each=batches.append) == 0
    assert not run.plan.ok and [len(b) for b in batches] == [2, 2, 1, 0]
    assert "重复出现" in run.plan.errors.listed[0].message
    assert stored(period) == before and AuditEvent.objects.count() == events


def run_command(tmp_path, content: bytes, *args) -> tuple[int, dict]:
    path = tmp_path / "台账.xlsx"
    path.write_bytes(content)
    out = io.StringIO()
    try:
        call_command("import-ledger", str(path), "--period", "2026H2", "--json", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


@pytest.mark.parametrize("apply", [False, True])
def test_the_command_plans_and_writes_a_batch_at_a_time(period, tmp_path, monkeypatch, apply):
    content = clean_sheet(period, 5)
    extra = ["--apply"] if apply else []
    whole = run_command(tmp_path, content)
    monkeypatch.setattr(planning, "BATCH_ROWS", 2)
    before = stored(period)
    code, document = run_command(tmp_path, content, *extra)
    assert (code, document) == whole
    assert [row["row"] for row in document["rows"]] == [2, 3, 4, 5, 6]
    after = stored(period)
    assert (after != before) is apply
    if apply:
        assert sum(after[k][2] - before[k][2] for k in after) == 5  # each row's version once


def test_the_command_writes_nothing_when_a_later_batch_has_an_error(period, tmp_path, monkeypatch):
    rows = [HEADER]
    names = communities(TIANSHENG)[:4]
    for number, name in enumerate(names, start=1):
        rows.append([number, "天生街道", name, 1000, None, 300, None])
    rows.append([5, "天生街道", "不存在社区", 1000, None, 300, None])
    monkeypatch.setattr(planning, "BATCH_ROWS", 2)
    before = stored(period)
    code, document = run_command(tmp_path, xlsx({"天生街道": rows}), "--apply")
    assert code == 1 and not document["ok"] and len(document["rows"]) == 4
    assert document["errors"][0]["row"] == 6
    assert stored(period) == before


def test_the_spooled_rows_read_back_in_blocks_that_split_characters(period, tmp_path, monkeypatch):
    content = clean_sheet(period, 3)
    whole = run_command(tmp_path, content)
    monkeypatch.setattr(report, "SPOOL_BYTES", 10)  # the rows in a temporary file
    monkeypatch.setattr(report, "READ_BYTES", 5)  # 天生街道: three bytes a character
    assert run_command(tmp_path, content) == whole


@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["台账", "农村"])), max_size=60))
def test_where_a_community_came_first_is_remembered_as_a_dictionary_would(visits):
    """`_FirstSeen` keeps ids as a bitmap and positions in arrays until a community comes
    again: what it answers is what a plain dictionary of first positions answers."""
    seen, expected = planning._FirstSeen(), {}
    for row, (community, sheet) in enumerate(visits, 2):
        source = SourceRow(sheet, row, {}, {})
        assert seen.first(community, source) == expected.get(community)
        expected.setdefault(community, (sheet, row))
