"""The dry run as the JSON document of the import contract, and as text for people."""

from __future__ import annotations

from shequ.core.jsonvalues import json_number
from shequ.ledger.fields import INPUT_FIELDS
from shequ.ledger.importing.plan import ImportPlan


def plan_document(plan: ImportPlan) -> dict:
    return {
        "file": plan.file,
        "period": plan.period.code,
        "ok": plan.ok,
        "rows": [
            {
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
            for p in plan.rows
        ],
        "errors": [e.as_dict() for e in plan.errors],
        "warnings": [w.as_dict() for w in plan.warnings],
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
