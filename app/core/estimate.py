"""One estimate: every API model, every self-hosted option, hybrid splits, break-evens and a
growth projection, ranked by monthly cost.

Pure orchestration over api_cost, fleet, economics, hybrid and breakeven; the service layer
resolves catalog rows into the specs and converts performance curves into capacity specs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from app.core.api_cost import ApiCost, ApiPriceSpec, api_cost
from app.core.breakeven import BreakEven, break_even, cost_envelope, default_search_range
from app.core.economics import (
    CostAssumptionsSpec,
    FleetCosts,
    OptionTable,
    SelfHostedCandidateSpec,
    build_option_table,
    fleet_costs,
)
from app.core.errors import InvalidEstimateInputError
from app.core.fleet import SizingPolicySpec
from app.core.hybrid import (
    HybridPlan,
    HybridSolverError,
    hybrid_best_by_scan,
    hybrid_plan,
)
from app.core.workload import DAYS_PER_MONTH, TOKENS_PER_MTOK, WorkloadSpec, monthly_volumes

#: Replica counts a projected month's hybrid split is scanned over (larger fleets: a coarse
#: scan refined around its best point).
HYBRID_SCAN_LIMIT = 2000

#: Version of the estimation formulas; stored with saved analyses so results can be replayed.
CORE_VERSION = "1.0.0"


class OptionKind(StrEnum):
    API = "api"
    SELF_HOSTED = "self_hosted"
    HYBRID = "hybrid"


@dataclass(frozen=True, slots=True)
class EstimateSpec:
    """Everything one estimate needs; defaults are documented in docs/economics.md."""

    workload: WorkloadSpec
    api_prices: tuple[ApiPriceSpec, ...]
    candidates: tuple[SelfHostedCandidateSpec, ...]
    assumptions: CostAssumptionsSpec = field(default_factory=CostAssumptionsSpec)
    policy: SizingPolicySpec = field(default_factory=SizingPolicySpec)
    # Hybrid splits are solved for this many cheapest held (committed/owned) options ...
    hybrid_top_options: int = 3
    # ... against these API models (None: the cheapest API model only).
    hybrid_api_slugs: tuple[str, ...] | None = None
    # Break-even search range (None: 1/100 to 100 x the workload's volume).
    break_even_requests_per_day_min: float | None = None
    break_even_requests_per_day_max: float | None = None
    break_even_grid_points: int = 100
    # Projection for every API model, every hybrid and this many cheapest self-hosted options
    # (None: all of them).
    projection_top_self_hosted: int | None = 10
    # Feasible self-hosted options returned in full, cheapest first (None: all). The rest are
    # still priced, ranked and counted (`feasible_self_hosted_total`).
    max_self_hosted_options: int | None = None


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """A self-hosted fleet at the workload's volume (peak figures for autoscaled fleets)."""

    candidate_index: int
    purchase_option_index: int
    candidate_label: str
    open_model_slug: str
    gpu_slug: str
    tensor_parallel: int
    precision: str
    purchase_mode: str
    purchase_label: str
    serving_replicas: int
    replicas: int
    instances: int
    gpus: int
    gpus_per_replica: int
    gpus_per_instance: int
    average_gpus: float
    average_utilisation: float
    replica_requests_per_s: float  # usable interactive capacity of one replica
    operating_concurrency: float
    ttft_s: float
    tpot_s: float


@dataclass(frozen=True, slots=True)
class CostOption:
    """One way to serve the workload, with its monthly cost or the reason it cannot."""

    id: str
    kind: OptionKind
    label: str
    feasible: bool
    reason: str | None
    monthly_cost_usd: float | None
    usd_per_million_tokens: float | None
    breakdown: dict[str, float]
    api_slug: str | None = None
    fleet: FleetPlan | None = None
    self_hosted_request_share: float = 0.0


@dataclass(frozen=True, slots=True)
class ProjectionSeries:
    """Monthly cost of one option over the horizon, fleets resized every month (USD/month)."""

    option_id: str
    monthly_cost_usd: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class EstimateResult:
    """Ranked options (feasible by cost, then infeasible), break-evens and projection."""

    options: tuple[CostOption, ...]
    break_evens: tuple[BreakEven, ...]
    projection_requests_per_day: tuple[float, ...]
    projection: tuple[ProjectionSeries, ...]
    tokens_per_month: float
    feasible_self_hosted_total: int = 0
    core_version: str = CORE_VERSION


def _usd_per_mtok(monthly_usd: float, tokens_per_month: float) -> float | None:
    return monthly_usd / tokens_per_month * TOKENS_PER_MTOK if tokens_per_month > 0 else None


class _SelfHostedOptions:
    """Self-hosted options of the option table, built on demand: a full catalog has thousands,
    and a caller usually shows only the cheapest few."""

    def __init__(
        self, spec: EstimateSpec, table: OptionTable, costs: FleetCosts, tokens_per_month: float
    ) -> None:
        self.spec, self.table, self.tokens_per_month = spec, table, tokens_per_month
        # Plain Python lists: per-element numpy indexing would dominate the builders.
        self.cols = {
            name: getattr(costs, name).tolist()
            for name in (
                "total",
                "compute",
                "power",
                "hosting",
                "staff",
                "overhead",
                "peak_serving_replicas",
                "peak_replicas",
                "peak_instances",
                "peak_gpus",
                "average_gpus",
                "average_utilisation",
            )
        }
        self.feasible = table.feasible.tolist()
        self.cand_index = table.candidate_index.tolist()
        # Position of each table row among its candidate's purchase options.
        self.option_index: list[int] = []
        seen: dict[int, int] = {}
        for ci in self.cand_index:
            self.option_index.append(seen.get(ci, 0))
            seen[ci] = seen.get(ci, 0) + 1

    def option_id(self, i: int) -> str:
        return f"self:{self.cand_index[i]}:{self.option_index[i]}"

    def label(self, i: int) -> str:
        opt = self.table.options[i]
        suffix = f" ({opt.label})" if opt.label else ""
        return f"{self.spec.candidates[self.cand_index[i]].label} · {opt.mode}{suffix}"

    def build(self, i: int) -> CostOption:
        cols, table = self.cols, self.table
        ci = self.cand_index[i]
        cand = self.spec.candidates[ci]
        opt = table.options[i]
        cap = table.capacities[i]
        if not self.feasible[i]:
            return CostOption(
                self.option_id(i),
                OptionKind.SELF_HOSTED,
                self.label(i),
                False,
                table.reasons[i],
                None,
                None,
                {},
            )
        total = cols["total"][i]
        fleet = FleetPlan(
            candidate_index=ci,
            purchase_option_index=self.option_index[i],
            candidate_label=cand.label,
            open_model_slug=cand.open_model_slug,
            gpu_slug=cand.gpu_slug,
            tensor_parallel=cand.tensor_parallel,
            precision=cand.precision,
            purchase_mode=str(opt.mode),
            purchase_label=opt.label,
            serving_replicas=int(cols["peak_serving_replicas"][i]),
            replicas=int(cols["peak_replicas"][i]),
            instances=int(cols["peak_instances"][i]),
            gpus=int(cols["peak_gpus"][i]),
            gpus_per_replica=cap.gpus_per_replica,
            gpus_per_instance=opt.gpus_per_instance,
            average_gpus=float(cols["average_gpus"][i]),
            average_utilisation=float(cols["average_utilisation"][i]),
            replica_requests_per_s=cap.interactive_requests_per_s,
            operating_concurrency=cap.operating_concurrency,
            ttft_s=cap.ttft_s,
            tpot_s=cap.tpot_s,
        )
        return CostOption(
            id=self.option_id(i),
            kind=OptionKind.SELF_HOSTED,
            label=self.label(i),
            feasible=True,
            reason=None,
            monthly_cost_usd=total,
            usd_per_million_tokens=_usd_per_mtok(total, self.tokens_per_month),
            breakdown={
                "compute": cols["compute"][i],
                "power": cols["power"][i],
                "hosting": cols["hosting"][i],
                "staff": cols["staff"][i],
                "overhead": cols["overhead"][i],
            },
            fleet=fleet,
            self_hosted_request_share=1.0,
        )


def _api_option(cost: ApiCost) -> CostOption:
    return CostOption(
        id=f"api:{cost.slug}",
        kind=OptionKind.API,
        label=cost.slug,
        feasible=True,
        reason=None,
        monthly_cost_usd=cost.monthly_cost_usd,
        usd_per_million_tokens=cost.usd_per_million_tokens,
        breakdown=dict(cost.breakdown),
        api_slug=cost.slug,
    )


def _hybrid_option(
    plan: HybridPlan, base: CostOption, cost: ApiCost, tokens_per_month: float
) -> CostOption:
    fleet = None
    if base.fleet is not None:
        fleet = replace(
            base.fleet,
            serving_replicas=plan.serving_replicas,
            replicas=plan.replicas,
            instances=plan.instances,
            gpus=plan.gpus,
            average_gpus=float(plan.gpus),
            average_utilisation=plan.average_utilisation,
        )
    return CostOption(
        id=f"hybrid:{base.id.removeprefix('self:')}:{cost.slug}",
        kind=OptionKind.HYBRID,
        label=f"{base.label} + {cost.slug}",
        feasible=True,
        reason=None,
        monthly_cost_usd=plan.monthly_cost_usd,
        usd_per_million_tokens=_usd_per_mtok(plan.monthly_cost_usd, tokens_per_month),
        breakdown=dict(plan.breakdown),
        api_slug=cost.slug,
        fleet=fleet,
        self_hosted_request_share=plan.self_hosted_request_share,
    )


def estimate(spec: EstimateSpec) -> EstimateResult:
    """Rank every API, self-hosted and hybrid option for the workload by monthly cost (USD)."""
    w = spec.workload
    a = spec.assumptions
    slugs = [p.slug for p in spec.api_prices]
    if len(set(slugs)) != len(slugs):
        raise InvalidEstimateInputError("API model slugs must be unique")
    tokens_per_month = w.requests_per_day * DAYS_PER_MONTH * w.tokens_per_request

    api_costs = [api_cost(p, w, discount_share=a.api_discount_share) for p in spec.api_prices]
    # Monthly USD per request/day of volume: the API line's slope.
    api_slopes = {
        c.slug: api_cost(
            p, w, requests_per_day=1.0, discount_share=a.api_discount_share
        ).monthly_cost_usd
        for c, p in zip(api_costs, spec.api_prices, strict=True)
    }
    options: list[CostOption] = [_api_option(c) for c in api_costs]

    table = build_option_table(spec.candidates, w, a, spec.policy)
    all_idx = np.arange(table.size, dtype=np.intp)
    costs = fleet_costs(table, all_idx, np.full(table.size, w.requests_per_day))
    self_hosted = _SelfHostedOptions(spec, table, costs, tokens_per_month)
    feasible_self = np.flatnonzero(table.feasible)
    ranked_self = feasible_self[np.argsort(costs.total[feasible_self], kind="stable")]
    shown = (
        ranked_self
        if spec.max_self_hosted_options is None
        else ranked_self[: spec.max_self_hosted_options]
    )
    options += [self_hosted.build(int(i)) for i in shown]
    options += [self_hosted.build(int(i)) for i in np.flatnonzero(~table.feasible)]

    # Hybrid splits for the cheapest held options.
    hybrids: list[tuple[CostOption, int, ApiCost]] = []
    held = np.flatnonzero(table.feasible & ~table.autoscaled)
    if api_costs and held.size and spec.hybrid_top_options > 0 and w.requests_per_day > 0:
        by_slug = {c.slug: c for c in api_costs}
        if spec.hybrid_api_slugs is None:
            partners = [min(api_costs, key=lambda c: c.monthly_cost_usd)]
        else:
            unknown = [s for s in spec.hybrid_api_slugs if s not in by_slug]
            if unknown:
                raise InvalidEstimateInputError("unknown hybrid API model", slugs=unknown)
            partners = [by_slug[s] for s in spec.hybrid_api_slugs]
        top = held[np.argsort(costs.total[held], kind="stable")[: spec.hybrid_top_options]]
        for i in top:
            for partner in partners:
                try:
                    plan = hybrid_plan(
                        table,
                        int(i),
                        partner.slug,
                        partner.usd_per_request_interactive,
                        partner.usd_per_request_batch,
                        w.requests_per_day,
                    )
                except HybridSolverError:
                    continue  # no split found in time: the pure options still stand
                if plan.serving_replicas == 0 or plan.self_hosted_request_share >= 1.0:
                    # Degenerate splits repeat the pure API or pure self-hosted option.
                    continue
                base = self_hosted.build(int(i))
                option = _hybrid_option(plan, base, partner, tokens_per_month)
                hybrids.append((option, int(i), partner))
                options.append(option)

    feasible = sorted(
        (o for o in options if o.feasible and o.monthly_cost_usd is not None),
        key=lambda o: (o.monthly_cost_usd, o.id),
    )
    infeasible = [o for o in options if not o.feasible]

    # Break-even against the envelope of all self-hosted options.
    lo, hi = default_search_range(w.requests_per_day)
    lo = spec.break_even_requests_per_day_min or lo
    hi = spec.break_even_requests_per_day_max or hi
    if not (0 < lo < hi and math.isfinite(hi)):
        raise InvalidEstimateInputError(
            "break-even range must satisfy 0 < min < max", min=lo, max=hi
        )
    break_evens: tuple[BreakEven, ...] = ()
    if table.feasible.any() and api_costs:
        env = cost_envelope(table, lo, hi, spec.break_even_grid_points)
        break_evens = tuple(break_even(env, c.slug, api_slopes[c.slug]) for c in api_costs)

    volumes = monthly_volumes(w)
    projection = [
        ProjectionSeries(f"api:{c.slug}", tuple((volumes * api_slopes[c.slug]).tolist()))
        for c in api_costs
    ]
    projected = ranked_self
    if spec.projection_top_self_hosted is not None:
        projected = projected[: spec.projection_top_self_hosted]
    if projected.size:
        months = volumes.size
        proj = fleet_costs(
            table, np.repeat(projected, months), np.tile(volumes, projected.size)
        ).total.reshape(projected.size, months)
        projection += [
            ProjectionSeries(self_hosted.option_id(int(i)), tuple(row.tolist()))
            for i, row in zip(projected, proj, strict=True)
        ]
    for option, i, partner in hybrids:
        series = []
        for v in volumes:
            _, best = hybrid_best_by_scan(
                table,
                i,
                partner.usd_per_request_interactive,
                partner.usd_per_request_batch,
                float(v),
                max_points=HYBRID_SCAN_LIMIT,
            )
            series.append(best)
        projection.append(ProjectionSeries(option.id, tuple(series)))

    return EstimateResult(
        options=tuple(feasible + infeasible),
        break_evens=break_evens,
        projection_requests_per_day=tuple(volumes.tolist()),
        projection=tuple(projection),
        tokens_per_month=tokens_per_month,
        feasible_self_hosted_total=int(ranked_self.size),
    )
