"""Break-even volume between hosted APIs and the cheapest self-hosted option.

A hosted API costs p x V per month (linear in the volume V, requests/day). A self-hosted
option costs a step-shaped amount: between two consecutive "step edges" (volumes where a
whole replica is added, in any hour) its replica counts are constant and every component is
affine in V. So the exact cost is a set of affine pieces, and its crossings with p x V are
solved in closed form per piece, not sampled.

The cheapest self-hosted option changes with volume, so the comparison uses the lower
envelope of all feasible options. Every option's cost is non-decreasing in V, which gives an
exact pruning rule on a log-spaced grid g_0 < g_1 < ...: option i cannot be the cheapest
anywhere in [g_k, g_k+1] when f_i(g_k) > min_j f_j(g_k+1). Only the survivors of each grid
cell are resolved into pieces (`breakeven_pieces.py`: cut at step edges, then fitted).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.core.array_ops import geomspace, sorted_unique
from app.core.arrays import BoolArray, FloatArray, IntArray
from app.core.breakeven_pieces import Runs, affine_fit, curve_edges, pieces
from app.core.fleet_totals import fleet_totals_on_grid
from app.core.option_table import OptionTable

#: Points of the first, all-options pruning grid (ratio ~1.47 between points over 4 decades).
COARSE_GRID_POINTS = 25


@dataclass(frozen=True, slots=True, eq=False)
class SortedPieces:
    """An envelope's pieces sorted by start (ties in their order), with the running maximum
    of their ends: what `envelope_at` searches, built once per envelope."""

    lo: FloatArray
    hi: FloatArray
    intercept: FloatArray
    slope: FloatArray
    option: IntArray
    reach: FloatArray  # largest end among the pieces up to each one

    @classmethod
    def of(
        cls,
        lo: FloatArray,
        hi: FloatArray,
        intercept: FloatArray,
        slope: FloatArray,
        option: IntArray,
    ) -> SortedPieces:
        order = np.argsort(lo, kind="stable")
        hi = hi[order]
        return cls(
            lo[order], hi, intercept[order], slope[order], option[order], np.maximum.accumulate(hi)
        )


@dataclass(frozen=True, slots=True, eq=False)
class CostEnvelope:
    """The cheapest self-hosted cost as affine pieces: on (lo, hi] option `option` costs
    intercept + slope x V (USD/month, V in requests/day)."""

    lo: FloatArray
    hi: FloatArray
    intercept: FloatArray
    slope: FloatArray
    option: IntArray
    grid: FloatArray
    grid_cost: FloatArray  # envelope at the grid points (USD/month)
    grid_option: IntArray  # cheapest option there, -1 when none is feasible
    edges: FloatArray  # step edges of the grid-cheapest options (req/day), for plotting
    curve_points: FloatArray  # grid and edges, sorted (req/day)
    curve_cost: FloatArray  # envelope there (USD/month)
    curve_option: IntArray
    exact: bool
    requests_per_day_min: float
    requests_per_day_max: float
    # The pieces as `envelope_at` searches them (None: sorted on each call); `cost_envelope`
    # sorts once, since every API model's break-even looks up the same envelope.
    sorted_pieces: SortedPieces | None = None


@dataclass(frozen=True, slots=True)
class Crossing:
    """A volume where the cheaper side changes; `self_hosting_cheaper_above` gives the side."""

    requests_per_day: float
    self_hosting_cheaper_above: bool


@dataclass(frozen=True, slots=True)
class BreakEven:
    """Break-even of one API model against the cheapest self-hosted option, with the curve."""

    api_slug: str
    crossings: tuple[Crossing, ...]
    # Lowest volume from which self-hosting is cheaper up to the top of the searched range.
    self_hosting_cheaper_above_requests_per_day: float | None
    searched_requests_per_day_min: float
    searched_requests_per_day_max: float
    exact: bool
    curve_requests_per_day: tuple[float, ...]
    curve_api_usd_per_month: tuple[float, ...]
    curve_self_hosted_usd_per_month: tuple[float, ...]
    curve_self_hosted_option: tuple[int, ...]


def _costs_on_grid(table: OptionTable, options: IntArray, grid: FloatArray) -> FloatArray:
    return fleet_totals_on_grid(table, options, grid)


def cost_envelope(
    table: OptionTable,
    requests_per_day_min: float,
    requests_per_day_max: float,
    grid_points: int = 100,
) -> CostEnvelope:
    """Exact piecewise-affine lower envelope of all feasible self-hosted options (USD/month).

    In stages: prune to the options that can be cheapest somewhere, cut their surviving runs
    at step edges into affine pieces, fit each piece, and sample the curve for plots."""
    lo, hi = requests_per_day_min, requests_per_day_max
    grid = geomspace(lo, hi, grid_points)
    feasible = np.flatnonzero(table.feasible)
    if feasible.size == 0:
        return _empty_envelope(grid, lo, hi)
    # Stage 1: a coarse grid over every feasible option keeps the options that can be the
    # cheapest somewhere; stage 2 repeats the rule on the fine grid for those only.
    coarse = geomspace(lo, hi, COARSE_GRID_POINTS)
    c_costs = _costs_on_grid(table, feasible, coarse)
    c_alive = c_costs[:, :-1] <= c_costs[:, 1:].min(axis=0)[None, :]
    feasible = feasible[c_alive.any(axis=1)]
    costs = _costs_on_grid(table, feasible, grid)
    best = np.argmin(costs, axis=0)
    grid_cost = costs[best, np.arange(grid_points)]
    grid_option = feasible[best]

    # Survivors of each cell [g_k, g_k+1] by monotonicity; merge each option's cells into runs.
    alive = costs[:, :-1] <= grid_cost[None, 1:]
    p_lo, p_hi, p_opt, exact = pieces(table, _run_arrays(feasible, alive, grid))
    intercept, slope = affine_fit(table, p_lo, p_hi, p_opt)
    edges = curve_edges(table, grid_option, lo, hi)
    env = CostEnvelope(
        p_lo,
        p_hi,
        intercept,
        slope,
        p_opt,
        grid,
        grid_cost,
        grid_option,
        edges,
        grid,
        grid_cost,
        grid_option,
        exact,
        lo,
        hi,
        SortedPieces.of(p_lo, p_hi, intercept, slope, p_opt),
    )
    # The curve adds the step edges to the grid so that plots show the staircase.
    points = sorted_unique(np.concatenate([grid, edges]))
    values, options = envelope_at(env, points)
    return replace(env, curve_points=points, curve_cost=values, curve_option=options)


def _empty_envelope(grid: FloatArray, lo: float, hi: float) -> CostEnvelope:
    """The envelope when no option is feasible: infinite cost everywhere, no pieces."""
    empty = np.empty(0)
    none = np.full(grid.size, -1, dtype=np.intp)
    inf = np.full(grid.size, np.inf)
    return CostEnvelope(
        empty, empty, empty, empty, none[:0], grid, inf, none, empty, grid, inf, none, True, lo, hi
    )


def _surviving_runs(
    feasible: IntArray, alive: BoolArray, grid: FloatArray
) -> list[tuple[int, float, float]]:
    """`_run_arrays` as (option, run start, run end) tuples."""
    option, start, end = _run_arrays(feasible, alive, grid)
    return list(zip(option.tolist(), start.tolist(), end.tolist(), strict=True))


def _run_arrays(feasible: IntArray, alive: BoolArray, grid: FloatArray) -> Runs:
    """Option, start and end of every run of consecutive grid cells an option survives, by
    option, then by start: all rows at once, a run starting where a cell is alive and the
    one before it is not, and ending where the next one is not."""
    padded = np.zeros((alive.shape[0], alive.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = alive
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, stops = np.nonzero(steps == -1)  # the cell after each run's last: its end on the grid
    return feasible[rows], grid[starts], grid[stops]


def _cheaper_intervals(
    env: CostEnvelope, usd_per_month_per_request_per_day: float, api_fixed_usd_per_month: float
) -> FloatArray:
    """Merged (start, end) volume intervals where self-hosting is strictly cheaper."""
    p = usd_per_month_per_request_per_day
    # a + b V < F + p V  <=>  (a - F) + b V < p V: a fixed API cost F shifts the envelope.
    a, b = env.intercept - api_fixed_usd_per_month, env.slope
    lo, hi = env.lo, env.hi
    # a + b V < p V  <=>  V (p - b) > a
    gap = p - b
    with np.errstate(divide="ignore", invalid="ignore"):
        root = a / gap
    start = np.where(gap > 0, np.maximum(lo, root), lo)
    end = np.where(gap < 0, np.minimum(hi, root), hi)
    whole = (gap == 0) & (a < 0)
    empty = (gap == 0) & (a >= 0)
    start = np.where(whole, lo, start)
    valid = (end > start) & ~empty
    if not valid.any():
        return np.empty((0, 2))
    s, e = start[valid], end[valid]
    order = np.argsort(s, kind="stable")
    s, e = s[order], e[order]
    # Union of intervals: a new interval starts where s exceeds every end seen so far.
    running_end = np.maximum.accumulate(e)
    tol = 1e-12 * np.maximum(1.0, running_end[:-1])
    new = np.concatenate([[True], s[1:] > running_end[:-1] + tol])
    group = np.cumsum(new) - 1
    merged_s = s[new]
    merged_e = np.zeros(merged_s.size)
    np.maximum.at(merged_e, group, e)
    return np.column_stack([merged_s, merged_e])


def break_even(
    env: CostEnvelope,
    api_slug: str,
    usd_per_month_per_request_per_day: float,
    api_fixed_usd_per_month: float = 0.0,
) -> BreakEven:
    """Volumes (req/day) where the API line F + p V crosses the self-hosted envelope, plus the
    curve; F is what the API option costs at any volume (its integration team, adaptation)."""
    p = usd_per_month_per_request_per_day
    intervals = _cheaper_intervals(env, p, api_fixed_usd_per_month)
    lo, hi = env.requests_per_day_min, env.requests_per_day_max
    crossings: list[Crossing] = []
    for s, e in intervals:
        if s > lo * (1 + 1e-12):
            crossings.append(Crossing(float(s), True))
        if e < hi * (1 - 1e-12):
            crossings.append(Crossing(float(e), False))
    above = None
    if intervals.shape[0] and intervals[-1, 1] >= hi * (1 - 1e-12):
        above = float(intervals[-1, 0])

    points, values, options = _curve_with(env, crossings)
    return BreakEven(
        api_slug=api_slug,
        crossings=tuple(crossings),
        self_hosting_cheaper_above_requests_per_day=above,
        searched_requests_per_day_min=lo,
        searched_requests_per_day_max=hi,
        exact=env.exact,
        curve_requests_per_day=tuple(points.tolist()),
        curve_api_usd_per_month=tuple((points * p + api_fixed_usd_per_month).tolist()),
        curve_self_hosted_usd_per_month=tuple(values.tolist()),
        curve_self_hosted_option=tuple(options.tolist()),
    )


def _curve_with(
    env: CostEnvelope, crossings: list[Crossing]
) -> tuple[FloatArray, FloatArray, IntArray]:
    """The envelope's curve with the crossings added in volume order (points, costs, options).
    Without crossings, the curve itself: its points are sorted and distinct already."""
    if not crossings:
        return env.curve_points, env.curve_cost, env.curve_option
    cross_v = np.array([c.requests_per_day for c in crossings], dtype=np.float64)
    cross_values, cross_options = envelope_at(env, cross_v)
    points = np.concatenate([env.curve_points, cross_v])
    order = np.argsort(points, kind="stable")
    values = np.concatenate([env.curve_cost, cross_values])[order]
    options = np.concatenate([env.curve_option, cross_options])[order]
    return points[order], values, options


#: Volume x piece cells compared at once by `envelope_at`.
_ENVELOPE_CELLS = 1 << 18


def envelope_at(env: CostEnvelope, volumes: FloatArray) -> tuple[FloatArray, IntArray]:
    """Envelope cost (USD/month) and cheapest option at each volume (req/day).

    Pieces sorted by start (ties keep their order): among equal costs the first piece in that
    order wins. Pieces are closed: at a step edge the left piece gives the true (lower) value.
    A volume can only lie in the pieces between the first whose end (or an earlier piece's)
    reaches it and the last that starts at or below it; that window is a handful of pieces
    wide (one or two per option alive there), so each volume is compared with its window, in
    the same order, instead of with every piece."""
    v = np.asarray(volumes, dtype=np.float64)
    values = np.full(v.size, np.inf)
    options = np.full(v.size, -1, dtype=np.intp)
    if env.lo.size == 0 or v.size == 0:
        return values, options
    pieces = env.sorted_pieces or SortedPieces.of(
        env.lo, env.hi, env.intercept, env.slope, env.option
    )
    lo, hi = pieces.lo, pieces.hi
    a, b, opt = pieces.intercept, pieces.slope, pieces.option
    # first: no earlier piece ends at or above the volume; stop: no later one starts below it.
    first = np.searchsorted(pieces.reach, v, side="left")
    stop = np.searchsorted(lo, v, side="right")
    width = max(1, int((stop - first).max()))
    step = max(1, _ENVELOPE_CELLS // width)
    for start in range(0, v.size, step):
        s = slice(start, start + step)
        x = v[s, None]
        cols = first[s, None] + np.arange(width)
        in_window = cols < stop[s, None]
        cols = np.minimum(cols, lo.size - 1)
        inside = in_window & (lo[cols] <= x) & (x <= hi[cols])
        cost = np.where(inside, a[cols] + b[cols] * x, np.inf)
        best = np.argmin(cost, axis=1)
        rows = np.arange(x.shape[0])
        # A volume in no piece has no value; one whose pieces all cost +inf takes the first.
        hit = inside.any(axis=1)
        best = np.where(inside[rows, best], best, np.argmax(inside, axis=1))
        values[s] = np.where(hit, cost[rows, best], np.inf)
        options[s] = np.where(hit, opt[cols[rows, best]], -1)
    return values, options


def default_search_range(requests_per_day: float) -> tuple[float, float]:
    """Volumes searched for break-even: four decades around the workload (req/day)."""
    centre = max(requests_per_day, 1.0)
    return centre / 100.0, centre * 100.0
