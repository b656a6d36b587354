"""Per sample, the volume above which the cheapest of some self-hosted options stays cheaper
than an API line, on a log grid of volumes, found from the top of the grid down.

A sample's answer is fixed by the highest grid point where self-hosting is not cheaper and
by the cost gaps there and at the next point up; the points below it do not matter. So the
grid is priced a few columns at a time from the top, each time only for the samples not yet
resolved. Every cell's cost is computed on its own (`fleet_totals_on_grid`), so this gives the
numbers of pricing the whole grid, at a fraction of the cells: break-evens usually sit in the
upper part of the searched range.
"""

from __future__ import annotations

import numpy as np

from app.core.arrays import FloatArray, IntArray
from app.core.fleet_totals import fleet_totals_on_grid
from app.core.option_table import OptionTable

#: Grid points priced per step down the grid; the first step may take up to twice as many.
COLUMNS_PER_STEP = 8


def step_columns(grid_points: int) -> int:
    """The most grid points one step prices (what memory per step scales with)."""
    return min(grid_points, 2 * COLUMNS_PER_STEP)


def grid_crossings(
    wide: OptionTable,
    options: int,
    line_slope: FloatArray,
    line_fixed: float,
    grid: FloatArray,
    start_volume: float | None = None,
) -> FloatArray:
    """Per sample, the crossing volume: +inf when self-hosting is not cheaper at the top of
    the grid, `grid[0]` when it is cheaper everywhere, else log-interpolated between the
    highest grid point where it is not cheaper and the next. Entry `o * samples + i` of `wide`
    is option o in sample i; sample i's API line is `line_slope[i] * volume + line_fixed`.
    The first step prices from just below `start_volume` (an expected crossing) up."""
    samples, size = line_slope.size, grid.size
    last = np.full(samples, -1, dtype=np.intp)  # highest point not cheaper; -1: none yet
    gaps = np.zeros((samples, 2))  # the gap there and at the next point up
    pending = np.arange(samples, dtype=np.intp)
    above = np.zeros(0)  # the pending samples' gap at the point above the step
    top = size
    start = _first_start(grid, start_volume)
    while pending.size and top > 0:
        cols = grid[start:top]
        rows = (np.arange(options, dtype=np.intp)[:, None] * samples + pending).reshape(-1)
        costs = fleet_totals_on_grid(wide, rows, cols).reshape(options, pending.size, cols.size)
        line = np.multiply(line_slope[pending][:, None], cols[None, :])
        line += line_fixed
        gap = costs.min(axis=0)
        gap -= line
        # Each gap's next point up: the point above the step for its top column (none above
        # the grid's top, where a sample not cheaper has no crossing).
        upper = np.concatenate([gap[:, 1:], above if top < size else np.zeros_like(gap[:, :1])], 1)
        not_cheaper = ~(gap < 0)
        found = not_cheaper.any(axis=1)
        at = cols.size - 1 - np.argmax(not_cheaper[found, ::-1], axis=1)
        done = pending[found]
        last[done] = start + at
        gaps[done, 0] = gap[found, at]
        gaps[done, 1] = upper[found, at]
        above = gap[~found, :1]
        pending = pending[~found]
        top, start = start, max(0, start - COLUMNS_PER_STEP)
    return _interpolated(grid, last, gaps)


def _first_start(grid: FloatArray, start_volume: float | None) -> int:
    """The first step's lowest grid point: two below `start_volume` (within one to two
    steps' worth), or one step's worth."""
    size = grid.size
    if start_volume is None or not np.isfinite(start_volume):
        return max(0, size - COLUMNS_PER_STEP)
    below = int(np.searchsorted(grid, start_volume, side="right")) - 1
    return max(0, size - step_columns(size), min(below - 2, size - COLUMNS_PER_STEP))


def _interpolated(grid: FloatArray, last: IntArray, gaps: FloatArray) -> FloatArray:
    """The crossings from each sample's highest point not cheaper and the gaps around it."""
    size = grid.size
    out = np.full(last.size, np.inf)
    out[last < 0] = grid[0]
    inside = (last >= 0) & (last < size - 1)
    j = last[inside]
    lo_gap, hi_gap = gaps[inside, 0], gaps[inside, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(np.isfinite(lo_gap), lo_gap / (lo_gap - hi_gap), 1.0)
    log_lo, log_hi = np.log(grid[j]), np.log(grid[j + 1])
    out[inside] = np.exp(log_lo + np.clip(t, 0.0, 1.0) * (log_hi - log_lo))
    return out
