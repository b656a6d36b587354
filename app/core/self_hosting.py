"""From the models, GPUs and ways of paying a request allows to the priced self-hosted
candidates an estimate compares: the candidate grid, capacity curves and purchase options,
plus everything that could not be priced and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.core.candidates import (
    CandidateGrid,
    InfeasibleCandidate,
    candidate_grid,
    candidate_label,
    capacity_curves,
)
from app.core.economics import SelfHostedCandidateSpec
from app.core.engines import DEFAULT_ENGINE
from app.core.fleet import ReplicaCapacitySpec
from app.core.precision_bytes import PRECISIONS
from app.core.purchasing import (
    GpuPriceOverrideSpec,
    GpuPurchaseSpec,
    OfferingPriceSpec,
    OwnedTermsSpec,
    PurchaseChoice,
    PurchaseMode,
    choose_purchase_options,
)
from app.core.types import Engine, GpuSpec, OpenModelSpec, Precision
from app.core.workload import WorkloadSpec


@dataclass(frozen=True, slots=True)
class SelfHostingSpec:
    """What to consider for self-hosting. `gpu_purchases` is parallel to `gpus`."""

    models: tuple[OpenModelSpec, ...]
    gpus: tuple[GpuSpec, ...]
    gpu_purchases: tuple[GpuPurchaseSpec, ...]
    precisions: tuple[Precision, ...]
    purchase_modes: tuple[PurchaseMode, ...]
    offerings: tuple[OfferingPriceSpec, ...]
    real_world_derate: float
    tensor_parallel: tuple[int, ...] | None = None
    max_context_overflow_share: float = 1.0
    owned: OwnedTermsSpec = field(default_factory=OwnedTermsSpec)
    overrides: Mapping[str, GpuPriceOverrideSpec] = field(default_factory=dict)
    engine: Engine = DEFAULT_ENGINE


@dataclass(frozen=True, slots=True)
class SelfHostingCandidates:
    """Priced candidates, what could not be priced, and the catalog offerings used."""

    candidates: tuple[SelfHostedCandidateSpec, ...]
    infeasible: tuple[InfeasibleCandidate, ...]
    offering_slugs: tuple[str, ...]


def unpriced_candidates(
    gpu_slug: str, tensor_parallel: int, choice: PurchaseChoice
) -> list[InfeasibleCandidate]:
    return [
        InfeasibleCandidate(
            label=f"{gpu_slug} · {tensor_parallel} GPU(s) per replica · {mode}",
            gpu=gpu_slug,
            reason=reason,
            tensor_parallel=tensor_parallel,
            purchase_mode=mode.value,
        )
        for mode, reason in choice.missing
    ]


#: Ways to pay per (GPU index, tensor-parallel degree).
PurchaseChoices = dict[tuple[int, int], PurchaseChoice]
#: Adds options to a (GPU, replica size) choice, e.g. spill-over offerings for the planner.
WidenChoice = Callable[[PurchaseChoice, str, int], PurchaseChoice]


def purchase_choices(
    spec: SelfHostingSpec, grid: CandidateGrid, widen: WidenChoice | None = None
) -> tuple[PurchaseChoices, list[InfeasibleCandidate]]:
    """Ways to pay per (GPU, replica size), priced once each (they do not depend on the model
    or precision), and the modes that have no price. A replica spanning servers is paid as
    whole instances of its per-server size (tensor_parallel GPUs each): the fleet sizing
    counts ceil(GPUs per replica / GPUs per instance) instances per replica
    (app/core/fleet.py instances_for_replicas)."""
    choices: PurchaseChoices = {}
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
        unpriced += unpriced_candidates(purchase.slug, tensor_parallel, choice)
        if widen is not None:
            choice = widen(choice, purchase.slug, tensor_parallel)
        choices[gpu_index, tensor_parallel] = choice
    return choices, unpriced


def payable(grid: CandidateGrid, choices: PurchaseChoices) -> CandidateGrid:
    """The grid rows that have at least one way to pay."""
    priced = [
        bool(choices[gpu_index, tp].options)
        for gpu_index, tp in zip(
            grid.gpu_index.tolist(), grid.tensor_parallel.tolist(), strict=True
        )
    ]
    return grid.take(np.flatnonzero(np.asarray(priced, dtype=bool)))


def candidate_specs(
    spec: SelfHostingSpec,
    grid: CandidateGrid,
    choices: PurchaseChoices,
    curves: Sequence[ReplicaCapacitySpec | None],
) -> tuple[SelfHostedCandidateSpec, ...]:
    """One candidate spec per grid row, with its curve (None: curves kept elsewhere)."""
    # Plain lists: numpy scalar indexing per row and column cost more than the specs.
    rows = zip(
        grid.model_index.tolist(),
        grid.gpu_index.tolist(),
        grid.tensor_parallel.tolist(),
        grid.precision_index.tolist(),
        grid.pipeline_parallel.tolist(),
        curves,
        strict=True,
    )
    candidates = []
    for model_index, gpu_index, tp, precision_index, pp, curve in rows:
        model, gpu = spec.models[model_index], spec.gpus[gpu_index]
        precision = PRECISIONS[precision_index].value
        candidates.append(
            SelfHostedCandidateSpec(
                label=candidate_label(model.slug, gpu.slug, tp, precision, pp),
                open_model_slug=model.slug,
                gpu_slug=gpu.slug,
                tensor_parallel=tp,
                precision=precision,
                gpu_tdp_w=gpu.tdp_w,
                capacity=curve,
                purchase_options=choices[gpu_index, tp].options,
                pipeline_parallel=pp,
            )
        )
    return tuple(candidates)


def offering_slugs(choices: PurchaseChoices) -> tuple[str, ...]:
    """The catalog offerings the choices use, once each, in first-use order."""
    return tuple(
        dict.fromkeys(slug for choice in choices.values() for slug in choice.offering_slugs)
    )


def self_hosting_candidates(spec: SelfHostingSpec, workload: WorkloadSpec) -> SelfHostingCandidates:
    """Every runnable, payable model x GPU x precision x TP with its capacity curve and
    purchase options; only candidates that can be paid for are modelled."""
    grid, infeasible = candidate_grid(
        spec.models,
        spec.gpus,
        workload,
        spec.precisions,
        spec.tensor_parallel,
        spec.max_context_overflow_share,
    )
    choices, unpriced = purchase_choices(spec, grid)
    grid = payable(grid, choices)
    curves = capacity_curves(
        spec.models, spec.gpus, grid, workload, spec.real_world_derate, spec.engine
    )
    return SelfHostingCandidates(
        candidate_specs(spec, grid, choices, curves),
        tuple(infeasible) + tuple(unpriced),
        offering_slugs(choices),
    )
