"""Map the core's PlanResult onto the /v1/plans response."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.core.candidates import InfeasibleCandidate
from app.core.economics import SelfHostedCandidateSpec
from app.core.length_buckets import LengthBucket
from app.core.planning import PlannedPool, PlanResult
from app.core.purchasing import PurchaseOptionSpec
from app.core.workload import HOURS_PER_DAY, SECONDS_PER_HOUR, WorkloadSpec, hourly_shares
from app.schemas.estimates import AssumptionsOut, InfeasibleOut
from app.schemas.plans import (
    ApiComparisonOut,
    BindingLimitOut,
    BucketOut,
    HourOut,
    PlanLineOut,
    PlanRequest,
    PlanResponse,
    SingleTypeOut,
    SolverOut,
)

API = "api"


def build(
    request: PlanRequest,
    result: PlanResult,
    specs: Sequence[SelfHostedCandidateSpec],
    buckets: Sequence[LengthBucket],
    workload: WorkloadSpec,
    *,
    offerings: Mapping[str, Mapping[str, Any]],
    infeasible: list[InfeasibleOut],
    assumptions: AssumptionsOut,
) -> PlanResponse:
    """The response for one solved plan."""
    lines = [_line(pool, specs[pool.candidate_index], offerings) for pool in result.pools]
    volume = workload.requests_per_day
    bucket_out = _buckets_out(result, lines, buckets, volume)
    hours = _hours_out(result, lines, workload)
    api = sorted(
        (
            ApiComparisonOut(
                api_model=c.slug,
                monthly_cost_usd=c.monthly_cost_usd,
                plan_saving_usd_per_month=c.monthly_cost_usd - result.monthly_cost_usd,
            )
            for c in result.api_costs
        ),
        key=lambda a: (a.monthly_cost_usd, a.api_model),
    )
    return PlanResponse(
        requests_per_day=volume,
        monthly_cost_usd=result.monthly_cost_usd,
        breakdown=result.breakdown,
        lines=lines,
        api_overflow_model=request.api_overflow_model,
        api_requests_per_day=sum(result.api_requests_per_day_by_bucket),
        buckets=bucket_out,
        hours=hours,
        best_single_type=_single(result, specs, offerings),
        api_comparison=api,
        binding_limits=[
            BindingLimitOut(
                limit=b.limit,
                used=b.used,
                allowed=b.allowed,
                saving_usd_per_month=b.saving_usd_per_month,
            )
            for b in result.binding_limits
        ],
        solver=SolverOut(
            status=result.solver_status,
            optimality_gap=result.optimality_gap,
            solve_time_s=result.solve_time_s,
            time_limit_s=request.time_limit_s,
            pools=sum(len(s.purchase_options) for s in specs),
        ),
        infeasible=infeasible,
        assumptions=assumptions,
    )


def _buckets_out(
    result: PlanResult, lines: Sequence[PlanLineOut], buckets: Sequence[LengthBucket], volume: float
) -> list[BucketOut]:
    out = []
    for b, bucket in enumerate(buckets):
        requests = volume * bucket.request_share
        served = {
            line.label: pool.requests_per_day_by_bucket[b] / requests
            for line, pool in zip(lines, result.pools, strict=True)
            if requests > 0 and pool.requests_per_day_by_bucket[b] > 0
        }
        api_requests = result.api_requests_per_day_by_bucket[b]
        if requests > 0 and api_requests > 0:
            served[API] = api_requests / requests
        top = bucket.input_tokens_max
        out.append(
            BucketOut(
                index=b,
                input_tokens_min=bucket.input_tokens_min,
                input_tokens_max=None if math.isinf(top) else top,
                input_tokens_mean=bucket.input_tokens_mean,
                input_tokens_sizing=bucket.input_tokens_sizing,
                request_share=bucket.request_share,
                requests_per_day=requests,
                served_by=served,
            )
        )
    return out


def _hours_out(
    result: PlanResult, lines: Sequence[PlanLineOut], workload: WorkloadSpec
) -> list[HourOut]:
    volume = workload.requests_per_day
    demand = volume * (1.0 - workload.batch_share) * hourly_shares(workload) / SECONDS_PER_HOUR
    return [
        HourOut(
            hour=h,
            requests_per_s=float(demand[h]),
            instances={
                line.label: pool.instances_by_hour[h]
                for line, pool in zip(lines, result.pools, strict=True)
            },
            api_requests_per_s=result.api_requests_per_s_by_hour[h],
        )
        for h in range(HOURS_PER_DAY)
    ]


def infeasible_out(unpriced: Iterable[InfeasibleCandidate]) -> list[InfeasibleOut]:
    """What could not be priced, once per (model, GPU, TP, precision, mode)."""
    seen: dict[tuple[object, ...], InfeasibleCandidate] = {}
    for item in unpriced:
        identity = (item.open_model, item.gpu, item.tensor_parallel, item.precision)
        seen.setdefault((*identity, item.purchase_mode), item)
    return [InfeasibleOut.model_validate(item, from_attributes=True) for item in seen.values()]


def _offering(
    option: PurchaseOptionSpec, offerings: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    return None if option.offering_slug is None else offerings.get(option.offering_slug)


def _label(spec: SelfHostedCandidateSpec, option: PurchaseOptionSpec) -> str:
    suffix = f" ({option.label})" if option.label else ""
    return f"{spec.label} · {option.mode.value}{suffix}"


def _line(
    pool: PlannedPool, spec: SelfHostedCandidateSpec, offerings: Mapping[str, Mapping[str, Any]]
) -> PlanLineOut:
    offering = _offering(pool.option, offerings)
    peak = max(range(HOURS_PER_DAY), key=lambda h: pool.instances_by_hour[h])
    return PlanLineOut(
        label=_label(spec, pool.option),
        open_model=spec.open_model_slug,
        gpu=spec.gpu_slug,
        tensor_parallel=spec.tensor_parallel,
        precision=spec.precision,
        purchase_mode=pool.option.mode.value,
        offering=pool.option.offering_slug,
        provider=None if offering is None else offering["provider"],
        region=None if offering is None else offering["region"],
        held_all_day=pool.held,
        gpus_per_instance=pool.option.gpus_per_instance,
        instances=pool.instances_by_hour[peak],
        gpus=pool.gpus_by_hour[peak],
        average_instances=sum(pool.instances_by_hour) / HOURS_PER_DAY,
        serving_replicas=max(pool.serving_replicas_by_hour),
        replicas=max(pool.replicas_by_hour),
        instances_by_hour=list(pool.instances_by_hour),
        requests_per_day_by_bucket=list(pool.requests_per_day_by_bucket),
        monthly_cost_usd=pool.monthly_cost_usd,
        breakdown={k: v for k, v in pool.breakdown.items() if k not in ("staff", API)},
        power_kw=pool.power_kw,
        upfront_usd=pool.upfront_usd,
    )


def _single(
    result: PlanResult,
    specs: Sequence[SelfHostedCandidateSpec],
    offerings: Mapping[str, Mapping[str, Any]],
) -> SingleTypeOut | None:
    single, ci, option = (
        result.best_single_type,
        result.best_single_type_candidate,
        result.best_single_type_option,
    )
    if single is None or ci is None or option is None:
        return None
    spec = specs[ci]
    saving = single.monthly_cost_usd - result.monthly_cost_usd
    return SingleTypeOut(
        label=_label(spec, option),
        open_model=spec.open_model_slug,
        gpu=spec.gpu_slug,
        purchase_mode=option.mode.value,
        offering=option.offering_slug,
        monthly_cost_usd=single.monthly_cost_usd,
        instances=single.instances,
        gpus=single.gpus,
        within_limits=result.best_single_type_within_limits,
        plan_saving_usd_per_month=saving,
        plan_saving_share=saving / single.monthly_cost_usd if single.monthly_cost_usd > 0 else 0.0,
    )
