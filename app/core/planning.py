"""Procurement planner: the cheapest mix of GPU types, ways of paying and API overflow that
serves a workload within its latency targets and the buyer's limits.

Requests are split into length buckets (app/core/length_buckets.py); every configuration's
capacity is modelled per bucket; the split of buckets over pools, the purchase modes layered
over the daily curve and the instance counts are solved together as one mixed-integer
programme with HiGHS (app/core/planning_model.py), under a time limit, reporting the gap.
A limit that binds is relaxed and the programme solved again to say what it costs; when the
limits admit no plan at all, each is lifted in turn to name the one(s) at fault.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from app.core.api_cost import ApiCost, ApiPriceSpec, api_cost
from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.errors import EstimationError
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.length_buckets import LengthBucket, bucket_workload
from app.core.milp import COMPONENTS, Solution
from app.core.planning_limits import limit_usage, smallest_unit
from app.core.planning_model import (
    AVAILABLE_PREFIX,
    MAX_SPOT_SHARE,
    POWER_CAP,
    UPFRONT_BUDGET,
    PlanDemand,
    PlanLimitsSpec,
    PlanModel,
    PoolColumns,
    build_model,
)
from app.core.planning_pools import PlanPools, SingleTypeFleet, best_single_type, build_pools
from app.core.purchasing import PurchaseOptionSpec
from app.core.workload import HOURS_PER_DAY, SECONDS_PER_HOUR, WorkloadSpec

FloatArray = npt.NDArray[np.float64]

#: Wall-clock limit of one planning solve (s); past it the incumbent and its gap are reported.
DEFAULT_TIME_LIMIT_S = 1.0
#: Most re-solves with one limit lifted, per plan (binding limits, or naming infeasible ones),
#: so that a request listing hundreds of limits still answers within a few time limits.
MAX_RELAXED_SOLVES = 8
_EPS = 1e-6


class PlanInfeasibleError(EstimationError):
    """No plan serves the workload within the limits; `limits` names the ones to relax."""


class PlanTimeoutError(EstimationError):
    """The solver found no plan at all within the time limit (raise `time_limit_s`)."""


@dataclass(frozen=True, slots=True, eq=False)
class PlanSpec:
    """Everything one plan needs; `bucket_capacities[b][c]` is candidate c's curve in bucket b."""

    workload: WorkloadSpec
    buckets: tuple[LengthBucket, ...]
    candidates: tuple[SelfHostedCandidateSpec, ...]
    bucket_capacities: tuple[tuple[ReplicaCapacitySpec | None, ...], ...]
    assumptions: CostAssumptionsSpec
    policy: SizingPolicySpec
    limits: PlanLimitsSpec = field(default_factory=PlanLimitsSpec)
    api_overflow: ApiPriceSpec | None = None
    api_prices: tuple[ApiPriceSpec, ...] = ()
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    mip_rel_gap: float = 0.0


@dataclass(frozen=True, slots=True)
class PlannedPool:
    """One line of the plan: what to buy or rent, how many, and what it serves."""

    candidate_index: int
    option: PurchaseOptionSpec
    held: bool  # held all day (committed, owned) or following the curve (on-demand, spot)
    serving_replicas_by_hour: tuple[int, ...]  # 24 values, hour 0 first
    replicas_by_hour: tuple[int, ...]  # with spares, spot extra capacity and zones
    instances_by_hour: tuple[int, ...]
    gpus_by_hour: tuple[int, ...]
    requests_per_day_by_bucket: tuple[float, ...]  # interactive + batch it serves
    monthly_cost_usd: float
    breakdown: dict[str, float]
    power_kw: float  # owned: (GPU + server) x PUE at full load
    upfront_usd: float  # owned: purchase of GPUs and servers


@dataclass(frozen=True, slots=True)
class BindingLimit:
    """A limit the plan runs into, and the monthly saving if it were lifted (USD/month)."""

    limit: str
    used: float
    allowed: float
    saving_usd_per_month: float | None  # None: the relaxed programme found no answer in time


@dataclass(frozen=True, slots=True, eq=False)
class PlanResult:
    monthly_cost_usd: float
    breakdown: dict[str, float]
    pools: tuple[PlannedPool, ...]
    api_requests_per_day_by_bucket: tuple[float, ...]
    api_requests_per_s_by_hour: tuple[float, ...]
    solver_status: str  # optimal, or time_limit (best plan found, gap below)
    optimality_gap: float
    solve_time_s: float
    best_single_type: SingleTypeFleet | None
    best_single_type_candidate: int | None
    best_single_type_option: PurchaseOptionSpec | None
    best_single_type_within_limits: bool
    api_costs: tuple[ApiCost, ...]
    binding_limits: tuple[BindingLimit, ...]


@dataclass(frozen=True, slots=True, eq=False)
class _Problem:
    pools: PlanPools
    rows: npt.NDArray[np.intp]
    demand: PlanDemand
    hour_period: npt.NDArray[np.intp]


def plan(spec: PlanSpec) -> PlanResult:
    """Cheapest plan (USD/month) for the workload under the limits, solved with HiGHS."""
    problem = _problem(spec)
    model, solution = _solve(problem, spec.limits, spec)
    if solution.status not in ("optimal", "time_limit"):
        raise _diagnose(problem, spec, solution.status)
    result = _extract(problem, spec, model, solution)
    binding = _binding_limits(problem, spec, model, solution)
    return replace(result, binding_limits=binding)


def _problem(spec: PlanSpec) -> _Problem:
    w = spec.workload
    pools = build_pools(
        spec.candidates,
        spec.bucket_capacities,
        w,
        spec.buckets,
        spec.assumptions,
        spec.policy,
    )
    t = pools.table
    levels, hour_period, counts = np.unique(t.shares, return_inverse=True, return_counts=True)
    shares = np.array([b.request_share for b in spec.buckets])
    interactive = w.requests_per_day * (1 - w.batch_share) * shares[:, None] * levels[None, :]
    batch = w.requests_per_day * w.batch_share * shares
    api_int = api_batch = None
    if spec.api_overflow is not None:
        per_bucket = [
            api_cost(
                spec.api_overflow,
                replace(bucket_workload(w, b), input_tokens_p95=None),
                requests_per_day=1.0,
                discount_share=spec.assumptions.api_discount_share,
            )
            for b in spec.buckets
        ]
        api_int = np.array([c.usd_per_request_interactive for c in per_bucket])
        api_batch = np.array([c.usd_per_request_batch for c in per_bucket])
    demand = PlanDemand(
        interactive_rps=interactive / SECONDS_PER_HOUR,
        batch_requests_per_day=batch,
        period_hours=counts.astype(np.float64),
        requests_per_day=w.requests_per_day,
        api_usd_per_request=api_int,
        api_usd_per_batch_request=api_batch,
    )
    if api_int is None:
        for b, bucket in enumerate(spec.buckets):
            if not (pools.interactive_rps[:, b] > 0).any() and bucket.request_share > 0:
                raise PlanInfeasibleError(
                    f"no configuration serves length bucket {b} (inputs of "
                    f"{bucket.input_tokens_min:.0f}-{bucket.input_tokens_max:.0f} tokens) within "
                    "the latency targets (or holds such requests in memory at all), and no API "
                    "overflow is allowed",
                    limits=["latency"],
                    bucket=b,
                )
    return _Problem(pools, np.flatnonzero(pools.usable), demand, hour_period.astype(np.intp))


def _solve(problem: _Problem, limits: PlanLimitsSpec, spec: PlanSpec) -> tuple[PlanModel, Solution]:
    model = build_model(problem.pools, problem.rows, problem.demand, limits)
    solution = model.builder.solve(time_limit_s=spec.time_limit_s, mip_rel_gap=spec.mip_rel_gap)
    return model, solution


def _diagnose(
    problem: _Problem, spec: PlanSpec, status: str
) -> PlanInfeasibleError | PlanTimeoutError:
    if status == "time_limit_no_solution":
        return PlanTimeoutError(
            f"no plan found within the time limit of {spec.time_limit_s} s; raise time_limit_s",
            time_limit_s=spec.time_limit_s,
        )
    keys = spec.limits.keys()
    if status != "infeasible" or not keys:
        return PlanInfeasibleError(
            f"the planner found no plan (solver status {status})", limits=[], status=status
        )
    culprits = [
        key
        for key in keys[:MAX_RELAXED_SOLVES]
        if _solve(problem, spec.limits.without(key), spec)[1].status in ("optimal", "time_limit")
    ]
    if not culprits:
        culprits = list(keys)  # only lifting several together (or an unchecked one) helps
    names = ", ".join(culprits)
    return PlanInfeasibleError(
        f"no plan serves the workload within the limits; relax {names}",
        limits=culprits,
    )


def _binding_limits(
    problem: _Problem, spec: PlanSpec, model: PlanModel, solution: Solution
) -> tuple[BindingLimit, ...]:
    limits = spec.limits
    allowed: dict[str, float] = {
        AVAILABLE_PREFIX + k: float(v) for k, v in limits.available_instances
    }
    for key in (POWER_CAP, UPFRONT_BUDGET, MAX_SPOT_SHARE):
        value = getattr(limits, key)
        if value is not None:
            allowed[key] = float(value)
    if not allowed:
        return ()
    used = limit_usage(problem.pools, problem.demand, limits, model, solution.values)
    t = problem.pools.table
    owned_rows = [p.row for p in model.pools if t.owned[p.row]]
    # A cap binds when one more of its smallest unit would not fit under it.
    step = {
        POWER_CAP: smallest_unit(problem.pools.kw_per_gpu, t.gpus_per_instance, owned_rows),
        UPFRONT_BUDGET: smallest_unit(
            problem.pools.capex_usd_per_gpu, t.gpus_per_instance, owned_rows
        ),
        MAX_SPOT_SHARE: _EPS,
    }
    at_cap = {key: used[key] >= cap - step.get(key, 0.5) for key, cap in allowed.items()}
    # Limits at their cap are lifted first; past MAX_RELAXED_SOLVES they are listed unpriced.
    order = sorted(allowed, key=lambda key: not at_cap[key])
    out = []
    for position, key in enumerate(order):
        saving = None
        if position < MAX_RELAXED_SOLVES:
            # Whole instances make a limit cost money even below its cap (the next instance
            # would not fit), so each limit is lifted once and kept when that saves money.
            relaxed = _solve(problem, limits.without(key), spec)[1]
            if relaxed.status in ("optimal", "time_limit"):
                saving = max(solution.objective_usd - relaxed.objective_usd, 0.0)
            elif not at_cap[key]:
                continue
        elif not at_cap[key]:
            continue
        if at_cap[key] or saving is None or saving > _EPS * max(solution.objective_usd, 1.0):
            out.append(BindingLimit(key, used[key], allowed[key], saving))
    return tuple(out)


def _planned_pool(
    problem: _Problem, buckets: int, p: PoolColumns, values: FloatArray, costs: FloatArray
) -> PlannedPool:
    """One pool of the solution, hour by hour."""
    pools, demand = problem.pools, problem.demand
    t = pools.table
    by_period = [sum(values[c] * coef for c, coef in expr.items()) for expr in p.instances]
    serving = [math.ceil(values[c] - _EPS) for c in p.serving]
    per_zone = [math.ceil(values[c] - _EPS) for c in p.replicas_per_zone]
    level = [0] * HOURS_PER_DAY if p.held else [int(k) for k in problem.hour_period.tolist()]
    instances = tuple(round(by_period[level[h]]) for h in range(HOURS_PER_DAY))
    gpi = int(t.gpus_per_instance[p.row])
    served = np.zeros(buckets)
    for (b, k), col in p.interactive.items():
        served[b] += values[col] * demand.period_hours[k] * SECONDS_PER_HOUR
    for b, col in p.batch.items():
        served[b] += values[col]
    pool_costs = costs[p.columns].sum(axis=0)
    gpus_peak = max(instances) * gpi
    return PlannedPool(
        candidate_index=int(t.candidate_index[p.row]),
        option=t.options[p.row],
        held=p.held,
        serving_replicas_by_hour=tuple(serving[level[h]] for h in range(HOURS_PER_DAY)),
        replicas_by_hour=tuple(per_zone[level[h]] * int(t.zones) for h in range(HOURS_PER_DAY)),
        instances_by_hour=instances,
        gpus_by_hour=tuple(n * gpi for n in instances),
        requests_per_day_by_bucket=tuple(served.tolist()),
        monthly_cost_usd=float(pool_costs.sum()),
        breakdown=_breakdown(pool_costs),
        power_kw=gpus_peak * float(pools.kw_per_gpu[p.row]),
        upfront_usd=gpus_peak * float(pools.capex_usd_per_gpu[p.row]),
    )


def _extract(problem: _Problem, spec: PlanSpec, model: PlanModel, solution: Solution) -> PlanResult:
    values = solution.values
    costs = model.builder.component_matrix() * values[:, None]
    pools, demand = problem.pools, problem.demand
    t = pools.table
    hour_period = problem.hour_period
    buckets = len(spec.buckets)
    planned = [
        _planned_pool(problem, buckets, p, values, costs)
        for p in model.pools
        if values[p.used] >= 0.5
    ]
    planned.sort(key=lambda pool: -pool.monthly_cost_usd)
    api_by_bucket = np.zeros(buckets)
    api_by_period = np.zeros(demand.period_hours.size)
    for (b, k), col in model.api_interactive.items():
        api_by_bucket[b] += values[col] * demand.period_hours[k] * SECONDS_PER_HOUR
        api_by_period[k] += values[col]
    for b, col in model.api_batch.items():
        api_by_bucket[b] += values[col]
    w = spec.workload
    single = best_single_type(
        pools, np.array([b.request_share for b in spec.buckets]), w.requests_per_day
    )
    total = costs.sum(axis=0)
    return PlanResult(
        monthly_cost_usd=float(total.sum()),
        breakdown=_breakdown(total),
        pools=tuple(planned),
        api_requests_per_day_by_bucket=tuple(api_by_bucket.tolist()),
        api_requests_per_s_by_hour=tuple(float(api_by_period[k]) for k in hour_period),
        solver_status=solution.status,
        optimality_gap=solution.mip_gap,
        solve_time_s=solution.solve_time_s,
        best_single_type=single,
        best_single_type_candidate=None if single is None else int(t.candidate_index[single.row]),
        best_single_type_option=None if single is None else t.options[single.row],
        best_single_type_within_limits=single is not None
        and _single_within_limits(pools, spec.limits, single),
        api_costs=tuple(
            api_cost(p, w, discount_share=spec.assumptions.api_discount_share)
            for p in spec.api_prices
        ),
        binding_limits=(),
    )


def _breakdown(components: FloatArray) -> dict[str, float]:
    return {name: float(v) for name, v in zip(COMPONENTS, components.tolist(), strict=True)}


def _single_within_limits(
    pools: PlanPools, limits: PlanLimitsSpec, single: SingleTypeFleet
) -> bool:
    """Whether the single-type fleet would also respect the plan's limits."""
    t, row = pools.table, single.row
    label = t.options[row].offering_slug
    for name, count in limits.available_instances:
        if name == label and single.instances > count:
            return False
    if t.owned[row]:
        if (
            limits.power_cap_kw is not None
            and single.gpus * pools.kw_per_gpu[row] > limits.power_cap_kw
        ):
            return False
        budget = limits.upfront_budget_usd
        if budget is not None and single.gpus * pools.capex_usd_per_gpu[row] > budget:
            return False
    return not (pools.spot[row] and limits.max_spot_share is not None and limits.max_spot_share < 1)
