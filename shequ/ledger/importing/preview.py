"""The preview of an import a street at a time: a city's file plans 11,270 rows, which as
one page is a table no clerk reads and a browser barely draws. The page lists the file's
streets with their counts and shows one street's rows; it opens on the street a clerk
must look at first."""

from __future__ import annotations

from dataclasses import dataclass, field

from shequ.ledger.importing.plan import PlannedRow

Marked = tuple[PlannedRow, bool]  # a planned row, and whether an error names it


@dataclass
class StreetPart:
    """One street's rows of the file, with the preview's counts (as `status_counts`: a
    row an error names is counted under error only)."""

    code: str
    name: str
    rows: list[Marked] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("new", "changed", "unchanged", "error"), 0)
    )


def street_parts(marked: list[Marked]) -> list[StreetPart]:
    """The file's streets in the order the file first names them, each with its rows."""
    parts: dict[str, StreetPart] = {}
    for planned, erroneous in marked:
        street = planned.row.street
        part = parts.get(street.code)
        if part is None:
            part = parts[street.code] = StreetPart(street.code, street.name)
        part.rows.append((planned, erroneous))
        part.counts["error" if erroneous else planned.status] += 1
    return list(parts.values())


def chosen_part(parts: list[StreetPart], code: str | None) -> StreetPart | None:
    """The street asked for; else the first with a row an error names, else the first
    with new or changed figures, else the first."""
    by_code = {part.code: part for part in parts}
    if code in by_code:
        return by_code[code]
    for wanted in (_has_errors, _has_changes, lambda part: True):
        for part in parts:
            if wanted(part):
                return part
    return None


def _has_errors(part: StreetPart) -> bool:
    return part.counts["error"] > 0


def _has_changes(part: StreetPart) -> bool:
    return part.counts["new"] + part.counts["changed"] > 0
