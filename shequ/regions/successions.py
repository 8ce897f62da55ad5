"""The successions file of a new edition: where each vanished code went (ADR 0029).

A CSV with the header `old_code,new_codes,kind` (or 原代码,新代码,方式), one vanished code
a line; `new_codes` separated by `;` or `|` (also `；` and `、`); `kind` merge / split /
rename or 合并 / 拆分 / 更名 (改码). Saved by Excel as UTF-8 (with or without BOM) or GBK.

- merge: one new code a line; the lines naming the same new code form one merge. A code new
  in the edition becomes a new community (at least two old codes); a code that stays takes
  the old ones in (one or more).
- split: two or more codes new in the edition, under the old code's street.
- rename: one code new in the edition: the same community under a new code.

An optional fourth column `plans` (方案) says what becomes of the old community's open plan
(一社区一方案): blank, it goes on as the successor's (for a split it must be named: one of
the new codes); 撤销 (withdraw) ends it as 因区划调整撤销, the edition's reason its reason.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from shequ.regions.editions import EditionDiff
from shequ.regions.loading import Problem, RegionFileError
from shequ.regions.models import Region, Succession

MERGE, SPLIT, RENAME = Succession.MERGE, Succession.SPLIT, Succession.RENAME

HEADERS = (["old_code", "new_codes", "kind"], ["原代码", "新代码", "方式"])
KINDS = {
    "merge": MERGE,
    "合并": MERGE,
    "split": SPLIT,
    "拆分": SPLIT,
    "rename": RENAME,
    "更名": RENAME,
    "改码": RENAME,
}
KIND_LABELS: dict[str, str] = {MERGE: "合并", SPLIT: "拆分", RENAME: "更名（改码）"}
SEPARATORS = ";；|、"
WITHDRAW = {"撤销", "withdraw"}
ENCODINGS = ("utf-8-sig", "gbk")


@dataclass(frozen=True)
class SuccessionLine:
    file: str
    line: int
    old_code: str
    new_codes: tuple[str, ...]
    kind: str
    plans: str = ""  # the 方案 column: blank, a new code (a split's plan), or 撤销

    @property
    def withdraws_plans(self) -> bool:
        return self.plans.lower() in WITHDRAW

    @property
    def plan_to(self) -> str | None:
        """The new code that takes a split community's open plan, if the line names one."""
        return self.plans if self.plans and not self.withdraws_plans else None

    def where(self) -> str:
        return f"{self.file} 第{self.line}行"


@dataclass
class SuccessionPlan:
    """The successions checked against an edition, grouped as the services take them."""

    lines: list[SuccessionLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    named: set[str] = field(default_factory=set)  # old codes of every line, refused ones too

    def for_code(self, code: str) -> SuccessionLine | None:
        return next((line for line in self.lines if line.old_code == code), None)

    def merges(self) -> dict[str, list[str]]:
        """New (or staying) code → the old codes merged into it, in file order."""
        groups: dict[str, list[str]] = defaultdict(list)
        for line in self.lines:
            if line.kind == MERGE:
                groups[line.new_codes[0]].append(line.old_code)
        return dict(groups)

    def of_kind(self, kind: str) -> list[SuccessionLine]:
        return [line for line in self.lines if line.kind == kind]

    @property
    def successor_codes(self) -> set[str]:
        return {code for line in self.lines for code in line.new_codes}


def decode(data: bytes, name: str) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegionFileError([Problem(name, "不是 UTF-8 或 GBK 编码的 CSV 文件")])


def read_successions(path: Path) -> tuple[list[SuccessionLine], list[Problem]]:
    """The file's lines; RegionFileError when it cannot be read at all."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RegionFileError([Problem(path.name, f"无法读取（{error.strerror}）")]) from error
    return parse_successions(decode(data, path.name), path.name)


def parse_successions(text: str, name: str) -> tuple[list[SuccessionLine], list[Problem]]:
    reader = csv.reader(text.splitlines())
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header[:3] not in HEADERS:
        raise RegionFileError([Problem(f"{name} 第1行", "表头应为 old_code,new_codes,kind")])
    lines, problems = [], []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        line, problem = _parse_line(name, number, cells)
        if problem:
            problems.append(problem)
        else:
            lines.append(line)
    return lines, problems


def _parse_line(name: str, number: int, cells: list[str]):
    where = f"{name} 第{number}行"
    old_code, new_text, kind_text, plans = [cell.strip() for cell in [*cells, "", "", ""][:4]]
    for separator in SEPARATORS[1:]:
        new_text = new_text.replace(separator, SEPARATORS[0])
    new_codes = tuple(code.strip() for code in new_text.split(SEPARATORS[0]) if code.strip())
    kind = KINDS.get(kind_text.lower())
    if not old_code.isdigit():
        return None, Problem(where, f"原代码“{old_code}”不是区划代码")
    if not new_codes:
        return None, Problem(where, f"原代码 {old_code} 没有写新代码")
    bad = [code for code in new_codes if not code.isdigit()]
    if bad:
        return None, Problem(where, f"新代码“{bad[0]}”不是区划代码")
    if len(set(new_codes)) != len(new_codes):
        return None, Problem(where, "新代码有重复")
    if kind is None:
        return None, Problem(
            where, f"方式“{kind_text}”无法识别，应为 merge/split/rename（合并/拆分/更名）"
        )
    line = SuccessionLine(name, number, old_code, new_codes, kind, plans)
    problem = _check_plans(line)
    return (None, Problem(where, problem)) if problem else (line, None)


def _check_plans(line: SuccessionLine) -> str | None:
    """The 方案 column names one of a split's new codes, or says 撤销, or is blank."""
    if not line.plans or line.withdraws_plans:
        return None
    if line.kind != SPLIT:
        return f"方案一栏只能留空或填“撤销”（{KIND_LABELS[line.kind]}时方案随区划转给新代码）"
    if line.plans not in line.new_codes:
        return f"方案一栏的 {line.plans} 不是本行拆分出的新代码"
    return None


def plan_successions(diff: EditionDiff, lines: list[SuccessionLine]) -> SuccessionPlan:
    """Check each line against the edition and the tree; every vanished code must be
    covered. Lines with a problem are left out of the plan (which is refused anyway)."""
    plan = SuccessionPlan(named={line.old_code for line in lines})
    stored = {r.code: r for r in Region.objects.filter(code__in=_codes(lines))}
    seen_old: dict[str, SuccessionLine] = {}
    used_new: dict[str, SuccessionLine] = {}
    for line in lines:
        problem = (
            _duplicate(line, seen_old, used_new)
            or _check_old(line, diff, stored)
            or _check_new(line, diff, stored)
        )
        seen_old.setdefault(line.old_code, line)
        for code in line.new_codes:
            used_new.setdefault(code, line)
        if problem:
            plan.problems.append(Problem(line.where(), problem))
        else:
            plan.lines.append(line)
    plan.problems += _check_merge_groups(plan, diff)
    plan.problems += _uncovered(diff, lines)
    return plan


def _codes(lines: list[SuccessionLine]) -> set[str]:
    return {code for line in lines for code in (line.old_code, *line.new_codes)}


def _duplicate(line: SuccessionLine, seen_old: dict, used_new: dict) -> str | None:
    if line.old_code in seen_old:
        return f"原代码 {line.old_code} 与第{seen_old[line.old_code].line}行重复"
    for code in line.new_codes:
        earlier = used_new.get(code)
        both_merge = earlier and earlier.kind == line.kind == MERGE
        if earlier and not both_merge:
            return f"新代码 {code} 已在第{earlier.line}行用过"
    return None


def _check_old(line: SuccessionLine, diff: EditionDiff, stored: dict) -> str | None:
    region = stored.get(line.old_code)
    if region is None:
        return f"原代码 {line.old_code} 在系统中不存在"
    if region.valid_to is not None:
        return f"原代码 {line.old_code}（{region.name}）已于{region.end_label}撤销"
    if line.old_code in diff.rows:
        return f"原代码 {line.old_code}（{region.name}）仍在新版文件中，不需要承继"
    if line.old_code not in diff.vanished_codes:
        return f"原代码 {line.old_code}（{region.name}）不在新版文件所覆盖的区划内"
    return None


def _check_new(line: SuccessionLine, diff: EditionDiff, stored: dict) -> str | None:
    missing = [code for code in line.new_codes if code not in diff.rows]
    if missing:
        return f"新代码 {missing[0]} 不在新版文件中"
    old = stored[line.old_code]
    other_level = [code for code in line.new_codes if diff.rows[code].level != old.level]
    if other_level:
        return f"新代码 {other_level[0]} 与原代码 {line.old_code} 不是同一层级"
    if line.kind == MERGE:
        return _check_merge_line(line)
    existing = [code for code in line.new_codes if code not in diff.added_codes]
    if existing:
        what = "拆分" if line.kind == SPLIT else "更名（改码）"
        return f"{what}的新代码应是新版新增的代码，{existing[0]} 已在系统中；并入已有区划请用 merge"
    if line.kind == SPLIT:
        return _check_split_line(line, diff, old)
    if len(line.new_codes) != 1:
        return "更名（改码）只能有一个新代码；分成几个请用 split"
    return None


def _check_merge_line(line: SuccessionLine) -> str | None:
    if len(line.new_codes) != 1:
        return "合并只能写一个新代码；几个原代码合并到同一个新代码请各写一行"
    return None


def _check_split_line(line: SuccessionLine, diff: EditionDiff, old: Region) -> str | None:
    if len(line.new_codes) < 2:
        return "拆分至少要有两个新代码；只是换了代码请用 rename（更名）"
    street = old.ancestor_codes[-1] if old.ancestor_codes else None
    elsewhere = [code for code in line.new_codes if diff.rows[code].parent_code != street]
    if elsewhere:
        return f"拆分出的 {elsewhere[0]} 不在原上级 {street} 下；拆分后再调整上级请另行办理"
    return None


def _check_merge_groups(plan: SuccessionPlan, diff: EditionDiff) -> list[Problem]:
    problems = []
    for new_code, old_codes in plan.merges().items():
        if new_code in diff.added_codes and len(old_codes) < 2:
            line = plan.for_code(old_codes[0])
            assert line is not None
            problems.append(
                Problem(
                    line.where(),
                    f"合并为新代码 {new_code} 至少需要两个原代码；只是换了代码请用 rename（更名）",
                )
            )
    return problems


def _uncovered(diff: EditionDiff, lines: list[SuccessionLine]) -> list[Problem]:
    named = {line.old_code for line in lines}
    return [
        Problem(
            f"{region.name}（{region.code}）",
            "不在新版文件中，但没有给出承继（--successions 文件），不能撤销",
        )
        for region in diff.vanished
        if region.code not in named
    ]
