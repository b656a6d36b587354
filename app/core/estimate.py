"""One estimate: every API model, every self-hosted option, hybrid splits, break-evens and a
growth projection, ranked by monthly cost.

Pure orchestration over api_cost, fleet, economics, hybrid and breakeven; the service layer
resolves catalog rows into the specs and converts performance curves into capacity specs.
The spec and result types are in `estimate_types.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from app.core.api_cost import ApiCost, api_cost
from app.core.arrays import FloatArray, IntArray
from app.core.breakeven import default_search_range
from app.core.breakeven_search import (
    SEARCH_FLOOR_REQUESTS_PER_DAY,
    EnvelopeWindows,
    search_break_even,
    search_ceiling,
)
from app.core.economics import BuildCostsSpec, CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.errors import InvalidEstimateInputError
from app.core.estimate_types import (
    BreakEvenAnswer,
    CurveOption,
    EstimateResult,
    EstimateSpec,
    ProjectionSeries,
)
from app.core.fleet import SizingPolicySpec
from app.core.hybrid import HybridSolverError, plan_with_replicas, solve_hybrid_replicas
from app.core.monthly_costs import FleetCosts, fleet_costs
from app.core.option_builder import SelfHostedOptions, api_option, hybrid_option
from app.core.option_table import OptionTable, build_option_table
from app.core.options import CostOption, fold_equivalent
from app.core.projection import OptionProjection, project_hybrid, project_options
from app.core.team import Team
from app.core.whole_cost import (
    WholeCostSpec,
    apply_time_to_production,
    attach_whole_cost,
    with_api_extras,
)
from app.core.workload import DAYS_PER_MONTH, WorkloadSpec, monthly_volumes

#: Replica counts a projected month's hybrid split is scanned over (larger fleets: a coarse
#: scan refined around its best point).
HYBRID_SCAN_LIMIT = 2000


def _series(option_id: str, projected: OptionProjection) -> ProjectionSeries:
    return ProjectionSeries(
        option_id,
        tuple(projected.monthly_cost_usd.tolist()),
        tuple(projected.stranded_usd.tolist()),
        None if projected.cash_usd is None else tuple(projected.cash_usd.tolist()),
    )


@dataclass(frozen=True, slots=True)
class _ApiPricing:
    """API costs at today's volume of the models that can take the requests, each line's
    slope (USD/month per request/day), and the models whose context window cannot."""

    costs: list[ApiCost]
    slopes: dict[str, float]
    too_small: list[ApiCost]


def _price_apis(spec: EstimateSpec) -> _ApiPricing:
    slugs = [p.slug for p in spec.api_prices]
    if len(set(slugs)) != len(slugs):
        raise InvalidEstimateInputError("API model slugs must be unique")
    discount = spec.assumptions.api_discount_share
    every = [api_cost(p, spec.workload, discount_share=discount) for p in spec.api_prices]
    limit = spec.policy.max_context_overflow_share
    costs = [c for c in every if c.context_overflow_share <= limit]
    slopes = {
        p.slug: api_cost(
            p, spec.workload, requests_per_day=1.0, discount_share=discount
        ).monthly_cost_usd
        for p in spec.api_prices
    }
    return _ApiPricing(costs, slopes, [c for c in every if c.context_overflow_share > limit])


def _hybrid_partners(spec: EstimateSpec, api: _ApiPricing) -> list[ApiCost]:
    if spec.hybrid_api_slugs is None:
        return [min(api.costs, key=lambda c: c.monthly_cost_usd)]
    by_slug = {c.slug: c for c in api.costs}
    unknown = [s for s in spec.hybrid_api_slugs if s not in by_slug]
    if unknown:
        raise InvalidEstimateInputError("unknown hybrid API model", slugs=unknown)
    return [by_slug[s] for s in spec.hybrid_api_slugs]


def _hybrid_options(
    spec: EstimateSpec,
    self_hosted: SelfHostedOptions,
    costs: FleetCosts,
    api: _ApiPricing,
) -> list[tuple[CostOption, int, ApiCost]]:
    """Hybrid splits of the cheapest held options with their API partners: (option, table
    row, partner)."""
    table, volume = self_hosted.table, spec.workload.requests_per_day
    held = np.flatnonzero(table.feasible & ~table.autoscaled)
    if not api.costs or not held.size or spec.hybrid_top_options <= 0 or volume <= 0:
        return []
    partners = _hybrid_partners(spec, api)
    top = held[np.argsort(costs.total[held], kind="stable")[: spec.hybrid_top_options]]
    hybrids = []
    for row in top.tolist():
        for partner in partners:
            prices = (partner.usd_per_request_interactive, partner.usd_per_request_batch)
            try:
                n = solve_hybrid_replicas(table, row, *prices, volume)
            except HybridSolverError:
                continue  # no split found in time: the pure options still stand
            if n == 0:
                continue  # all on the API: the pure API option (not priced again)
            plan = plan_with_replicas(table, row, partner.slug, *prices, volume, n)
            if plan.self_hosted_request_share >= 1.0:
                continue  # all self-hosted: the pure self-hosted option
            base = self_hosted.build(row)
            option = hybrid_option(plan, base, partner, self_hosted.tokens_per_month)
            hybrids.append((option, row, partner))
    return hybrids


def _search_range(spec: EstimateSpec) -> tuple[float, float, bool]:
    """The first window searched, and whether it may widen (not when the caller fixed it)."""
    lo, hi = default_search_range(spec.workload.requests_per_day)
    fixed = (
        spec.break_even_requests_per_day_min is not None
        or spec.break_even_requests_per_day_max is not None
    )
    lo = spec.break_even_requests_per_day_min or lo
    hi = spec.break_even_requests_per_day_max or hi
    if not (0 < lo < hi and math.isfinite(hi)):
        raise InvalidEstimateInputError(
            "break-even range must satisfy 0 < min < max", min=lo, max=hi
        )
    return lo, hi, not fixed


def _break_evens(
    spec: EstimateSpec, self_hosted: SelfHostedOptions, api: _ApiPricing, windows: EnvelopeWindows
) -> tuple[BreakEvenAnswer, ...]:
    """Break-even of every API model against the envelope of all self-hosted options."""
    lo, hi, may_widen = _search_range(spec)
    table = self_hosted.table
    if not table.feasible.any() or not api.costs:
        return ()
    ceiling = search_ceiling(spec.workload.requests_per_day) if may_widen else hi
    floor = min(SEARCH_FLOOR_REQUESTS_PER_DAY, lo) if may_widen else lo
    options: dict[int, CurveOption] = {}
    answers = []
    for cost in api.costs:
        found = search_break_even(
            windows,
            cost.slug,
            api.slopes[cost.slug],
            lo,
            hi,
            ceiling=ceiling,
            floor=floor,
            api_fixed_usd_per_month=_api_fixed(spec, cost.slug),
        )
        rows = found.result.curve_self_hosted_option
        # A curve has hundreds of points but names a handful of options: look each up once.
        for row in dict.fromkeys(rows):
            if row >= 0 and row not in options:
                key = self_hosted.key(row)
                options[row] = CurveOption(key.id, self_hosted.label(row), key)
        curve = tuple(map(options.get, rows))
        answers.append(BreakEvenAnswer(found.result, found.outcome, curve))
    return tuple(answers)


def _api_fixed(spec: EstimateSpec, slug: str) -> float:
    """What an API option costs at any volume: its people and adaptation (USD/month)."""
    extras = None if spec.whole is None else spec.whole.api_extras.get(slug)
    return 0.0 if extras is None else extras.usd_per_month


def _projection(
    spec: EstimateSpec,
    self_hosted: SelfHostedOptions,
    api: _ApiPricing,
    ranked_self: IntArray,
    hybrids: list[tuple[CostOption, int, ApiCost]],
) -> tuple[FloatArray, list[ProjectionSeries]]:
    """Monthly cost over the horizon: API models, the cheapest self-hosted options and hybrids
    (split re-optimised every month), with commitments kept for their term."""
    table = self_hosted.table
    volumes = monthly_volumes(spec.workload)
    series = [
        ProjectionSeries(
            f"api:{c.slug}",
            tuple((volumes * api.slopes[c.slug] + _api_fixed(spec, c.slug)).tolist()),
        )
        for c in api.costs
    ]
    projected = ranked_self
    if spec.projection_top_self_hosted is not None:
        projected = projected[: spec.projection_top_self_hosted]
    rows = projected.tolist()
    series += [
        _series(self_hosted.key(row).id, projection)
        for row, projection in zip(rows, project_options(table, rows, volumes), strict=True)
    ]
    for option, row, partner in hybrids:
        projection = project_hybrid(
            table,
            row,
            partner.usd_per_request_interactive,
            partner.usd_per_request_batch,
            volumes,
            HYBRID_SCAN_LIMIT,
        )
        series.append(_series(option.id, projection))
    if spec.whole is not None and spec.whole.time_to_production is not None:
        staff = self_hosted.table.usd_per_month_staff
        team = {self_hosted.key(int(row)).id: float(staff[row]) for row in projected}
        team.update({option.id: float(staff[row]) for option, row, _ in hybrids})
        series = _with_time_to_production(spec, spec.whole, api, series, team)
    return volumes, series


def _with_time_to_production(
    spec: EstimateSpec,
    whole: WholeCostSpec,
    api: _ApiPricing,
    series: list[ProjectionSeries],
    team: dict[str, float],
) -> list[ProjectionSeries]:
    """Self-hosted and hybrid series with the build-out months on the interim API."""
    interim = whole.interim_api_slug
    if interim is None and api.costs:
        interim = min(
            api.costs, key=lambda c: (c.monthly_cost_usd + _api_fixed(spec, c.slug), c.slug)
        ).slug
    shifted = apply_time_to_production(
        whole,
        {s.option_id: s.monthly_cost_usd for s in series},
        None if interim is None else f"api:{interim}",
        team,
    )
    return [replace(s, monthly_cost_usd=shifted[s.option_id]) for s in series]


#: Self-hosted options built per option returned, so that folding equivalents still fills the
#: list (a group of equivalents is rarely larger).
BUILT_PER_SHOWN = 4


def _shown_rows(
    spec: EstimateSpec, self_hosted: SelfHostedOptions, ranked_self: IntArray
) -> list[int]:
    """Rows to build: the cheapest ones, and each pinned open model's cheapest."""
    limit = spec.max_self_hosted_options
    built = ranked_self if limit is None else ranked_self[: limit * BUILT_PER_SHOWN]
    rows: list[int] = [int(row) for row in built]
    pinned = set(spec.pinned_open_models)
    if not pinned:
        return rows
    shown_models = {self_hosted.candidate(row).open_model_slug for row in rows}
    for row in ranked_self.tolist():
        model = self_hosted.candidate(row).open_model_slug
        if model in pinned and model not in shown_models:
            rows.append(int(row))
            shown_models.add(model)
    return rows


#: Builds the option table: `build_option_table`, or a caller's memo of it (same arguments,
#: same table; app/services/candidate_memo.py).
TableBuilder = Callable[
    [
        tuple[SelfHostedCandidateSpec, ...],
        WorkloadSpec,
        CostAssumptionsSpec,
        SizingPolicySpec,
        BuildCostsSpec | None,
    ],
    OptionTable,
]


def estimate(spec: EstimateSpec, option_table: TableBuilder = build_option_table) -> EstimateResult:
    """Rank every API, self-hosted and hybrid option for the workload by monthly cost (USD)."""
    workload = spec.workload
    tokens_per_month = workload.requests_per_day * DAYS_PER_MONTH * workload.tokens_per_request
    api = _price_apis(spec)
    whole = spec.whole
    table = option_table(
        spec.candidates,
        workload,
        spec.assumptions,
        spec.policy,
        None if whole is None else whole.build,
    )
    every_row = np.arange(table.size, dtype=np.intp)
    costs = fleet_costs(table, every_row, np.full(table.size, workload.requests_per_day))
    self_hosted = SelfHostedOptions(spec.candidates, table, costs, tokens_per_month)
    feasible_rows = np.flatnonzero(table.feasible)
    ranked_self = feasible_rows[np.argsort(costs.total[feasible_rows], kind="stable")]
    extras = {} if whole is None else whole.api_extras
    options = [with_api_extras(api_option(c), extras.get(c.slug)) for c in api.costs]
    options += [
        with_api_extras(api_option(c, context_too_small=True), extras.get(c.slug))
        for c in api.too_small
    ]
    shown = _shown_rows(spec, self_hosted, ranked_self)
    built = [self_hosted.build(row) for row in shown]
    options += built
    options += [self_hosted.build(int(row)) for row in np.flatnonzero(~table.feasible)]
    hybrids = _hybrid_options(spec, self_hosted, costs, api)
    options += [option for option, _, _ in hybrids]
    ranked = fold_equivalent(
        sorted(
            (o for o in options if o.feasible and o.monthly_cost_usd is not None),
            key=lambda o: (o.monthly_cost_usd, o.id),
        )
    )
    windows = EnvelopeWindows(table, spec.break_even_grid_points)
    break_evens = _break_evens(spec, self_hosted, api, windows)
    volumes, projection = _projection(spec, self_hosted, api, ranked_self, hybrids)
    if whole is not None:
        totals = {s.option_id: float(sum(s.monthly_cost_usd)) for s in projection}
        # Table rows by option id (self-hosted and hybrid), without rebuilding keys.
        rows = {option.id: row for option, row in zip(built, shown, strict=True)}
        rows.update({option.id: row for option, row, _ in hybrids})
        teams: dict[tuple[int, bool], Team] = {}
        ranked = [attach_whole_cost(whole, o, table, rows, totals, teams) for o in ranked]
    return EstimateResult(
        options=tuple(ranked + [o for o in options if not o.feasible]),
        break_evens=break_evens,
        projection_requests_per_day=tuple(volumes.tolist()),
        projection=tuple(projection),
        tokens_per_month=tokens_per_month,
        feasible_self_hosted_total=int(ranked_self.size),
        envelopes=windows,
    )
