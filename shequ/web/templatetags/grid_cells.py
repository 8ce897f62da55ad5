"""The street grid's number cells and their messages, rendered by the Jinja2 templates in
`web/jinja2/ledger/` (auto-escaped): a city's largest street has some 300 cells a page,
which Django's template language took most of the page's time to render (ADR 0025)."""

from django import template
from django.template import engines
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from shequ.web.ledger_grid import Cell, GridRow

register = template.Library()


def _render(name: str, context: dict) -> SafeString:
    # The Jinja2 backend escapes every value (autoescape): its output is safe HTML.
    return mark_safe(engines["jinja2"].get_template(name).render(context))


@register.simple_tag(takes_context=True)
def grid_cells(context, item: GridRow) -> SafeString:
    row = item.row
    return _render(
        "ledger/_cells.html",
        {
            "item": item,
            "pk": row.pk,
            "name": row.community.name,
            "preview": reverse("ledger_row_preview", args=[row.pk]) if item.editable else "",
            "review": bool(context.get("review")),
        },
    )


@register.simple_tag
def cell_messages(pk: int, cell: Cell, oob: bool = False) -> SafeString:
    """A cell's messages on their own: under the 达标年度 cell, and after a save, where
    they replace the shown ones (`oob`, htmx's out-of-band swap)."""
    return _render("ledger/_cell_messages.html", {"pk": pk, "cell": cell, "oob": oob})
