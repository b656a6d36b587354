"""Monthly cost over the horizon, with commitments that behave like commitments.

On-demand and spot fleets follow each month's volume. Committed and owned capacity does not:
what was reserved or bought stays paid for until its term ends (1 or 3 years; owned servers
for their amortisation period), so when volume falls the fleet keeps its size and the unused
part is stranded cost, and when volume grows more capacity is bought in whole instances or
servers. Owned fleets also get a cash view: purchases when they happen, then running costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core.arrays import FloatArray, IntArray
from app.core.hybrid import hybrid_best_by_scan, hybrid_costs_by_replicas
from app.core.monthly_costs import (
    FleetCosts,
    fixed_fleet_costs,
    fleet_total,
    held_serving_replicas,
)
from app.core.option_table import OptionTable
from app.core.purchasing import PurchaseMode, PurchaseOptionSpec
from app.core.workload import MONTHS_PER_YEAR

#: Months a reservation binds, by purchase mode (owned: the option's amortisation period).
COMMITMENT_MONTHS = {PurchaseMode.COMMITTED_1Y: 12, PurchaseMode.COMMITTED_3Y: 36}


@dataclass(frozen=True, slots=True)
class OptionProjection:
    """One self-hosted option month by month (USD/month): what it costs with its commitments,
    the part of that paid for capacity the month's volume does not need, and, for owned
    hardware, the cash that leaves each month (purchases up front, then running costs)."""

    monthly_cost_usd: FloatArray
    stranded_usd: FloatArray
    cash_usd: FloatArray | None


def commitment_months(option: PurchaseOptionSpec) -> int:
    """How long capacity bought in this mode stays paid for (months; 0: month to month)."""
    if option.mode is PurchaseMode.OWNED:
        return max(1, round(option.amortization_years * MONTHS_PER_YEAR))
    return COMMITMENT_MONTHS.get(option.mode, 0)


def _rolling_max(values: FloatArray, window: int) -> FloatArray:
    """Each month's value is the largest of it and the `window - 1` months before it."""
    out = values.copy()
    for lag in range(1, min(window, values.size)):
        out[lag:] = np.maximum(out[lag:], values[:-lag])
    return out


def _capex_per_instance(option: PurchaseOptionSpec) -> float:
    per_gpu = (
        (option.purchase_usd_per_gpu or 0.0)
        + option.server_usd_per_gpu
        + option.networking_usd_per_gpu
    )
    return per_gpu * option.gpus_per_instance


def project_option(table: OptionTable, row: int, volumes: FloatArray) -> OptionProjection:
    """Option `row` of the table at each month's volume (requests/day)."""
    rows: IntArray = np.full(volumes.size, row, dtype=np.intp)
    # Only the totals of the resized fleet are needed (`fleet_costs(...).total`, same numbers).
    resized = fleet_total(table, rows, volumes)
    option = table.options[row]
    term = commitment_months(option)
    if term == 0 or table.autoscaled[row] or not table.feasible[row]:
        zeros = np.zeros(volumes.size)
        return OptionProjection(resized, zeros, None)
    needed, busy = held_serving_replicas(table, rows, volumes)
    committed = fixed_fleet_costs(table, rows, _rolling_max(needed, term), busy, volumes)
    stranded = committed.total - resized
    cash = None
    if option.mode is PurchaseMode.OWNED:
        instances = committed.peak_instances
        bought = np.diff(np.concatenate([[0.0], np.maximum.accumulate(instances)]))
        # Cash replaces the amortised capital charge; power, hosting, staff and overhead stay.
        running = committed.total - committed.compute
        cash = bought * _capex_per_instance(option) + running
    return OptionProjection(committed.total, stranded, cash)


def project_options(
    table: OptionTable, rows: Sequence[int], volumes: FloatArray
) -> list[OptionProjection]:
    """`project_option` of each row in `rows`, the same numbers: every row's months priced in
    one call of each elementwise cost function instead of one call per row (the per-call
    overhead of a dozen numpy steps dominated a row's dozen months)."""
    months, count = volumes.size, len(rows)
    if not count:
        return []
    row_array = np.asarray(rows, dtype=np.intp)
    resized = fleet_total(table, np.repeat(row_array, months), np.tile(volumes, count))
    resized = resized.reshape(count, months)
    terms = [commitment_months(table.options[row]) for row in rows]
    held = [
        k
        for k, row in enumerate(rows)
        if terms[k] and not table.autoscaled[row] and table.feasible[row]
    ]
    out = [OptionProjection(resized[k], np.zeros(months), None) for k in range(count)]
    if not held:
        return out
    idx, v = np.repeat(row_array[held], months), np.tile(volumes, len(held))
    needed, busy = held_serving_replicas(table, idx, v)
    needed = needed.reshape(len(held), months)
    kept = np.concatenate([_rolling_max(needed[j], terms[k]) for j, k in enumerate(held)])
    committed = fixed_fleet_costs(table, idx, kept, busy, v)
    totals = committed.total.reshape(len(held), months)
    for j, k in enumerate(held):
        out[k] = _committed_projection(
            table.options[rows[k]],
            totals[j],
            resized[k],
            committed,
            slice(j * months, (j + 1) * months),
        )
    return out


def _committed_projection(
    option: PurchaseOptionSpec,
    total: FloatArray,
    resized: FloatArray,
    committed: FleetCosts,
    part: slice,
) -> OptionProjection:
    """One held, committed row's projection from its slice `part` of the batched costs."""
    cash = None
    if option.mode is PurchaseMode.OWNED:
        instances = committed.peak_instances[part]
        bought = np.diff(np.concatenate([[0.0], np.maximum.accumulate(instances)]))
        running = total - committed.compute[part]
        cash = bought * _capex_per_instance(option) + running
    return OptionProjection(total, total - resized, cash)


def project_hybrid(
    table: OptionTable,
    row: int,
    usd_per_request_interactive: float,
    usd_per_request_batch: float,
    volumes: FloatArray,
    max_points: int,
) -> OptionProjection:
    """A hybrid month by month: each month's best held fleet, kept for its term once bought
    (the split to the API re-optimised around it), and the cost of what is held but unused."""
    best = [
        hybrid_best_by_scan(
            table,
            row,
            usd_per_request_interactive,
            usd_per_request_batch,
            float(volume),
            max_points=max_points,
        )
        for volume in volumes
    ]
    wanted = np.asarray([n for n, _ in best], dtype=np.float64)
    resized = np.asarray([cost for _, cost in best], dtype=np.float64)
    term = commitment_months(table.options[row])
    if term == 0:
        return OptionProjection(resized, np.zeros(volumes.size), None)
    held = _rolling_max(wanted, term)
    committed = np.asarray(
        [
            hybrid_costs_by_replicas(
                table,
                row,
                usd_per_request_interactive,
                usd_per_request_batch,
                float(volume),
                np.asarray([replicas]),
            ).total[0]
            for volume, replicas in zip(volumes, held, strict=True)
        ]
    )
    return OptionProjection(committed, committed - resized, None)
