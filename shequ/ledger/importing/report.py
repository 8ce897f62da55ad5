"""The dry run as the JSON document of the import contract, and as text for people."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator

import orjson

from shequ.core.jsonvalues import json_default
from shequ.ledger.importing.plan import ImportPlan, PlannedRow, SheetAccount
from shequ.ledger.importing.problem_list import more_problems
from shequ.ledger.importing.reader import REFUSED


def plan_document(plan: ImportPlan) -> dict:
    """The dry run as the import contract's JSON document, as Python values."""
    return orjson.loads(b"".join(plan_document_bytes(plan)))


def plan_document_bytes(plan: ImportPlan, rows: Iterable[bytes] | None = None) -> Iterator[bytes]:
    """`plan_document` as compact UTF-8 JSON, a thousand items at a time: a country's
    document is half a gigabyte of text, and built whole (dicts, then one string) it took
    gigabytes more. `rows` is the "rows" array's content as written while the rows were
    planned (`RowsSpool`); by default the plan's own rows."""
    head = {"file": plan.file, "period": plan.period.code, "ok": plan.ok}
    yield _compact(head)[:-1]
    yield b',"rows":['
    yield from _rows_json(plan.rows) if rows is None else rows
    yield b"]"
    # A Problem's fields are the contract's keys in its order, and orjson writes a
    # dataclass as its fields: no dict is made for each of a city's 6,000 warnings. Only
    # the listed problems: the others are counted under "not_listed".
    for key, items in (("errors", plan.errors.listed), ("warnings", plan.warnings.listed)):
        yield b',"' + key.encode() + b'":['
        for start in range(0, len(items), CHUNK):
            yield (b"," if start else b"") + _compact(items[start : start + CHUNK])[1:-1]
        yield b"]"
    # Each added last, so that every key before it stays where it was. A SheetAccount's
    # and a NotListed's fields are the contract's keys of their items, in its order.
    yield b',"sheets":' + _compact(plan.sheets)
    yield b',"not_listed":' + _compact(plan.not_listed())
    yield b"}"


CHUNK = 1000


def _rows_json(rows: list[PlannedRow], after_others: bool = False) -> Iterator[bytes]:
    """The rows as items of the "rows" array, comma-separated; led by a comma when they
    follow rows already written."""
    for start in range(0, len(rows), CHUNK):
        items = [_row_document(p) for p in rows[start : start + CHUNK]]
        yield (b"," if start or after_others else b"") + _compact(items)[1:-1]


class RowsSpool:
    """The "rows" of the dry run's document, written as each batch of rows is planned and
    read back once the plan is whole (the document states whether the file is ok before
    its rows): in memory up to SPOOL_BYTES, in a temporary file beyond
    (`tempfile.SpooledTemporaryFile`).

        with RowsSpool() as rows:
            rows.add(batch) …
            plan_document_bytes(plan, rows)"""

    def __enter__(self) -> RowsSpool:
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self._written = False
        return self

    def __exit__(self, *exception) -> None:
        self._file.close()

    def add(self, rows: list[PlannedRow]) -> None:
        for chunk in _rows_json(rows, after_others=self._written):
            self._file.write(chunk)
        self._written = self._written or bool(rows)

    def __iter__(self) -> Iterator[bytes]:
        self._file.seek(0)
        while block := self._file.read(READ_BYTES):
            yield block


SPOOL_BYTES, READ_BYTES = 64 * 1024 * 1024, 1024 * 1024


def _compact(document) -> bytes:
    # orjson: a city's document is megabytes, which the standard encoder was slow to
    # write. Its output is compact and keeps Chinese unescaped.
    return orjson.dumps(document, default=json_default)


def _row_document(p: PlannedRow) -> dict:
    derived = p.derived
    return {
        "sheet": p.source.sheet,
        "row": p.source.row,
        "community_code": p.row.community.code,
        "community_name": p.row.community.name,
        "status": p.status,
        "changes": p.changes,
        # The planned values hold every input field in the contract's order; Decimals are
        # written as numbers by json_default.
        "data": p.values,
        "derived": {
            "total_area": derived.total_area,
            "per_100_households": derived.per_100_households,
            "compliant": derived.compliant,
        },
    }


def refused_document(filename: str, period_code: str, reason: str) -> dict:
    return {
        "file": filename,
        "period": period_code,
        "ok": False,
        "rows": [],
        "errors": [{"sheet": "", "row": None, "column": "", "field": "", "message": reason}],
        "warnings": [],
        "sheets": [],
        "not_listed": [],
    }


def plan_summary(plan: ImportPlan) -> list[str]:
    counts = plan.status_counts()
    with_errors = f"，有错误 {counts['error']}" if counts["error"] else ""
    rows = sum(counts.values())
    lines = [
        f"{plan.file}：{rows} 行（新填 {counts['new']}，有变化 {counts['changed']}，"
        f"无变化 {counts['unchanged']}{with_errors}），"
        f"错误 {plan.errors.total} 个，警告 {plan.warnings.total} 个"
    ]
    lines += [sheet_summary(account) for account in plan.sheets]
    lines += [f"错误 {problem}" for problem in plan.errors.listed]
    if plan.errors.not_listed:
        more = more_problems(plan.errors.not_listed, "错误")
        lines.append(f"{more}，请先改正上面列出的错误，再重新导入检查其余的。")
    lines += [f"警告 {problem}" for problem in plan.warnings.listed]
    if plan.warnings.not_listed:
        lines.append(more_problems(plan.warnings.not_listed, "警告") + "。")
    return lines


def sheet_summary(account: SheetAccount) -> str:
    """One line for a sheet: its rows, and how many were skipped for each reason (the
    errors themselves are listed with the plan's errors)."""
    line = (
        f"工作表“{account.sheet}”：读取 {account.rows_read} 行，导入 {account.imported} 行，"
        f"跳过 {len(account.skipped)} 行"
    )
    if not account.skipped:
        return line
    return line + "（" + skipped_reasons(account) + "）"


def skipped_reasons(account: SheetAccount) -> str:
    """How many of a sheet's rows were skipped for each reason, in the order first met:
    “标题 1，表头 2，小计 17，有错误 1”."""
    reasons = Counter(_reason_kind(skipped.reason) for skipped in account.skipped)
    return "，".join(f"{reason} {count}" for reason, count in reasons.items())


def _reason_kind(reason: str) -> str:
    return "有错误" if reason.startswith(REFUSED) else reason
