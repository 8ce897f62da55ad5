"""The report's two charts as figures (what the evaluation page draws with ECharts): the
district's rate against its target over the periods, and the streets ranked by rate."""

from __future__ import annotations

from dataclasses import dataclass

from shequ.compliance.dashboard import period_units, trend
from shequ.compliance.targets import TargetBook
from shequ.evaluation.evaluation import Evaluation
from shequ.ledger.models import Period


@dataclass
class TrendChart:
    """Per period, oldest first: the rate of a complete period (on the line), the rate
    among the reported communities of one in progress (a point off the line), the
    year's target. Rates are fractions; None where there is none."""

    labels: list[str]
    rates: list[float | None]
    in_progress: list[float | None]
    targets: list[float | None]


@dataclass
class RankingChart:
    """The streets, best rate first; a street whose ledger is not approved yet last,
    without a bar (unknown, not 0 %)."""

    names: list[str]
    rates: list[float | None]
    previous: list[float | None]
    target: float | None


def trend_chart(evaluation: Evaluation) -> TrendChart:
    periods = [p for p in Period.objects.all() if p.ordinal <= evaluation.period.ordinal]
    units = period_units(evaluation.region, periods)
    points = trend(periods, units, TargetBook.load())
    return TrendChart(
        [p.period.label for p in points],
        [p.rate for p in points],
        [p.rate_in_progress for p in points],
        [p.target for p in points],
    )


def ranking_chart(evaluation: Evaluation) -> RankingChart:
    known = sorted(
        (r for r in evaluation.rows if r.known and r.rate is not None),
        key=lambda r: (-(r.rate or 0), r.code),
    )
    # Pending streets last, without a bar; a street without communities has no rate to
    # rank, now or later.
    unknown = [r for r in evaluation.rows if r.pending]
    rows = known + unknown
    return RankingChart(
        [r.name for r in rows],
        [r.rate if r in known else None for r in rows],
        [r.previous_rate for r in rows],
        None if evaluation.target is None else float(evaluation.target),
    )
