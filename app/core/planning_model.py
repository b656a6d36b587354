"""The procurement planner's mixed-integer programme (docs/plans.md has the full statement).

For every usable pool p (configuration x way of paying) and every traffic period k (hours of
the day with the same traffic share; w_k hours each), with buckets b:

    x[p,b,k] >= 0  interactive req/s of bucket b that p serves in period k
    y[p,b]   >= 0  batch requests/day of bucket b that p serves
    u[p]     in {0,1}  the pool exists (staff, minimum and spare replicas)

Held pools (committed, owned) keep n[p] serving replicas all day; autoscaled pools (on-demand,
spot) keep r[p,k] in period k, and spot pools hold ceil(f x r) replicas (f = 1 + spot extra
capacity). Both then follow the estimate's rules exactly (app/core/fleet.py): replicas per zone
q >= (serving + k u) / z and q >= serving / (z - 1), whole instances m >= q / replicas-per-
instance. Integrality sits on the instances (and on r for spot): the estimate's nested
ceilings collapse because ceil(ceil(a) / z) = ceil(a / z) for integer z.

    sum_p x[p,b,k] + api[b,k] = demand[b,k]          (every request is served)
    sum_b x[p,b,k] / c[p,b] <= n[p]  (or r[p,k])       (capacity under the latency targets)
    3600 sum_k w_k sum_b x / c + sum_b y / c_batch <= 86400 n   (held pools' daily work)

Costs per unit are those of the option table: instance-months (or instance-hours x w_k x
30.44 days) with idle power, hosting and overhead; busy power per replica-second; one staff
charge when any pool exists; API prices per request of each bucket for overflow. Limits are
rows over the instance expressions: instances of an offering held at once, owned kW, owned
up-front USD, spot share of requests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from app.core.milp import COMPONENTS, INF, MilpBuilder
from app.core.planning_pools import PlanPools
from app.core.workload import DAYS_PER_MONTH, HOURS_PER_DAY, SECONDS_PER_DAY, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

POWER_CAP = "power_cap_kw"
UPFRONT_BUDGET = "upfront_budget_usd"
MAX_SPOT_SHARE = "max_spot_share"
AVAILABLE_PREFIX = "available_instances:"


@dataclass(frozen=True, slots=True)
class PlanLimitsSpec:
    """Limits on the plan; None (or an absent offering) means unlimited."""

    # Instances of a catalog offering (by slug) held at any one time, across purchase modes.
    available_instances: tuple[tuple[str, int], ...] = ()
    power_cap_kw: float | None = None  # owned hardware, (GPU + server) x PUE
    upfront_budget_usd: float | None = None  # owned hardware purchase (GPUs + servers)
    max_spot_share: float | None = None  # of all requests per day

    def keys(self) -> tuple[str, ...]:
        """Names of the limits that are set, e.g. 'power_cap_kw', 'available_instances:x'."""
        keys = [
            k for k in (POWER_CAP, UPFRONT_BUDGET, MAX_SPOT_SHARE) if getattr(self, k) is not None
        ]
        keys += [AVAILABLE_PREFIX + label for label, _ in self.available_instances]
        return tuple(keys)

    def without(self, *keys: str) -> PlanLimitsSpec:
        """The same limits with `keys` lifted."""
        return PlanLimitsSpec(
            available_instances=tuple(
                (label, count)
                for label, count in self.available_instances
                if AVAILABLE_PREFIX + label not in keys
            ),
            power_cap_kw=None if POWER_CAP in keys else self.power_cap_kw,
            upfront_budget_usd=None if UPFRONT_BUDGET in keys else self.upfront_budget_usd,
            max_spot_share=None if MAX_SPOT_SHARE in keys else self.max_spot_share,
        )


@dataclass(frozen=True, slots=True, eq=False)
class PlanDemand:
    """Traffic by bucket and period, and API overflow prices per request of each bucket."""

    interactive_rps: FloatArray  # (buckets, periods), req/s
    batch_requests_per_day: FloatArray  # (buckets,)
    period_hours: FloatArray  # (periods,), hours per day with that traffic level
    requests_per_day: float
    api_usd_per_request: FloatArray | None = None  # (buckets,), None: no API overflow
    api_usd_per_batch_request: FloatArray | None = None


@dataclass(slots=True)
class PoolColumns:
    """Where one pool's variables sit in the programme."""

    row: int
    held: bool
    used: int
    serving: list[int]  # n (one, held) or r_k per period
    replicas_per_zone: list[int]
    instances: list[dict[int, float]]  # per period: total instances as a linear expression
    interactive: dict[tuple[int, int], int] = field(default_factory=dict)  # (bucket, period)
    batch: dict[int, int] = field(default_factory=dict)
    columns: list[int] = field(default_factory=list)


@dataclass(slots=True)
class PlanModel:
    builder: MilpBuilder
    pools: list[PoolColumns]
    api_interactive: dict[tuple[int, int], int]
    api_batch: dict[int, int]
    staff: int | None


def build_model(
    pools: PlanPools, rows: IntArray, demand: PlanDemand, limits: PlanLimitsSpec
) -> PlanModel:
    """The MILP over pools `rows` for `demand` under `limits`."""
    builder = MilpBuilder()
    cols = [_pool_columns(builder, pools, int(i), demand) for i in rows.tolist()]
    buckets, periods = demand.interactive_rps.shape
    api_int: dict[tuple[int, int], int] = {}
    api_batch: dict[int, int] = {}
    if demand.api_usd_per_request is not None and demand.api_usd_per_batch_request is not None:
        for b in range(buckets):
            for k in range(periods):
                usd = demand.period_hours[k] * SECONDS_PER_HOUR * DAYS_PER_MONTH
                api_int[b, k] = builder.column(api=usd * demand.api_usd_per_request[b])
            api_batch[b] = builder.column(
                api=DAYS_PER_MONTH * float(demand.api_usd_per_batch_request[b])
            )
    for b in range(buckets):
        for k in range(periods):
            row = {p.interactive[b, k]: 1.0 for p in cols if (b, k) in p.interactive}
            if (b, k) in api_int:
                row[api_int[b, k]] = 1.0
            target = float(demand.interactive_rps[b, k])
            builder.row(row, target, target)
        if demand.batch_requests_per_day[b] > 0:
            row = {p.batch[b]: 1.0 for p in cols if b in p.batch}
            if b in api_batch:
                row[api_batch[b]] = 1.0
            target = float(demand.batch_requests_per_day[b])
            builder.row(row, target, target)
    staff_usd = float(pools.table.usd_per_month_staff[rows].max()) if rows.size else 0.0
    staff = None
    if cols and staff_usd > 0:
        staff = builder.column(integer=True, upper=1.0, staff=staff_usd)
        for p in cols:
            builder.row({staff: 1.0, p.used: -1.0}, 0.0, INF)
    _limit_rows(builder, pools, cols, demand, limits)
    return PlanModel(builder, cols, api_int, api_batch, staff)


def _pool_columns(
    builder: MilpBuilder, pools: PlanPools, i: int, demand: PlanDemand
) -> PoolColumns:
    """One pool's variables and rows: its fleet (per period or held), then its traffic."""
    held = not bool(pools.table.autoscaled[i])
    used = builder.column(integer=True, upper=1.0)
    pc = PoolColumns(i, held, used, [], [], [])
    weights = [float(HOURS_PER_DAY)] if held else [float(h) for h in demand.period_hours]
    for weight, bound in zip(weights, _serving_bound(pools, i, demand), strict=True):
        _fleet_level(builder, pools, pc, weight, bound)
    daily = _traffic_columns(builder, pools, pc, demand)
    for k in range(demand.period_hours.size):
        cap = pools.interactive_rps[i]
        row = {
            pc.interactive[b, k]: 1.0 / cap[b] for b in range(cap.size) if (b, k) in pc.interactive
        }
        row[pc.serving[0 if held else k]] = -1.0
        builder.row(row, -INF, 0.0)
    if held:
        # Autoscaled batch is billed as extra instance-hours; held batch uses spare time.
        builder.row({**daily, pc.serving[0]: -SECONDS_PER_DAY}, -INF, 0.0)
    pc.columns = list(range(used, len(builder.costs)))
    return pc


def _fleet_level(
    builder: MilpBuilder, pools: PlanPools, pc: PoolColumns, weight_h: float, bound: float
) -> None:
    """Serving replicas, replicas per zone and whole instances for one period (or all day)."""
    t, i, used = pools.table, pc.row, pc.used
    z, n_min = t.zones, t.min_serving_replicas
    gpr, gpi = float(t.gpus_per_replica[i]), float(t.gpus_per_instance[i])
    factor = 1.0 if pc.held else float(t.capacity_factor[i])
    serving = builder.column(integer=factor > 1.0, upper=bound + n_min)
    builder.row({serving: 1.0, used: -n_min}, 0.0, INF)
    builder.row({serving: 1.0, used: -(bound + n_min)}, -INF, 0.0)
    held_replicas = serving
    if factor > 1.0:
        held_replicas = builder.column()
        builder.row({held_replicas: 1.0, serving: -factor}, 0.0, INF)
    unit = {name: usd * z for name, usd in _instance_usd(pools, i, pc.held, weight_h).items()}
    if gpr <= gpi:
        q = builder.column()
        m = builder.column(integer=True, **unit)
        builder.row({m: float(gpi // gpr), q: -1.0}, 0.0, INF)
        instances = {m: z}
    else:
        per_replica = math.ceil(gpr / gpi)
        q = builder.column(integer=True, **{k: v * per_replica for k, v in unit.items()})
        instances = {q: z * per_replica}
    builder.row({q: z, held_replicas: -1.0, used: -t.redundancy_replicas}, 0.0, INF)
    if z >= 2:
        builder.row({q: z - 1.0, held_replicas: -1.0}, 0.0, INF)
    pc.serving.append(serving)
    pc.replicas_per_zone.append(q)
    pc.instances.append(instances)


def _instance_usd(pools: PlanPools, i: int, held: bool, weight_h: float) -> dict[str, float]:
    """Monthly cost of one instance by component: held all month, or `weight_h` hours a day."""
    t = pools.table
    gpi = float(t.gpus_per_instance[i])
    if held:
        compute = float(t.usd_per_instance_month_fixed[i])
        power = gpi * float(t.usd_per_gpu_month_idle_power[i])
        hosting = gpi * float(t.usd_per_gpu_month_hosting[i])
    else:
        compute = float(t.usd_per_instance_hour[i]) * weight_h * DAYS_PER_MONTH
        power = hosting = 0.0
    total = compute + power + hosting
    return {
        "compute": compute,
        "power": power,
        "hosting": hosting,
        "overhead": total * t.overhead_share,
    }


def _traffic_columns(
    builder: MilpBuilder, pools: PlanPools, pc: PoolColumns, demand: PlanDemand
) -> dict[int, float]:
    """The pool's interactive and batch traffic columns; returns their replica-seconds/day."""
    t, i = pools.table, pc.row
    gpr, gpi, share = float(t.gpus_per_replica[i]), float(t.gpus_per_instance[i]), t.overhead_share
    hours = demand.period_hours
    cap = pools.interactive_rps[i]
    busy_usd = gpr * float(t.usd_per_busy_gpu_s_power[i]) * DAYS_PER_MONTH  # per replica-s/day
    daily: dict[int, float] = {}
    for b in np.flatnonzero(cap > 0).tolist():
        op = float(pools.operating_rps[i, b])
        for k in range(hours.size):
            seconds = hours[k] * SECONDS_PER_HOUR / op
            x = builder.column(
                upper=float(demand.interactive_rps[b, k]),
                power=busy_usd * seconds,
                overhead=busy_usd * seconds * share,
            )
            pc.interactive[b, k] = x
            daily[x] = hours[k] * SECONDS_PER_HOUR / cap[b]
        if demand.batch_requests_per_day[b] <= 0:
            continue
        batch_total = float(demand.batch_requests_per_day[b])
        y = builder.column(upper=batch_total)
        # Batch work on a pool means the pool exists (its staff, spares and minimum replicas).
        builder.row({y: 1.0, pc.used: -batch_total}, -INF, 0.0)
        seconds_per_request = 1.0 / float(pools.batch_rps[i, b])
        daily[y] = seconds_per_request
        if pc.held:
            batch_cost = {"power": busy_usd * seconds_per_request}
        else:
            # Autoscaled batch runs on extra instance-hours billed per second (as estimated).
            instance_hours = (
                seconds_per_request / SECONDS_PER_HOUR * float(t.capacity_factor[i]) * gpr / gpi
            )
            batch_cost = {
                "compute": instance_hours * float(t.usd_per_instance_hour[i]) * DAYS_PER_MONTH
            }
        builder.costs[y] = _components(batch_cost, overhead=sum(batch_cost.values()) * share)
        pc.batch[b] = y
    return daily


def _components(parts: dict[str, float], *, overhead: float) -> tuple[float, ...]:
    merged = {**parts, "overhead": overhead}
    return tuple(merged.get(name, 0.0) for name in COMPONENTS)


def _serving_bound(pools: PlanPools, i: int, demand: PlanDemand) -> list[float]:
    """Serving replicas that would carry all traffic on pool i (per period, or one held)."""
    cap = pools.interactive_rps[i]
    ok = cap > 0
    per_period = (demand.interactive_rps[ok] / cap[ok, None]).sum(axis=0)
    if not pools.table.autoscaled[i]:
        batch_ok = pools.batch_rps[i] > 0
        batch_s = (demand.batch_requests_per_day[batch_ok] / pools.batch_rps[i][batch_ok]).sum()
        daily_s = float((per_period * demand.period_hours).sum()) * SECONDS_PER_HOUR + batch_s
        return [float(math.ceil(max(per_period.max(initial=0.0), daily_s / SECONDS_PER_DAY)))]
    return [float(math.ceil(v)) for v in per_period]


def _limit_rows(
    builder: MilpBuilder,
    pools: PlanPools,
    cols: list[PoolColumns],
    demand: PlanDemand,
    limits: PlanLimitsSpec,
) -> None:
    t = pools.table
    periods = demand.period_hours.size
    for label, count in limits.available_instances:
        members = [p for p in cols if t.options[p.row].offering_slug == label]
        for k in range(periods if any(not p.held for p in members) else 1):
            row: dict[int, float] = {}
            for p in members:
                for col, coef in p.instances[0 if p.held else k].items():
                    row[col] = row.get(col, 0.0) + coef
            builder.row(row, -INF, float(count))
    owned = [p for p in cols if t.owned[p.row]]
    for value, per_gpu in (
        (limits.power_cap_kw, pools.kw_per_gpu),
        (limits.upfront_budget_usd, pools.capex_usd_per_gpu),
    ):
        if value is None:
            continue
        row = {}
        for p in owned:
            for col, coef in p.instances[0].items():
                row[col] = coef * float(t.gpus_per_instance[p.row] * per_gpu[p.row])
        builder.row(row, -INF, float(value))
    if limits.max_spot_share is not None:
        row = {}
        for p in cols:
            if not pools.spot[p.row]:
                continue
            for (_, k), col in p.interactive.items():
                row[col] = float(demand.period_hours[k]) * SECONDS_PER_HOUR
            for col in p.batch.values():
                row[col] = 1.0
        builder.row(row, -INF, limits.max_spot_share * demand.requests_per_day)
