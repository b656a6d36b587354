"""Monthly cost of self-hosted fleets: purchase modes, power, hosting, staff and overhead.

Every self-hosted option (candidate x purchase option) becomes one row of an `OptionTable`
(structure of numpy arrays) so that costs for thousands of options and many volumes are
computed in a few vectorised passes. Formulas and default values: docs/economics.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.core.arrays import BoolArray, FloatArray, IntArray
from app.core.errors import InvalidEstimateInputError
from app.core.fleet import (
    ReplicaCapacity,
    ReplicaCapacitySpec,
    SizingPolicySpec,
    instances_for_replicas,
    replica_capacities,
    replicas_per_zone,
)
from app.core.purchasing import AUTOSCALED_MODES, PurchaseMode, PurchaseOptionSpec
from app.core.workload import (
    DAYS_PER_MONTH,
    HOURS_PER_DAY,
    HOURS_PER_MONTH,
    MONTHS_PER_YEAR,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    WATTS_PER_KW,
    WorkloadSpec,
    hourly_shares,
)


@dataclass(frozen=True, slots=True)
class CostAssumptionsSpec:
    """Site, staff and discount assumptions. Defaults are placeholders to override; sources
    in docs/economics.md."""

    api_discount_share: float = 0.0
    cloud_discount_share: float = 0.0
    pue: float = 1.58  # Uptime Institute Global Data Center Survey 2023 industry average
    usd_per_kwh: float = 0.13  # EIA US commercial-sector average retail price, 2023-24
    hosting_usd_per_kw_month: float = 163.44  # CBRE NA Data Center Trends H2 2023, 250-500 kW
    # Server power beyond the GPUs (CPUs, memory, NICs, fans) as a share of GPU TDP:
    # NVIDIA DGX H100 is 10.2 kW max for 8 x 700 W GPUs -> 10.2 / 5.6 - 1 = 0.82.
    host_power_overhead_share: float = 0.82
    # Power drawn by an idle server, as a share of its maximum (linear idle-to-peak model).
    idle_power_share: float = 0.3
    staff_fte: float = 0.5
    staff_usd_per_fte_year: float = 200_000.0
    # Networking, storage, monitoring, egress and tooling as a share of compute + power + hosting.
    ops_overhead_share: float = 0.1
    # Annual cost of capital for owned hardware (0 = straight-line amortisation).
    cost_of_capital_per_year: float = 0.0

    def __post_init__(self) -> None:
        for name in ("api_discount_share", "cloud_discount_share", "idle_power_share"):
            value = getattr(self, name)
            if not (0.0 <= value < 1.0 or (name == "idle_power_share" and value == 1.0)):
                raise InvalidEstimateInputError(f"{name} must be within [0, 1)", value=value)
        if self.pue < 1.0:
            raise InvalidEstimateInputError("PUE is at least 1", pue=self.pue)
        for name in (
            "usd_per_kwh",
            "hosting_usd_per_kw_month",
            "host_power_overhead_share",
            "staff_fte",
            "staff_usd_per_fte_year",
            "ops_overhead_share",
            "cost_of_capital_per_year",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidEstimateInputError(f"{name} must be >= 0", value=value)


@dataclass(frozen=True, slots=True)
class SelfHostedCandidateSpec:
    """One open model on one GPU type at one TP degree and precision, with its buy options.

    `capacity` is None when the service layer already knows the candidate cannot run (say
    the weights do not fit); `infeasible_reason` then says why.
    """

    label: str
    open_model_slug: str
    gpu_slug: str
    tensor_parallel: int
    precision: str
    gpu_tdp_w: float
    capacity: ReplicaCapacitySpec | None
    purchase_options: tuple[PurchaseOptionSpec, ...]
    infeasible_reason: str | None = None


def owned_usd_per_gpu_month(option: PurchaseOptionSpec, cost_of_capital_per_year: float) -> float:
    """Capital cost of one owned GPU (plus its server share) per month (USD/GPU-month).

    Straight-line over the amortisation period, or the level annuity payment when a cost of
    capital is given: P * r / (1 - (1 + r)^-n) with monthly rate r and n months.
    """
    capex = (option.purchase_usd_per_gpu or 0.0) + option.server_usd_per_gpu
    months = option.amortization_years * MONTHS_PER_YEAR
    rate = cost_of_capital_per_year / MONTHS_PER_YEAR
    if rate == 0.0:
        return capex / months
    return float(capex * rate / (1.0 - (1.0 + rate) ** (-months)))


@dataclass(frozen=True, slots=True, eq=False)
class OptionTable:
    """Every (candidate, purchase option) pair as parallel arrays; row i is one option."""

    candidate_index: IntArray
    options: tuple[PurchaseOptionSpec, ...]
    capacities: tuple[ReplicaCapacity, ...]
    feasible: BoolArray
    reasons: tuple[str | None, ...]
    autoscaled: BoolArray
    owned: BoolArray
    interactive_rps: FloatArray  # per serving replica, after headroom
    operating_rps: FloatArray
    batch_rps: FloatArray
    gpus_per_replica: FloatArray
    gpus_per_instance: FloatArray
    capacity_factor: FloatArray  # 1 + spot extra capacity, else 1
    usd_per_instance_hour: FloatArray  # cloud, after discount; 0 when owned
    usd_per_instance_month_fixed: FloatArray  # held 24/7: cloud x 730.5 h or owned capex
    usd_per_gpu_month_idle_power: FloatArray
    usd_per_busy_gpu_s_power: FloatArray
    usd_per_gpu_month_hosting: FloatArray
    usd_per_month_staff: FloatArray
    overhead_share: float
    shares: FloatArray  # 24 hourly shares of interactive traffic
    unique_shares: FloatArray  # distinct hourly shares, and how many hours have each
    share_hours: FloatArray
    batch_share: float
    redundancy_replicas: float
    zones: float
    min_serving_replicas: float
    # Serving replicas per request/day: held fleets (peak hour and daily work), and
    # autoscaled fleets per unit of hourly share.
    kappa_held: FloatArray
    kappa_hour: FloatArray

    @property
    def size(self) -> int:
        return len(self.options)


def _sized_capacities(
    candidates: tuple[SelfHostedCandidateSpec, ...],
    workload: WorkloadSpec,
    policy: SizingPolicySpec,
) -> list[ReplicaCapacity]:
    """Each candidate's replica sized against the targets once (all in one vectorised pass)."""
    with_curve = [c.capacity for c in candidates if c.capacity is not None]
    sized = iter(replica_capacities(with_curve, workload, policy))
    capacities: list[ReplicaCapacity] = []
    for candidate in candidates:
        if candidate.capacity is None:
            reason = candidate.infeasible_reason or "no capacity curve"
            capacities.append(ReplicaCapacity(False, reason, 1, 0, 0, 0, 0, math.nan, math.nan))
        else:
            capacities.append(next(sized))
    return capacities


@dataclass(frozen=True, slots=True, eq=False)
class _UnitPrices:
    """Per option: what one instance, GPU or busy GPU-second costs (USD)."""

    per_instance_hour: FloatArray  # cloud, after discount; 0 when owned
    per_instance_month_fixed: FloatArray  # held 24/7: cloud x 730.5 h, or owned capex
    per_gpu_month_idle_power: FloatArray
    per_busy_gpu_s_power: FloatArray
    per_gpu_month_hosting: FloatArray


def _unit_prices(
    options: list[PurchaseOptionSpec], tdp_w: FloatArray, assumptions: CostAssumptionsSpec
) -> _UnitPrices:
    a = assumptions
    owned = np.array([o.mode is PurchaseMode.OWNED for o in options], dtype=np.bool_)
    gpus_per_instance = np.array([float(o.gpus_per_instance) for o in options])
    kw_per_gpu = tdp_w * (1.0 + a.host_power_overhead_share) / WATTS_PER_KW
    owned_month = np.array(
        [
            owned_usd_per_gpu_month(o, a.cost_of_capital_per_year)
            if o.mode is PurchaseMode.OWNED
            else 0.0
            for o in options
        ]
    )
    cloud_hour = np.array([o.cloud_usd_per_instance_hour for o in options])
    cloud_hour = cloud_hour * (1.0 - a.cloud_discount_share)
    kwh_per_gpu_hour = kw_per_gpu * a.pue
    return _UnitPrices(
        per_instance_hour=np.where(owned, 0.0, cloud_hour),
        per_instance_month_fixed=np.where(
            owned, owned_month * gpus_per_instance, cloud_hour * HOURS_PER_MONTH
        ),
        per_gpu_month_idle_power=np.where(
            owned, kwh_per_gpu_hour * a.idle_power_share * HOURS_PER_MONTH * a.usd_per_kwh, 0.0
        ),
        per_busy_gpu_s_power=np.where(
            owned,
            kwh_per_gpu_hour * (1.0 - a.idle_power_share) * a.usd_per_kwh / SECONDS_PER_HOUR,
            0.0,
        ),
        per_gpu_month_hosting=np.where(owned, kw_per_gpu * a.hosting_usd_per_kw_month, 0.0),
    )


def _replicas_per_request_per_day(
    workload: WorkloadSpec,
    shares: FloatArray,
    interactive_rps: FloatArray,
    batch_rps: FloatArray,
    feasible: BoolArray,
) -> tuple[FloatArray, FloatArray]:
    """Serving replicas per request/day: held fleets (enough for the peak hour and for the
    whole day's work) and autoscaled fleets per unit of hourly share."""
    batch = workload.batch_share
    with np.errstate(divide="ignore", invalid="ignore"):
        peak = (1.0 - batch) * float(shares.max()) / (SECONDS_PER_HOUR * interactive_rps)
        daily = (
            (1.0 - batch) / interactive_rps + (batch / batch_rps if batch > 0 else 0.0)
        ) / SECONDS_PER_DAY
        per_share = (1.0 - batch) / (SECONDS_PER_HOUR * interactive_rps)
    # Infeasible rows get harmless zeros here; their totals are set to +inf afterwards.
    return np.where(feasible, np.maximum(peak, daily), 0.0), np.where(feasible, per_share, 0.0)


def build_option_table(
    candidates: tuple[SelfHostedCandidateSpec, ...],
    workload: WorkloadSpec,
    assumptions: CostAssumptionsSpec,
    policy: SizingPolicySpec,
) -> OptionTable:
    """Flatten candidates x purchase options into vectorisable arrays (capacity sized once)."""
    capacities = _sized_capacities(candidates, workload, policy)
    rows = [
        (index, option, capacities[index], candidate)
        for index, candidate in enumerate(candidates)
        for option in candidate.purchase_options
    ]
    options = [row[1] for row in rows]
    row_capacities = [row[2] for row in rows]
    reasons = tuple(candidate.infeasible_reason or cap.reason for _, _, cap, candidate in rows)
    feasible = np.array(
        [
            reason is None and cap.feasible
            for reason, cap in zip(reasons, row_capacities, strict=True)
        ],
        dtype=np.bool_,
    )
    prices = _unit_prices(options, np.array([row[3].gpu_tdp_w for row in rows]), assumptions)

    def column(values: list[float]) -> FloatArray:
        return np.array(values, dtype=np.float64)

    interactive_rps = column([c.interactive_requests_per_s for c in row_capacities])
    batch_rps = column([c.batch_requests_per_s for c in row_capacities])
    shares = hourly_shares(workload)
    unique_shares, hours_with_share = np.unique(shares, return_counts=True)
    kappa_held, kappa_hour = _replicas_per_request_per_day(
        workload, shares, interactive_rps, batch_rps, feasible
    )
    spot = np.array([o.mode is PurchaseMode.SPOT for o in options], dtype=np.bool_)
    staff_usd_per_month = (
        assumptions.staff_fte * assumptions.staff_usd_per_fte_year / MONTHS_PER_YEAR
    )
    return OptionTable(
        candidate_index=np.array([row[0] for row in rows], dtype=np.intp),
        options=tuple(options),
        capacities=tuple(row_capacities),
        feasible=feasible,
        reasons=reasons,
        autoscaled=np.array([o.mode in AUTOSCALED_MODES for o in options], dtype=np.bool_),
        owned=np.array([o.mode is PurchaseMode.OWNED for o in options], dtype=np.bool_),
        interactive_rps=interactive_rps,
        operating_rps=column([c.operating_requests_per_s for c in row_capacities]),
        batch_rps=batch_rps,
        gpus_per_replica=column([float(c.gpus_per_replica) for c in row_capacities]),
        gpus_per_instance=column([float(o.gpus_per_instance) for o in options]),
        capacity_factor=np.where(spot, 1.0 + policy.spot_extra_capacity_share, 1.0),
        usd_per_instance_hour=prices.per_instance_hour,
        usd_per_instance_month_fixed=prices.per_instance_month_fixed,
        usd_per_gpu_month_idle_power=prices.per_gpu_month_idle_power,
        usd_per_busy_gpu_s_power=prices.per_busy_gpu_s_power,
        usd_per_gpu_month_hosting=prices.per_gpu_month_hosting,
        usd_per_month_staff=np.full(len(rows), staff_usd_per_month),
        overhead_share=assumptions.ops_overhead_share,
        shares=shares,
        unique_shares=unique_shares,
        share_hours=hours_with_share.astype(np.float64),
        batch_share=workload.batch_share,
        redundancy_replicas=float(workload.redundancy_replicas),
        zones=float(workload.zones),
        min_serving_replicas=float(policy.min_serving_replicas),
        kappa_held=kappa_held,
        kappa_hour=kappa_hour,
    )


@dataclass(frozen=True, slots=True, eq=False)
class FleetCosts:
    """Monthly cost components (USD/month) and fleet figures for paired (option, volume) rows."""

    compute: FloatArray
    power: FloatArray
    hosting: FloatArray
    staff: FloatArray
    overhead: FloatArray
    total: FloatArray
    peak_serving_replicas: FloatArray
    peak_replicas: FloatArray
    peak_instances: FloatArray
    peak_gpus: FloatArray
    average_gpus: FloatArray
    average_utilisation: FloatArray  # busy replica-time over held replica-time
    gpu_utilisation: FloatArray  # busy GPU-time over bought (held or rented) GPU-time


def fixed_fleet_costs(
    table: OptionTable,
    idx: IntArray,
    serving: FloatArray,
    busy_replica_s_per_day: FloatArray,
) -> FleetCosts:
    """Costs of held-24/7 fleets with `serving` replicas doing that much busy work per day."""
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
    staff = np.where(serving > 0, table.usd_per_month_staff[idx], 0.0)
    overhead = (compute + power + hosting) * table.overhead_share
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(replicas > 0, busy_replica_s_per_day / (replicas * SECONDS_PER_DAY), 0.0)
        gpu_util = np.where(gpus > 0, busy_replica_s_per_day * gpr / (gpus * SECONDS_PER_DAY), 0.0)
    return FleetCosts(
        compute=compute,
        power=power,
        hosting=hosting,
        staff=staff,
        overhead=overhead,
        total=compute + power + hosting + staff + overhead,
        peak_serving_replicas=serving,
        peak_replicas=replicas,
        peak_instances=instances,
        peak_gpus=gpus,
        average_gpus=gpus.astype(np.float64),
        average_utilisation=util,
        gpu_utilisation=gpu_util,
    )


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


def _busy_replica_s_per_day(table: OptionTable, idx: IntArray, v: FloatArray) -> FloatArray:
    """Replica-seconds per day spent serving: interactive at the operating point, batch at
    the best throughput."""
    beta = table.batch_share
    with np.errstate(divide="ignore", invalid="ignore"):
        busy = v * (1.0 - beta) / table.operating_rps[idx]
        if beta > 0:
            busy = busy + v * beta / table.batch_rps[idx]
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
    return fixed_fleet_costs(table, idx, serving, busy)


def _autoscaled_costs(table: OptionTable, si: IntArray, sv: FloatArray) -> FleetCosts:
    # Replicas follow each distinct hourly level; batch runs on extra replica-hours billed
    # per second (no rounding), see docs/economics.md.
    beta = table.batch_share
    factor = table.capacity_factor[si]
    with np.errstate(divide="ignore", invalid="ignore"):
        need = (sv * table.kappa_hour[si])[:, None] * table.unique_shares[None, :]
        serving_h = np.maximum(table.min_serving_replicas, np.ceil(need))
        serving_h = np.ceil(serving_h * factor[:, None])
    q = replicas_per_zone(serving_h, table.redundancy_replicas, table.zones)
    gpr, gpi = table.gpus_per_replica[si], table.gpus_per_instance[si]
    inst_h = instances_for_replicas(q, gpr[:, None], gpi[:, None]) * table.zones
    hours = table.share_hours
    inst_hours_day = inst_h @ hours
    if beta > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            batch_replica_h = sv * beta / (table.batch_rps[si] * SECONDS_PER_HOUR) * factor
    else:
        batch_replica_h = np.zeros_like(sv)
    batch_inst_h = batch_replica_h * gpr / gpi
    compute = (inst_hours_day + batch_inst_h) * table.usd_per_instance_hour[si] * DAYS_PER_MONTH
    staff = table.usd_per_month_staff[si]
    overhead = compute * table.overhead_share
    replica_hours_day = (q @ hours) * table.zones + batch_replica_h
    busy_replica_s = _busy_replica_s_per_day(table, si, sv)
    gpu_hours_day = (inst_hours_day + batch_inst_h) * gpi
    with np.errstate(divide="ignore", invalid="ignore"):
        util = busy_replica_s / (replica_hours_day * SECONDS_PER_HOUR)
        gpu_util = np.where(
            gpu_hours_day > 0, busy_replica_s * gpr / (gpu_hours_day * SECONDS_PER_HOUR), 0.0
        )
    zeros = np.zeros_like(sv)
    # unique_shares is sorted ascending and every step above is non-decreasing in the share,
    # so the last column is the peak hour (cheaper than a row-wise max).
    peak_instances = inst_h[:, -1]
    return FleetCosts(
        compute=compute,
        power=zeros,
        hosting=zeros,
        staff=staff,
        overhead=overhead,
        total=compute + staff + overhead,
        peak_serving_replicas=serving_h[:, -1],
        peak_replicas=q[:, -1] * table.zones,
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
            j = np.unique(np.round(np.geomspace(j_lo, j_hi, per_rate)))
            parts.append(j / rate)
        else:
            parts.append(np.arange(j_lo, j_hi + 1, dtype=np.float64) / rate)
    if not parts:
        return np.empty(0)
    edges = np.unique(np.concatenate(parts))
    return edges[(edges > lo) & (edges < hi)]
