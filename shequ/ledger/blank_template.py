"""The blank import template: the official ledger workbook of a street (or of every street
in the caller's scope) for one period, with its communities listed and every figure blank.

The communities are the period's ledger rows, named and classed as the region history has
them in that period: a community created or renamed later, or gone before, is listed as the
period knows it, which is also how the import of that period finds it by name. The 小计 and
合计 rows keep their place with blank figures: the layout stays the notice's, and the
import checks a sum row only where its figures are filled in.
"""

from __future__ import annotations

import csv
from typing import NamedTuple, TextIO

from shequ.accounts.scope import Scope
from shequ.ledger.export import LedgerWorkbook, Sheet, blank_line, official_workbook
from shequ.ledger.ledger_csv import IDENTITY, code_text, csv_header, safe_text
from shequ.ledger.models import Period
from shequ.ledger.queries import names_in_period
from shequ.ledger.rows import rows_visible_to
from shequ.regions.levels import UrbanRural
from shequ.regions.models import Region


class Entry(NamedTuple):
    """One community of the template, as the period knows it."""

    street_id: int
    street_code: str
    street: str
    community_code: str
    community: str
    urban_rural_class: str


def template_entries(*, scope: Scope, period: Period, street: Region | None) -> list[Entry]:
    """The period's rows the caller may see, of one street or all, ordered as the export."""
    rows = rows_visible_to(scope).filter(period=period)
    if street is not None:
        rows = rows.filter(street=street)
    listed = rows.order_by("street__code", "community__code").values_list(
        "street_id",
        "street__code",
        "street__name",
        "community_id",
        "community__code",
        "community__name",
        "community__urban_rural_class",
    )
    then = names_in_period(period, rows)
    entries = []
    for street_id, street_code, street_name, community_id, code, name, klass in listed:
        community_then = then.get(community_id)
        entries.append(
            Entry(
                street_id,
                street_code,
                then[street_id][0] if street_id in then else street_name,
                code,
                community_then[0] if community_then else name,
                (community_then[1] if community_then else "") or klass,
            )
        )
    return entries


def blank_workbook(*, scope: Scope, period: Period, street: Region | None = None) -> LedgerWorkbook:
    """The template's content, for `workbook_xlsx.write_xlsx` to lay out as the export."""
    entries = template_entries(scope=scope, period=period, street=street)
    by_district = street is None
    return official_workbook(
        scope=scope,
        period=period,
        street=street,
        sheets=[
            _sheet(label, [e for e in entries if e.urban_rural_class == klass], by_district)
            for klass, label in UrbanRural.choices
        ],
        filled_on=None,
        approved=True,  # nothing in it awaits approval: no （未审核） in its title
        blank=True,  # the street dates it when it fills it in
    )


def community_count(workbook: LedgerWorkbook) -> int:
    return sum(1 for sheet in workbook.sheets for line in sheet.lines if line.kind == "community")


def _sheet(label: str, entries: list[Entry], by_district: bool) -> Sheet:
    sheet = Sheet(name=label)
    streets: dict[int, list[Entry]] = {}
    for entry in entries:
        streets.setdefault(entry.street_id, []).append(entry)
    number = 0
    for street_entries in streets.values():
        for entry in street_entries:
            number += 1
            sheet.lines.append(blank_line(number, entry.street, entry.community))
        if by_district:
            name = street_entries[0].street
            sheet.lines.append(blank_line(None, name, f"{name}小计", kind="subtotal"))
    sheet.lines.append(blank_line(None, "", "合计", kind="total"))
    return sheet


def write_blank_csv(*, scope: Scope, period: Period, street: Region | None, stream: TextIO) -> int:
    """The data-exchange CSV's columns (as `ledger_csv.write_csv`), the identity columns
    filled and every figure blank; returns the number of communities."""
    entries = template_entries(scope=scope, period=period, street=street)
    stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    header = csv_header()
    writer.writerow(header)
    blanks = [""] * (len(header) - len(IDENTITY))
    for entry in entries:
        identity = [
            period.code,
            code_text(entry.street_code),
            safe_text(entry.street),
            code_text(entry.community_code),
            safe_text(entry.community),
            UrbanRural(entry.urban_rural_class).label,
        ]
        writer.writerow([*identity, *blanks])
    return len(entries)
