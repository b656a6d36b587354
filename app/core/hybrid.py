"""Hybrid plans: a held self-hosted fleet takes the base load, a hosted API takes the rest.

The split is a small mixed-integer programme solved with HiGHS: integer serving replicas n,
replicas per zone q and instances per zone m, a binary s for "any self-hosting at all"
(staff, redundancy), and continuous hourly overflow o_h and self-served batch b:

    minimise  z*m*U + S*s + K*(busy replica-seconds) + API(o, b)
    s.t.      o_h + c*n >= d_h                         (hourly overflow)
              b/c_b + (3600/c) * sum_h (d_h - o_h) <= 86400*n   (daily replica-seconds)
              z*q >= n + k*s,  (z-1)*q >= n  (z >= 2),  r*m >= q    (redundancy, zones, packing)
              n_min*s <= n <= N*s

`hybrid_costs_by_replicas` evaluates the same model in closed form for every n (the inner LP
for a fixed n is a fractional knapsack), which tests use as a cross-check and projections use
to re-optimise each month cheaply. Formulation details: docs/economics.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import highspy
import numpy as np

from app.core.arrays import FloatArray
from app.core.errors import EstimationError
from app.core.hybrid_bound import fleet_cannot_pay
from app.core.milp import quiet_solver
from app.core.monthly_costs import COST_COMPONENTS, fixed_fleet_costs
from app.core.option_table import OptionTable
from app.core.workload import DAYS_PER_MONTH, SECONDS_PER_DAY, SECONDS_PER_HOUR

#: Wall-clock limit of one hybrid MILP solve (s); the incumbent is used when it is reached.
SOLVER_TIME_LIMIT_S = 0.5


class HybridSolverError(EstimationError):
    """HiGHS did not return an optimal hybrid split."""


@dataclass(frozen=True, slots=True)
class HybridPlan:
    """The cheapest split between one held self-hosted option and one API model."""

    option_index: int
    api_slug: str
    serving_replicas: int
    replicas: int
    instances: int
    gpus: int
    self_hosted_request_share: float
    monthly_cost_usd: float
    breakdown: dict[str, float]
    average_utilisation: float
    gpu_utilisation: float


@dataclass(frozen=True, slots=True, eq=False)
class HybridCosts:
    """Monthly cost components (USD/month) of the hybrid model for each replica count n."""

    serving_replicas: FloatArray
    fleet_total: FloatArray
    fleet_parts: dict[str, FloatArray]  # COST_COMPONENTS of the fleet (compute, staff, ...)
    api: FloatArray
    total: FloatArray
    self_served_requests_per_day: FloatArray
    replicas: FloatArray
    instances: FloatArray
    gpus: FloatArray
    average_utilisation: FloatArray
    gpu_utilisation: FloatArray


#: Components every hybrid breakdown lists; the others only where they cost something.
_BASE_PARTS = frozenset({"compute", "power", "hosting", "staff", "overhead"})


def _demand(table: OptionTable, requests_per_day: float) -> FloatArray:
    return requests_per_day * (1.0 - table.batch_share) * table.shares / SECONDS_PER_HOUR


def max_serving_replicas(table: OptionTable, i: int, requests_per_day: float) -> int:
    """Serving replicas that carry the whole volume self-hosted (count)."""
    kappa = float(table.kappa_held[i])
    return int(max(table.min_serving_replicas, math.ceil(requests_per_day * kappa)))


def hybrid_costs_by_replicas(
    table: OptionTable,
    i: int,
    usd_per_request_interactive: float,
    usd_per_request_batch: float,
    requests_per_day: float,
    serving: FloatArray,
) -> HybridCosts:
    """Hybrid monthly cost for each serving-replica count in `serving` (USD/month)."""
    n = np.asarray(serving, dtype=np.float64)
    d = _demand(table, requests_per_day)  # req/s per hour
    c, c_b, c_op = table.interactive_rps[i], table.batch_rps[i], table.operating_rps[i]
    batch_total = requests_per_day * table.batch_share
    # Marginal monthly power of one busy replica-second (owned fleets only), with overhead.
    k_power = table.gpus_per_replica[i] * table.usd_per_busy_gpu_s_power[i] * DAYS_PER_MONTH
    # Net monthly saving per request/day moved from the API to the fleet.
    gain_int = (
        usd_per_request_interactive * DAYS_PER_MONTH - k_power * (1 + table.overhead_share) / c_op
    )
    gain_batch = usd_per_request_batch * DAYS_PER_MONTH - k_power * (1 + table.overhead_share) / c_b
    capacity_s = SECONDS_PER_DAY * n  # replica-seconds per day
    # Interactive requests the fleet can take hour by hour (req/day), and their replica-seconds.
    int_cap = (np.minimum(d[None, :], c * n[:, None]) * SECONDS_PER_HOUR).sum(axis=1)
    # For a fixed n the rest is a fractional knapsack: the fleet has `capacity_s` replica-
    # seconds a day to fill with interactive requests (1/c seconds each, saving gain_int) and
    # batch requests (1/c_b seconds each, saving gain_batch). The greedy optimum fills by
    # saving per replica-second, gain_int * c against gain_batch * c_b: the better kind first
    # (interactive up to what each hour's demand allows), the other with what is left, and a
    # kind that saves nothing (gain <= 0) not at all.
    if gain_int >= gain_batch * c_b / c:
        x = int_cap if gain_int > 0 else np.zeros_like(n)
        left = capacity_s - x / c
        b = np.clip(left * c_b, 0.0, batch_total) if gain_batch > 0 else np.zeros_like(n)
    else:
        b = np.minimum(capacity_s * c_b, batch_total) if gain_batch > 0 else np.zeros_like(n)
        left = capacity_s - b / c_b
        x = np.minimum(int_cap, np.maximum(left, 0.0) * c) if gain_int > 0 else np.zeros_like(n)
    busy = x / c_op + b / c_b
    idx = np.full(n.shape, i, dtype=np.intp)
    fleet = fixed_fleet_costs(table, idx, n, busy, requests_per_day)
    interactive_total = requests_per_day * (1.0 - table.batch_share)
    api = DAYS_PER_MONTH * (
        usd_per_request_interactive * (interactive_total - x)
        + usd_per_request_batch * (batch_total - b)
    )
    return HybridCosts(
        serving_replicas=n,
        fleet_total=fleet.total,
        fleet_parts={name: getattr(fleet, name) for name in COST_COMPONENTS},
        api=api,
        total=fleet.total + api,
        self_served_requests_per_day=x + b,
        replicas=fleet.peak_replicas,
        instances=fleet.peak_instances,
        gpus=fleet.peak_gpus,
        average_utilisation=fleet.average_utilisation,
        gpu_utilisation=fleet.gpu_utilisation,
    )


def solve_hybrid_replicas(
    table: OptionTable,
    i: int,
    usd_per_request_interactive: float,
    usd_per_request_batch: float,
    requests_per_day: float,
) -> int:
    """Cost-minimising serving replicas for the hybrid split, by MILP with HiGHS (count).

    Numeric kernel: the columns, their costs and bounds are built here in the order the module
    docstring writes them; the rows and the HiGHS call are helpers."""
    n_max = max_serving_replicas(table, i, requests_per_day)
    d = _demand(table, requests_per_day)
    hours = len(d)
    c_b, c_op = table.batch_rps[i], table.operating_rps[i]
    z = table.zones
    gpr, gpi = float(table.gpus_per_replica[i]), float(table.gpus_per_instance[i])
    per_instance, k_power = _instance_and_power_rates(table, i)
    packs = gpr <= gpi
    batch_total = requests_per_day * table.batch_share

    # Columns: n, s, q, m, o_0..o_23, b
    col_n, col_s, col_q, col_m = 0, 1, 2, 3
    col_o = 4
    col_b = col_o + hours
    num_col = col_b + 1
    cost = np.zeros(num_col)
    lower = np.zeros(num_col)
    upper = np.full(num_col, highspy.kHighsInf)
    upper[col_n] = n_max
    upper[col_s] = 1.0
    upper[col_o:col_b] = d
    upper[col_b] = batch_total
    if packs:
        cost[col_m] = z * per_instance
    else:
        cost[col_q] = z * math.ceil(gpr / gpi) * per_instance
        upper[col_m] = 0.0
    # Fixed whenever any fleet exists: the team's core, fixed and per-request infrastructure
    # (the gateway fronts the whole volume) and adaptation.
    cost[col_s] = (
        table.usd_per_month_staff[i]
        + float(table.infra_fixed[i].sum())
        + float(table.infra_per_request_day[i].sum()) * requests_per_day
        + table.usd_per_month_adaptation[i]
    )
    # API overflow and the busy-time power it saves (served = d_h - o_h).
    cost[col_o:col_b] = SECONDS_PER_HOUR * (
        DAYS_PER_MONTH * usd_per_request_interactive - k_power / c_op
    )
    cost[col_b] = k_power / c_b - DAYS_PER_MONTH * usd_per_request_batch
    offset = float(
        DAYS_PER_MONTH * usd_per_request_batch * batch_total
        + k_power * SECONDS_PER_HOUR * d.sum() / c_op
    )
    if fleet_cannot_pay(cost, lower, upper, offset, col_s, col_o, d):
        return 0  # no fleet can beat the API alone: the programme's answer is n = 0
    rows = _hybrid_rows(table, i, d, n_max)
    values = _run_highs(cost, lower, upper, offset, rows, hours, option_index=i)
    return round(values[col_n])


def _instance_and_power_rates(table: OptionTable, i: int) -> tuple[float, float]:
    """Option i's cost per instance held (USD/month, overhead included) and per busy
    replica-second per day of power (USD/month)."""
    gpr, gpi = float(table.gpus_per_replica[i]), float(table.gpus_per_instance[i])
    per_instance = (
        table.usd_per_instance_month_fixed[i]
        + gpi * (table.usd_per_gpu_month_idle_power[i] + table.usd_per_gpu_month_hosting[i])
    ) * (1.0 + table.overhead_share)
    # People per GPU, support contracts and per-host infrastructure scale with instances too.
    per_instance += gpi * (table.usd_per_gpu_month_staff[i] + table.usd_per_gpu_month_support[i])
    per_instance += float(table.infra_per_instance[i].sum())
    k_power = (
        gpr * table.usd_per_busy_gpu_s_power[i] * DAYS_PER_MONTH * (1.0 + table.overhead_share)
    )
    return per_instance, k_power


def _hybrid_rows(
    table: OptionTable, i: int, d: FloatArray, n_max: float
) -> list[tuple[dict[int, float], float, float]]:
    """The constraints of the module docstring, as (coefficients by column, lower, upper);
    columns as in `solve_hybrid_replicas`: n, s, q, m, o_0..o_23, b."""
    col_n, col_s, col_q, col_m, col_o = 0, 1, 2, 3, 4
    col_b = col_o + len(d)
    c, c_b = table.interactive_rps[i], table.batch_rps[i]
    z, k = table.zones, table.redundancy_replicas
    gpr, gpi = float(table.gpus_per_replica[i]), float(table.gpus_per_instance[i])
    rows: list[tuple[dict[int, float], float, float]] = [
        ({col_n: 1.0, col_s: -float(n_max)}, -highspy.kHighsInf, 0.0),
        ({col_n: 1.0, col_s: -table.min_serving_replicas}, 0.0, highspy.kHighsInf),
        ({col_q: z, col_n: -1.0, col_s: -k}, 0.0, highspy.kHighsInf),
    ]
    if z >= 2:
        rows.append(({col_q: z - 1.0, col_n: -1.0}, 0.0, highspy.kHighsInf))
    if gpr <= gpi:
        replicas_per_instance = math.floor(gpi / gpr)
        rows.append(({col_m: float(replicas_per_instance), col_q: -1.0}, 0.0, highspy.kHighsInf))
    for h in range(len(d)):
        rows.append(({col_o + h: 1.0, col_n: c}, float(d[h]), highspy.kHighsInf))
    daily = {col_b: 1.0 / c_b, col_n: -SECONDS_PER_DAY}
    for h in range(len(d)):
        daily[col_o + h] = -SECONDS_PER_HOUR / c
    rows.append((daily, -highspy.kHighsInf, float(-SECONDS_PER_HOUR * d.sum() / c)))
    return rows


def _run_highs(
    cost: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    offset: float,
    rows: list[tuple[dict[int, float], float, float]],
    hours: int,
    *,
    option_index: int,
) -> list[float]:
    """Solve the hybrid programme (4 integer columns, then hourly overflow and batch) with
    HiGHS; its column values, or HybridSolverError without an optimal or timed-out split."""
    num_col = cost.size
    # A request must answer quickly: past the time limit, the best split found so far is used.
    h_solver = quiet_solver(mip_rel_gap=0.0, time_limit_s=SOLVER_TIME_LIMIT_S)
    lp = highspy.HighsLp()
    lp.num_col_ = num_col
    lp.num_row_ = len(rows)
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.offset_ = offset
    lp.row_lower_ = np.array([r[1] for r in rows])
    lp.row_upper_ = np.array([r[2] for r in rows])
    # Row-wise sparse matrix.
    starts, index, value = [0], [], []
    for coeffs, _, _ in rows:
        for col, v in coeffs.items():
            index.append(col)
            value.append(v)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = num_col
    lp.a_matrix_.num_row_ = len(rows)
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=np.float64)
    integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [integer] * 4 + [continuous] * (hours + 1)
    h_solver.passModel(lp)
    h_solver.run()
    status = h_solver.getModelStatus()
    timed_out_with_solution = (
        status == highspy.HighsModelStatus.kTimeLimit
        and h_solver.getInfo().primal_solution_status
        == highspy.SolutionStatus.kSolutionStatusFeasible
    )
    if status != highspy.HighsModelStatus.kOptimal and not timed_out_with_solution:
        raise HybridSolverError(
            "HiGHS found no optimal hybrid split", status=str(status), option_index=option_index
        )
    return list(h_solver.getSolution().col_value)


def hybrid_plan(
    table: OptionTable,
    i: int,
    api_slug: str,
    usd_per_request_interactive: float,
    usd_per_request_batch: float,
    requests_per_day: float,
) -> HybridPlan:
    """Cheapest hybrid split of option i with one API model, solved as a MILP (USD/month)."""
    n = solve_hybrid_replicas(
        table, i, usd_per_request_interactive, usd_per_request_batch, requests_per_day
    )
    return plan_with_replicas(
        table, i, api_slug, usd_per_request_interactive, usd_per_request_batch, requests_per_day, n
    )


def plan_with_replicas(
    table: OptionTable,
    i: int,
    api_slug: str,
    usd_per_request_interactive: float,
    usd_per_request_batch: float,
    requests_per_day: float,
    n: int,
) -> HybridPlan:
    """The hybrid split of option i with `n` serving replicas (the MILP's answer), priced."""
    costs = hybrid_costs_by_replicas(
        table,
        i,
        usd_per_request_interactive,
        usd_per_request_batch,
        requests_per_day,
        np.array([float(n)]),
    )
    share = (
        float(costs.self_served_requests_per_day[0] / requests_per_day)
        if requests_per_day > 0
        else 0.0
    )
    return HybridPlan(
        option_index=i,
        api_slug=api_slug,
        serving_replicas=n,
        replicas=int(costs.replicas[0]),
        instances=int(costs.instances[0]),
        gpus=int(costs.gpus[0]),
        self_hosted_request_share=share,
        monthly_cost_usd=float(costs.total[0]),
        breakdown={
            **{
                name: float(part[0])
                for name, part in costs.fleet_parts.items()
                if name in _BASE_PARTS or part[0] != 0
            },
            "api": float(costs.api[0]),
        },
        average_utilisation=float(costs.average_utilisation[0]),
        gpu_utilisation=float(costs.gpu_utilisation[0]),
    )


def hybrid_best_by_scan(
    table: OptionTable,
    i: int,
    usd_per_request_interactive: float,
    usd_per_request_batch: float,
    requests_per_day: float,
    max_points: int | None = None,
) -> tuple[int, float]:
    """(serving replicas, USD/month) of the cheapest hybrid split by scanning every n.

    With `max_points`, a larger range is scanned on an even grid of that many counts and then
    every count within one grid step of the grid's best: exact when the cost has one valley,
    a close upper bound otherwise (the MILP in `hybrid_plan` is the exact method).
    """
    n_max = max_serving_replicas(table, i, requests_per_day)
    lo = float(table.min_serving_replicas)

    def scan(n: FloatArray) -> tuple[int, float]:
        costs = hybrid_costs_by_replicas(
            table, i, usd_per_request_interactive, usd_per_request_batch, requests_per_day, n
        )
        best = int(np.argmin(costs.total))
        return int(n[best]), float(costs.total[best])

    if max_points is None or n_max - lo + 2 <= max_points:
        return scan(np.concatenate([[0.0], np.arange(lo, n_max + 1, dtype=np.float64)]))
    grid = np.unique(np.round(np.linspace(lo, n_max, max_points)))
    coarse_n, _ = scan(np.concatenate([[0.0], grid]))
    step = math.ceil((n_max - lo) / (max_points - 1))
    near = np.arange(max(lo, coarse_n - step), min(n_max, coarse_n + step) + 1, dtype=np.float64)
    return scan(np.concatenate([[0.0], grid, near]))
