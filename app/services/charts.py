"""Charts of an estimate result as SVG or PNG, drawn with matplotlib's Agg backend.

Same result in, same bytes out: the SVG id salt is fixed and no creation date is written, so
charts can be cached and compared. Text stays text in SVG (`svg.fonttype = none`): smaller,
searchable, and drawn by the viewer's fonts. No pyplot and no network; one lock around drawing
because matplotlib's global settings are not thread-safe.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from app.schemas.analyses import ChartFormat, ChartName
from app.schemas.estimates import EstimateResponse
from app.schemas.plans import PlanResponse

MEDIA_TYPES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}
TITLES: dict[str, str] = {
    "cost-vs-volume": "Monthly cost versus requests per day",
    "breakdown": "Monthly cost by component",
    "projection": "Monthly cost over the projection horizon",
    "plan-mix": "Procurement plan: GPUs held hour by hour",
}
#: Options drawn at most, cheapest first; more would make an unreadable legend.
MAX_SERIES = 10
MAX_LABEL_CHARS = 60
_LOCK = threading.Lock()
#: Projection series styles, cycled (matplotlib named line styles and markers).
_LINE_STYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
_LINE_WIDTH = 1.5
#: Extra width per overlapping series drawn on top (points), and what counts as overlapping.
_OVERLAP_WIDTH_STEP = 2.5
_OVERLAP_SHARE = 0.01


_DRAW: dict[str, Callable[[Figure, EstimateResponse], None]] = {}


@contextmanager
def chart_style() -> Iterator[None]:
    """Hold the drawing lock with the charts' matplotlib settings (global, so not thread-safe)."""
    with (
        _LOCK,
        matplotlib.rc_context(
            {
                "svg.fonttype": "none",
                "svg.hashsalt": "llm-cost-estimator",
                "font.family": "sans-serif",
                "font.size": 9,
                "axes.grid": True,
                "grid.alpha": 0.3,
                "axes.spines.top": False,
                "axes.spines.right": False,
            }
        ),
    ):
        yield


def _new_figure() -> Figure:
    figure = Figure(figsize=(9, 5.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def draw_chart(result: EstimateResponse, chart: ChartName) -> Figure:
    """One chart of `result` as a matplotlib figure; call inside `chart_style()`."""
    figure = _new_figure()
    _DRAW[chart](figure, result)
    return figure


def render_chart(result: EstimateResponse, chart: ChartName, fmt: ChartFormat = "svg") -> bytes:
    """Draw one chart of `result` as SVG or PNG bytes."""
    return _render(lambda figure: _DRAW[chart](figure, result), fmt)


def render_plan_chart(plan: PlanResponse, fmt: ChartFormat = "svg") -> bytes:
    """Draw the plan's hour-by-hour mix (GPUs per line, stacked) as SVG or PNG bytes."""
    return _render(lambda figure: _plan_mix(figure, plan), fmt)


def _render(draw: Callable[[Figure], None], fmt: ChartFormat) -> bytes:
    with chart_style():
        figure = _new_figure()
        draw(figure)
        buffer = io.BytesIO()
        metadata: dict[str, str | None] = (
            {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
        )
        figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def svg_for_html(svg: bytes) -> str:
    """The `<svg>` element alone, for inlining in an HTML page (no XML prolog or DOCTYPE)."""
    text = svg.decode()
    return text[text.index("<svg") :]


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _usd(value: float, _pos: object = None) -> str:
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"${value / 1e6:,.3g}M"
    if magnitude >= 1e3:
        return f"${value / 1e3:,.3g}k"
    return f"${value:,.0f}"


def _volume(value: float, _pos: object = None) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.3g}M"
    if value >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.3g}"


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _cost_vs_volume(figure: Figure, result: EstimateResponse) -> None:
    """API options scale linearly with volume (token prices); the self-hosted line is the
    estimator's own cheapest-fleet curve, which steps as replicas are added."""
    ax = figure.add_subplot()
    ax.set_title(TITLES["cost-vs-volume"])
    curve = result.break_even.curve if result.break_even and result.break_even.curve else []
    if curve:
        volumes = [p.requests_per_day for p in curve]
    elif result.requests_per_day > 0:
        volumes = [result.requests_per_day * f for f in (0.01, 0.1, 1, 10, 100)]
    else:
        _empty(ax, "No volume to chart")
        return
    low, high = min(volumes), max(volumes)
    api_options = [o for o in result.options if o.kind == "api"][:MAX_SERIES]
    for option in api_options:
        if result.requests_per_day <= 0:
            continue
        per_request = option.monthly_cost_usd / result.requests_per_day
        ax.plot([low, high], [per_request * low, per_request * high], label=f"API: {option.label}")
    if curve:
        # Points with no self-hosted option (null; -1 in results saved before 2026-12) are gaps.
        served = [
            (p.requests_per_day, p.self_hosted_usd_per_month)
            for p in curve
            if p.self_hosted_usd_per_month is not None and p.self_hosted_usd_per_month >= 0
        ]
        ax.step(
            [volume for volume, _ in served],
            [cost for _, cost in served],
            where="post",
            color="black",
            linewidth=2,
            label="Self-hosted: cheapest fleet",
        )
    self_hosted = [o for o in result.options if o.kind != "api"][:MAX_SERIES]
    if self_hosted:
        ax.scatter(
            [result.requests_per_day] * len(self_hosted),
            [o.monthly_cost_usd for o in self_hosted],
            marker="s",
            s=18,
            color="tab:gray",
            zorder=3,
            label="Self-hosted options at today's volume",
        )
    ax.axvline(result.requests_per_day, color="tab:blue", linestyle=":", linewidth=1)
    ax.annotate(
        "today",
        (result.requests_per_day, 1),
        xycoords=("data", "axes fraction"),
        xytext=(3, -12),
        textcoords="offset points",
        color="tab:blue",
    )
    be = result.break_even
    if be is not None and be.requests_per_day is not None:
        ax.axvline(be.requests_per_day, color="tab:red", linestyle="--", linewidth=1.5)
        # Label on the side of the line with more room.
        right_half = be.requests_per_day > (low * high) ** 0.5
        ax.annotate(
            f"break-even vs {be.api_model}: {_volume(be.requests_per_day)} req/day",
            (be.requests_per_day, 0.02),
            xycoords=("data", "axes fraction"),
            xytext=(-4 if right_half else 4, 4),
            textcoords="offset points",
            ha="right" if right_half else "left",
            color="tab:red",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Requests per day")
    ax.set_ylabel("USD per month")
    ax.xaxis.set_major_formatter(FuncFormatter(_volume))
    ax.yaxis.set_major_formatter(FuncFormatter(_usd))
    ax.legend(loc="upper left", fontsize=8)


def _breakdown(figure: Figure, result: EstimateResponse) -> None:
    ax = figure.add_subplot()
    ax.set_title(TITLES["breakdown"])
    options = result.options[:MAX_SERIES]
    if not options:
        _empty(ax, "No feasible options")
        return
    components = sorted(
        {name for o in options for name, usd in o.breakdown.items() if usd > 0},
        key=lambda name: -sum(o.breakdown.get(name, 0.0) for o in options),
    )
    labels = [_short(o.label) for o in options]
    positions = list(range(len(options)))
    left = [0.0] * len(options)
    for name in components:
        widths = [max(o.breakdown.get(name, 0.0), 0.0) for o in options]
        ax.barh(positions, widths, left=left, label=name.replace("_", " "), height=0.6)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for y, option in zip(positions, options, strict=True):
        ax.annotate(
            _usd(option.monthly_cost_usd),
            (left[y], y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
        )
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()  # cheapest on top
    ax.set_xlabel("USD per month")
    ax.xaxis.set_major_formatter(FuncFormatter(_usd))
    ax.set_xlim(0, max(left) * 1.15 if max(left) > 0 else 1)
    _legend_below(figure, ax, columns=min(len(components), 6))


def _projection(figure: Figure, result: EstimateResponse) -> None:
    ax = figure.add_subplot()
    ax.set_title(TITLES["projection"])
    projection = result.projection
    series = sorted(projection.series, key=lambda s: sum(v for v in s.monthly_cost_usd if v >= 0))
    if not series or not projection.months:
        _empty(ax, "No projection")
        return
    drawn = series[:MAX_SERIES]
    widths = _line_widths([s.monthly_cost_usd for s in drawn])
    for position, s in enumerate(drawn):
        points = [
            (m, v) for m, v in zip(projection.months, s.monthly_cost_usd, strict=False) if v >= 0
        ]
        if points:
            months, costs = zip(*points, strict=True)
            ax.plot(
                months,
                costs,
                label=_short(s.label),
                linewidth=widths[position],
                **_series_style(position, len(drawn)),
            )
    ax.set_xlabel("Month")
    ax.set_ylabel("USD per month")
    ax.yaxis.set_major_formatter(FuncFormatter(_usd))
    ax.set_ylim(bottom=0)
    _volume_axis(ax, projection.months, projection.requests_per_day)
    _legend_below(figure, ax, columns=2)


def _series_style(position: int, count: int) -> dict[str, Any]:
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


def _line_widths(series: Sequence[Sequence[float]]) -> list[float]:
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


def _legend_below(figure: Figure, ax: Axes, *, columns: int) -> None:
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


def _volume_axis(ax: Axes, months: Sequence[int], volumes: Sequence[float]) -> None:
    """Requests per day along the top, so growth is visible next to cost."""
    if len(months) != len(volumes) or not months:
        return
    top = ax.secondary_xaxis("top")
    step = max(1, len(months) // 6)
    ticks = list(months)[::step]
    top.set_xticks(ticks, [_volume(volumes[list(months).index(m)]) for m in ticks])
    top.set_xlabel("Requests per day")


def _plan_mix(figure: Figure, plan: PlanResponse) -> None:
    ax = figure.add_subplot()
    ax.set_title(TITLES["plan-mix"], loc="left")
    if not plan.lines:
        _empty(ax, "The plan holds no GPUs (everything goes to the API)")
        return
    hours = list(range(len(plan.hours)))
    bottom = [0.0] * len(hours)
    for line in plan.lines[:MAX_SERIES]:
        gpus = [float(n * line.gpus_per_instance) for n in line.instances_by_hour]
        ax.bar(hours, gpus, bottom=bottom, label=_short(line.label), width=0.85)
        bottom = [b + g for b, g in zip(bottom, gpus, strict=True)]
    ax.set_xlabel("Hour of the day (UTC)")
    ax.set_ylabel("GPUs held")
    ax.set_xticks(hours[::2])
    ax.set_xlim(-0.6, len(hours) - 0.4)
    if any(h.api_requests_per_s > 0 for h in plan.hours):
        api = ax.twinx()
        api.plot(hours, [h.api_requests_per_s for h in plan.hours], color="black", marker=".")
        api.set_ylabel("Requests/s sent to the API")
        api.grid(False)
    _legend_below(figure, ax, columns=1)


_DRAW.update(
    {"cost-vs-volume": _cost_vs_volume, "breakdown": _breakdown, "projection": _projection}
)
