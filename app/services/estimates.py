"""Estimate use case: resolve the catalog at one version, map rows and the request into core
specs, run the core, map the result. Nothing is stored; the response repeats every catalog
value and default it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.core.api_cost import ApiPriceSpec
from app.core.build_out import ConstraintCost
from app.core.economics import CostAssumptionsSpec
from app.core.engines import DEFAULT_ENGINE
from app.core.estimate import CORE_VERSION, EstimateResult, EstimateSpec, estimate
from app.core.fleet import SizingPolicySpec
from app.core.performance import DEFAULT_REAL_WORLD_DERATE
from app.core.purchasing import PurchaseMode
from app.core.self_hosting import SelfHostingCandidates, SelfHostingSpec, self_hosting_candidates
from app.core.workload import WorkloadSpec, requests_per_day_from_users
from app.errors import InvalidInputError
from app.schemas.estimates import AssumptionsOut, EstimateRequest, EstimateResponse
from app.schemas.whole_cost import (
    ConstraintCostOut,
    ConstraintsIn,
    TimeToProductionOut,
    WholeCostOut,
)
from app.services import api_usage, catalog_cache, catalog_specs, decisions, slug_resolution
from app.services import estimate_response as out
from app.services import whole_cost as build
from app.services.catalog import API_MODELS, GPU_OFFERINGS, GPUS, OPEN_MODELS, CatalogResource

#: API models compared when the request names none: each major provider's current flagship
#: and its cheap tier, plus hosts of open models. Missing slugs are skipped.
DEFAULT_API_MODELS: tuple[str, ...] = (
    "openai--gpt-5",
    "openai--gpt-5-mini",
    "openai--gpt-4o",
    "openai--gpt-4o-mini",
    "openai--gpt-4.1-mini",
    "anthropic--claude-opus-4-1",
    "anthropic--claude-sonnet-4-5",
    "anthropic--claude-haiku-4-5",
    "google--gemini-2.5-pro",
    "google--gemini-2.5-flash",
    "google--gemini-2.5-flash-lite",
    "mistral--mistral-large-2512",
    "mistral--mistral-small-latest",
    "deepseek--deepseek-chat",
    "x-ai--grok-4-0709",
    "x-ai--grok-3-mini",
    "together--meta-llama-llama-3.3-70b-instruct-turbo",
    "fireworks--gpt-oss-120b",
    "groq--llama-3.3-70b-versatile",
    "groq--llama-3.1-8b-instant",
)


_Spec = TypeVar("_Spec", CostAssumptionsSpec, SizingPolicySpec)


@dataclass(frozen=True, slots=True)
class CatalogRows:
    """The catalog entries one estimate uses, each as a plain row (column -> value)."""

    version: int
    api_models: list[dict[str, Any]]
    open_models: list[dict[str, Any]]
    gpus: list[dict[str, Any]]
    offerings: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ResolvedInputs:
    """The request as core specs, with every default that was filled in."""

    workload: WorkloadSpec
    assumptions: CostAssumptionsSpec
    policy: SizingPolicySpec
    self_hosting: SelfHostingSpec
    defaults: list[str]
    build_defaults: build.BuildDefaults


def run_estimate(session: Session, request: EstimateRequest) -> EstimateResponse:
    """Price the request's workload on every API and self-hosted option; stores nothing."""
    request, aliases = slug_resolution.resolve_estimate_names(session, request)
    everything = load_catalog(session, request)
    catalog = _constrained(everything, request)
    inputs = resolve_inputs(request, catalog)
    api_prices = api_prices_for(request, catalog, inputs.defaults)
    break_even_slug = request.break_even_api_model
    if break_even_slug is not None and break_even_slug not in {p.slug for p in api_prices}:
        raise InvalidInputError(
            "break_even_api_model must be one of the compared api_models",
            break_even_api_model=break_even_slug,
        )
    spec, planned, adaptation = _whole_estimate_spec(session, request, catalog, inputs, api_prices)
    plan = decisions.plan_decision(
        session, request, catalog.version, spec.api_prices, planned.candidates
    )
    spec = replace(spec, api_prices=plan.api_prices, candidates=plan.candidates)
    result = estimate(spec)
    whole_out = WholeCostOut(
        time_to_production=_time_to_production_out(spec, result),
        adaptation=[] if adaptation is None else adaptation.report,
        constraints=_constraint_cost(session, request, everything, result),
    )
    response = _response(request, catalog, inputs, planned, result)
    response.assumptions.aliases_resolved = aliases
    blocks = decisions.decision_blocks(
        plan, request, spec, result.tokens_per_month, inputs.self_hosting.engine.value
    )
    return response.model_copy(update={"whole_cost": whole_out, **blocks})


def _whole_estimate_spec(
    session: Session,
    request: EstimateRequest,
    catalog: CatalogRows,
    inputs: ResolvedInputs,
    api_prices: tuple[ApiPriceSpec, ...],
) -> tuple[EstimateSpec, SelfHostingCandidates, build.AdaptationPlan | None]:
    """The core spec with the whole cost of building: team, infrastructure, adaptation and
    time to production (app/services/whole_cost.py)."""
    seen = inputs.build_defaults
    planned = self_hosting_candidates(inputs.self_hosting, inputs.workload)
    models = inputs.self_hosting.models
    adaptation = build.adaptation_plan(
        session,
        request,
        version=catalog.version,
        models=models,
        api_prices=api_prices,
        seen=seen,
    )
    if adaptation is not None:
        api_prices = adaptation.api_prices
    slugs = [p.slug for p in api_prices]
    ttp, interim = build.time_to_production(request, slugs, seen)
    whole = build.whole_cost_spec(
        models=models,
        team=build.team_spec(request, seen),
        infrastructure=build.infrastructure_spec(request, seen),
        ttp=ttp,
        interim_api=interim,
        api_slugs=slugs,
        adaptation=adaptation,
    )
    spec = EstimateSpec(
        workload=inputs.workload,
        api_prices=api_prices,
        candidates=planned.candidates,
        assumptions=inputs.assumptions,
        policy=inputs.policy,
        max_self_hosted_options=request.max_options,
        pinned_open_models=tuple(request.self_hosting.open_models or ()),
        whole=whole,
    )
    return spec, planned, adaptation


def _constrained(catalog: CatalogRows, request: EstimateRequest) -> CatalogRows:
    """The catalog rows the request's privacy and control constraints allow."""
    constraints = request.constraints
    if not build.constraints_active(constraints):
        return catalog
    return replace(
        catalog,
        api_models=build.allowed_api_rows(catalog.api_models, constraints),
        offerings=build.allowed_offering_rows(catalog.offerings, constraints),
    )


def _constraint_cost(
    session: Session, request: EstimateRequest, everything: CatalogRows, result: EstimateResult
) -> ConstraintCostOut | None:
    """The cheapest option with the constraints and without them (a second, lean estimate)."""
    if not build.constraints_active(request.constraints):
        return None
    free = request.model_copy(update={"constraints": ConstraintsIn()})
    inputs = resolve_inputs(free, everything)
    api_prices = api_prices_for(free, everything, [])
    spec, _, _ = _whole_estimate_spec(session, free, everything, inputs, api_prices)
    lean = replace(spec, max_self_hosted_options=1, projection_top_self_hosted=0)
    unconstrained = estimate(lean)
    low = next((o for o in unconstrained.options if o.feasible), None)
    high = next((o for o in result.options if o.feasible), None)
    cost = ConstraintCost(
        None if low is None else low.monthly_cost_usd,
        None if high is None else high.monthly_cost_usd,
    )
    return ConstraintCostOut(
        cheapest_unconstrained_option=None if low is None else low.id,
        cheapest_unconstrained_usd_per_month=cost.cheapest_unconstrained_usd_per_month,
        cheapest_constrained_option=None if high is None else high.id,
        cheapest_constrained_usd_per_month=cost.cheapest_constrained_usd_per_month,
        usd_per_month=cost.usd_per_month,
    )


def _time_to_production_out(
    spec: EstimateSpec, result: EstimateResult
) -> TimeToProductionOut | None:
    whole = spec.whole
    if whole is None or whole.time_to_production is None:
        return None
    ttp = whole.time_to_production
    interim = whole.interim_api_slug
    if interim is None:
        # The core's default: the cheapest API option, all costs included.
        interim = next((o.api_model for o in result.options if o.kind.value == "api"), None)
    return TimeToProductionOut(
        months=ttp.months,
        hiring_lead_months=ttp.hiring_lead_months,
        build_out_months=ttp.build_out_months,
        interim_api_model=interim if ttp.interim_api else None,
    )


# --- catalog --------------------------------------------------------------------------------


def load_catalog(session: Session, request: EstimateRequest) -> CatalogRows:
    version = catalog_cache.resolve_version(session, request.catalog_version)
    sh = request.self_hosting
    gpus = catalog_entries(session, GPUS, sh.gpus, version)
    gpu_slugs = {g["slug"] for g in gpus}
    offerings = [
        row
        for row in catalog_entries(session, GPU_OFFERINGS, sh.offerings, version)
        if row["gpu_slug"] in gpu_slugs
    ]
    return CatalogRows(
        version=version,
        api_models=_api_models(session, request.api_models, version),
        open_models=catalog_entries(session, OPEN_MODELS, sh.open_models, version),
        gpus=gpus,
        offerings=offerings,
    )


def catalog_entries(
    session: Session, resource: CatalogResource, slugs: Sequence[str] | None, version: int
) -> list[dict[str, Any]]:
    """Catalog rows at `version`: the named ones in the order given (all must exist), or all
    of them by slug (from the in-process cache of the catalog's current state)."""
    return catalog_cache.entries(session, resource, slugs, version)


def _api_models(
    session: Session, slugs: Sequence[str] | None, version: int
) -> list[dict[str, Any]]:
    if slugs is not None:
        return catalog_entries(session, API_MODELS, slugs, version)
    return catalog_cache.present(session, API_MODELS, DEFAULT_API_MODELS, version)


# --- request -> specs -----------------------------------------------------------------------


def api_prices_for(
    request: EstimateRequest, catalog: CatalogRows, defaults: list[str]
) -> tuple[ApiPriceSpec, ...]:
    """API price specs with each model's hidden reasoning tokens: the request's, else the
    sourced per-model default (listed in `defaults`)."""
    prices = []
    for row in catalog.api_models:
        slug = row["slug"]
        tokens = request.api_reasoning_tokens.get(slug)
        if tokens is None:
            found = api_usage.default_reasoning_tokens(slug)
            tokens = 0 if found is None else int(found.tokens_per_request)
            if found is not None:
                defaults.append(
                    f"api_reasoning_tokens.{slug} = {tokens} (hidden reasoning billed as "
                    f"output; {found.source} as of {found.as_of})"
                )
        prices.append(catalog_specs.api_price_spec(row, reasoning_tokens_per_request=tokens))
    return tuple(prices)


def resolve_inputs(
    request: EstimateRequest, catalog: CatalogRows, *, team_model: bool = True
) -> ResolvedInputs:
    """The request as core specs. `team_model` False (plans, which price a flat staff figure)
    keeps costs.staff_fte and staff_usd_per_fte_year listed as the defaults that apply."""
    defaults: list[str] = []
    seen = build.BuildDefaults()
    workload = _workload(request, defaults)
    if request.api_models is None:
        defaults.append("api_models = the default flagship set")
    derate = request.sizing.real_world_derate
    if derate is None:
        derate = DEFAULT_REAL_WORLD_DERATE
        defaults.append(f"sizing.real_world_derate = {derate}")
    assumptions = _with_defaults(CostAssumptionsSpec, _costs(request, seen), "costs", defaults)
    if team_model and request.costs.staff_fte is None:
        # The team model applies (assumptions.build_defaults), not a flat staff figure.
        defaults[:] = [d for d in defaults if not d.startswith("costs.staff_")]
        defaults.append("costs.staff_fte: not set, so the team model prices people (see team)")
    _note_self_hosting_defaults(request, defaults)
    sizing = request.sizing.model_dump()
    sizing.pop("real_world_derate")
    policy = _with_defaults(SizingPolicySpec, sizing, "sizing", defaults)
    self_hosting = _self_hosting(request, catalog, derate, policy.max_context_overflow_share, seen)
    return ResolvedInputs(workload, assumptions, policy, self_hosting, defaults, seen)


def _costs(request: EstimateRequest, seen: build.BuildDefaults) -> dict[str, Any]:
    """The request's costs with the sourced cost of capital, and no catch-all overhead where
    infrastructure is itemised."""
    costs = request.costs.model_dump()
    costs["cost_of_capital_per_year"] = build.cost_of_capital(request, seen)
    if costs["ops_overhead_share"] is None and request.infrastructure.itemised:
        costs["ops_overhead_share"] = 0.0
        seen.note("costs.ops_overhead_share = 0 (infrastructure is itemised instead)")
    return costs


def _workload(request: EstimateRequest, defaults: list[str]) -> WorkloadSpec:
    w = request.workload
    if w.requests_per_day is not None:
        volume = w.requests_per_day
    else:
        # The schema guarantees both are given when requests_per_day is not.
        volume = requests_per_day_from_users(w.users or 0.0, w.requests_per_user_per_day or 0.0)
    if w.peak_to_average is None and w.hourly_profile is None:
        defaults.append("workload.peak_to_average = 1 (flat traffic)")
    if w.latency.ttft_p95_s is None and w.latency.tpot_p95_s is None:
        defaults.append("workload.latency: no targets (replicas run at best throughput)")
    cache = w.prompt_cache
    write_share = cache.write_share
    if write_share is None:
        write_share = api_usage.cache_write_share(
            volume, cache.distinct_prefixes, cache.ttl_minutes
        )
        if w.cached_input_share > 0:
            defaults.append(
                f"workload.prompt_cache.write_share = {write_share:.6g} ({cache.distinct_prefixes}"
                f" prefix(es) written every {cache.ttl_minutes:g} minutes over today's volume)"
            )
    return WorkloadSpec(
        requests_per_day=volume,
        input_tokens_mean=float(w.input_tokens),
        output_tokens_mean=float(w.output_tokens),
        input_tokens_p95=None if w.input_tokens_p95 is None else float(w.input_tokens_p95),
        output_tokens_p95=None if w.output_tokens_p95 is None else float(w.output_tokens_p95),
        cached_input_share=w.cached_input_share,
        cache_write_share=write_share,
        batch_share=w.batch_share,
        peak_to_average=w.peak_to_average,
        hourly_weights=None if w.hourly_profile is None else tuple(w.hourly_profile),
        growth_per_month=w.growth_per_month,
        horizon_months=w.horizon_months,
        ttft_p95_s=w.latency.ttft_p95_s,
        tpot_p95_s=w.latency.tpot_p95_s,
        redundancy_replicas=w.availability.redundancy_replicas,
        zones=w.availability.zones,
    )


def _with_defaults(
    spec_type: type[_Spec], given: dict[str, Any], prefix: str, defaults: list[str]
) -> _Spec:
    """`spec_type` from the fields the request set; the others keep the core's defaults,
    each listed in `defaults`."""
    base = spec_type()
    values = {k: v for k, v in given.items() if v is not None}
    for f in fields(spec_type):
        if f.name not in values:
            defaults.append(f"{prefix}.{f.name} = {getattr(base, f.name)}")
    return spec_type(**values)


def _note_self_hosting_defaults(request: EstimateRequest, defaults: list[str]) -> None:
    sh = request.self_hosting
    if "precisions" not in sh.model_fields_set:
        defaults.append(f"self_hosting.precisions = {', '.join(sh.precisions)}")
    if sh.engine is None:
        defaults.append(f"self_hosting.engine = {DEFAULT_ENGINE.value}")
    if sh.tensor_parallel is None:
        defaults.append("self_hosting.tensor_parallel = the smallest TP that fits and the next")
    if sh.offerings is None:
        defaults.append("self_hosting.offerings = the cheapest catalog offering per GPU and mode")
    if PurchaseMode.OWNED in sh.purchase_modes:
        for name in ("amortization_years", "gpus_per_server"):
            if name not in sh.owned.model_fields_set:
                defaults.append(f"self_hosting.owned.{name} = {getattr(sh.owned, name)}")


def _self_hosting(
    request: EstimateRequest,
    catalog: CatalogRows,
    derate: float,
    max_overflow_share: float,
    seen: build.BuildDefaults,
) -> SelfHostingSpec:
    sh = request.self_hosting
    return SelfHostingSpec(
        models=tuple(catalog_specs.open_model_spec_from_row(r) for r in catalog.open_models),
        gpus=tuple(catalog_specs.gpu_spec_from_row(r) for r in catalog.gpus),
        gpu_purchases=tuple(catalog_specs.gpu_purchase_spec(r) for r in catalog.gpus),
        precisions=tuple(sh.precisions),
        purchase_modes=tuple(sh.purchase_modes),
        offerings=tuple(catalog_specs.offering_price_spec(r) for r in catalog.offerings),
        real_world_derate=derate,
        tensor_parallel=None if sh.tensor_parallel is None else tuple(sh.tensor_parallel),
        max_context_overflow_share=max_overflow_share,
        owned=build.owned_terms(request, seen),
        overrides=catalog_specs.gpu_price_override_specs([o.model_dump() for o in sh.gpu_prices]),
        engine=sh.engine or DEFAULT_ENGINE,
    )


# --- result -> response ---------------------------------------------------------------------


def _response(
    request: EstimateRequest,
    catalog: CatalogRows,
    inputs: ResolvedInputs,
    planned: SelfHostingCandidates,
    result: EstimateResult,
) -> EstimateResponse:
    ranked = out.options_out(
        result,
        request.max_options,
        api_models=request.api_models or (),
        open_models=request.self_hosting.open_models or (),
    )
    reference = request.break_even_api_model
    if reference is None and ranked.cheapest_api is not None:
        reference = ranked.cheapest_api
        inputs.defaults.append(f"break_even_api_model = {reference} (cheapest API option)")
    break_evens, break_even = out.break_evens_out(result, reference)
    return EstimateResponse(
        requests_per_day=inputs.workload.requests_per_day,
        tokens_per_month=result.tokens_per_month,
        options=ranked.returned,
        options_total=ranked.total,
        infeasible=out.infeasible_out(planned.infeasible, result),
        break_even=break_even,
        break_evens=break_evens,
        projection=out.projection_out(result),
        assumptions=assumptions_out(catalog, inputs, planned),
    )


def assumptions_out(
    catalog: CatalogRows, inputs: ResolvedInputs, planned: SelfHostingCandidates
) -> AssumptionsOut:
    derate = inputs.self_hosting.real_world_derate
    used = set(planned.offering_slugs)
    return AssumptionsOut(
        catalog_version=catalog.version,
        estimator_version=f"{CORE_VERSION} (performance derate {derate})",
        workload=out.jsonable_spec(inputs.workload),
        costs=out.jsonable_spec(inputs.assumptions),
        sizing={**out.jsonable_spec(inputs.policy), "real_world_derate": derate},
        defaults_applied=inputs.defaults + inputs.build_defaults.notes,
        build_defaults=inputs.build_defaults.out(),
        api_models=[out.catalog_dict(r) for r in catalog.api_models],
        open_models=[out.catalog_dict(r) for r in catalog.open_models],
        gpus=[out.catalog_dict(r) for r in catalog.gpus],
        offerings=[
            out.catalog_dict(r)
            for r in sorted(catalog.offerings, key=lambda r: r["slug"])
            if r["slug"] in used
        ],
    )
