"""Self-hosted candidates: the grid of open model x GPU x precision x tensor-parallel degree
that can run the workload, why the rest cannot, and each candidate's capacity curve.

A model that fits no tensor-parallel degree of one server spans several (pipeline stages over
the inter-node network): the fewest full servers that hold it, up to MAX_PIPELINE_STAGES.

Vectorised: a full catalog is a few thousand grid points, evaluated in a few numpy passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core import memory as core_memory
from app.core.arrays import BoolArray, FloatArray, IntArray
from app.core.engines import DEFAULT_ENGINE, ENGINE_INDEX
from app.core.fleet import ReplicaCapacitySpec
from app.core.lengths import context_overflow_share
from app.core.performance import ReplicaBatch, evaluate_replicas
from app.core.pipeline_stages import (
    MAX_PIPELINE_STAGES,
    GridRows,
    grid_memory,
    pipeline_stages,
)
from app.core.precision_bytes import PRECISION_INDEX, PRECISIONS
from app.core.types import Engine, GpuSpec, OpenModelSpec, Precision
from app.core.workload import WorkloadSpec

#: Concurrency levels evaluated per replica (geometric from 1 to the KV-limited maximum).
CURVE_LEVELS = 16
#: Without explicit TP degrees, each model x GPU x precision keeps this many smallest fitting
#: degrees (more GPUs per replica buy lower latency).
FITTING_TP_DEGREES_KEPT = 2
REASON_TEXT = {
    core_memory.TP_EXCEEDS_NODE: "tensor parallelism exceeds the GPUs in one node",
    core_memory.TP_DOES_NOT_DIVIDE_HEADS: "tensor parallelism does not divide the attention heads",
    core_memory.DOES_NOT_FIT: "weights and KV cache do not fit",
}


@dataclass(slots=True)
class InfeasibleCandidate:
    """Something that could not be priced; None fields mean "any" (a GPU with no price for a
    purchase mode is one entry, not one per model).

    Treated as immutable but not declared frozen: an estimate builds dozens to a hundred
    (unpriced modes, and the response's infeasible options), and a frozen `__init__` sets
    each field through `object.__setattr__` (app/core/options.py FleetPlan)."""

    label: str
    gpu: str | None
    reason: str
    open_model: str | None = None
    tensor_parallel: int | None = None
    precision: str | None = None
    purchase_mode: str | None = None
    api_model: str | None = None


@dataclass(frozen=True, slots=True)
class CandidateGrid:
    """Runnable candidates as parallel arrays; indices point into the models and GPUs given."""

    model_index: IntArray
    gpu_index: IntArray
    tensor_parallel: IntArray
    precision_index: IntArray  # into memory.PRECISIONS
    max_concurrency: FloatArray  # KV-limited sequences at the p95 lengths, engine cap applied
    pipeline_parallel: IntArray  # servers (pipeline stages) per replica; 1: one server

    @property
    def gpus_per_replica(self) -> IntArray:
        result: IntArray = self.tensor_parallel * self.pipeline_parallel
        return result

    def __len__(self) -> int:
        return int(self.model_index.size)

    def take(self, index: IntArray) -> CandidateGrid:
        return CandidateGrid(
            self.model_index[index],
            self.gpu_index[index],
            self.tensor_parallel[index],
            self.precision_index[index],
            self.max_concurrency[index],
            self.pipeline_parallel[index],
        )

    def precision(self, row: int) -> Precision:
        return PRECISIONS[int(self.precision_index[row])]


def candidate_label(
    model_slug: str, gpu_slug: str, tensor_parallel: int, precision: str, pipeline_parallel: int = 1
) -> str:
    """The people-facing name of a candidate (never parsed: keys carry identity)."""
    if pipeline_parallel > 1:
        return (
            f"{model_slug} on {pipeline_parallel}×{tensor_parallel}× {gpu_slug} "
            f"({precision}, PP {pipeline_parallel})"
        )
    return f"{model_slug} on {tensor_parallel}× {gpu_slug} ({precision})"


def p95_input_tokens(workload: WorkloadSpec) -> float:
    return workload.input_tokens_p95 or workload.input_tokens_mean


def p95_output_tokens(workload: WorkloadSpec) -> float:
    return workload.output_tokens_p95 or workload.output_tokens_mean


def _empty_grid() -> CandidateGrid:
    empty = np.empty(0, dtype=np.intp)
    return CandidateGrid(empty, empty, empty, empty, np.empty(0), empty)


@dataclass(frozen=True, slots=True)
class _Grid(GridRows):
    """Every model x GPU x precision x TP point, TP fastest, with its group id."""

    group: IntArray

    def keep(self, mask: IntArray) -> _Grid:
        return _Grid(
            self.model[mask], self.gpu[mask], self.precision[mask], self.tp[mask], self.group[mask]
        )


def _full_grid(
    n_models: int, gpus: Sequence[GpuSpec], precisions: Sequence[Precision], tps: Sequence[int]
) -> _Grid:
    precision_codes = np.asarray([PRECISION_INDEX[p] for p in precisions], dtype=np.intp)
    model, gpu, precision_pos, tp = (
        a.ravel()
        for a in np.meshgrid(
            np.arange(n_models),
            np.arange(len(gpus)),
            np.arange(len(precisions)),
            np.asarray(tps, dtype=np.intp),
            indexing="ij",
        )
    )
    # TP varies fastest, so each model x GPU x precision group is a contiguous, sorted run.
    group = (model * len(gpus) + gpu) * len(precisions) + precision_pos
    return _Grid(model, gpu, precision_codes[precision_pos], tp, group)


def _tp_degrees(gpus: Sequence[GpuSpec], tensor_parallel: Sequence[int] | None) -> list[int]:
    """The degrees asked for, or every power of two up to the largest node."""
    if tensor_parallel:
        return sorted(set(tensor_parallel))
    node = max(g.max_gpus_per_node for g in gpus)
    return [2**k for k in range(node.bit_length())]


def _context_too_small(
    models: Sequence[OpenModelSpec], workload: WorkloadSpec, max_overflow_share: float
) -> dict[int, InfeasibleCandidate]:
    """Models whose context window cannot hold more than `max_overflow_share` of the
    requests, by index, with the reason (once per model: no GPU changes it)."""
    out = {}
    for index, model in enumerate(models):
        share = context_overflow_share(workload, model.max_context_tokens)
        if share > max_overflow_share:
            out[index] = InfeasibleCandidate(
                label=model.slug,
                gpu=None,
                reason=f"context window of {model.max_context_tokens:,} tokens too small: "
                f"{share:.1%} of requests (input + output) do not fit",
                open_model=model.slug,
            )
    return out


def candidate_grid(
    models: Sequence[OpenModelSpec],
    gpus: Sequence[GpuSpec],
    workload: WorkloadSpec,
    precisions: Sequence[Precision],
    tensor_parallel: Sequence[int] | None = None,
    max_context_overflow_share: float = 1.0,
) -> tuple[CandidateGrid, tuple[InfeasibleCandidate, ...]]:
    """Every model x GPU x precision x TP that can run one sequence at the p95 lengths, and
    for each model x GPU x precision where nothing fits, why (at the largest TP tried).

    Without explicit `tensor_parallel` degrees, each model x GPU x precision keeps the
    smallest fitting degree and the next, and degrees beyond a GPU's node are not tried.
    Models whose context window is too small for the requests are not gridded at all."""
    precisions = list(dict.fromkeys(precisions))
    if not models or not gpus or not precisions:
        return _empty_grid(), ()
    too_small = _context_too_small(models, workload, max_context_overflow_share)
    grid = _full_grid(len(models), gpus, precisions, _tp_degrees(gpus, tensor_parallel))
    if too_small:
        runnable = np.asarray([i not in too_small for i in range(len(models))], dtype=bool)
        grid = grid.keep(np.flatnonzero(runnable[grid.model]))
    if grid.model.size == 0:
        return _empty_grid(), tuple(too_small.values())
    if not tensor_parallel:
        node_sizes = np.asarray([gpu.max_gpus_per_node for gpu in gpus])
        grid = grid.keep(np.flatnonzero(grid.tp <= node_sizes[grid.gpu]))
    context_tokens = p95_input_tokens(workload) + p95_output_tokens(workload)
    mem = grid_memory(models, gpus, grid, context_tokens)
    feasible = mem.infeasible_reason == core_memory.FEASIBLE
    starts = np.flatnonzero(np.concatenate([[True], grid.group[1:] != grid.group[:-1]]))
    chosen = feasible if tensor_parallel else _smallest_fitting(feasible, starts, grid)
    ends = np.append(starts[1:], grid.group.size) - 1
    none_fit = ends[~np.add.reduceat(feasible, starts).astype(bool)]
    piped = pipeline_stages(models, gpus, grid.keep(none_fit), context_tokens)
    spans = piped.stages > 0
    infeasible = tuple(too_small.values()) + tuple(
        _does_not_run(models, gpus, grid, mem, int(last), context_tokens, bool(tried))
        for last, tried in zip(none_fit[~spans].tolist(), piped.tried[~spans].tolist(), strict=True)
    )
    index = np.concatenate([np.flatnonzero(chosen), none_fit[spans]])
    single = index.size - int(spans.sum())
    concurrency = np.concatenate([mem.max_concurrency[index[:single]], piped.concurrency[spans]])
    return (
        CandidateGrid(
            grid.model[index],
            grid.gpu[index],
            grid.tp[index],
            grid.precision[index],
            np.minimum(concurrency, core_memory.MAX_NUM_SEQS),
            np.concatenate([np.ones(single, dtype=np.intp), piped.stages[spans]]),
        ),
        infeasible,
    )


def _smallest_fitting(feasible: BoolArray, starts: IntArray, grid: _Grid) -> BoolArray:
    """Feasible entries among the FITTING_TP_DEGREES_KEPT smallest fitting TPs of their group."""
    # Rank of each feasible entry within its group (1 = smallest TP that fits).
    run = np.repeat(np.arange(starts.size), np.diff(np.append(starts, grid.group.size)))
    ranks: IntArray = np.cumsum(feasible)
    rank: IntArray = ranks - (ranks[starts] - feasible[starts])[run]
    return feasible & (rank <= FITTING_TP_DEGREES_KEPT)


def _does_not_run(
    models: Sequence[OpenModelSpec],
    gpus: Sequence[GpuSpec],
    grid: _Grid,
    mem: core_memory.MemoryArrays,
    row: int,
    context_tokens: float,
    servers_tried: bool = False,
) -> InfeasibleCandidate:
    reason_code = int(mem.infeasible_reason[row])
    tp, gpu, model = int(grid.tp[row]), gpus[int(grid.gpu[row])], models[int(grid.model[row])]
    precision = PRECISIONS[int(grid.precision[row])]
    reason = REASON_TEXT.get(reason_code, "cannot run")
    if reason_code == core_memory.DOES_NOT_FIT:
        needed_bytes = mem.weights_bytes_per_gpu[row] + mem.overhead_bytes_per_gpu[row]
        reason += (
            f" even at TP={tp}: {needed_bytes / 1e9:.1f} GB of weights and runtime per GPU "
            f"plus one {context_tokens:.0f}-token sequence, {gpu.memory_bytes / 1e9:.1f} GB "
            "available"
        )
        if servers_tried:
            reason += f", nor across {MAX_PIPELINE_STAGES} servers of {tp}"
    return InfeasibleCandidate(
        label=f"{model.slug} on {gpu.slug} ({precision.value})",
        gpu=gpu.slug,
        reason=reason,
        open_model=model.slug,
        tensor_parallel=tp,
        precision=precision.value,
    )


def _stages_of(grid: CandidateGrid, rows: IntArray) -> IntArray | None:
    """Pipeline stages of `rows`; None where every replica is one server (so single-server
    curves are computed exactly as before replicas could span servers)."""
    return grid.pipeline_parallel[rows] if bool(np.any(grid.pipeline_parallel > 1)) else None


def capacity_curves(
    models: Sequence[OpenModelSpec],
    gpus: Sequence[GpuSpec],
    grid: CandidateGrid,
    workload: WorkloadSpec,
    real_world_derate: float,
    engine: Engine = DEFAULT_ENGINE,
) -> list[ReplicaCapacitySpec]:
    """Each candidate's throughput at mean lengths and mean and p95 latency at p95 lengths, on
    `engine`, at CURVE_LEVELS concurrencies from 1 to its KV-limited maximum (one vectorised
    model evaluation)."""
    if (n := len(grid)) == 0:
        return []
    max_concurrency = np.maximum(grid.max_concurrency, 1.0)
    steps = np.linspace(0.0, 1.0, CURVE_LEVELS)
    levels = np.round(np.exp(np.log(max_concurrency)[:, None] * steps[None, :])).astype(np.intp)
    levels = np.maximum(levels, 1)
    rows = np.repeat(np.arange(n), CURVE_LEVELS)
    # Rows [0, n*L) at p95 lengths (latency), rows [n*L, 2*n*L) at mean lengths (throughput).
    both = np.concatenate([rows, rows])
    lengths_p95 = (round(p95_input_tokens(workload)), max(round(p95_output_tokens(workload)), 1))
    lengths_mean = (
        round(max(workload.input_tokens_mean, 1.0)),
        max(round(workload.output_tokens_mean), 1),
    )
    size = rows.size
    batch = ReplicaBatch(
        models=tuple(models),
        gpus=tuple(gpus),
        model_index=grid.model_index[both],
        gpu_index=grid.gpu_index[both],
        tensor_parallel=grid.tensor_parallel[both],
        precision_index=grid.precision_index[both],
        input_tokens=np.repeat(np.asarray([lengths_p95[0], lengths_mean[0]]), size),
        output_tokens=np.repeat(np.asarray([lengths_p95[1], lengths_mean[1]]), size),
        concurrency=np.tile(levels.reshape(-1), 2),
        engine_index=np.full(2 * size, ENGINE_INDEX[engine], dtype=np.int64),
        pipeline_parallel=_stages_of(grid, both),
    )
    result = evaluate_replicas(batch, real_world_derate=real_world_derate)
    shape = (n, CURVE_LEVELS)
    requests_per_s = result.requests_per_s[size:].reshape(shape)
    ttft_s = result.ttft_s[:size].reshape(shape)
    tpot_s = result.tpot_s[:size].reshape(shape)
    ttft_p95_s = result.ttft_p95_s[:size].reshape(shape)
    tpot_p95_s = result.tpot_p95_s[:size].reshape(shape)
    concurrency = levels.astype(np.float64)
    gpus_per_replica = grid.gpus_per_replica.tolist()
    return [
        ReplicaCapacitySpec(
            concurrency=concurrency[row],
            requests_per_s=requests_per_s[row],
            ttft_s=ttft_s[row],
            tpot_s=tpot_s[row],
            gpus_per_replica=gpus_per_replica[row],
            ttft_p95_s=ttft_p95_s[row],
            tpot_p95_s=tpot_p95_s[row],
        )
        for row in range(n)
    ]
