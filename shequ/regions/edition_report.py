"""An edition's report: one JSON document (its keys in the README, 新版区划代码) and the
same in Chinese text."""

from __future__ import annotations

from dataclasses import dataclass, field

from shequ.core.periods import PeriodCode
from shequ.regions.editions import EditionDiff
from shequ.regions.loading import DivisionRow, Problem
from shequ.regions.successions import KIND_LABELS, SuccessionLine, SuccessionPlan


@dataclass
class EditionReport:
    effective: PeriodCode
    diff: EditionDiff
    successions: SuccessionPlan | None = None
    successions_file: str | None = None
    refusals: list[Problem] = field(default_factory=list)  # the services' refusals
    changes: list[str] = field(default_factory=list)  # each change made (or in a dry run, tried)
    applied: bool = False

    @property
    def problems(self) -> list[Problem]:
        plan = self.successions.problems if self.successions else []
        return [*self.diff.problems, *plan, *self.refusals]

    @property
    def ok(self) -> bool:
        return not self.problems

    def succession_of(self, code: str) -> SuccessionLine | None:
        return self.successions.for_code(code) if self.successions else None


def _row(row: DivisionRow) -> dict:
    return {"file": row.file, "line": row.line}


def _succession(line: SuccessionLine | None) -> dict | None:
    if line is None:
        return None
    return {"kind": line.kind, "new_codes": list(line.new_codes), "line": line.line}


def edition_document(report: EditionReport) -> dict:
    diff = report.diff
    return {
        "effective": report.effective.code,
        "files": diff.files,
        "successions_file": report.successions_file,
        "refused": False,
        "ok": report.ok,
        "applied": report.applied,
        "counts": {
            "added": len(diff.added),
            "vanished": len(diff.vanished),
            "renamed": len(diff.renamed),
            "moved": len(diff.moved),
            "reclassified": len(diff.reclassified),
            "unchanged": len(diff.unchanged),
        },
        "added": [
            {
                "code": row.code,
                "name": row.name,
                "level": row.level,
                "parent_code": row.parent_code or None,
                **_row(row),
            }
            for row in diff.added
        ],
        "vanished": [
            {
                "code": region.code,
                "name": region.name,
                "level": region.level,
                "parent_code": region.ancestor_codes[-1] if region.ancestor_codes else None,
                "succession": _succession(report.succession_of(region.code)),
            }
            for region in diff.vanished
        ],
        "renamed": [
            {"code": c.row.code, "old_name": c.old_name, "new_name": c.row.name, **_row(c.row)}
            for c in diff.renamed
        ],
        "moved": [
            {
                "code": c.row.code,
                "name": c.row.name,
                "old_parent_code": c.old_parent_code,
                "new_parent_code": c.row.parent_code or None,
                **_row(c.row),
            }
            for c in diff.moved
        ],
        "reclassified": [
            {
                "code": c.row.code,
                "name": c.row.name,
                "urban_rural_code": list(c.urban_rural_code),
                **_row(c.row),
            }
            for c in diff.reclassified
        ],
        "changes": report.changes,
        "problems": [{"where": p.where, "message": p.message} for p in report.problems],
    }


def refused_document(effective: PeriodCode, problems: list[Problem]) -> dict:
    """A file that could not be read at all (exit code 2)."""
    return {
        "effective": effective.code,
        "refused": True,
        "ok": False,
        "applied": False,
        "problems": [{"where": p.where, "message": p.message} for p in problems],
    }


def edition_summary(report: EditionReport) -> list[str]:
    """The report in Chinese, line by line."""
    diff = report.diff
    lines = [f"新版区划（自{report.effective.label}起）与系统中的区划树比较："]
    lines += _section("新增", [f"{r.code} {r.name}（上级 {r.parent_code}）" for r in diff.added])
    lines += _section("消失", [_vanished_line(report, region) for region in diff.vanished])
    lines += _section("更名", [f"{c.row.code} {c.old_name} → {c.row.name}" for c in diff.renamed])
    lines += _section(
        "调整上级",
        [
            f"{c.row.code} {c.row.name}：{c.old_parent_code} → {c.row.parent_code}"
            for c in diff.moved
        ],
    )
    lines += _section(
        "调整类别", [f"{c.row.code} {c.row.name}：{_reclass(c)}" for c in diff.reclassified]
    )
    lines.append(f"未变 {len(diff.unchanged)} 个")
    lines += _section("写入的调整" if report.applied else "将做的调整", report.changes)
    lines += _section("问题", [str(p) for p in report.problems])
    return lines


def _section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"{title} {len(items)} 个：", *(f"  {item}" for item in items)]


def _vanished_line(report: EditionReport, region) -> str:
    line = report.succession_of(region.code)
    if line is None and report.successions and region.code in report.successions.named:
        return f"{region.code} {region.name}：承继有误，见下方问题"
    if line is None:
        return f"{region.code} {region.name}：没有承继，不能撤销"
    codes = "、".join(line.new_codes)
    return f"{region.code} {region.name}：{KIND_LABELS[line.kind]}→ {codes}（{line.where()}）"


def _reclass(change) -> str:
    old, new = (code or "无" for code in change.urban_rural_code)
    return f"城乡分类代码 {old} → {new}（仅供参考，不改变城市社区/农村社区）"
