"""The report's charts drawn on the server as PNG pictures (matplotlib, no display), with
the vendored Noto Sans SC so that the Chinese labels never depend on installed fonts."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from shequ.compliance.summary import percent
from shequ.core.fonts import SANS, missing_characters
from shequ.evaluation.charts import RankingChart, TrendChart

WIDTH_INCHES = 6.3  # the pictures are placed 15 cm wide
DPI = 200
LINE, IN_PROGRESS, TARGET, PREVIOUS = "#1f4e79", "#c77c02", "#d9534f", "#9db4cc"


@dataclass(frozen=True)
class ChartImage:
    """A chart as a report places it: its caption and its PNG, or no PNG and the
    characters of its labels the chart font lacks (drawn, each would be an empty box in
    the picture, where no check of the document's text can see it)."""

    caption: str
    png: bytes | None
    missing: tuple[str, ...] = ()


def caption_line(number: int, image: ChartImage) -> str:
    """图N and the caption; for a chart not drawn, why, in its place."""
    line = f"图{number}　{image.caption}"
    if image.png is None:
        missing = "、".join(image.missing)
        line += f"（未绘制：图表字体缺少“{missing}”字，绘出会显示为空白方框；数据见正文和表格）"
    return line


def trend_image(caption: str, chart: TrendChart) -> ChartImage:
    return _image(caption, chart.labels, lambda: trend_png(chart))


def ranking_image(caption: str, chart: RankingChart) -> ChartImage:
    return _image(caption, chart.names, lambda: ranking_png(chart))


def _image(caption: str, labels: Iterable[str], draw: Callable[[], bytes]) -> ChartImage:
    missing = missing_characters("".join(labels), SANS)
    return ChartImage(caption, None, tuple(missing)) if missing else ChartImage(caption, draw())


@cache
def _font_name() -> str:
    """Registers the vendored font with matplotlib once and returns its family name."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(SANS))
    return font_manager.FontProperties(fname=str(SANS)).get_name()


def _figure(height_inches: float):
    import matplotlib

    matplotlib.rcParams["font.family"] = _font_name()
    matplotlib.rcParams["axes.unicode_minus"] = False
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_INCHES, height_inches), dpi=DPI)


def _png(figure) -> bytes:
    stream = io.BytesIO()
    figure.savefig(stream, format="png", dpi=DPI, bbox_inches="tight")
    return stream.getvalue()


def _per_cent(values: list[float | None]) -> list[float]:
    """Fractions as per cent; None as NaN, which matplotlib leaves out (no line, no bar)."""
    return [float("nan") if v is None else v * 100 for v in values]


def trend_png(chart: TrendChart) -> bytes:
    """The rate over the periods (a period in progress as a hollow point), the target as
    a dashed step."""
    figure = _figure(2.6)
    axes = figure.add_subplot()
    positions = list(range(len(chart.labels)))
    axes.plot(positions, _per_cent(chart.rates), marker="o", color=LINE, label="达标率")
    if any(v is not None for v in chart.in_progress):
        axes.plot(
            positions,
            _per_cent(chart.in_progress),
            linestyle="none",
            marker="o",
            markerfacecolor="white",
            color=IN_PROGRESS,
            label="进行中（已报部分）",
        )
    if any(v is not None for v in chart.targets):
        axes.plot(
            positions,
            _per_cent(chart.targets),
            linestyle="--",
            marker="_",
            markersize=12,
            color=TARGET,
            label="年度目标",
        )
    for x, value in enumerate(chart.rates):
        if value is not None:
            axes.annotate(
                percent(value),
                (x, value * 100),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=8,
            )
    axes.set_xticks(positions, chart.labels, fontsize=8, rotation=20 if len(positions) > 6 else 0)
    _percent_axis(axes)
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    return _png(figure)


def ranking_png(chart: RankingChart) -> bytes:
    """Horizontal bars, best first from the top; last year's rate as a thin bar; the
    target as a dashed line; a street not yet approved named 待审核 without a bar."""
    height = max(2.5, 0.26 * len(chart.names) + 0.8)
    figure = _figure(height)
    axes = figure.add_subplot()
    positions = list(range(len(chart.names)))
    axes.barh(positions, _per_cent(chart.rates), height=0.6, color=LINE, label="本年达标率")
    axes.barh(
        [p + 0.33 for p in positions],
        _per_cent(chart.previous),
        height=0.15,
        color=PREVIOUS,
        label="上年达标率",
    )
    if chart.target is not None:
        axes.axvline(chart.target * 100, linestyle="--", color=TARGET, label="年度目标")
    for y, value in enumerate(chart.rates):
        label = "待审核" if value is None else percent(value)
        axes.text(0 if value is None else value * 100, y, f" {label}", va="center", fontsize=7)
    axes.set_yticks(positions, chart.names, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    axes.set_xticks(
        [0, 20, 40, 60, 80, 100], ["0%", "20%", "40%", "60%", "80%", "100%"], fontsize=8
    )
    axes.legend(loc="lower right", fontsize=7, frameon=True)
    return _png(figure)


def _percent_axis(axes) -> None:
    axes.set_ylim(0, 110)
    axes.set_yticks(
        [0, 20, 40, 60, 80, 100], ["0%", "20%", "40%", "60%", "80%", "100%"], fontsize=8
    )
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
