"""Crossings found from the top of the grid down are the numbers of pricing the whole grid."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.fleet_totals import fleet_totals_on_grid
from app.core.grid_crossing import grid_crossings
from app.core.option_table import OptionTable
from app.core.uncertainty import UncertaintySpec, draw_factors, sampled_table
from tests.core.test_quality_uncertainty import API_SLOPE, VOLUME, _table


def _whole_grid(
    wide: OptionTable, k: int, slope: np.ndarray, fixed: float, grid: np.ndarray
) -> np.ndarray:
    """The oracle: every grid point priced for every sample, then each sample's highest point
    where self-hosting is not cheaper interpolated against the next one up."""
    s, g = slope.size, grid.size
    costs = fleet_totals_on_grid(wide, np.arange(k * s), grid).reshape(k, s, g)
    gap = costs.min(axis=0) - (np.multiply(slope[:, None], grid[None, :]) + fixed)
    not_cheaper = ~(gap < 0)
    last = g - 1 - np.argmax(not_cheaper[:, ::-1], axis=1)
    out = np.full(s, np.inf)
    out[~not_cheaper.any(axis=1)] = grid[0]
    inside = not_cheaper.any(axis=1) & (last < g - 1)
    j = last[inside]
    lo_gap, hi_gap = gap[inside, j], gap[inside, j + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(np.isfinite(lo_gap), lo_gap / (lo_gap - hi_gap), 1.0)
    log_lo, log_hi = np.log(grid[j]), np.log(grid[j + 1])
    out[inside] = np.exp(log_lo + np.clip(t, 0.0, 1.0) * (log_hi - log_lo))
    return out


@pytest.mark.parametrize("fixed", [0.0, 5_000.0])
def test_top_down_crossings_equal_the_whole_grid(
    monkeypatch: pytest.MonkeyPatch, fixed: float
) -> None:
    import app.core.grid_crossing as grid_crossing

    table = _table()
    rows = np.arange(table.size, dtype=np.intp)
    factors = draw_factors(
        UncertaintySpec(samples=400, seed=7, throughput_log_sigma=1.0), rows.size
    )
    wide = sampled_table(table, rows, factors)
    # API prices over four decades: some samples cross low, some high, some never, some
    # everywhere.
    slope = API_SLOPE * np.random.default_rng(1).permutation(np.geomspace(1e-3, 30.0, 400))
    grid = np.geomspace(VOLUME / 100, VOLUME * 100, 33)
    expected = _whole_grid(wide, rows.size, slope, fixed, grid)
    assert np.isinf(expected).any()
    assert (expected == grid[0]).any()
    assert np.unique(expected).size > 200
    for step in (1, 3, 8, 100):
        monkeypatch.setattr(grid_crossing, "COLUMNS_PER_STEP", step)
        for start in (None, grid[0] / 2, VOLUME, VOLUME * 50, np.inf):
            found = grid_crossings(wide, rows.size, slope, fixed, grid, start)
            np.testing.assert_array_equal(found, expected)
