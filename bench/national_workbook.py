"""A country-scale ledger workbook: one row per community of `gen-scale --national N`
(the same synthetic tree, rebuilt from its generator without a database), written
streaming (XlsxWriter's constant_memory) so that 600,000 rows need little memory."""

from __future__ import annotations

import random
from pathlib import Path

import xlsxwriter
from city_workbook import HEADER, figures, write_row

from shequ.regions.levels import Level
from shequ.scale.national import national_units


def write_national_workbook(
    path: Path, communities: int, seed: int = 1, rows: int | None = None
) -> int:
    """One row per community of the country of `communities`, or of its first `rows`
    communities (a smaller file for the same database); returns the rows written."""
    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("台账")
    sheet.write_row(0, 0, HEADER)
    street_names: dict[str, str] = {}
    number = 0
    for unit in national_units(communities):
        if unit.level == Level.STREET:
            street_names[unit.code] = unit.name
        if unit.level != Level.COMMUNITY:
            continue
        if rows is not None and number == rows:
            break
        number += 1
        row = [number, unit.code, street_names[unit.parent_code], unit.name, *figures(rng)]
        write_row(sheet, number, row)
    book.close()
    return number
