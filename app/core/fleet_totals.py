"""Total monthly cost of self-hosted fleets on a volume grid: the numbers of
`monthly_costs.fleet_costs(...).total` for every (option, volume) pair, computed by
broadcasting each option's row against the grid, with each row's cost rates summed before
they meet the grid (so equal to rounding). Used by the break-even searches, which need only
totals, at many volumes, for many sampled options.
"""

from __future__ import annotations

import numpy as np

from app.core import fleet_lookup
from app.core.arrays import FloatArray, IntArray
from app.core.fleet import instances_for_replicas, replicas_per_zone
from app.core.monthly_costs import held_serving_replicas, hour_weighted, hourly_fleet, hourly_levels
from app.core.option_table import OptionTable
from app.core.workload import DAYS_PER_MONTH, SECONDS_PER_HOUR

#: Cells (rows x volumes) computed together: small enough that a block's arrays stay in the
#: CPU's cache, large enough that numpy's per-call cost stays small against the arithmetic.
BLOCK_CELLS = 8192

#: Instances at every tabulated level, and each row's offset into them (as floats).
_Lookup = tuple[FloatArray, FloatArray]


def fleet_totals_on_grid(table: OptionTable, idx: IntArray, grid: FloatArray) -> FloatArray:
    """Total monthly cost (USD) of each option `idx` at each volume of `grid`: (options, grid).

    The numbers of `fleet_costs(table, repeat(idx, g), tile(grid, n)).total` (to rounding: the
    per-row rates are summed before they meet the grid), computed by broadcasting each
    option's row against the grid instead of widening the table per point."""
    idx = np.asarray(idx, dtype=np.intp)
    v = np.asarray(grid, dtype=np.float64)[None, :]
    scaled_rows = table.autoscaled[idx]
    held_rows = ~scaled_rows
    if not held_rows.any():
        out = _autoscaled_totals(table, idx[:, None], v)
    elif not scaled_rows.any():
        out = _held_totals(table, idx[:, None], v)
    else:
        out = np.empty((idx.size, v.size), dtype=np.float64)
        out[held_rows] = _held_totals(table, idx[held_rows][:, None], v)
        out[scaled_rows] = _autoscaled_totals(table, idx[scaled_rows][:, None], v)
    out[~table.feasible[idx]] = np.inf
    return out


def _row_rates(table: OptionTable, idx: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per row, the build costs of a fleet (`_build_costs`) summed into three rates: USD/month
    for having a fleet at all, per instance (GPU rates times GPUs per instance included) and
    per request/day of the whole volume. (Line items are summed per table row, then gathered:
    the same sums, and fancy indexing of a 2-D array is slow.)"""
    fixed = (
        table.usd_per_month_staff[idx]
        + table.infra_fixed.sum(axis=-1).take(idx)
        + table.usd_per_month_adaptation[idx]
    )
    per_gpu = table.usd_per_gpu_month_staff[idx] + table.usd_per_gpu_month_support[idx]
    per_instance = (
        table.infra_per_instance.sum(axis=-1).take(idx) + per_gpu * table.gpus_per_instance[idx]
    )
    return fixed, per_instance, table.infra_per_request_day.sum(axis=-1).take(idx)


def _overhead_scale(table: OptionTable) -> float:
    return 1.0 + table.overhead_share if table.overhead_share > 0 else 1.0


def _held_totals(table: OptionTable, idx: IntArray, v: FloatArray) -> FloatArray:
    """`_held_costs(...).total` with the components summed per row first."""
    serving, busy = held_serving_replicas(table, idx, v)
    q = replicas_per_zone(serving, table.redundancy_replicas, table.zones)
    gpr, gpi = table.gpus_per_replica[idx], table.gpus_per_instance[idx]
    instances = instances_for_replicas(q, gpr, gpi) * table.zones
    per_instance_month = table.usd_per_instance_month_fixed[idx] + gpi * (
        table.usd_per_gpu_month_idle_power[idx] + table.usd_per_gpu_month_hosting[idx]
    )
    per_busy_s = gpr * DAYS_PER_MONTH * table.usd_per_busy_gpu_s_power[idx]
    base = instances * per_instance_month + busy * per_busy_s
    fixed, per_instance, per_request = _row_rates(table, idx)
    build = np.where(serving > 0, fixed + per_request * v, 0.0) + per_instance * instances
    return base * _overhead_scale(table) + build


def _autoscaled_totals(table: OptionTable, si: IntArray, sv: FloatArray) -> FloatArray:
    """`_autoscaled_costs(...).total` with the components summed per row first, for rows `si`
    (a column) at volumes `sv` (a row). Computed in blocks of rows of at most BLOCK_CELLS
    cells, so that the dozen arrays each step makes stay in the CPU's cache (and clear of
    fresh pages); every cell is computed on its own, so blocks change no number."""
    lookup = _level_lookup(table, si, sv)
    rates = _autoscaled_rates(table, si)
    step = max(1, BLOCK_CELLS // max(sv.size, 1))
    if si.shape[0] <= step:
        return _autoscaled_block(table, si, sv, lookup, rates)
    out = np.empty((si.shape[0], sv.shape[-1]), dtype=np.float64)
    for start in range(0, si.shape[0], step):
        rows = slice(start, start + step)
        part = None if lookup is None else (lookup[0], lookup[1][rows])
        out[rows] = _autoscaled_block(table, si[rows], sv, part, tuple(r[rows] for r in rates))
    return out


def _autoscaled_rates(table: OptionTable, si: IntArray) -> tuple[FloatArray, ...]:
    """Per row of `si`: USD per instance-hour-day, then `_row_rates`."""
    return (table.usd_per_instance_hour[si] * DAYS_PER_MONTH, *_row_rates(table, si))


def _autoscaled_block(
    table: OptionTable,
    si: IntArray,
    sv: FloatArray,
    lookup: _Lookup | None,
    rates: tuple[FloatArray, ...],
) -> FloatArray:
    inst_hours, peak = _instance_hours(table, si, sv, lookup)
    beta = table.batch_share
    if beta > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            batch_replica_h = (
                sv * beta / (table.batch_rps[si] * SECONDS_PER_HOUR) * table.capacity_factor[si]
            )
        inst_hours = (
            inst_hours
            + batch_replica_h * table.gpus_per_replica[si] / (table.gpus_per_instance[si])
        )
    # The sums below, in place, in the order of `_autoscaled_costs` (x * 1 is x).
    rate, fixed, per_instance, per_request = rates
    total = np.multiply(inst_hours, rate, out=inst_hours)
    scale = _overhead_scale(table)
    if scale != 1.0:
        total *= scale
    # The peak hour (last distinct share) sizes people and hosts, as in `_autoscaled_costs`.
    people = np.multiply(per_instance, peak, out=peak)
    total += np.add(fixed, people, out=people)
    total += np.multiply(per_request, sv, out=people)
    return total


def _level_lookup(table: OptionTable, si: IntArray, sv: FloatArray) -> _Lookup | None:
    """The instances of every hourly level, tabulated (`fleet_lookup.fleet_tables`) for the
    rows `si` at volumes `sv`, with each row's offset into the table; None when computing the
    levels directly is cheaper. The lowest and highest levels come from the extreme volumes
    and rates, since `ceil(v * kappa * share)` grows with each factor."""
    shares = table.unique_shares
    if si.size * sv.size * shares.size < fleet_lookup.TABULATE_CELLS:
        return None
    kappa = table.kappa_hour[si]
    with np.errstate(divide="ignore", invalid="ignore"):
        # For finite, non-negative factors the product of the extremes is the extreme of the
        # products (rounding is monotone); anything else takes every product.
        if _plain(sv) and _plain(kappa):
            extremes = np.array([sv.min() * kappa.min(), sv.max() * kappa.max()])
        else:
            base = sv * kappa
            extremes = np.array([base.min(), base.max()])
        ends = np.ceil(np.multiply.outer(extremes, shares))
    found = fleet_lookup.fleet_tables(
        table, si, float(ends.min()), float(ends.max()), si.size * sv.size * shares.size
    )
    if found is None:
        return None
    return found[0][2], found[1].astype(np.float64)


def _plain(values: FloatArray) -> bool:
    """Finite and non-negative throughout (so products of extremes are extremes)."""
    return bool(np.isfinite(values).all() and (values >= 0).all())


def _instance_hours(
    table: OptionTable, si: IntArray, sv: FloatArray, lookup: _Lookup | None
) -> tuple[FloatArray, FloatArray]:
    """Instance-hours a day over the distinct hourly levels, and the instances of the peak
    (last) level, for rows `si` at volumes `sv` (broadcast: rows down, volumes across).

    With a `lookup` the levels are looked up one at a time rather than computed as a
    (rows, volumes, levels) array. Instances and hours are whole numbers, so any order of the
    weighted sum gives `hour_weighted`'s numbers."""
    shares, hours = table.unique_shares, table.share_hours
    if lookup is None:
        (inst_h,) = hourly_fleet(table, si, hourly_levels(table, si, sv), instances_only=True)
        return hour_weighted(inst_h, hours), inst_h[..., -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        base = sv * table.kappa_hour[si]
    instances, offsets = lookup
    # A few buffers reused for every level: fresh arrays this size cost page faults.
    level, inst, inst_hours = np.empty(base.shape), np.empty(base.shape), np.empty(base.shape)
    positions = np.empty(base.shape, dtype=np.intp)
    for h, share in enumerate(shares):
        np.ceil(np.multiply(base, share, out=level), out=level)
        # Whole numbers: the offset added as a float is exact.
        np.add(level, offsets, out=positions, casting="unsafe")
        instances.take(positions, out=inst)
        if h == 0:
            np.multiply(inst, hours[h], out=inst_hours)
        else:
            inst_hours += np.multiply(inst, hours[h], out=level)
    return inst_hours, inst
