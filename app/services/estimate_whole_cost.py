"""The whole cost of building an estimate's self-hosted options: the core spec with team,
infrastructure, adaptation and time to production (app/services/whole_cost.py), the
privacy and control constraints, and what they cost."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from app.core.api_cost import ApiPriceSpec
from app.core.build_out import ConstraintCost
from app.core.estimate import estimate
from app.core.estimate_types import EstimateResult, EstimateSpec
from app.core.self_hosting import SelfHostingCandidates
from app.schemas.estimates import EstimateRequest
from app.schemas.whole_cost import ConstraintCostOut, ConstraintsIn, TimeToProductionOut
from app.services import candidate_memo
from app.services import whole_cost as build
from app.services.estimate_catalog import CatalogRows
from app.services.estimate_specs import ResolvedInputs, api_prices_for, resolve_inputs


def whole_estimate_spec(
    session: Session,
    request: EstimateRequest,
    catalog: CatalogRows,
    inputs: ResolvedInputs,
    api_prices: tuple[ApiPriceSpec, ...],
) -> tuple[EstimateSpec, SelfHostingCandidates, build.AdaptationPlan | None]:
    """The core spec with the whole cost of building: team, infrastructure, adaptation and
    time to production (app/services/whole_cost.py)."""
    seen = inputs.build_defaults
    planned = candidate_memo.MEMO.candidates(inputs.self_hosting, inputs.workload)
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


def constrained(catalog: CatalogRows, request: EstimateRequest) -> CatalogRows:
    """The catalog rows the request's privacy and control constraints allow."""
    constraints = request.constraints
    if not build.constraints_active(constraints):
        return catalog
    return replace(
        catalog,
        api_models=build.allowed_api_rows(catalog.api_models, constraints),
        offerings=build.allowed_offering_rows(catalog.offerings, constraints),
    )


def constraint_cost(
    session: Session, request: EstimateRequest, everything: CatalogRows, result: EstimateResult
) -> ConstraintCostOut | None:
    """The cheapest option with the constraints and without them (a second, lean estimate)."""
    if not build.constraints_active(request.constraints):
        return None
    free = request.model_copy(update={"constraints": ConstraintsIn()})
    inputs = resolve_inputs(free, everything)
    api_prices = api_prices_for(free, everything, [])
    spec, _, _ = whole_estimate_spec(session, free, everything, inputs, api_prices)
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


def time_to_production_out(
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
