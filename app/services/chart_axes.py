"""Axis formatting, labels, legends and series styles shared by the charts (`charts.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

MAX_LABEL_CHARS = 60
#: Projection series styles, cycled (matplotlib named line styles and markers).
_LINE_STYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
_LINE_WIDTH = 1.5
#: Extra width per overlapping series drawn on top (points), and what counts as overlapping.
_OVERLAP_WIDTH_STEP = 2.5
_OVERLAP_SHARE = 0.01


def short_label(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def usd_label(value: float, _pos: object = None) -> str:
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"${value / 1e6:,.3g}M"
    if magnitude >= 1e3:
        return f"${value / 1e3:,.3g}k"
    return f"${value:,.0f}"


def volume_label(value: float, _pos: object = None) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.3g}M"
    if value >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.3g}"


def empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def series_style(position: int, count: int) -> dict[str, Any]:
    """Each series its own colour, dash and marker; later series drawn on top; markers
    staggered so that no two series put one on the same month."""
    return {
        "color": f"C{position % 10}",
        "linestyle": _LINE_STYLES[position % len(_LINE_STYLES)],
        "marker": _MARKERS[position % len(_MARKERS)],
        "markersize": 4,
        "markevery": (position, max(count, 1)),
        "zorder": 2 + position,
    }


def line_widths(series: Sequence[Sequence[float]]) -> list[float]:
    """Line widths (points) such that series drawing the same line all show: within a group
    of overlapping series, each one drawn earlier (so underneath) is wider than the next, and
    shows on both sides of it. Series overlap when every month is within 1% of the tallest
    value apart."""
    tallest = max((v for values in series for v in values), default=0.0)
    tolerance = max(tallest, 1.0) * _OVERLAP_SHARE
    widths = [_LINE_WIDTH] * len(series)
    for position, values in enumerate(series):
        above = [
            later
            for later in range(position + 1, len(series))
            if len(series[later]) == len(values)
            and all(abs(a - b) <= tolerance for a, b in zip(values, series[later], strict=True))
        ]
        widths[position] = _LINE_WIDTH + _OVERLAP_WIDTH_STEP * len(above)
    return widths


def legend_below(figure: Figure, ax: Axes, *, columns: int) -> None:
    """The axes' legend under the plot, in as many columns as fit the image width (constrained
    layout makes room below for a figure legend placed `outside`)."""
    handles, labels = ax.get_legend_handles_labels()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    for ncols in range(max(columns, 1), 0, -1):
        legend = figure.legend(
            handles, labels, loc="outside lower center", ncols=ncols, fontsize=8, frameon=False
        )
        if ncols == 1 or legend.get_window_extent(renderer).width <= figure.bbox.width * 0.98:
            return
        legend.remove()


def volume_axis(ax: Axes, months: Sequence[int], volumes: Sequence[float]) -> None:
    """Requests per day along the top, so growth is visible next to cost."""
    if len(months) != len(volumes) or not months:
        return
    top = ax.secondary_xaxis("top")
    step = max(1, len(months) // 6)
    ticks = list(months)[::step]
    top.set_xticks(ticks, [volume_label(volumes[list(months).index(m)]) for m in ticks])
    top.set_xlabel("Requests per day")
