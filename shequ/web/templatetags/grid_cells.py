"""The number cells of a grid row, built in Python.

As template nodes (an input, a 在中心 box, last period's value and the messages for each of
nine cells) they were most of a street's page time: Django resolves some 240 variables a
row. The markup is the one `ledger/_row.html` had; a cell's messages come from one
function, here and in the after-save refresh (`cell_messages`). Every value is escaped
with `html.escape`, as Django's own `escape` does.
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from shequ.web.ledger_grid import Cell, GridRow

register = template.Library()


@register.simple_tag(takes_context=True)
def grid_cells(context, item: GridRow) -> SafeString:
    review = bool(context.get("review"))
    row = item.row
    common = _Common(
        pk=row.pk,
        name=escape(row.community.name),
        editable=item.editable,
        preview=escape(reverse("ledger_row_preview", args=[row.pk])) if item.editable else "",
    )
    return mark_safe(
        "".join(_cell(common, cell, column, review) for column, cell in enumerate(item.cells))
    )


class _Common:
    """What every cell of a row shares, escaped once."""

    __slots__ = ("editable", "name", "pk", "preview")

    def __init__(self, *, pk: int, name: str, editable: bool, preview: str):
        self.pk, self.name, self.editable, self.preview = pk, name, editable, preview


def _cell(row: _Common, cell: Cell, column: int, review: bool) -> str:
    field = escape(cell.field)
    changed = " cell-changed" if cell.changed else ""
    htmx = (
        f' hx-post="{row.preview}" hx-trigger="input delay:300ms" hx-include="closest tbody"'
        ' hx-swap="none"'
        if row.editable
        else ""
    )
    return (
        f'<td class="cell{changed}"><input class="grid-input" id="in-{row.pk}-{field}" '
        f'name="{field}" value="{escape(cell.shown)}" inputmode="decimal" autocomplete="off" '
        f'aria-label="{row.name} {field}" data-col="{column}"{_lock(row, cell)}{htmx}>'
        f"{_flag(row, cell, field)}{_previous(cell, review)}{_messages(row.pk, cell, field)}</td>"
    )


def _lock(row: _Common, cell: Cell) -> str:
    if not row.editable:
        return " readonly"
    return ' readonly data-locked="1"' if cell.flagged else ""


def _flag(row: _Common, cell: Cell, field: str) -> str:
    if not cell.flag:
        return ""
    flag = escape(cell.flag)
    checked = " checked" if cell.flagged else ""
    disabled = "" if row.editable else " disabled"
    return (
        f'<label class="in-center"><input type="checkbox" id="in-{row.pk}-{flag}" '
        f'name="{flag}" value="1"{checked}{disabled} data-area="{field}"> 在中心</label>'
    )


def _previous(cell: Cell, review: bool) -> str:
    """Last period's approved value: in review only where it changed."""
    if not (cell.changed if review else cell.previous_shown):
        return ""
    return f'<div class="prev" title="上期审核值">上期 {escape(cell.previous_shown)}</div>'


def _messages(pk: int, cell: Cell, field: str, *, oob: bool = False) -> str:
    errors = "".join(f'<div class="msg-error">{escape(e)}</div>' for e in cell.errors)
    swap = ' hx-swap-oob="true"' if oob else ""
    return f'<div id="msg-{pk}-{field}" class="cell-messages"{swap}>{errors}</div>'


@register.simple_tag
def cell_messages(pk: int, cell: Cell, oob: bool = False) -> SafeString:
    """A cell's messages on their own: under the 达标年度 cell, and after a save, where
    they replace the shown ones (`oob`, htmx's out-of-band swap)."""
    return mark_safe(_messages(pk, cell, escape(cell.field), oob=oob))
