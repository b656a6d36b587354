"""Monthly cost of self-hosted fleets: compute, power, hosting, staff, overhead and the
itemised build costs, for paired (option, volume) rows of an `OptionTable`.

Held fleets are sized for the peak hour and the day's work; autoscaled fleets follow each
distinct hourly level. Formulas: docs/economics.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core import fleet_lookup
from app.core.arrays import BoolArray, FloatArray, IntArray
from app.core.fleet import instances_for_replicas, replicas_per_zone
from app.core.infrastructure import INFRASTRUCTURE_ITEMS
from app.core.option_table import OptionTable
from app.core.workload import DAYS_PER_MONTH, HOURS_PER_DAY, SECONDS_PER_DAY, SECONDS_PER_HOUR


@dataclass(frozen=True, slots=True, eq=False)
class FleetCosts:
    """Monthly cost components (USD/month) and fleet figures for paired (option, volume) rows."""

    compute: FloatArray
    power: FloatArray
    hosting: FloatArray
    staff: FloatArray
    overhead: FloatArray
    support: FloatArray
    gateway: FloatArray
    observability: FloatArray
    storage: FloatArray
    egress: FloatArray
    adaptation: FloatArray
    total: FloatArray
    peak_serving_replicas: FloatArray
    peak_replicas: FloatArray
    peak_instances: FloatArray
    peak_gpus: FloatArray
    average_gpus: FloatArray
    average_utilisation: FloatArray  # busy replica-time over held replica-time
    gpu_utilisation: FloatArray  # busy GPU-time over bought (held or rented) GPU-time


#: FleetCosts fields that are monthly cost components; they sum to `total`.
COST_COMPONENTS = (
    "compute",
    "power",
    "hosting",
    "staff",
    "overhead",
    "support",
    *INFRASTRUCTURE_ITEMS,
    "adaptation",
)


@dataclass(frozen=True, slots=True, eq=False)
class BuildRates:
    """The rates `build_costs` prices fleets with, one per row (or broadcastable to them)."""

    staff: FloatArray  # USD/month whenever a fleet exists
    staff_per_gpu: FloatArray
    support_per_gpu: FloatArray
    adaptation: FloatArray
    # Per INFRASTRUCTURE_ITEMS entry: USD/month fixed, per instance and per request/day.
    infrastructure: tuple[tuple[FloatArray, FloatArray, FloatArray], ...]


def build_rates(table: OptionTable, idx: IntArray) -> BuildRates:
    """The build rates of rows `idx` (gathered in its shape)."""
    return BuildRates(
        staff=table.usd_per_month_staff[idx],
        staff_per_gpu=table.usd_per_gpu_month_staff[idx],
        support_per_gpu=table.usd_per_gpu_month_support[idx],
        adaptation=table.usd_per_month_adaptation[idx],
        # One column gathered at a time (`[idx, k]` indexes the 2-D array, far slower).
        infrastructure=tuple(
            (
                table.infra_fixed[:, k].take(idx),
                table.infra_per_instance[:, k].take(idx),
                table.infra_per_request_day[:, k].take(idx),
            )
            for k in range(len(INFRASTRUCTURE_ITEMS))
        ),
    )


def build_costs(
    rates: BuildRates,
    active: BoolArray | None,
    gpus: FloatArray,
    instances: FloatArray,
    requests_per_day: FloatArray,
) -> dict[str, FloatArray]:
    """People, support, infrastructure line items and adaptation of fleets (USD/month).

    `active` marks rows with a fleet at all (None: every row has one); per-request items
    count the whole volume, since the gateway fronts all traffic, hybrids included."""

    # Every row with a fleet (held fleets keep a minimum): no mask to apply.
    every = active is None or bool(active.all())

    def where_active(values: FloatArray) -> FloatArray:
        return values if every or active is None else np.where(active, values, 0.0)

    out = {
        "staff": where_active(rates.staff + rates.staff_per_gpu * gpus),
        "support": gpus * rates.support_per_gpu,
        "adaptation": where_active(rates.adaptation),
    }
    for item, (fixed, per_instance, per_request) in zip(
        INFRASTRUCTURE_ITEMS, rates.infrastructure, strict=True
    ):
        out[item] = where_active(fixed + per_instance * instances + per_request * requests_per_day)
    return out


def overhead_cost(base: FloatArray, share: float) -> FloatArray:
    # No overhead share means none, even on the infinite cost of an infeasible row.
    return base * share if share > 0 else np.zeros_like(base)


def cost_total(parts: dict[str, FloatArray]) -> FloatArray:
    """The components summed in COST_COMPONENTS order (every path sums them so)."""
    total = np.zeros_like(parts["compute"])
    for name in COST_COMPONENTS:
        np.add(total, parts[name], out=total)
    return total


def fixed_fleet_costs(
    table: OptionTable,
    idx: IntArray,
    serving: FloatArray,
    busy_replica_s_per_day: FloatArray,
    requests_per_day: FloatArray | float = 0.0,
) -> FleetCosts:
    """Costs of held-24/7 fleets with `serving` replicas doing that much busy work per day,
    for a workload of `requests_per_day` in all (per-request infrastructure)."""
    parts, replicas, instances, gpus = _fixed_parts(
        table, idx, serving, busy_replica_s_per_day, requests_per_day
    )
    gpr = table.gpus_per_replica[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(replicas > 0, busy_replica_s_per_day / (replicas * SECONDS_PER_DAY), 0.0)
        gpu_util = np.where(gpus > 0, busy_replica_s_per_day * gpr / (gpus * SECONDS_PER_DAY), 0.0)
    return FleetCosts(
        **parts,
        total=cost_total(parts),
        peak_serving_replicas=serving,
        peak_replicas=replicas,
        peak_instances=instances,
        peak_gpus=gpus,
        average_gpus=gpus.astype(np.float64),
        average_utilisation=util,
        gpu_utilisation=gpu_util,
    )


def _fixed_parts(
    table: OptionTable,
    idx: IntArray,
    serving: FloatArray,
    busy_replica_s_per_day: FloatArray,
    requests_per_day: FloatArray | float,
) -> tuple[dict[str, FloatArray], FloatArray, FloatArray, FloatArray]:
    """Cost components of `fixed_fleet_costs`, and its replicas, instances and GPUs."""
    q = replicas_per_zone(serving, table.redundancy_replicas, table.zones)
    replicas = q * table.zones
    gpr, gpi = table.gpus_per_replica[idx], table.gpus_per_instance[idx]
    instances = instances_for_replicas(q, gpr, gpi) * table.zones
    gpus = instances * gpi
    compute = instances * table.usd_per_instance_month_fixed[idx]
    busy_gpu_s_month = busy_replica_s_per_day * gpr * DAYS_PER_MONTH
    power = (
        gpus * table.usd_per_gpu_month_idle_power[idx]
        + busy_gpu_s_month * table.usd_per_busy_gpu_s_power[idx]
    )
    hosting = gpus * table.usd_per_gpu_month_hosting[idx]
    overhead = overhead_cost(compute + power + hosting, table.overhead_share)
    volume = np.broadcast_to(np.asarray(requests_per_day, dtype=np.float64), serving.shape)
    parts = {
        "compute": compute,
        "power": power,
        "hosting": hosting,
        "overhead": overhead,
        **build_costs(build_rates(table, idx), serving > 0, gpus, instances, volume),
    }
    return parts, replicas, instances, gpus


def fleet_costs(table: OptionTable, idx: IntArray, requests_per_day: FloatArray) -> FleetCosts:
    """Monthly costs of options `idx` at volumes `requests_per_day` (paired, same length)."""
    idx = np.asarray(idx, dtype=np.intp)
    v = np.broadcast_to(np.asarray(requests_per_day, dtype=np.float64), idx.shape)
    scaled_rows = table.autoscaled[idx]
    if not scaled_rows.any():
        return _with_infeasible(table, idx, _held_costs(table, idx, v))
    if scaled_rows.all():
        return _with_infeasible(table, idx, _autoscaled_costs(table, idx, v))
    held_rows = ~scaled_rows
    held = _held_costs(table, idx[held_rows], v[held_rows])
    scaled = _autoscaled_costs(table, idx[scaled_rows], v[scaled_rows])
    parts: dict[str, FloatArray] = {}
    for name in FleetCosts.__dataclass_fields__:
        merged = np.empty(idx.shape, dtype=np.float64)
        merged[held_rows] = getattr(held, name)
        merged[scaled_rows] = getattr(scaled, name)
        parts[name] = merged
    return _with_infeasible(table, idx, FleetCosts(**parts))


def fleet_total(table: OptionTable, idx: IntArray, requests_per_day: FloatArray) -> FloatArray:
    """`fleet_costs(table, idx, requests_per_day).total`, the same numbers (the same components
    summed in the same order), without the fleet figures of autoscaled rows."""
    idx = np.asarray(idx, dtype=np.intp)
    v = np.broadcast_to(np.asarray(requests_per_day, dtype=np.float64), idx.shape)
    out = np.empty(idx.shape, dtype=np.float64)
    scaled = table.autoscaled[idx]
    held = ~scaled
    if held.any():
        hi, hv = idx[held], v[held]
        out[held] = cost_total(
            _fixed_parts(table, hi, *held_serving_replicas(table, hi, hv), hv)[0]
        )
    if scaled.any():
        si, sv = idx[scaled], v[scaled]
        (inst_h,) = hourly_fleet(table, si, hourly_levels(table, si, sv), instances_only=True)
        parts, _, _ = autoscaled_parts(table, inst_h, sv, AutoscaledRows.of(table, si))
        out[scaled] = cost_total(parts)
    out[~table.feasible[idx]] = np.inf
    return out


def _busy_replica_s_per_day(table: OptionTable, idx: IntArray, v: FloatArray) -> FloatArray:
    """Replica-seconds per day spent serving: interactive at the operating point, batch at
    the best throughput."""
    return busy_replica_s(table.batch_share, v, table.operating_rps[idx], table.batch_rps[idx])


def busy_replica_s(
    beta: float, v: FloatArray, operating_rps: FloatArray, batch_rps: FloatArray
) -> FloatArray:
    """`_busy_replica_s_per_day` for volumes `v` and the rows' rates (broadcast together)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        busy = v * (1.0 - beta) / operating_rps
        if beta > 0:
            busy = busy + v * beta / batch_rps
    # Only infeasible rows (no throughput) are non-finite; their totals become +inf later.
    return np.where(np.isfinite(busy), busy, 0.0)


def held_serving_replicas(
    table: OptionTable, idx: IntArray, v: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Serving replicas a held fleet needs at volumes `v` (enough for the peak hour and for the
    whole day's work), and the busy replica-seconds per day they do."""
    serving = np.maximum(table.min_serving_replicas, np.ceil(v * table.kappa_held[idx]))
    return serving, _busy_replica_s_per_day(table, idx, v)


def _held_costs(table: OptionTable, idx: IntArray, v: FloatArray) -> FleetCosts:
    serving, busy = held_serving_replicas(table, idx, v)
    return fixed_fleet_costs(table, idx, serving, busy, v)


def hourly_levels(table: OptionTable, si: IntArray, sv: FloatArray) -> FloatArray:
    """Whole replicas needed in each distinct hourly level, before spares: (..., shares)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return levels_at(sv * table.kappa_hour[si], table.unique_shares)


def levels_at(base: FloatArray, shares: FloatArray) -> FloatArray:
    """`hourly_levels` for replicas per unit of hourly share `base`: (*base.shape, shares)."""
    need = np.empty((*base.shape, shares.size))
    with np.errstate(invalid="ignore"):
        # One product per share: numpy broadcasting a short last axis runs far slower.
        for h, share in enumerate(shares):
            np.multiply(base, share, out=need[..., h])
    return np.ceil(need, out=need)


def hour_weighted(per_level: FloatArray, hours: FloatArray) -> FloatArray:
    """`per_level @ hours` over the last axis, as one matrix-vector product (faster than the
    stacked product numpy does for a 3-D array)."""
    flat = np.ascontiguousarray(per_level).reshape(-1, hours.size)
    return (flat @ hours).reshape(per_level.shape[:-1])


def hourly_fleet(
    table: OptionTable, si: IntArray, levels: FloatArray, *, instances_only: bool = False
) -> tuple[FloatArray, ...]:
    """`fleet_lookup.fleet_at_levels` for the rows `si` in each hourly level (`levels` from
    `hourly_levels`, `si` broadcast over its last axis); with `instances_only`, only the
    instances (a one-element tuple). Looked up in `fleet_lookup.fleet_tables` when it pays."""
    si = np.asarray(si, dtype=np.intp)
    lookup = None
    if levels.size >= fleet_lookup.TABULATE_CELLS:
        lowest, highest = float(levels.min()), float(levels.max())
        lookup = fleet_lookup.fleet_tables(table, si, lowest, highest, levels.size)
    if lookup is not None:
        tables, offsets = lookup
        positions = levels.astype(np.intp)
        # One sum per hourly level: broadcasting onto a short last axis runs far slower.
        for h in range(positions.shape[-1]):
            positions[..., h] += offsets
        picked = tables[2:] if instances_only else tables
        return tuple(t.take(positions) for t in picked)
    f, r, i = (p[..., None] for p in fleet_lookup.row_params(table, si))
    fleet = fleet_lookup.fleet_at_levels(table, f, r, i, levels)
    return fleet[2:] if instances_only else fleet


@dataclass(frozen=True, slots=True, eq=False)
class AutoscaledRows:
    """What `autoscaled_parts` reads of each row: its own, or scaled per sample."""

    gpus_per_replica: FloatArray
    gpus_per_instance: FloatArray
    batch_rps: FloatArray
    capacity_factor: FloatArray
    usd_per_instance_hour: FloatArray
    rates: BuildRates

    @staticmethod
    def of(table: OptionTable, si: IntArray) -> AutoscaledRows:
        """The rows `si` of `table`, as they are."""
        return AutoscaledRows(
            table.gpus_per_replica[si],
            table.gpus_per_instance[si],
            table.batch_rps[si],
            table.capacity_factor[si],
            table.usd_per_instance_hour[si],
            build_rates(table, si),
        )


def autoscaled_parts(
    table: OptionTable, inst_h: FloatArray, v: FloatArray, rows: AutoscaledRows
) -> tuple[dict[str, FloatArray], FloatArray, FloatArray]:
    """Cost components of autoscaled fleets with `inst_h` instances in each hourly level, the
    batch replica-hours a day and the instance-hours a day (batch included), for rows given by
    their values (`rows`, broadcast against `v`): the table's own (`AutoscaledRows.of`) or, in
    `sampled_costs.py`, scaled per sample."""
    beta = table.batch_share
    gpr, gpi = rows.gpus_per_replica, rows.gpus_per_instance
    inst_hours_day = hour_weighted(inst_h, table.share_hours)
    if beta > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            batch_replica_h = v * beta / (rows.batch_rps * SECONDS_PER_HOUR) * rows.capacity_factor
    else:
        batch_replica_h = np.zeros(inst_hours_day.shape)
    all_inst_hours = inst_hours_day + batch_replica_h * gpr / gpi
    compute = all_inst_hours * rows.usd_per_instance_hour * DAYS_PER_MONTH
    zeros = np.zeros_like(compute)
    # unique_shares is sorted ascending and every step above is non-decreasing in the share,
    # so the last column is the peak hour (cheaper than a row-wise max).
    peak_instances = inst_h[..., -1]
    # People and hosts are sized for the peak hour; an autoscaled fleet always exists.
    parts = {
        "compute": compute,
        "power": zeros,
        "hosting": zeros,
        "overhead": overhead_cost(compute, table.overhead_share),
        **build_costs(rows.rates, None, peak_instances * gpi, peak_instances, v),
    }
    return parts, batch_replica_h, all_inst_hours


def _autoscaled_costs(table: OptionTable, si: IntArray, sv: FloatArray) -> FleetCosts:
    # Replicas follow each distinct hourly level; batch runs on extra replica-hours billed
    # per second (no rounding), see docs/economics.md.
    serving_h, q, inst_h = hourly_fleet(table, si, hourly_levels(table, si, sv))
    parts, batch_replica_h, all_inst_hours = autoscaled_parts(
        table, inst_h, sv, AutoscaledRows.of(table, si)
    )
    gpr, gpi = table.gpus_per_replica[si], table.gpus_per_instance[si]
    replica_hours_day = hour_weighted(q, table.share_hours) * table.zones + batch_replica_h
    busy_replica_s = _busy_replica_s_per_day(table, si, sv)
    gpu_hours_day = all_inst_hours * gpi
    with np.errstate(divide="ignore", invalid="ignore"):
        util = busy_replica_s / (replica_hours_day * SECONDS_PER_HOUR)
        gpu_util = np.where(
            gpu_hours_day > 0, busy_replica_s * gpr / (gpu_hours_day * SECONDS_PER_HOUR), 0.0
        )
    peak_instances = inst_h[..., -1]
    return FleetCosts(
        **parts,
        total=cost_total(parts),
        peak_serving_replicas=serving_h[..., -1],
        peak_replicas=q[..., -1] * table.zones,
        peak_instances=peak_instances,
        peak_gpus=peak_instances * gpi,
        average_gpus=gpu_hours_day / HOURS_PER_DAY,
        average_utilisation=util,
        gpu_utilisation=gpu_util,
    )


def _with_infeasible(table: OptionTable, idx: IntArray, costs: FleetCosts) -> FleetCosts:
    bad = ~table.feasible[idx]
    if bad.any():
        costs.total[bad] = np.inf
    return costs
