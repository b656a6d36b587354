"""Total monthly cost of self-hosted fleets on a volume grid: the numbers of
`monthly_costs.fleet_costs(...).total` for every (option, volume) pair, computed by
broadcasting each option's row against the grid, with each row's cost rates summed before
they meet the grid (so equal to rounding). Used by the break-even searches, which need only
totals, at many volumes, for many sampled options.
"""

from __future__ import annotations

import numpy as np

from app.core.arrays import FloatArray, IntArray
from app.core.fleet import instances_for_replicas, replicas_per_zone
from app.core.monthly_costs import held_serving_replicas, hour_weighted, hourly_fleet, hourly_levels
from app.core.option_table import OptionTable
from app.core.workload import DAYS_PER_MONTH, SECONDS_PER_HOUR


def fleet_totals_on_grid(table: OptionTable, idx: IntArray, grid: FloatArray) -> FloatArray:
    """Total monthly cost (USD) of each option `idx` at each volume of `grid`: (options, grid).

    The numbers of `fleet_costs(table, repeat(idx, g), tile(grid, n)).total` (to rounding: the
    per-row rates are summed before they meet the grid), computed by broadcasting each
    option's row against the grid instead of widening the table per point."""
    idx = np.asarray(idx, dtype=np.intp)
    v = np.asarray(grid, dtype=np.float64)[None, :]
    out = np.empty((idx.size, v.size), dtype=np.float64)
    scaled_rows = table.autoscaled[idx]
    held_rows = ~scaled_rows
    if held_rows.any():
        out[held_rows] = _held_totals(table, idx[held_rows][:, None], v)
    if scaled_rows.any():
        out[scaled_rows] = _autoscaled_totals(table, idx[scaled_rows][:, None], v)
    out[~table.feasible[idx]] = np.inf
    return out


def _row_rates(table: OptionTable, idx: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per row, the build costs of a fleet (`_build_costs`) summed into three rates: USD/month
    for having a fleet at all, per instance (GPU rates times GPUs per instance included) and
    per request/day of the whole volume."""
    fixed = (
        table.usd_per_month_staff[idx]
        + table.infra_fixed[idx].sum(axis=-1)
        + table.usd_per_month_adaptation[idx]
    )
    per_gpu = table.usd_per_gpu_month_staff[idx] + table.usd_per_gpu_month_support[idx]
    per_instance = (
        table.infra_per_instance[idx].sum(axis=-1) + per_gpu * table.gpus_per_instance[idx]
    )
    return fixed, per_instance, table.infra_per_request_day[idx].sum(axis=-1)


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
    """`_autoscaled_costs(...).total` with the components summed per row first."""
    (inst_h,) = hourly_fleet(table, si, hourly_levels(table, si, sv), instances_only=True)
    beta = table.batch_share
    inst_hours = hour_weighted(inst_h, table.share_hours)
    if beta > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            batch_replica_h = (
                sv * beta / (table.batch_rps[si] * SECONDS_PER_HOUR) * table.capacity_factor[si]
            )
        inst_hours = (
            inst_hours
            + batch_replica_h * table.gpus_per_replica[si] / (table.gpus_per_instance[si])
        )
    compute = inst_hours * (table.usd_per_instance_hour[si] * DAYS_PER_MONTH)
    fixed, per_instance, per_request = _row_rates(table, si)
    # The peak hour (last distinct share) sizes people and hosts, as in `_autoscaled_costs`.
    return (
        compute * _overhead_scale(table)
        + (fixed + per_instance * inst_h[..., -1])
        + (per_request * sv)
    )
