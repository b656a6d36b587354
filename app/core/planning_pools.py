"""Pools for the procurement planner: every (configuration, way of paying) with its capacity
in each length bucket, priced by the estimate's own option table (app/core/option_table.py).

A configuration is one open model on one GPU type at one precision and tensor-parallel degree;
its replica capacity is modelled separately for every length bucket (short requests run many
more per second than long ones, and a latency target may be met for one bucket and not for
another). One pool serving a fixed mix of buckets needs sum_b share_b / capacity_b replica-
seconds per request, so a single-type fleet is the option table with the harmonic-mean
capacity of the mix: with one bucket this is exactly the estimate's option.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.length_buckets import LengthBucket, bucket_workload
from app.core.monthly_costs import fleet_costs
from app.core.option_table import OptionTable, build_option_table
from app.core.purchasing import PurchaseMode
from app.core.workload import SECONDS_PER_DAY, SECONDS_PER_HOUR, WorkloadSpec

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class PlanPools:
    """Pools as parallel arrays: row i of `table`, capacities per (row, bucket) in req/s."""

    table: OptionTable  # prices, sizes and modes; its own capacities are bucket 0's
    interactive_rps: FloatArray  # (rows, buckets), after headroom; 0 where it cannot serve
    operating_rps: FloatArray
    batch_rps: FloatArray
    kw_per_gpu: FloatArray  # (GPU TDP + server share) x PUE, kW; owned rows only
    capex_usd_per_gpu: FloatArray  # purchase + server per GPU; owned rows only
    spot: BoolArray

    @property
    def size(self) -> int:
        return self.table.size

    @property
    def usable(self) -> BoolArray:
        """Rows that can serve at least one bucket."""
        return np.asarray((self.interactive_rps > 0).any(axis=1), dtype=np.bool_)


def build_pools(
    candidates: tuple[SelfHostedCandidateSpec, ...],
    bucket_capacities: tuple[tuple[ReplicaCapacitySpec | None, ...], ...],
    workload: WorkloadSpec,
    buckets: tuple[LengthBucket, ...],
    assumptions: CostAssumptionsSpec,
    policy: SizingPolicySpec,
) -> PlanPools:
    """One option table per bucket (same rows), merged into per-bucket capacity matrices."""
    tables = []
    for bucket, capacities in zip(buckets, bucket_capacities, strict=True):
        with_caps = tuple(
            replace(c, capacity=cap, infeasible_reason=c.infeasible_reason or _no_curve(cap))
            for c, cap in zip(candidates, capacities, strict=True)
        )
        tables.append(
            build_option_table(with_caps, bucket_workload(workload, bucket), assumptions, policy)
        )

    def stack(name: str) -> FloatArray:
        columns = [np.where(t.feasible, getattr(t, name), 0.0) for t in tables]
        return np.stack(columns, axis=1)

    first = tables[0]
    a = assumptions
    tdp_w = np.array([candidates[ci].gpu_tdp_w for ci in first.candidate_index.tolist()])
    owned = first.owned
    kw = tdp_w * (1.0 + a.host_power_overhead_share) * a.pue / 1000.0
    capex = np.array(
        [(o.purchase_usd_per_gpu or 0.0) + o.server_usd_per_gpu for o in first.options]
    )
    return PlanPools(
        table=first,
        interactive_rps=stack("interactive_rps"),
        operating_rps=stack("operating_rps"),
        batch_rps=stack("batch_rps"),
        kw_per_gpu=np.where(owned, kw, 0.0),
        capex_usd_per_gpu=np.where(owned, capex, 0.0),
        spot=np.array([o.mode is PurchaseMode.SPOT for o in first.options], dtype=np.bool_),
    )


def _no_curve(capacity: ReplicaCapacitySpec | None) -> str | None:
    return "does not run at this bucket's lengths" if capacity is None else None


def mixed_capacity_table(pools: PlanPools, shares: FloatArray) -> OptionTable:
    """The option table of single pools serving the whole bucket mix (harmonic capacity)."""
    t = pools.table
    serves_all = np.asarray((pools.interactive_rps > 0).all(axis=1), dtype=np.bool_)
    if t.batch_share > 0:
        serves_all &= np.asarray((pools.batch_rps > 0).all(axis=1), dtype=np.bool_)

    def harmonic(rps: FloatArray) -> FloatArray:
        seconds = (shares[None, :] / np.where(rps > 0, rps, 1.0)).sum(axis=1)
        return np.where(serves_all, 1.0 / seconds, 0.0)

    interactive = harmonic(pools.interactive_rps)
    batch = harmonic(pools.batch_rps)
    beta = t.batch_share
    with np.errstate(divide="ignore", invalid="ignore"):
        peak = (1.0 - beta) * float(t.shares.max()) / (SECONDS_PER_HOUR * interactive)
        daily = ((1.0 - beta) / interactive + (beta / batch if beta > 0 else 0.0)) / SECONDS_PER_DAY
        per_hour = (1.0 - beta) / (SECONDS_PER_HOUR * interactive)
    return replace(
        t,
        feasible=serves_all,
        interactive_rps=interactive,
        operating_rps=harmonic(pools.operating_rps),
        batch_rps=batch,
        kappa_held=np.where(serves_all, np.maximum(peak, daily), 0.0),
        kappa_hour=np.where(serves_all, per_hour, 0.0),
    )


@dataclass(frozen=True, slots=True)
class SingleTypeFleet:
    """The cheapest fleet of one configuration and one way of paying (USD/month)."""

    row: int
    monthly_cost_usd: float
    instances: int
    gpus: int


def best_single_type(
    pools: PlanPools, shares: FloatArray, requests_per_day: float
) -> SingleTypeFleet | None:
    """The cheapest single pool serving the whole workload, as /v1/estimates prices it."""
    table = mixed_capacity_table(pools, shares)
    rows = np.flatnonzero(table.feasible)
    if rows.size == 0:
        return None
    costs = fleet_costs(table, rows, np.full(rows.size, requests_per_day))
    best = int(np.argmin(costs.total))
    return SingleTypeFleet(
        row=int(rows[best]),
        monthly_cost_usd=float(costs.total[best]),
        instances=int(costs.peak_instances[best]),
        gpus=int(costs.peak_gpus[best]),
    )
