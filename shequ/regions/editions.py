"""A new edition of the division codes compared with the tree (ADR 0029).

Pure reading: the edition's files are checked as `loading` checks a first load, then each
code is put in exactly one of added, vanished, changed (renamed, moved, reclassified, or
several of these) and unchanged. Nothing is written here; `workflow.region_editions`
applies an edition through the region-change services.

The edition covers the subtree of each of its top rows (a row whose parent is not in the
files) that the tree already holds: a district's file covers the whole district, a street's
rows alone cover that street. A code of the covered part missing from the files vanished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shequ.regions.loading import (
    DivisionRow,
    Problem,
    check_parents,
    check_single_root,
    read_division_files,
    resolved_parent_code,
)
from shequ.regions.models import Region


@dataclass(frozen=True)
class Renamed:
    row: DivisionRow
    old_name: str


@dataclass(frozen=True)
class Moved:
    row: DivisionRow
    old_parent_code: str | None


@dataclass(frozen=True)
class Reclassified:
    row: DivisionRow
    urban_rural_code: tuple[str, str]  # (stored, the file's)


@dataclass
class EditionDiff:
    """What the edition's files change in the tree; `problems` refuse it."""

    files: list[str]
    rows: dict[str, DivisionRow] = field(default_factory=dict)
    added: list[DivisionRow] = field(default_factory=list)
    vanished: list[Region] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    reclassified: list[Reclassified] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed_codes(self) -> set[str]:
        changes = [*self.renamed, *self.moved, *self.reclassified]
        return {change.row.code for change in changes}

    @property
    def added_codes(self) -> set[str]:
        return {row.code for row in self.added}

    @property
    def vanished_codes(self) -> set[str]:
        return {region.code for region in self.vanished}


def edition_diff(paths: list[Path]) -> EditionDiff:
    """Compare the edition in `paths` (division files) with the tree as it stands now."""
    rows, problems = read_division_files(paths)
    diff = EditionDiff(files=[path.name for path in paths], problems=problems)
    diff.rows = {row.code: row for row in rows}
    stored = {region.code: region for region in Region.objects.all()}
    diff.problems += check_parents(rows, diff.rows, stored)
    new_rows = [row for row in rows if row.code not in stored]
    diff.problems += check_single_root(new_rows, diff.rows, stored)
    covered = _covered(rows, diff.rows, stored)
    diff.vanished = [region for region in covered if region.code not in diff.rows]
    vanished = diff.vanished_codes
    for row in rows:
        _classify(diff, row, stored)
        _check_parent_stays(diff, row, vanished)
    return diff


def _covered(rows: list[DivisionRow], by_code: dict, stored: dict) -> list[Region]:
    """The active regions at or under the edition's top rows that the tree holds, top down."""
    tops = {row.code for row in rows if row.parent_code not in by_code and row.code in stored}
    covered = [
        region
        for region in stored.values()
        if region.valid_to is None and not tops.isdisjoint(region.path.strip("/").split("/"))
    ]
    return sorted(covered, key=lambda region: region.path)


def _classify(diff: EditionDiff, row: DivisionRow, stored: dict) -> None:
    region = stored.get(row.code)
    if region is None:
        diff.added.append(row)
        return
    if region.valid_to is not None:
        diff.problems.append(
            Problem(
                row.where(),
                f"代码 {row.code} 是已于{region.end_label}撤销的{region.name}，"
                "区划代码不能重新使用",
            )
        )
        return
    if region.level != row.level:
        diff.problems.append(
            Problem(
                row.where(),
                f"区划 {row.code} 的层级与系统中的{region.get_level_display()}不同",
            )
        )
        return
    changes = _changes(row, region, diff.rows, stored)
    if not changes:
        diff.unchanged.append(row.code)
        return
    for change in changes:
        if isinstance(change, Renamed):
            diff.renamed.append(change)
        elif isinstance(change, Moved):
            diff.moved.append(change)
        else:
            diff.reclassified.append(change)


def _changes(row: DivisionRow, region: Region, by_code: dict, stored: dict) -> list:
    changes: list[Renamed | Moved | Reclassified] = []
    if region.name != row.name:
        changes.append(Renamed(row, region.name))
    stored_parent = region.ancestor_codes[-1] if region.ancestor_codes else None
    if stored_parent != resolved_parent_code(row, by_code, stored):
        changes.append(Moved(row, stored_parent))
    reclassified = _reclassified(row, region)
    if reclassified is not None:
        changes.append(reclassified)
    return changes


def _reclassified(row: DivisionRow, region: Region) -> Reclassified | None:
    """The file's 城乡分类代码, where it differs from what is stored. A blank one says
    nothing. The kind is not compared: under the same code the file's kind is the code's
    (regions.levels), which the tree had from the start, so a difference can only be a 村改居
    the district recorded since, which an edition must not undo; a village that the
    statistics recode as a community comes as a new code with a succession."""
    ur_code = row.urban_rural_code
    if not ur_code or ur_code == region.urban_rural_code:
        return None
    return Reclassified(row, (region.urban_rural_code, ur_code))


def _check_parent_stays(diff: EditionDiff, row: DivisionRow, vanished: set[str]) -> None:
    if row.parent_code in vanished:
        diff.problems.append(
            Problem(row.where(), f"上级 {row.parent_code} 不在新版文件中（已消失），不能挂在它下面")
        )
