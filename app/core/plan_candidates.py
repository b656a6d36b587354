"""Candidates for the procurement planner: the estimate's candidate grid and purchase choice
(app/core/candidates.py, app/core/purchasing.py), a capacity curve per length bucket, and
spill-over offerings behind each offering whose availability is limited.

The grid is chosen once at the workload's overall p95 lengths (as for an estimate), so every
bucket sees the same configurations; a configuration that cannot serve a bucket's lengths gets
no throughput there and the planner does not route that bucket to it.

Replicas that span several servers (pipeline stages, app/core/candidates.py) are skipped here
and listed as infeasible with the reason: the planner's pools and availability limits count
one-server replicas. Estimates price them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.core.candidates import (
    CandidateGrid,
    InfeasibleCandidate,
    candidate_grid,
    candidate_label,
    capacity_curves,
)
from app.core.economics import SelfHostedCandidateSpec
from app.core.fleet import ReplicaCapacitySpec
from app.core.length_buckets import LengthBucket, bucket_workload
from app.core.purchasing import (
    OfferingPriceSpec,
    PurchaseChoice,
    PurchaseMode,
    PurchaseOptionSpec,
)
from app.core.self_hosting import (
    SelfHostingSpec,
    candidate_specs,
    offering_slugs,
    payable,
    purchase_choices,
)
from app.core.workload import WorkloadSpec


@dataclass(frozen=True, slots=True)
class PlanCandidates:
    """Priced candidates, their curve in every bucket ([bucket][candidate]), what could not
    be priced, and the catalog offerings the options use."""

    candidates: tuple[SelfHostedCandidateSpec, ...]
    bucket_capacities: tuple[tuple[ReplicaCapacitySpec, ...], ...]
    infeasible: tuple[InfeasibleCandidate, ...]
    offering_slugs: tuple[str, ...]


def plan_candidates(
    spec: SelfHostingSpec,
    workload: WorkloadSpec,
    buckets: Sequence[LengthBucket],
    available_instances: Mapping[str, int],
) -> PlanCandidates:
    """Every runnable, payable configuration with its purchase options and bucket curves."""
    grid, infeasible = candidate_grid(
        spec.models,
        spec.gpus,
        workload,
        spec.precisions,
        spec.tensor_parallel,
        spec.max_context_overflow_share,
    )
    grid, multi_server = _one_server(spec, grid)
    infeasible = (*infeasible, *multi_server)

    def spill_over(choice: PurchaseChoice, gpu_slug: str, tensor_parallel: int) -> PurchaseChoice:
        extra = spill_over_options(
            choice.options, gpu_slug, tensor_parallel, spec.offerings, available_instances
        )
        return PurchaseChoice(choice.options + extra, choice.missing)

    choices, unpriced = purchase_choices(spec, grid, spill_over)
    grid = payable(grid, choices)
    curves = tuple(
        tuple(
            capacity_curves(
                spec.models,
                spec.gpus,
                grid,
                bucket_workload(workload, bucket),
                spec.real_world_derate,
                spec.engine,
            )
        )
        for bucket in buckets
    )
    # One curve per bucket instead of one per candidate.
    candidates = candidate_specs(spec, grid, choices, [None] * len(grid))
    return PlanCandidates(
        candidates, curves, tuple(infeasible) + tuple(unpriced), offering_slugs(choices)
    )


def _one_server(
    spec: SelfHostingSpec, grid: CandidateGrid
) -> tuple[CandidateGrid, tuple[InfeasibleCandidate, ...]]:
    """The grid's one-server rows, and why each multi-server row is left out."""
    spans = np.flatnonzero(grid.pipeline_parallel > 1).tolist()
    skipped = tuple(_not_planned(spec, grid, row) for row in spans)
    return grid.take(np.flatnonzero(grid.pipeline_parallel == 1)), skipped


def _not_planned(spec: SelfHostingSpec, grid: CandidateGrid, row: int) -> InfeasibleCandidate:
    model = spec.models[int(grid.model_index[row])]
    gpu = spec.gpus[int(grid.gpu_index[row])]
    tp, pp = int(grid.tensor_parallel[row]), int(grid.pipeline_parallel[row])
    precision = grid.precision(row).value
    return InfeasibleCandidate(
        label=candidate_label(model.slug, gpu.slug, tp, precision, pp),
        gpu=gpu.slug,
        reason=f"a replica spanning {pp} servers is not planned: the procurement planner packs "
        "one-server replicas (POST /v1/estimates prices it)",
        open_model=model.slug,
        tensor_parallel=tp,
        precision=precision,
    )


def spill_over_options(
    options: Sequence[PurchaseOptionSpec],
    gpu_slug: str,
    tensor_parallel: int,
    offerings: Sequence[OfferingPriceSpec],
    available_instances: Mapping[str, int],
) -> tuple[PurchaseOptionSpec, ...]:
    """Behind each limited offering, the next cheaper ones per GPU-hour (same GPU and mode,
    big enough for a replica), up to and including the first unlimited one."""
    extra: list[PurchaseOptionSpec] = []
    for option in options:
        slug = option.offering_slug
        if option.mode is PurchaseMode.OWNED or slug is None or slug not in available_instances:
            continue
        mode = option.mode
        ranked = sorted(
            (
                o
                for o in offerings
                if o.gpu_slug == gpu_slug
                and mode in o.usd_per_instance_hour
                and o.gpu_count >= tensor_parallel
                and o.slug != slug
            ),
            key=lambda o: (o.usd_per_instance_hour[mode] / o.gpu_count, o.slug),
        )
        for offering in ranked:
            if available_instances.get(offering.slug) == 0:
                continue
            extra.append(
                PurchaseOptionSpec(
                    mode=mode,
                    label=offering.slug,
                    usd_per_instance_hour=offering.usd_per_instance_hour[mode],
                    gpus_per_instance=offering.gpu_count,
                    offering_slug=offering.slug,
                )
            )
            if offering.slug not in available_instances:
                break
    return tuple(extra)
