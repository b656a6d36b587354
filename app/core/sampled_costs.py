"""Monthly totals of self-hosted options under sampled factors: (options, samples).

The numbers of `monthly_costs.fleet_total` on `uncertainty.sampled_table` (one widened table
row per option and sample), computed without the widened table: each option's own values stay
one column, broadcast against the sampled factors along its row. Widening repeated some
twenty-five columns per sample and `fleet_total` then gathered them all again, which cost
more than the totals themselves. Every element goes through the same operations in the same
order as on the widened table, so the numbers are the same (tests/core/test_sampled_costs.py
compares the two paths).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from app.core.arrays import FloatArray, IntArray
from app.core.fleet import instances_for_replicas, replicas_per_zone
from app.core.monthly_costs import (
    AutoscaledRows,
    BuildRates,
    autoscaled_parts,
    build_costs,
    build_rates,
    busy_replica_s,
    cost_total,
    hourly_fleet,
    levels_at,
    overhead_cost,
)
from app.core.option_table import OptionTable
from app.core.workload import DAYS_PER_MONTH, SECONDS_PER_DAY, SECONDS_PER_HOUR

#: A table column gathered for a group of options, shaped (options, 1).
_Column = Callable[[npt.NDArray[Any]], npt.NDArray[Any]]


def held_kappa(
    table: OptionTable, interactive_rps: FloatArray, batch_rps: FloatArray, peak: FloatArray
) -> FloatArray:
    """Serving replicas per request/day of held fleets at scaled throughputs, with the peak
    hour scaled by `peak`: the formula of `option_table.build_option_table`."""
    beta = table.batch_share
    with np.errstate(divide="ignore", invalid="ignore"):
        peak_term = (
            (1.0 - beta) * float(table.shares.max()) / (SECONDS_PER_HOUR * interactive_rps) * peak
        )
        daily = (
            (1.0 - beta) / interactive_rps + (beta / batch_rps if beta > 0 else 0.0)
        ) / SECONDS_PER_DAY
        return np.maximum(peak_term, daily)


def sampled_totals(
    table: OptionTable,
    rows: IntArray,
    throughput: FloatArray,
    per_sample: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
) -> FloatArray:
    """Monthly total (USD) of options `rows` (throughput factors one row each) in every sample
    of `per_sample`: GPU price, staff cost and peak factors and the volume (req/day)."""
    r = np.asarray(rows, dtype=np.intp)
    gpu_price, staff_cost, peak, volume = (f[None, :] for f in per_sample)
    out = np.empty(throughput.shape, dtype=np.float64)
    scaled = table.autoscaled.take(r)
    held = ~scaled
    if held.any():
        out[held] = _held_totals(
            table, r[held], throughput[held], gpu_price, staff_cost, peak, volume
        )
    if scaled.any():
        out[scaled] = _autoscaled_totals(
            table, r[scaled], throughput[scaled], gpu_price, staff_cost, volume
        )
    out[~table.feasible.take(r)] = np.inf
    return out


def _gather(r: IntArray) -> _Column:
    def column(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return values.take(r)[:, None]

    return column


def _rates(table: OptionTable, r: IntArray, staff_cost: FloatArray) -> BuildRates:
    """The rows' build rates, staff scaled by the sampled staff cost (as `scenario_table`)."""
    rates = build_rates(table, r[:, None])
    return replace(
        rates, staff=rates.staff * staff_cost, staff_per_gpu=rates.staff_per_gpu * staff_cost
    )


def _held_totals(
    table: OptionTable,
    r: IntArray,
    throughput: FloatArray,
    gpu_price: FloatArray,
    staff_cost: FloatArray,
    peak: FloatArray,
    v: FloatArray,
) -> FloatArray:
    """`fleet_total` of held rows: `held_serving_replicas`, then `_fixed_parts`."""
    col = _gather(r)
    batch_rps = col(table.batch_rps) * throughput
    unchanged = (throughput == 1.0) & (peak == 1.0)
    kappa = np.where(
        unchanged,
        col(table.kappa_held),
        held_kappa(table, col(table.interactive_rps) * throughput, batch_rps, peak),
    )
    kappa = np.where(col(table.feasible), kappa, 0.0)
    serving = np.maximum(table.min_serving_replicas, np.ceil(v * kappa))
    busy = busy_replica_s(table.batch_share, v, col(table.operating_rps) * throughput, batch_rps)
    q = replicas_per_zone(serving, table.redundancy_replicas, table.zones)
    gpr, gpi = col(table.gpus_per_replica), col(table.gpus_per_instance)
    instances = instances_for_replicas(q, gpr, gpi) * table.zones
    gpus = instances * gpi
    compute = instances * (col(table.usd_per_instance_month_fixed) * gpu_price)
    busy_gpu_s_month = busy * gpr * DAYS_PER_MONTH
    idle_power, busy_power = (
        col(table.usd_per_gpu_month_idle_power),
        col(table.usd_per_busy_gpu_s_power),
    )
    power = gpus * idle_power + busy_gpu_s_month * busy_power
    hosting = gpus * col(table.usd_per_gpu_month_hosting)
    parts = {
        "compute": compute,
        "power": power,
        "hosting": hosting,
        "overhead": overhead_cost(compute + power + hosting, table.overhead_share),
        **build_costs(_rates(table, r, staff_cost), serving > 0, gpus, instances, v),
    }
    return cost_total(parts)


def _autoscaled_totals(
    table: OptionTable,
    r: IntArray,
    throughput: FloatArray,
    gpu_price: FloatArray,
    staff_cost: FloatArray,
    v: FloatArray,
) -> FloatArray:
    """`fleet_total` of autoscaled rows: `hourly_levels`, `hourly_fleet`, `autoscaled_parts`."""
    col = _gather(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(col(table.feasible), col(table.kappa_hour) / throughput, 0.0)
        levels = levels_at(v * kappa, table.unique_shares)
    # The fleet's shape (capacity factor, GPUs per replica and instance) is the option's own.
    (inst_h,) = hourly_fleet(table, r[:, None], levels, instances_only=True)
    with np.errstate(invalid="ignore"):
        rows = AutoscaledRows(
            col(table.gpus_per_replica),
            col(table.gpus_per_instance),
            col(table.batch_rps) * throughput,
            col(table.capacity_factor),
            col(table.usd_per_instance_hour) * gpu_price,
            _rates(table, r, staff_cost),
        )
    parts, _, _ = autoscaled_parts(table, inst_h, v, rows)
    return cost_total(parts)
