"""How figures read on screen: rates as per cent with one decimal, gaps in points."""

from django import template

from shequ.compliance.summary import hundredths_as_tenth, percent
from shequ.web.ledger_grid import said

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.8071 → 80.7% (a Decimal target or a float rate; — when there is none)."""
    return percent(None if value is None else float(value))


@register.filter
def points(value) -> str:
    """A gap to the target in percentage points, signed: 0.052 → 差 5.2 个百分点."""
    if value is None:
        return "—"
    shown = hundredths_as_tenth(abs(value))
    return "已达目标" if value <= 0 else f"差 {shown} 个百分点"


register.filter("said", said)
