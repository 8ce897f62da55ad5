"""How money reads on screen: 万元 with two decimals; shares as bar widths."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def wan(value) -> str:
    """12.5 → 12.50 (万元); — when there is none."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def bar_width(part, whole) -> str:
    """`part` as a per cent of `whole` for a progress bar's CSS width, within 0–100 and
    with a dot for the decimals whatever the locale."""
    if not whole or part is None:
        return "0"
    share = max(Decimal(0), min(Decimal(100), Decimal(part) * 100 / Decimal(whole)))
    return f"{share:.1f}"
