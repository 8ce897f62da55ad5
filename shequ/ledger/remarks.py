"""备注 as the official workbook writes it and the import reads it back: the street's own
text, then which facilities sit in the 便民服务中心, then 其他用房 with its area, joined by
“；”. One module for both directions, so that what the export writes the import can undo."""

from __future__ import annotations

import re
from decimal import Decimal

from shequ.ledger.fields import IN_CENTRE_NAMES

SEPARATOR = "；"
# A cell starting with one of these would be run as a formula by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Text that already reads as the guard below (apostrophes, then a formula's first
# character): it is guarded once more, so that taking one apostrophe off gives it back.
_GUARDED_FORM = re.compile(r"'+[=+\-@\t\r]")


def guard_formula(text: str, *, plain_formulas: bool) -> str:
    """A leading apostrophe where a reader would otherwise lose the text: before a formula's
    first character where the file holds plain text a spreadsheet runs (`plain_formulas`,
    the CSV), and before text that starts as a guard already (in every file)."""
    needs_guard = _GUARDED_FORM.match(text) or (plain_formulas and text.startswith(FORMULA_STARTS))
    return "'" + text if needs_guard else text


def unguard_formula(text: str) -> str:
    """`guard_formula` undone: one apostrophe off text that starts as a guarded formula."""
    return text[1:] if _GUARDED_FORM.match(text) else text


def workbook_remarks(own: str, inside: tuple[str, ...], other: Decimal | None) -> str:
    """备注 of the official workbook: the street's text (guarded), the facilities in the
    centre, and 其他用房 whenever it is stated, 0 included (left out, a stored 0 would come
    back blank)."""
    own = guard_formula(own.strip(), plain_formulas=False)
    parts = [own] if own else []
    if inside:
        parts.append("、".join(IN_CENTRE_NAMES[f] for f in inside) + "设在便民服务中心")
    if other is not None:
        parts.append(f"其他用房 {other:.1f}㎡")
    return SEPARATOR.join(parts)
