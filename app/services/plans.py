"""Plan use case: resolve the catalog at one version, model every configuration per length
bucket, and let the core's MILP pick the mix. Nothing is stored.

Candidates, capacities and prices are built exactly as for /v1/estimates (the same helpers),
so a plan with one length bucket and one configuration prices it as the estimate does. An
offering with limited availability brings the next cheaper offerings of that GPU and mode in
as well, until one is unlimited, so that a plan can spill over when one runs out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict

import numpy as np
from sqlalchemy.orm import Session

from app.catalog.seed_data import gpu_spec_from_row, open_model_spec_from_row
from app.core import memory as core_memory
from app.core.economics import PurchaseMode, PurchaseOptionSpec, SelfHostedCandidateSpec
from app.core.estimate import CORE_VERSION
from app.core.length_buckets import bucket_workload, length_buckets
from app.core.performance import DEFAULT_REAL_WORLD_DERATE
from app.core.planning import PlanResult, PlanSpec, plan
from app.core.planning_model import PlanLimitsSpec
from app.db.orm import GpuOffering
from app.errors import InvalidInputError
from app.schemas.estimates import AssumptionsOut, EstimateRequest, InfeasibleOut
from app.schemas.plans import PlanRequest, PlanResponse
from app.services import catalog as catalog_service
from app.services import estimates as est
from app.services import plan_response
from app.services.catalog import API_MODELS, GPUS, OPEN_MODELS


def run_plan(session: Session, request: PlanRequest) -> PlanResponse:
    """The cheapest plan for the request's workload within its limits; stores nothing."""
    version = catalog_service.resolve_version(session, version=request.catalog_version)
    estimate_request = as_estimate_request(request)
    defaults: list[str] = []
    workload = est._workload(estimate_request, defaults)
    api_rows = est._api_models(session, estimate_request, version, defaults)
    overflow_rows = (
        est._entries(session, API_MODELS, [request.api_overflow_model], version)
        if request.api_overflow_model is not None
        else []
    )
    model_rows = est._entries(session, OPEN_MODELS, request.self_hosting.open_models, version)
    gpu_rows = est._entries(session, GPUS, request.self_hosting.gpus, version)
    offering_rows = est._offerings(session, estimate_request, version, {g.slug for g in gpu_rows})
    models = [open_model_spec_from_row(catalog_service.entry_row(m)) for m in model_rows]
    gpus = [gpu_spec_from_row(catalog_service.entry_row(g)) for g in gpu_rows]
    derate = request.sizing.real_world_derate
    if derate is None:
        derate = DEFAULT_REAL_WORLD_DERATE
        defaults.append(f"sizing.real_world_derate = {derate}")
    infeasible: list[InfeasibleOut] = []
    candidates = est._pick_candidates(estimate_request, models, gpus, workload, infeasible)
    assumptions = est._assumptions(estimate_request, defaults)
    est._note_self_hosting_defaults(estimate_request, defaults)
    policy = est._policy(estimate_request, defaults)
    buckets = length_buckets(
        workload,
        count=request.length_buckets.count,
        edges_input_tokens=_edges(request),
    )
    availability = _availability(request, offering_rows)

    used: dict[str, GpuOffering] = {}
    prices = est._offering_prices(offering_rows)
    pricing: dict[tuple[int, int], list[PurchaseOptionSpec]] = {}
    pairs = zip(candidates.gpu_index.tolist(), candidates.tensor_parallel.tolist(), strict=True)
    for gi, tp in sorted(set(pairs)):
        options, _ = est._purchase_options(estimate_request, gpu_rows[gi], tp, prices, used)
        pricing[gi, tp] = options + _spill_over(
            options, gpu_rows[gi].slug, tp, prices, availability, used
        )
    keep = np.asarray(
        [
            bool(pricing[gi, tp])
            for gi, tp in zip(
                candidates.gpu_index.tolist(), candidates.tensor_parallel.tolist(), strict=True
            )
        ],
        dtype=bool,
    )
    candidates = candidates.take(np.flatnonzero(keep))
    specs = tuple(
        SelfHostedCandidateSpec(
            label=est._label(models[mi].slug, gpu_rows[gi].slug, tp, core_memory.PRECISIONS[pi]),
            open_model_slug=models[mi].slug,
            gpu_slug=gpu_rows[gi].slug,
            tensor_parallel=tp,
            precision=core_memory.PRECISIONS[pi].value,
            gpu_tdp_w=gpus[gi].tdp_w,
            capacity=None,
            purchase_options=tuple(pricing[gi, tp]),
        )
        for mi, gi, tp, pi in zip(
            candidates.model_index.tolist(),
            candidates.gpu_index.tolist(),
            candidates.tensor_parallel.tolist(),
            candidates.precision_index.tolist(),
            strict=True,
        )
    )
    bucket_capacities = tuple(
        tuple(est._capacities(models, gpus, candidates, bucket_workload(workload, b), derate))
        for b in buckets
    )
    labels = {o.label for s in specs for o in s.purchase_options}
    limits = PlanLimitsSpec(
        available_instances=tuple(
            (slug, count) for slug, count in sorted(availability.items()) if slug in labels
        ),
        power_cap_kw=request.limits.power_cap_kw,
        upfront_budget_usd=request.limits.upfront_budget_usd,
        max_spot_share=request.limits.max_spot_share,
    )
    result = plan(
        PlanSpec(
            workload=workload,
            buckets=buckets,
            candidates=specs,
            bucket_capacities=bucket_capacities,
            assumptions=assumptions,
            policy=policy,
            limits=limits,
            api_overflow=est._api_price(overflow_rows[0]) if overflow_rows else None,
            api_prices=tuple(est._api_price(row) for row in api_rows),
            time_limit_s=request.time_limit_s,
        )
    )
    assumptions_out = AssumptionsOut(
        catalog_version=version,
        estimator_version=f"{CORE_VERSION} (performance derate {derate})",
        workload=est._jsonable(asdict(workload)),
        costs=est._jsonable(asdict(assumptions)),
        sizing={**est._jsonable(asdict(policy)), "real_world_derate": derate},
        defaults_applied=defaults,
        api_models=[est._catalog_dict(r) for r in [*api_rows, *overflow_rows]],
        open_models=[est._catalog_dict(r) for r in model_rows],
        gpus=[est._catalog_dict(r) for r in gpu_rows],
        offerings=[est._catalog_dict(r) for r in sorted(used.values(), key=lambda o: o.slug)],
    )
    return plan_response.build(
        request,
        result,
        specs,
        buckets,
        workload,
        offerings={o.slug: o for o in offering_rows},
        infeasible=est._dedupe(infeasible),
        assumptions=assumptions_out,
    )


def as_estimate_request(request: PlanRequest) -> EstimateRequest:
    """The estimate request with the same workload, options and assumptions."""
    return EstimateRequest(
        workload=request.workload,
        api_models=request.api_models,
        self_hosting=request.self_hosting,
        costs=request.costs,
        sizing=request.sizing,
        catalog_version=request.catalog_version,
    )


def _edges(request: PlanRequest) -> tuple[float, ...] | None:
    edges = request.length_buckets.edges_input_tokens
    return None if edges is None else tuple(float(e) for e in edges)


def _availability(request: PlanRequest, offerings: Sequence[GpuOffering]) -> dict[str, int]:
    """Instances per offering that can be held at once: the catalog's, then the request's."""
    known = {o.slug for o in offerings}
    out = {o.slug: o.available_quantity for o in offerings if o.available_quantity is not None}
    unknown = [a.offering for a in request.limits.available_instances if a.offering not in known]
    if unknown:
        raise InvalidInputError(
            "limits.available_instances names offerings that are not among the GPUs and "
            "offerings considered: " + ", ".join(unknown),
            offerings=unknown,
        )
    out.update({a.offering: a.instances for a in request.limits.available_instances})
    return out


def _spill_over(
    options: Iterable[PurchaseOptionSpec],
    gpu_slug: str,
    tensor_parallel: int,
    prices: Sequence[est._OfferingPrice],
    availability: dict[str, int],
    used: dict[str, GpuOffering],
) -> list[PurchaseOptionSpec]:
    """Next-cheapest offerings behind each limited one, up to and including an unlimited one."""
    extra: list[PurchaseOptionSpec] = []
    for option in options:
        if option.mode is PurchaseMode.OWNED or option.label not in availability:
            continue
        mode = option.mode.value
        ranked = sorted(
            (
                (p.usd_per_instance_hour[mode] / p.gpu_count, p.offering.slug, p)
                for p in prices
                if p.gpu_slug == gpu_slug
                and mode in p.usd_per_instance_hour
                and p.gpu_count >= tensor_parallel
                and p.offering.slug != option.label
            ),
            key=lambda entry: (entry[0], entry[1]),
        )
        for _, slug, price in ranked:
            if availability.get(slug) == 0:
                continue
            used[slug] = price.offering
            extra.append(
                PurchaseOptionSpec(
                    mode=option.mode,
                    label=slug,
                    usd_per_instance_hour=price.usd_per_instance_hour[mode],
                    gpus_per_instance=price.gpu_count,
                )
            )
            if slug not in availability:
                break
    return extra


__all__ = ["PlanResult", "as_estimate_request", "run_plan"]
