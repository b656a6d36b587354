"""The affine pieces of a break-even envelope: each surviving run of grid cells cut at its
option's step edges (`replica_steps.step_edges`), each piece's intercept and slope, and the
step edges drawn into the curve.

The step edges of all runs are built at once: every (run, step rate) pair gives the whole
numbers j_lo..j_hi, and its edges are j / rate, the very numbers `step_edges` computes for
that run (the same products, floors, ceilings and divisions, element by element), sorted and
made distinct within each run. A run with more edges than its share of the piece budget
(a huge fleet) goes through `step_edges` one run at a time, thinned.
"""

from __future__ import annotations

import numpy as np

from app.core.array_ops import sorted_unique
from app.core.arrays import FloatArray, IntArray
from app.core.monthly_costs import fleet_total
from app.core.option_table import OptionTable
from app.core.replica_steps import step_edge_count, step_edges

#: Above this many affine pieces for one option over one run of grid cells, the pieces are
#: coarsened and the result is flagged inexact (keeps a huge fleet from running for seconds).
MAX_PIECES_PER_RUN = 20_000
#: ... and over all runs together (each run keeps at least MIN_PIECES_PER_RUN).
MAX_PIECES_TOTAL = 60_000
MIN_PIECES_PER_RUN = 500
#: Step edges added to the returned curve (so plots show the staircase), at most.
MAX_CURVE_EDGES = 200
#: Pieces narrower than this share of their volume are too narrow to fit a slope in floating
#: point (edges that coincide up to rounding); they are treated as flat.
NARROW_PIECE_RELATIVE_WIDTH = 1e-9

#: Surviving runs of grid cells: option, start and end (req/day), one entry per run.
Runs = tuple[IntArray, FloatArray, FloatArray]
#: Pieces: start, end (req/day), option, and whether every run kept all its edges.
Pieces = tuple[FloatArray, FloatArray, IntArray, bool]


def _step_ranges(
    table: OptionTable, option: IntArray, lo: FloatArray, hi: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per entry (rows) and step rate (columns; 0 where a rate is absent): the rate, the first
    and last whole replica count j whose edge j / rate may lie in (lo, hi), and how many
    counts that is (0 for absent rates): `replica_steps._step_rates` and `_step_range`."""
    autoscaled = table.autoscaled[option]
    rates = np.zeros((option.size, max(table.unique_shares.size, 1)))
    np.multiply(
        table.kappa_hour[option][:, None], table.unique_shares, out=rates, where=autoscaled[:, None]
    )
    rates[~autoscaled, 0] = table.kappa_held[option[~autoscaled]]
    present = rates > 0
    with np.errstate(invalid="ignore"):
        j_lo = np.maximum(
            np.floor(lo[:, None] * rates) + 1.0, float(int(table.min_serving_replicas))
        )
        j_hi = np.ceil(hi[:, None] * rates) - 1.0
    counts = np.where(present, np.maximum(j_hi - j_lo + 1.0, 0.0), 0.0)
    return rates, j_lo, counts


def _edges_of(
    rates: FloatArray, j_lo: FloatArray, counts: FloatArray, lo: FloatArray, hi: FloatArray
) -> tuple[FloatArray, IntArray]:
    """Every edge j / rate strictly inside its entry's (lo, hi), sorted and distinct within
    each entry, and the entry it belongs to (entries in order)."""
    flat = np.flatnonzero(counts.ravel())
    n = counts.ravel()[flat].astype(np.intp)
    first = np.cumsum(n) - n
    k = np.arange(int(n.sum())) - np.repeat(first, n)
    edges = (np.repeat(j_lo.ravel()[flat], n) + k) / np.repeat(rates.ravel()[flat], n)
    owner = np.repeat(flat // rates.shape[1], n)
    inside = (edges > lo[owner]) & (edges < hi[owner])
    edges, owner = edges[inside], owner[inside]
    if (np.count_nonzero(counts, axis=1) > 1).any():
        # Several rates in one entry: sort its edges and keep each once.
        order = np.lexsort((edges, owner))
        edges, owner = edges[order], owner[order]
        keep = np.empty(edges.size, dtype=np.bool_)
        keep[:1] = True
        np.not_equal(edges[1:], edges[:-1], out=keep[1:])
        keep[1:] |= owner[1:] != owner[:-1]
        edges, owner = edges[keep], owner[keep]
    return edges, owner


def pieces(table: OptionTable, runs: Runs) -> Pieces:
    """Each run cut at its option's step edges: piece bounds, options, and whether every run
    kept all its edges (False: some were thinned to the budget, so the envelope is approximate).

    All runs at once when every run's edges fit the budget (the usual case); else one run at
    a time (`pieces_by_run`)."""
    option, lo, hi = runs
    budget = max(MIN_PIECES_PER_RUN, min(MAX_PIECES_PER_RUN, MAX_PIECES_TOTAL // option.size))
    rates, j_lo, counts = _step_ranges(table, option, lo, hi)
    if not (np.isfinite(counts).all() and (counts.sum(axis=1) <= budget).all()):
        return pieces_by_run(table, runs)
    edges, owner = _edges_of(rates, j_lo, counts, lo, hi)
    per_run = np.bincount(owner, minlength=option.size) + 1
    starts = np.cumsum(per_run) - per_run
    ends = starts + per_run - 1
    # Run r's pieces: [lo_r, e_1], [e_1, e_2], ..., [e_n, hi_r].
    p_lo, p_hi = np.empty(int(per_run.sum())), np.empty(int(per_run.sum()))
    inner = np.ones(p_lo.size, dtype=np.bool_)
    inner[starts] = False
    p_lo[starts], p_lo[inner] = lo, edges
    inner[starts], inner[ends] = True, False
    p_hi[ends], p_hi[inner] = hi, edges
    return p_lo, p_hi, np.repeat(option, per_run), True


def pieces_by_run(table: OptionTable, runs: Runs) -> Pieces:
    """`pieces` one run at a time with `step_edges`, thinning runs above the budget."""
    pieces_lo: list[FloatArray] = []
    pieces_hi: list[FloatArray] = []
    pieces_opt: list[IntArray] = []
    exact = True
    # Share one budget of pieces among the runs, so many huge fleets stay fast together.
    count = runs[0].size
    budget = max(MIN_PIECES_PER_RUN, min(MAX_PIECES_PER_RUN, MAX_PIECES_TOTAL // count))
    for i, run_lo, run_hi in zip(*(r.tolist() for r in runs), strict=True):
        if step_edge_count(table, i, run_lo, run_hi) > budget:
            exact = False
            edges = step_edges(table, i, run_lo, run_hi, max_edges=budget)
        else:
            edges = step_edges(table, i, run_lo, run_hi)
        bounds = np.concatenate([[run_lo], edges, [run_hi]])
        pieces_lo.append(bounds[:-1])
        pieces_hi.append(bounds[1:])
        pieces_opt.append(np.full(bounds.size - 1, i, dtype=np.intp))
    return np.concatenate(pieces_lo), np.concatenate(pieces_hi), np.concatenate(pieces_opt), exact


def affine_fit(
    table: OptionTable, p_lo: FloatArray, p_hi: FloatArray, p_opt: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Intercept and slope of each piece's cost (USD/month against req/day).

    Two interior points fix each affine piece exactly (no edge lies strictly inside). Step
    edges of different hourly levels can coincide to within rounding: a piece narrower than
    that carries no slope information, so it is taken as flat at its midpoint value."""
    width = p_hi - p_lo
    v1, v2 = p_lo + width / 3.0, p_lo + 2.0 * width / 3.0
    # Totals only: `fleet_total` gives `fleet_costs(...).total` without the fleet figures.
    f = fleet_total(table, np.concatenate([p_opt, p_opt]), np.concatenate([v1, v2]))
    f1, f2 = f[: p_opt.size], f[p_opt.size :]
    resolvable = width > NARROW_PIECE_RELATIVE_WIDTH * p_hi
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(resolvable, (f2 - f1) / (v2 - v1), 0.0)
    intercept = np.where(resolvable, f1 - slope * v1, (f1 + f2) / 2.0)
    return intercept, slope


def curve_edges(table: OptionTable, grid_option: IntArray, lo: float, hi: float) -> FloatArray:
    """Step edges of the options cheapest on the grid, at most MAX_CURVE_EDGES of them."""
    edge_parts = [
        step_edges(table, i, lo, hi, max_edges=MAX_CURVE_EDGES)
        for i in sorted(set(grid_option.tolist()))
    ]
    edges = sorted_unique(np.concatenate(edge_parts)) if edge_parts else np.empty(0)
    if edges.size > MAX_CURVE_EDGES:
        edges = edges[np.linspace(0, edges.size - 1, MAX_CURVE_EDGES).astype(np.intp)]
    return edges
