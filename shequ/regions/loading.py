"""Loading division-code files (国家统计局 统计用区划代码) into the region tree.

A file is refused whole, with its line and the reason, if any row is malformed, duplicated,
hangs from a parent that does not exist, disagrees with what is stored, or would leave the
tree with more than one root. Loading the same file twice changes nothing.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from shequ.core.actors import Actor
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.text import field_text
from shequ.regions.levels import (
    CODE_LENGTHS,
    FILE_LEVELS,
    LEVEL_RANK,
    Level,
    default_class_for_kind,
    is_above_street,
    kind_from_code,
)
from shequ.regions.models import Region, RegionVersion

COLUMNS = ["code", "name", "level", "parent_code", "urban_rural_code", "source_year"]
BUILTIN_DIR = Path(__file__).resolve().parent / "data"


@dataclass
class DivisionRow:
    file: str
    line: int
    code: str
    name: str
    level: str
    parent_code: str
    urban_rural_code: str
    source_year: int | None

    def where(self) -> str:
        return f"{self.file} 第{self.line}行"


@dataclass
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}：{self.message}"


class RegionFileError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    root: Region | None = None

    def total(self, level: str) -> int:
        return self.created[level] + self.unchanged[level]

    @property
    def changed_anything(self) -> bool:
        return sum(self.created.values()) > 0

    def as_dict(self) -> dict:
        return {
            "root": {"code": self.root.code, "name": self.root.name} if self.root else None,
            "created": {level: self.created[level] for level in Level.values},
            "unchanged": {level: self.unchanged[level] for level in Level.values},
        }


def resolve_file(name: str) -> Path:
    """A path as given, or the name of a division file shipped with shequ."""
    path = Path(name)
    if path.exists():
        return path
    builtin = BUILTIN_DIR / path.name
    if builtin.exists():
        return builtin
    raise RegionFileError([Problem(name, "文件不存在")])


def read_division_file(path: Path) -> tuple[list[DivisionRow], list[Problem]]:
    rows: list[DivisionRow] = []
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(path.name, "不是 UTF-8 编码的 CSV 文件")]
    reader = csv.reader(text.splitlines())
    header = [cell.strip() for cell in next(reader, [])]
    if header[: len(COLUMNS)] != COLUMNS:
        expected = ",".join(COLUMNS)
        return [], [Problem(f"{path.name} 第1行", f"表头应为 {expected}")]
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row, problem = _parse_row(path.name, line, cells)
        if problem:
            problems.append(problem)
        else:
            rows.append(row)
    return rows, problems


def _parse_row(file: str, line: int, cells: list[str]) -> tuple[DivisionRow | None, Problem | None]:
    where = f"{file} 第{line}行"
    cells = [cell.strip() for cell in cells] + [""] * (len(COLUMNS) - len(cells))
    code, name, file_level, parent_code, ur_code, year = cells[: len(COLUMNS)]
    level = FILE_LEVELS.get(file_level)
    if level is None:
        return None, Problem(where, f"层级“{file_level}”无法识别")
    if not code.isdigit() or len(code) not in CODE_LENGTHS[level]:
        return None, Problem(where, f"代码“{code}”不是有效的{Level(level).label}区划代码")
    try:
        name = field_text(Region, "name", name, required="名称为空")
    except DomainError as error:
        return None, Problem(where, error.message)
    if parent_code and not parent_code.isdigit():
        return None, Problem(where, f"上级代码“{parent_code}”格式不对")
    if ur_code and not (ur_code.isdigit() and len(ur_code) == 3):
        return None, Problem(where, f"城乡分类代码“{ur_code}”应为三位数字")
    if year and not (year.isdigit() and len(year) == 4):
        return None, Problem(where, f"年份“{year}”格式不对")
    row = DivisionRow(
        file, line, code, name, level, parent_code, ur_code, int(year) if year else None
    )
    return row, None


def regions_load(*, paths: list[Path], actor: Actor) -> LoadReport:
    rows, problems = read_division_files(paths)
    existing = {region.code: region for region in Region.objects.all()}
    by_code = {row.code: row for row in rows}
    problems += check_parents(rows, by_code, existing)
    problems += _check_against_stored(rows, by_code, existing)
    new_rows = [row for row in rows if row.code not in existing]
    problems += check_single_root(new_rows, by_code, existing)
    if problems:
        raise RegionFileError(problems)
    report = LoadReport()
    for row in rows:
        if row.code in existing:
            report.unchanged[row.level] += 1
    with transaction.atomic():
        _create(new_rows, existing, report)
        if new_rows:
            audit_record(
                actor=actor,
                action="regions.load",
                target_type="region",
                target_id=",".join(path.name for path in paths)[:64],
                summary=f"导入区划 {len(new_rows)} 个",
                changes={"created": dict(report.created)},
            )
    report.root = Region.objects.filter(parent__isnull=True).first()
    return report


def read_division_files(paths: list[Path]) -> tuple[list[DivisionRow], list[Problem]]:
    rows: list[DivisionRow] = []
    problems: list[Problem] = []
    first_seen: dict[str, DivisionRow] = {}
    for path in paths:
        file_rows, file_problems = read_division_file(path)
        problems += file_problems
        for row in file_rows:
            if row.code in first_seen:
                earlier = first_seen[row.code]
                problems.append(Problem(row.where(), f"代码 {row.code} 与{earlier.where()}重复"))
                continue
            first_seen[row.code] = row
            rows.append(row)
    return rows, problems


def _parent_level(row: DivisionRow, by_code: dict, existing: dict) -> str | None:
    if row.parent_code in by_code:
        return by_code[row.parent_code].level
    if row.parent_code in existing:
        return existing[row.parent_code].level
    return None


def check_parents(rows: list[DivisionRow], by_code: dict, existing: dict) -> list[Problem]:
    problems = []
    for row in rows:
        parent_level = _parent_level(row, by_code, existing)
        if parent_level is None:
            if not is_above_street(row.level):
                problems.append(
                    Problem(row.where(), f"上级代码“{row.parent_code}”在文件和系统中都不存在")
                )
            continue
        if LEVEL_RANK[parent_level] >= LEVEL_RANK[row.level]:
            problems.append(Problem(row.where(), "上级的层级不高于本级"))
        elif row.level == Level.COMMUNITY and parent_level != Level.STREET:
            problems.append(Problem(row.where(), "社区/村的上级必须是街镇"))
    return problems


def resolved_parent_code(row: DivisionRow, by_code: dict, existing: dict) -> str | None:
    if row.parent_code in by_code or row.parent_code in existing:
        return row.parent_code
    return None


def _check_against_stored(rows: list[DivisionRow], by_code: dict, existing: dict) -> list[Problem]:
    problems = []
    for row in rows:
        stored = existing.get(row.code)
        if stored is None:
            continue
        differences = []
        if stored.name != row.name:
            differences.append(f"名称（系统中为“{stored.name}”）")
        if stored.level != row.level:
            differences.append(f"层级（系统中为{stored.get_level_display()}）")
        stored_parent = stored.ancestor_codes[-1] if stored.ancestor_codes else None
        if stored_parent != resolved_parent_code(row, by_code, existing):
            differences.append(f"上级（系统中为 {stored_parent or '无'}）")
        if differences:
            problems.append(
                Problem(
                    row.where(),
                    f"区划 {row.code} 已存在，但{'、'.join(differences)}与文件不同；"
                    "区划调整请在“区划调整”中按生效报告期办理",
                )
            )
    return problems


def check_single_root(new_rows: list[DivisionRow], by_code: dict, existing: dict) -> list[Problem]:
    stored_roots = [r for r in existing.values() if r.parent_id is None]
    new_roots = [r for r in new_rows if resolved_parent_code(r, by_code, existing) is None]
    if len(stored_roots) + len(new_roots) <= 1:
        return []
    if stored_roots:
        beside = f"会与系统中已有的根节点{stored_roots[0].name}并列"
    else:
        beside = f"文件中共有 {len(new_roots)} 个根节点"
    problems = [
        Problem(
            row.where(),
            f"{row.name}（{row.code}）的上级“{row.parent_code or '空'}”不存在，"
            f"{beside}，区划树只能有一个根节点",
        )
        for row in new_roots
    ]
    if len(problems) > 20:
        problems = [*problems[:20], Problem("……", f"另有 {len(problems) - 20} 行同样的问题")]
    return problems


def _create(new_rows: list[DivisionRow], existing: dict, report: LoadReport):
    known = dict(existing)
    for level in Level.values:
        rows = [row for row in new_rows if row.level == level]
        if not rows:
            continue
        # Both SQLite ≥ 3.35 and PostgreSQL hand the new primary keys back.
        regions = Region.objects.bulk_create(
            [_new_region(row, known) for row in rows], batch_size=2000
        )
        known.update((region.code, region) for region in regions)
        RegionVersion.objects.bulk_create(
            [_first_version(region) for region in regions], batch_size=2000
        )
        report.created[level] += len(rows)


def _new_region(row: DivisionRow, known: dict[str, Region]) -> Region:
    parent = known.get(row.parent_code)
    kind = kind_from_code(row.code, row.level)
    return Region(
        code=row.code,
        name=row.name,
        level=row.level,
        parent=parent,
        path=f"{parent.path if parent else '/'}{row.code}/",
        kind=kind,
        urban_rural_class=default_class_for_kind(kind) if row.level == Level.COMMUNITY else "",
        urban_rural_code=row.urban_rural_code,
        source_year=row.source_year,
    )


def _first_version(region: Region) -> RegionVersion:
    return RegionVersion(
        region=region,
        valid_from=region.valid_from,
        name=region.name,
        parent_id=region.parent_id,
        path=region.path,
        kind=region.kind,
        urban_rural_class=region.urban_rural_class,
    )
