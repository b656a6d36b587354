"""Where a fleet's whole-replica count steps up: the volumes at which costs jump.

Break-even searches (`breakeven.py`) bracket crossings between these edges.
"""

from __future__ import annotations

import math

import numpy as np

from app.core.array_ops import geomspace, sorted_unique
from app.core.arrays import FloatArray
from app.core.option_table import OptionTable


def _step_rates(table: OptionTable, i: int) -> FloatArray:
    rates = (
        table.kappa_hour[i] * table.unique_shares
        if table.autoscaled[i]
        else np.array([table.kappa_held[i]])
    )
    return rates[rates > 0]


def _step_range(table: OptionTable, rate: float, lo: float, hi: float) -> tuple[int, int]:
    # Replicas = ceil(v * rate) steps from j to j + 1 just above v = j / rate.
    return max(math.floor(lo * rate) + 1, int(table.min_serving_replicas)), math.ceil(hi * rate) - 1


def step_edge_count(table: OptionTable, i: int, lo: float, hi: float) -> int:
    """How many step edges `step_edges` would return at most, without building them."""
    if not table.feasible[i]:
        return 0
    total = 0
    for rate in _step_rates(table, i):
        j_lo, j_hi = _step_range(table, float(rate), lo, hi)
        total += max(j_hi - j_lo + 1, 0)
    return total


def step_edges(
    table: OptionTable, i: int, lo: float, hi: float, max_edges: int | None = None
) -> FloatArray:
    """Volumes (req/day) in (lo, hi) where option i's whole-replica count steps up.

    With `max_edges`, the edges are capped near that many: a step rate with more than its
    share yields a log-spaced subset (callers then treat the result as approximate)."""
    if not table.feasible[i]:
        return np.empty(0)
    parts = []
    rates = _step_rates(table, i)
    per_rate = None if max_edges is None else max(2, max_edges // max(rates.size, 1))
    for rate in rates:
        j_lo, j_hi = _step_range(table, float(rate), lo, hi)
        if j_hi < j_lo:
            continue
        if per_rate is not None and j_hi - j_lo + 1 > per_rate:
            j = sorted_unique(np.round(geomspace(j_lo, j_hi, per_rate)))
            parts.append(j / rate)
        else:
            parts.append(np.arange(j_lo, j_hi + 1, dtype=np.float64) / rate)
    if not parts:
        return np.empty(0)
    # One rate (every held fleet) gives strictly increasing edges already: no sort needed.
    edges = parts[0] if len(parts) == 1 else sorted_unique(np.concatenate(parts))
    return edges[(edges > lo) & (edges < hi)]
