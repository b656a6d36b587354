"""The option table: every self-hosted option (candidate x purchase option) as one row.

A structure of numpy arrays, so that costs for thousands of options and many volumes are
computed in a few vectorised passes (`monthly_costs.py`). Capacity is sized once per candidate;
unit rates come from `economics.py`. Formulas: docs/economics.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from app.core.arrays import BoolArray, FloatArray, IntArray
from app.core.economics import (
    BuildCostsSpec,
    CostAssumptionsSpec,
    SelfHostedCandidateSpec,
    build_rates,
    unit_prices,
)
from app.core.fleet import ReplicaCapacity, SizingPolicySpec, replica_capacities
from app.core.purchasing import AUTOSCALED_MODES, PurchaseMode, PurchaseOptionSpec
from app.core.workload import (
    MONTHS_PER_YEAR,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    WorkloadSpec,
    hourly_shares,
)


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
    usd_per_month_staff: FloatArray  # fixed, whenever a fleet exists
    usd_per_gpu_month_staff: FloatArray  # people per GPU operated (team model)
    usd_per_gpu_month_support: FloatArray  # owned support contracts
    infra_fixed: FloatArray  # (options, INFRASTRUCTURE_ITEMS): USD/month when a fleet exists
    infra_per_instance: FloatArray  # USD per instance-month
    infra_per_request_day: FloatArray  # USD/month per request/day of the whole volume
    usd_per_month_adaptation: FloatArray
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


@dataclass(frozen=True, slots=True, eq=False)
class _Rows:
    """Candidates x purchase options flattened: one entry per option row."""

    candidate_index: IntArray
    options: tuple[PurchaseOptionSpec, ...]
    capacities: tuple[ReplicaCapacity, ...]
    reasons: tuple[str | None, ...]
    feasible: BoolArray
    owned: BoolArray
    tdp_w: FloatArray


def _column(values: list[float]) -> FloatArray:
    return np.array(values, dtype=np.float64)


def _flatten(
    candidates: tuple[SelfHostedCandidateSpec, ...],
    workload: WorkloadSpec,
    policy: SizingPolicySpec,
) -> _Rows:
    capacities = _sized_capacities(candidates, workload, policy)
    rows = [
        (index, option, capacities[index], candidate)
        for index, candidate in enumerate(candidates)
        for option in candidate.purchase_options
    ]
    reasons = tuple(candidate.infeasible_reason or cap.reason for _, _, cap, candidate in rows)
    feasible = [
        reason is None and row[2].feasible for reason, row in zip(reasons, rows, strict=True)
    ]
    return _Rows(
        candidate_index=np.array([row[0] for row in rows], dtype=np.intp),
        options=tuple(row[1] for row in rows),
        capacities=tuple(row[2] for row in rows),
        reasons=reasons,
        feasible=np.array(feasible, dtype=np.bool_),
        owned=np.array([row[1].mode is PurchaseMode.OWNED for row in rows], dtype=np.bool_),
        tdp_w=np.array([row[3].gpu_tdp_w for row in rows]),
    )


def _flat_staff(staff_fixed: FloatArray, assumptions: CostAssumptionsSpec) -> FloatArray:
    """Team-model staff where set, else the flat staff_fte x staff_usd_per_fte_year."""
    flat = assumptions.staff_fte * assumptions.staff_usd_per_fte_year / MONTHS_PER_YEAR
    return np.where(np.isnan(staff_fixed), flat, staff_fixed)


def build_option_table(
    candidates: tuple[SelfHostedCandidateSpec, ...],
    workload: WorkloadSpec,
    assumptions: CostAssumptionsSpec,
    policy: SizingPolicySpec,
    build: BuildCostsSpec | None = None,
) -> OptionTable:
    """Flatten candidates x purchase options into vectorisable arrays (capacity sized once)."""
    rows = _flatten(candidates, workload, policy)
    options, caps, column = list(rows.options), rows.capacities, _column
    prices = unit_prices(options, rows.tdp_w, assumptions)
    rates = build_rates(
        candidates, rows.candidate_index, options, rows.owned, workload, build or BuildCostsSpec()
    )
    interactive_rps = column([c.interactive_requests_per_s for c in caps])
    batch_rps = column([c.batch_requests_per_s for c in caps])
    shares = hourly_shares(workload)
    unique_shares, hours_with_share = np.unique(shares, return_counts=True)
    kappa_held, kappa_hour = _replicas_per_request_per_day(
        workload, shares, interactive_rps, batch_rps, rows.feasible
    )
    spot = np.array([o.mode is PurchaseMode.SPOT for o in options], dtype=np.bool_)
    return OptionTable(
        candidate_index=rows.candidate_index,
        options=rows.options,
        capacities=caps,
        feasible=rows.feasible,
        reasons=rows.reasons,
        autoscaled=np.array([o.mode in AUTOSCALED_MODES for o in options], dtype=np.bool_),
        owned=rows.owned,
        interactive_rps=interactive_rps,
        operating_rps=column([c.operating_requests_per_s for c in caps]),
        batch_rps=batch_rps,
        gpus_per_replica=column([float(c.gpus_per_replica) for c in caps]),
        gpus_per_instance=column([float(o.gpus_per_instance) for o in options]),
        capacity_factor=np.where(spot, 1.0 + policy.spot_extra_capacity_share, 1.0),
        usd_per_instance_hour=prices.per_instance_hour,
        usd_per_instance_month_fixed=prices.per_instance_month_fixed,
        usd_per_gpu_month_idle_power=prices.per_gpu_month_idle_power,
        usd_per_busy_gpu_s_power=prices.per_busy_gpu_s_power,
        usd_per_gpu_month_hosting=prices.per_gpu_month_hosting,
        usd_per_month_staff=_flat_staff(rates["staff_fixed"], assumptions),
        usd_per_gpu_month_staff=rates["staff_per_gpu"],
        usd_per_gpu_month_support=rates["support"],
        infra_fixed=rates["infra_fixed"],
        infra_per_instance=rates["infra_per_instance"],
        infra_per_request_day=rates["infra_per_request_day"],
        usd_per_month_adaptation=rates["adaptation"],
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


def with_reasons(
    table: OptionTable,
    candidates: tuple[SelfHostedCandidateSpec, ...],
    workload: WorkloadSpec,
) -> OptionTable:
    """`build_option_table(candidates, workload, ...)` from `table`, built (same workload,
    assumptions, policy and build costs) from the same candidates with other
    `infeasible_reason`s: only what those reasons touch is redone (rows' reasons and
    feasibility, the capacity of candidates without a curve, replicas per request/day)."""
    capacities = tuple(
        cap
        if candidates[c].capacity is not None
        else replace(cap, reason=candidates[c].infeasible_reason or "no capacity curve")
        for c, cap in zip(table.candidate_index.tolist(), table.capacities, strict=True)
    )
    reasons = tuple(
        candidates[c].infeasible_reason or cap.reason
        for c, cap in zip(table.candidate_index.tolist(), capacities, strict=True)
    )
    feasible = np.array(
        [r is None and cap.feasible for r, cap in zip(reasons, capacities, strict=True)],
        dtype=np.bool_,
    )
    kappa_held, kappa_hour = _replicas_per_request_per_day(
        workload, table.shares, table.interactive_rps, table.batch_rps, feasible
    )
    return replace(
        table,
        capacities=capacities,
        feasible=feasible,
        reasons=reasons,
        kappa_held=kappa_held,
        kappa_hour=kappa_hour,
    )
