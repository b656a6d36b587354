"""Estimate use case: resolve the catalog at one version, map rows and the request into core
specs, run the core, map the result. Nothing is stored; the response repeats every catalog
value and default it used.

The pieces live beside it: the catalog rows (estimate_catalog.py), the request as core specs
and the assumptions block (estimate_specs.py), the whole cost of building and constraints
(estimate_whole_cost.py), the decision blocks (decisions.py) and the procurement plan asked
for with `plan` (plans.py).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from app.core.estimate import estimate
from app.core.estimate_types import EstimateResult
from app.core.self_hosting import SelfHostingCandidates
from app.errors import InvalidInputError
from app.metrics import timed
from app.schemas.estimates import EstimateRequest, EstimateResponse
from app.schemas.plans import PlanResponse
from app.schemas.whole_cost import WholeCostOut
from app.services import candidate_memo, decisions, plans, slug_resolution
from app.services import estimate_response as out
from app.services import estimate_whole_cost as whole_cost
from app.services.compute_slots import compute_slot
from app.services.estimate_catalog import CatalogRows, load_catalog
from app.services.estimate_specs import (
    ResolvedInputs,
    api_prices_for,
    assumptions_out,
    resolve_inputs,
)
from app.services.response_cache import ResponseCache, cached_answer


def estimate_json(
    session: Session, request: EstimateRequest, cache: ResponseCache | None = None
) -> tuple[bytes, bool]:
    """The estimate's JSON body, and whether it came from `cache` (response_cache.py)."""

    def compute() -> EstimateResponse:
        with timed("estimate"):
            return run_estimate(session, request)

    return cached_answer("estimate", cache, session, request, compute)


def run_estimate(session: Session, request: EstimateRequest) -> EstimateResponse:
    """Price the request's workload on every API and self-hosted option; stores nothing."""
    with compute_slot():
        return _estimate(session, request)


def _estimate(session: Session, request: EstimateRequest) -> EstimateResponse:
    request, aliases = slug_resolution.resolve_estimate_names(session, request)
    # First, so that limits no plan can meet are refused before the estimate runs.
    plan = _plan(session, request)
    everything = load_catalog(session, request)
    catalog = whole_cost.constrained(everything, request)
    inputs = resolve_inputs(request, catalog)
    api_prices = api_prices_for(request, catalog, inputs.defaults)
    break_even_slug = request.break_even_api_model
    if break_even_slug is not None and break_even_slug not in {p.slug for p in api_prices}:
        raise InvalidInputError(
            "break_even_api_model must be one of the compared api_models",
            break_even_api_model=break_even_slug,
        )
    spec, planned, adaptation = whole_cost.whole_estimate_spec(
        session, request, catalog, inputs, api_prices
    )
    decision = decisions.plan_decision(
        session, request, catalog.version, spec.api_prices, planned.candidates
    )
    spec = replace(spec, api_prices=decision.api_prices, candidates=decision.candidates)
    result = estimate(spec, candidate_memo.MEMO.table)
    whole_out = WholeCostOut(
        time_to_production=whole_cost.time_to_production_out(spec, result),
        adaptation=[] if adaptation is None else adaptation.report,
        constraints=whole_cost.constraint_cost(session, request, everything, result),
    )
    response = _response(request, catalog, inputs, planned, result)
    response.assumptions.aliases_resolved = aliases
    blocks = decisions.decision_blocks(
        decision,
        request,
        spec,
        result.tokens_per_month,
        inputs.self_hosting.engine.value,
        envelopes=result.envelopes,
    )
    return response.model_copy(update={"whole_cost": whole_out, "plan": plan, **blocks})


def _plan(session: Session, request: EstimateRequest) -> PlanResponse | None:
    """The procurement plan of the estimate's input, when `plan` asks for one: exactly what
    `POST /v1/plans` answers for the same workload, options, assumptions and settings."""
    if request.plan is None:
        return None
    return plans.run_plan(session, plans.plan_request(request, request.plan))


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
