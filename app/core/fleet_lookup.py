"""Fleets looked up instead of computed: the serving replicas, replicas per zone and instances
of every distinct option shape at every whole-replica level, tabulated once.

Rows of an option table share a few distinct (capacity factor, GPUs per replica, GPUs per
instance) triples (a sampled table repeats each option's once per sample), and the replicas
an hour needs are whole numbers; when the triples times the levels up to the highest are few
against the cells to fill, the fleet is computed once per triple and level and looked up: the
same arithmetic on the same numbers, so the same results.
"""

from __future__ import annotations

import math

import numpy as np

from app.core.arrays import FloatArray, IntArray
from app.core.fleet import instances_for_replicas, replicas_per_zone
from app.core.option_table import OptionTable

#: Cells below which the direct arithmetic is cheaper than finding the distinct rows.
TABULATE_CELLS = 4096

#: Serving replicas, replicas per zone and instances.
Fleet = tuple[FloatArray, FloatArray, FloatArray]


def fleet_at_levels(
    table: OptionTable, factor: FloatArray, gpr: FloatArray, gpi: FloatArray, levels: FloatArray
) -> Fleet:
    """Serving replicas, replicas per zone and instances for `levels` needed replicas, with
    per-row capacity factor and GPUs per replica and per instance (broadcast against it)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        serving_h = np.ceil(np.maximum(table.min_serving_replicas, levels) * factor)
    q = replicas_per_zone(serving_h, table.redundancy_replicas, table.zones)
    return serving_h, q, instances_for_replicas(q, gpr, gpi) * table.zones


def row_params(table: OptionTable, si: IntArray) -> list[FloatArray]:
    """Capacity factor, GPUs per replica and GPUs per instance of the rows `si`."""
    return [table.capacity_factor[si], table.gpus_per_replica[si], table.gpus_per_instance[si]]


def fleet_tables(
    table: OptionTable, si: IntArray, lowest: float, highest: float, cells: int
) -> tuple[Fleet, IntArray] | None:
    """For `cells` lookups of levels within [`lowest`, `highest`] by the rows `si`: the fleet
    of each distinct triple at each level 0..highest, flattened (triple-major), and each row's
    offset into it (shaped like `si`: the position of level n is offset + n). None when
    computing each cell directly is cheaper."""
    if cells < TABULATE_CELLS or not (math.isfinite(highest) and lowest >= 0):
        return None
    if 4 * (highest + 1) > cells:
        return None
    params = row_params(table, si)
    first, which = distinct_rows([p.reshape(-1) for p in params])
    width = int(highest) + 1
    if 4 * first.size * width > cells:
        return None
    levels = np.arange(width, dtype=np.float64)[None, :]
    f, r, i = (p.reshape(-1)[first][:, None] for p in params)
    serving, q, instances = fleet_at_levels(table, f, r, i, levels)
    return (serving.ravel(), q.ravel(), instances.ravel()), which.reshape(np.shape(si)) * width


def distinct_rows(columns: list[FloatArray]) -> tuple[IntArray, IntArray]:
    """One row index per distinct combination of the columns' values, and each row's
    combination (an index into the first array).

    A sampled table repeats each option's row once per sample, one after the other: only the
    first row of each run of equal rows is sorted (a run's rows share its combination), which
    turns sorting (options x samples) values into sorting a few."""
    size = columns[0].size
    if size > 1:
        starts = np.zeros(size, dtype=np.bool_)
        starts[0] = True
        for column in columns:
            starts[1:] |= column[1:] != column[:-1]
        heads = np.flatnonzero(starts)
        if heads.size < size:
            first, which = distinct_rows([column[heads] for column in columns])
            return heads[first], which[np.cumsum(starts) - 1]
    if size <= HASHED_ROWS:
        return _distinct_hashed(columns)
    return _distinct_sorted(columns)


#: Rows up to which a dict of their values beats sorting each column.
HASHED_ROWS = 64


def _distinct_hashed(columns: list[FloatArray]) -> tuple[IntArray, IntArray]:
    """`distinct_rows` by a dict of each row's values (a few rows: no sorting overhead)."""
    codes: dict[tuple[float, ...], int] = {}
    keys = list(zip(*(column.tolist() for column in columns), strict=True))
    which = np.array([codes.setdefault(key, len(codes)) for key in keys], dtype=np.intp)
    first = np.empty(len(codes), dtype=np.intp)
    first[which] = np.arange(which.size, dtype=np.intp)
    return first, which


def _distinct_sorted(columns: list[FloatArray]) -> tuple[IntArray, IntArray]:
    """`distinct_rows` by sorting every row's values."""
    which = np.zeros(columns[0].size, dtype=np.intp)
    for column in columns:
        _, inverse = np.unique(column, return_inverse=True)
        # Renumbered after each column, so the codes stay below rows squared.
        code = which * (int(inverse.max(initial=0)) + 1) + inverse.reshape(-1)
        which = np.unique(code, return_inverse=True)[1].reshape(-1)
    first = np.empty(int(which.max(initial=-1)) + 1, dtype=np.intp)
    first[which] = np.arange(which.size, dtype=np.intp)
    return first, which
