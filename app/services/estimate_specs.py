"""The estimate request as core specs, every default it fills in listed, and the assumptions
block that repeats them (shared by estimates and plans)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

from app.core.api_cost import ApiPriceSpec
from app.core.economics import CostAssumptionsSpec
from app.core.engines import DEFAULT_ENGINE
from app.core.estimate_types import CORE_VERSION
from app.core.fleet import SizingPolicySpec
from app.core.performance import DEFAULT_REAL_WORLD_DERATE
from app.core.purchasing import PurchaseMode
from app.core.self_hosting import SelfHostingCandidates, SelfHostingSpec
from app.core.workload import WorkloadSpec, requests_per_day_from_users
from app.schemas.estimates import AssumptionsOut, EstimateRequest
from app.services import api_usage, catalog_specs
from app.services import estimate_response as out
from app.services import whole_cost as build
from app.services.estimate_catalog import CatalogRows

_Spec = TypeVar("_Spec", CostAssumptionsSpec, SizingPolicySpec)


@dataclass(frozen=True, slots=True)
class ResolvedInputs:
    """The request as core specs, with every default that was filled in."""

    workload: WorkloadSpec
    assumptions: CostAssumptionsSpec
    policy: SizingPolicySpec
    self_hosting: SelfHostingSpec
    defaults: list[str]
    build_defaults: build.BuildDefaults


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
