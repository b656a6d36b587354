"""Plan use case: resolve the catalog at one version and the request into core specs exactly as
for an estimate, let the core build per-bucket candidates and solve the plan, map the result.
Nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from app.core.api_cost import ApiPriceSpec
from app.core.length_buckets import length_buckets
from app.core.plan_candidates import PlanCandidates, plan_candidates
from app.core.planning import PlanSpec, plan
from app.core.planning_model import PlanLimitsSpec
from app.core.self_hosting import SelfHostingCandidates
from app.errors import InvalidInputError
from app.schemas.estimates import EstimateRequest
from app.schemas.plan_settings import PlanSettingsIn
from app.schemas.plans import PlanRequest, PlanResponse
from app.schemas.whole_cost import InfrastructureIn
from app.services import estimate_response as estimate_out
from app.services import plan_response
from app.services.catalog_resources import API_MODELS
from app.services.compute_slots import compute_slot
from app.services.estimate_catalog import CatalogRows, catalog_entries, load_catalog
from app.services.estimate_specs import (
    ResolvedInputs,
    api_prices_for,
    assumptions_out,
    resolve_inputs,
)


def run_plan(session: Session, request: PlanRequest) -> PlanResponse:
    """The cheapest plan for the request's workload within its limits; stores nothing."""
    with compute_slot():
        return _plan(session, request)


def _plan(session: Session, request: PlanRequest) -> PlanResponse:
    estimate_request = as_estimate_request(request)
    # The same catalog rows and specs (and listed defaults) an estimate would use.
    catalog = load_catalog(session, estimate_request)
    # Plans price a flat staff figure and no itemised infrastructure (issue 11's team model and
    # line items are estimate-only so far).
    inputs = resolve_inputs(estimate_request, catalog, team_model=False)
    overflow_rows, overflow = _overflow(session, request, estimate_request, catalog, inputs)
    edges = request.length_buckets.edges_input_tokens
    buckets = length_buckets(
        inputs.workload,
        count=request.length_buckets.count,
        edges_input_tokens=None if edges is None else tuple(float(e) for e in edges),
    )
    availability = _availability(request, catalog.offerings)
    planned = plan_candidates(inputs.self_hosting, inputs.workload, buckets, availability)
    result = plan(
        PlanSpec(
            workload=inputs.workload,
            buckets=buckets,
            candidates=planned.candidates,
            bucket_capacities=planned.bucket_capacities,
            assumptions=inputs.assumptions,
            policy=inputs.policy,
            limits=_limits(request, availability, set(planned.offering_slugs)),
            api_overflow=overflow,
            api_prices=api_prices_for(estimate_request, catalog, inputs.defaults),
            time_limit_s=request.time_limit_s,
        )
    )
    assumptions = assumptions_out(catalog, inputs, _as_estimated(planned))
    known = {m["slug"] for m in assumptions.api_models}
    assumptions.api_models += [
        estimate_out.catalog_dict(r) for r in overflow_rows if r["slug"] not in known
    ]
    return plan_response.build(
        request,
        result,
        planned.candidates,
        buckets,
        inputs.workload,
        offerings={o["slug"]: o for o in catalog.offerings},
        infeasible=plan_response.infeasible_out(planned.infeasible),
        assumptions=assumptions,
    )


def _overflow(
    session: Session,
    request: PlanRequest,
    estimate_request: EstimateRequest,
    catalog: CatalogRows,
    inputs: ResolvedInputs,
) -> tuple[list[dict[str, Any]], ApiPriceSpec | None]:
    """The overflow API model's catalog row and price, priced exactly as the estimate prices
    API models (reasoning tokens, with their default listed once)."""
    if request.api_overflow_model is None:
        return [], None
    rows = catalog_entries(session, API_MODELS, [request.api_overflow_model], catalog.version)
    compared = {row["slug"] for row in catalog.api_models}
    defaults = [] if request.api_overflow_model in compared else inputs.defaults
    (price,) = api_prices_for(estimate_request, replace(catalog, api_models=rows), defaults)
    return rows, price


def _limits(
    request: PlanRequest, availability: Mapping[str, int], used_offerings: set[str]
) -> PlanLimitsSpec:
    return PlanLimitsSpec(
        available_instances=tuple(
            (slug, count) for slug, count in sorted(availability.items()) if slug in used_offerings
        ),
        power_cap_kw=request.limits.power_cap_kw,
        upfront_budget_usd=request.limits.upfront_budget_usd,
        max_spot_share=request.limits.max_spot_share,
    )


def plan_request(estimate: EstimateRequest, settings: PlanSettingsIn) -> PlanRequest:
    """The plan of an estimate's input with these plan settings."""
    return PlanRequest.model_validate(
        {
            **settings.model_dump(exclude_unset=True),
            **estimate.model_dump(
                include={
                    "workload",
                    "self_hosting",
                    "costs",
                    "sizing",
                    "api_models",
                    "api_reasoning_tokens",
                    "catalog_version",
                },
                exclude_unset=True,
            ),
        }
    )


def as_estimate_request(request: PlanRequest) -> EstimateRequest:
    """The estimate request with the same workload, options and assumptions."""
    return EstimateRequest(
        workload=request.workload,
        api_models=request.api_models,
        self_hosting=request.self_hosting,
        costs=request.costs,
        sizing=request.sizing,
        api_reasoning_tokens=request.api_reasoning_tokens,
        catalog_version=request.catalog_version,
        infrastructure=InfrastructureIn(itemised=False),
    )


def _as_estimated(planned: PlanCandidates) -> SelfHostingCandidates:
    return SelfHostingCandidates(planned.candidates, planned.infeasible, planned.offering_slugs)


def _availability(request: PlanRequest, offerings: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Instances per offering that can be held at once: the catalog's, then the request's."""
    known = {str(o["slug"]) for o in offerings}
    out = {
        str(o["slug"]): int(o["available_quantity"])
        for o in offerings
        if o.get("available_quantity") is not None
    }
    unknown = [a.offering for a in request.limits.available_instances if a.offering not in known]
    if unknown:
        raise InvalidInputError(
            "limits.available_instances names offerings that are not among the GPUs and "
            "offerings considered: " + ", ".join(unknown),
            offerings=unknown,
        )
    out.update({a.offering: a.instances for a in request.limits.available_instances})
    return out
