"""Candidates for the procurement planner: the estimate's candidate grid and purchase choice
(app/core/candidates.py, app/core/purchasing.py), a capacity curve per length bucket, and
spill-over offerings behind each offering whose availability is limited.

The grid is chosen once at the workload's overall p95 lengths (as for an estimate), so every
bucket sees the same configurations; a configuration that cannot serve a bucket's lengths gets
no throughput there and the planner does not route that bucket to it.
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
    choose_purchase_options,
)
from app.core.self_hosting import SelfHostingSpec, unpriced_candidates
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
    choices, unpriced = _purchase_choices(spec, grid, available_instances)
    unpriced = list(infeasible) + unpriced
    priced = [
        bool(choices[gpu_index, tp].options)
        for gpu_index, tp in zip(
            grid.gpu_index.tolist(), grid.tensor_parallel.tolist(), strict=True
        )
    ]
    grid = grid.take(np.flatnonzero(np.asarray(priced, dtype=bool)))
    curves = tuple(
        tuple(
            capacity_curves(
                spec.models,
                spec.gpus,
                grid,
                bucket_workload(workload, bucket),
                spec.real_world_derate,
            )
        )
        for bucket in buckets
    )
    candidates = []
    for row in range(len(grid)):
        model = spec.models[int(grid.model_index[row])]
        gpu_index, tp = int(grid.gpu_index[row]), int(grid.tensor_parallel[row])
        gpu, precision = spec.gpus[gpu_index], grid.precision(row).value
        candidates.append(
            SelfHostedCandidateSpec(
                label=candidate_label(model.slug, gpu.slug, tp, precision),
                open_model_slug=model.slug,
                gpu_slug=gpu.slug,
                tensor_parallel=tp,
                precision=precision,
                gpu_tdp_w=gpu.tdp_w,
                capacity=None,  # one curve per bucket instead
                purchase_options=choices[gpu_index, tp].options,
            )
        )
    used = dict.fromkeys(slug for choice in choices.values() for slug in choice.offering_slugs)
    return PlanCandidates(tuple(candidates), curves, tuple(unpriced), tuple(used))


def _purchase_choices(
    spec: SelfHostingSpec, grid: CandidateGrid, available_instances: Mapping[str, int]
) -> tuple[dict[tuple[int, int], PurchaseChoice], list[InfeasibleCandidate]]:
    """Ways to pay per (GPU, replica size), priced once each, with spill-over offerings."""
    choices: dict[tuple[int, int], PurchaseChoice] = {}
    unpriced: list[InfeasibleCandidate] = []
    pairs = zip(grid.gpu_index.tolist(), grid.tensor_parallel.tolist(), strict=True)
    for gpu_index, tensor_parallel in sorted(set(pairs)):
        purchase = spec.gpu_purchases[gpu_index]
        choice = choose_purchase_options(
            purchase,
            tensor_parallel,
            spec.purchase_modes,
            spec.offerings,
            spec.owned,
            spec.overrides.get(purchase.slug),
        )
        extra = spill_over_options(
            choice.options, purchase.slug, tensor_parallel, spec.offerings, available_instances
        )
        choices[gpu_index, tensor_parallel] = PurchaseChoice(choice.options + extra, choice.missing)
        unpriced += unpriced_candidates(purchase.slug, tensor_parallel, choice)
    return choices, unpriced


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
