"""The dry run as the JSON document of the import contract, and as text for people."""

from __future__ import annotations

import json
from collections.abc import Iterator

from shequ.core.jsonvalues import json_number
from shequ.ledger.fields import INPUT_FIELDS
from shequ.ledger.importing.plan import ImportPlan, PlannedRow, Problem


def plan_document(plan: ImportPlan) -> dict:
    return {
        "file": plan.file,
        "period": plan.period.code,
        "ok": plan.ok,
        "rows": [_row_document(p) for p in plan.rows],
        "errors": [e.as_dict() for e in plan.errors],
        "warnings": [w.as_dict() for w in plan.warnings],
    }


def plan_document_text(plan: ImportPlan) -> Iterator[str]:
    """`plan_document` as compact JSON, piece by piece: a country's document is half a
    gigabyte of text, and built whole (dicts, then one string) it took gigabytes more."""
    head = {"file": plan.file, "period": plan.period.code, "ok": plan.ok}
    yield _compact(head)[:-1]
    for key, items, as_dict in (
        ("rows", plan.rows, _row_document),
        ("errors", plan.errors, Problem.as_dict),
        ("warnings", plan.warnings, Problem.as_dict),
    ):
        yield f',"{key}":['
        for index, item in enumerate(items):
            yield ("," if index else "") + _compact(as_dict(item))
        yield "]"
    yield "}"


def _compact(document) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _row_document(p: PlannedRow) -> dict:
    return {
        "sheet": p.source.sheet,
        "row": p.source.row,
        "community_code": p.row.community.code,
        "community_name": p.row.community.name,
        "status": p.status,
        "changes": p.changes,
        "data": {name: json_number(p.values[name]) for name in INPUT_FIELDS},
        "derived": {
            "total_area": json_number(p.derived.total_area),
            "per_100_households": json_number(p.derived.per_100_households),
            "compliant": p.derived.compliant,
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
    }


def plan_summary(plan: ImportPlan) -> list[str]:
    counts = {
        status: sum(1 for p in plan.rows if p.status == status)
        for status in ("new", "changed", "unchanged")
    }
    lines = [
        f"{plan.file}：{len(plan.rows)} 行（新填 {counts['new']}，有变化 {counts['changed']}，"
        f"无变化 {counts['unchanged']}），错误 {len(plan.errors)} 个，警告 {len(plan.warnings)} 个"
    ]
    lines += [f"错误 {problem}" for problem in plan.errors]
    lines += [f"警告 {problem}" for problem in plan.warnings]
    return lines
