"""Charts of an estimate result as SVG or PNG, drawn with matplotlib's Agg backend.

Same result in, same bytes out: the SVG id salt is fixed and no creation date is written, so
charts can be cached and compared. Text stays text in SVG (`svg.fonttype = none`): smaller,
searchable, and drawn by the viewer's fonts. No pyplot and no network; one lock around drawing
because matplotlib's global settings are not thread-safe.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from app.schemas.analyses import ChartFormat, ChartName
from app.schemas.estimates import EstimateResponse
from app.schemas.plans import PlanResponse
from app.services.chart_axes import (
    empty,
    legend_below,
    line_widths,
    series_style,
    short_label,
    usd_label,
    volume_axis,
    volume_label,
)

MEDIA_TYPES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}
TITLES: dict[str, str] = {
    "cost-vs-volume": "Monthly cost versus requests per day",
    "breakdown": "Monthly cost by component",
    "projection": "Monthly cost over the projection horizon",
    "plan-mix": "Procurement plan: GPUs held hour by hour",
    "tornado": "What moves the cheapest option's monthly cost",
}
#: Tornado labels for the inputs a sensitivity analysis moves.
TORNADO_INPUTS: dict[str, str] = {
    "throughput": "GPU throughput",
    "api_price": "API prices",
    "gpu_price": "GPU prices",
    "staff_cost": "People costs",
    "volume": "Traffic volume",
    "peak": "Traffic peak",
}
#: Options drawn at most, cheapest first; more would make an unreadable legend.
MAX_SERIES = 10
_LOCK = threading.Lock()


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
        empty(ax, "No volume to chart")
        return
    low, high = min(volumes), max(volumes)
    _cost_lines(ax, result, low, high)
    _today_and_break_even(ax, result, low, high)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Requests per day")
    ax.set_ylabel("USD per month")
    ax.xaxis.set_major_formatter(FuncFormatter(volume_label))
    ax.yaxis.set_major_formatter(FuncFormatter(usd_label))
    ax.legend(loc="upper left", fontsize=8)


def _cost_lines(ax: Axes, result: EstimateResponse, low: float, high: float) -> None:
    """API lines over [low, high], the cheapest-fleet step curve, and today's self-hosted
    options as points."""
    curve = result.break_even.curve if result.break_even and result.break_even.curve else []
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
            [requests for requests, _ in served],
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


def _today_and_break_even(ax: Axes, result: EstimateResponse, low: float, high: float) -> None:
    """Vertical markers at today's volume and at the break-even, labelled."""
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
            f"break-even vs {be.api_model}: {volume_label(be.requests_per_day)} req/day",
            (be.requests_per_day, 0.02),
            xycoords=("data", "axes fraction"),
            xytext=(-4 if right_half else 4, 4),
            textcoords="offset points",
            ha="right" if right_half else "left",
            color="tab:red",
        )


def _breakdown(figure: Figure, result: EstimateResponse) -> None:
    ax = figure.add_subplot()
    ax.set_title(TITLES["breakdown"])
    options = result.options[:MAX_SERIES]
    if not options:
        empty(ax, "No feasible options")
        return
    components = sorted(
        {name for o in options for name, usd in o.breakdown.items() if usd > 0},
        key=lambda name: -sum(o.breakdown.get(name, 0.0) for o in options),
    )
    labels = [short_label(o.label) for o in options]
    positions = list(range(len(options)))
    left = [0.0] * len(options)
    for name in components:
        widths = [max(o.breakdown.get(name, 0.0), 0.0) for o in options]
        ax.barh(positions, widths, left=left, label=name.replace("_", " "), height=0.6)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for y, option in zip(positions, options, strict=True):
        ax.annotate(
            usd_label(option.monthly_cost_usd),
            (left[y], y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
        )
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()  # cheapest on top
    ax.set_xlabel("USD per month")
    ax.xaxis.set_major_formatter(FuncFormatter(usd_label))
    ax.set_xlim(0, max(left) * 1.15 if max(left) > 0 else 1)
    legend_below(figure, ax, columns=min(len(components), 6))


def _projection(figure: Figure, result: EstimateResponse) -> None:
    ax = figure.add_subplot()
    ax.set_title(TITLES["projection"])
    projection = result.projection
    series = sorted(projection.series, key=lambda s: sum(v for v in s.monthly_cost_usd if v >= 0))
    if not series or not projection.months:
        empty(ax, "No projection")
        return
    drawn = series[:MAX_SERIES]
    widths = line_widths([s.monthly_cost_usd for s in drawn])
    for position, s in enumerate(drawn):
        points = [
            (m, v) for m, v in zip(projection.months, s.monthly_cost_usd, strict=False) if v >= 0
        ]
        if points:
            months, costs = zip(*points, strict=True)
            ax.plot(
                months,
                costs,
                label=short_label(s.label),
                linewidth=widths[position],
                **series_style(position, len(drawn)),
            )
    ax.set_xlabel("Month")
    ax.set_ylabel("USD per month")
    ax.yaxis.set_major_formatter(FuncFormatter(usd_label))
    ax.set_ylim(bottom=0)
    volume_axis(ax, projection.months, projection.requests_per_day)
    legend_below(figure, ax, columns=2)


def _tornado(figure: Figure, result: EstimateResponse) -> None:
    """One bar per input from its low-end to its high-end cost, around the point estimate."""
    ax = figure.add_subplot()
    ax.set_title(TITLES["tornado"])
    sensitivity = result.sensitivity
    if sensitivity is None or not sensitivity.tornado or not result.options:
        empty(ax, "No sensitivity analysis: ask for `ranges` in the estimate")
        return
    base = result.options[0].monthly_cost_usd
    bars = sensitivity.tornado
    positions = list(range(len(bars)))
    for y, bar in zip(positions, bars, strict=True):
        low, high = bar.cheapest_monthly_cost_usd_low, bar.cheapest_monthly_cost_usd_high
        for value, factor, color in (
            (low, bar.low_factor, "tab:blue"),
            (high, bar.high_factor, "tab:orange"),
        ):
            ax.barh(y, value - base, left=base, height=0.6, color=color)
            ax.annotate(
                f"x{factor:.3g}: {usd_label(value)}",
                (value, y),
                xytext=(4 if value >= base else -4, 0),
                textcoords="offset points",
                ha="left" if value >= base else "right",
                va="center",
                fontsize=8,
            )
    ax.axvline(base, color="black", linewidth=1)
    ax.set_yticks(positions, [TORNADO_INPUTS.get(b.input, b.input) for b in bars])
    ax.invert_yaxis()  # largest swing on top
    ax.set_xlabel(f"Cheapest option, USD per month (point estimate {usd_label(base)})")
    ax.xaxis.set_major_formatter(FuncFormatter(usd_label))
    ax.margins(x=0.25)


def _plan_mix(figure: Figure, plan: PlanResponse) -> None:
    ax = figure.add_subplot()
    ax.set_title(TITLES["plan-mix"], loc="left")
    if not plan.lines:
        empty(ax, "The plan holds no GPUs (everything goes to the API)")
        return
    hours = list(range(len(plan.hours)))
    bottom = [0.0] * len(hours)
    for line in plan.lines[:MAX_SERIES]:
        gpus = [float(n * line.gpus_per_instance) for n in line.instances_by_hour]
        ax.bar(hours, gpus, bottom=bottom, label=short_label(line.label), width=0.85)
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
    legend_below(figure, ax, columns=1)


_DRAW.update(
    {
        "cost-vs-volume": _cost_vs_volume,
        "breakdown": _breakdown,
        "projection": _projection,
        "tornado": _tornado,
    }
)
