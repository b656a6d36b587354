"""Ranges of the break-even: per Monte Carlo sample (`uncertainty.Factors`), the volume above
which the cheapest of some self-hosted options stays cheaper than an API line, solved on a log
grid of volumes (`grid_crossing.grid_crossings`) over the widened option table of every option
and sample (`uncertainty.sampled_table`), in chunks of bounded memory."""

from __future__ import annotations

import math

import numpy as np

from app.core.arrays import FloatArray, IntArray
from app.core.grid_crossing import grid_crossings, step_columns
from app.core.option_table import OptionTable
from app.core.uncertainty import Factors, sample_chunks, sampled_table

#: Log grid of the per-sample break-even: points per decade of the searched range, at least.
GRID_POINTS_PER_DECADE = 8
MIN_GRID_POINTS = 32


def sampled_break_evens(
    table: OptionTable,
    rows: IntArray,
    factors: Factors,
    usd_per_month_per_request_per_day: float,
    requests_per_day_min: float,
    requests_per_day_max: float,
    *,
    exact_requests_per_day: float | None = None,
    grid_points: int | None = None,
    api_fixed_usd_per_month: float = 0.0,
) -> FloatArray:
    """Per sample, the volume (req/day) above which the cheapest of the self-hosted options
    `rows` stays cheaper than the API line; +inf when it never is within the range, the range
    start when it is everywhere. `factors.throughput` rows align with `rows`.

    The break-even does not depend on today's volume, so the volume factor is not used. Each
    sample is solved on a log grid (linear interpolation of the cost gap between grid points);
    with `exact_requests_per_day` (the point estimate's exact break-even) the samples are
    rescaled by exact / grid-at-point-values, which removes the grid's own error and makes
    zero spreads reproduce the exact value.
    """
    if grid_points is None:
        decades = math.log10(requests_per_day_max / requests_per_day_min)
        grid_points = max(MIN_GRID_POINTS, math.ceil(GRID_POINTS_PER_DECADE * decades) + 1)
    grid = np.geomspace(requests_per_day_min, requests_per_day_max, grid_points)
    rescale = exact_requests_per_day is not None and len(rows) > 0
    # The point (every factor 1) rides along as one more sample: samples are solved
    # independently, so it gives the numbers of a run of its own.
    solved = with_point_sample(factors) if rescale else factors
    sampled = np.concatenate(
        [
            _grid_break_evens(
                table,
                rows,
                chunk,
                usd_per_month_per_request_per_day,
                grid,
                api_fixed_usd_per_month,
                exact_requests_per_day,
            )
            for chunk in sample_chunks(solved, len(rows) * step_columns(grid_points))
        ]
    )
    if not rescale or exact_requests_per_day is None:
        return sampled
    sampled, base = sampled[:-1], float(sampled[-1])
    if not (math.isfinite(base) and base > 0):
        return sampled
    return np.where(np.isfinite(sampled), sampled / base * exact_requests_per_day, sampled)


def with_point_sample(factors: Factors) -> Factors:
    """`factors` with one more sample, the point estimate (every factor 1), last."""
    one = np.ones(1)
    return Factors(
        np.concatenate([factors.throughput, np.ones((factors.throughput.shape[0], 1))], axis=1),
        *(
            np.concatenate([values, one])
            for values in (
                factors.api_price,
                factors.gpu_price,
                factors.staff_cost,
                factors.volume,
                factors.peak,
            )
        ),
    )


def _grid_break_evens(
    table: OptionTable,
    rows: IntArray,
    factors: Factors,
    api_slope: float,
    grid: FloatArray,
    api_fixed_usd_per_month: float = 0.0,
    expected_requests_per_day: float | None = None,
) -> FloatArray:
    k, s = len(rows), factors.samples
    if k == 0:
        return np.full(s, np.inf)
    # The API line is F + p V: a fixed cost F (its people, hosted tuning) and a slope p.
    return grid_crossings(
        sampled_table(table, rows, factors),
        k,
        api_slope * factors.api_price,
        api_fixed_usd_per_month,
        grid,
        expected_requests_per_day,
    )
