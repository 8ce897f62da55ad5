"""How figures read on screen: rates as per cent with one decimal, gaps in points."""

from django import template

from shequ.compliance.summary import percent
from shequ.web.ledger_grid import said

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.8071 → 80.7% (a Decimal target or a float rate; — when there is none)."""
    return percent(None if value is None else float(value))


@register.filter
def points(unit) -> str:
    """A unit's gap to its target as its rate and target read (`Unit.gap_points`):
    差 5.2 个百分点; a rate short of the target that reads as the target, 差不足 0.1."""
    gap = unit.gap_points
    if gap is None:
        return "—"
    if unit.meets_target:
        return "已达目标"
    return f"差 {gap} 个百分点" if gap > 0 else "差不足 0.1 个百分点"


register.filter("said", said)
