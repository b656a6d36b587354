"""What one GPU replica serves: throughput, TTFT and TPOT under continuous batching.

The model is a per-scheduler-step roofline with a model of the engine's scheduler on top
(docs/performance-model.md):

* a step that processes `n` tokens takes a fixed CPU time plus all-reduces plus
  `sqrt(compute(n)^2 + memory(n)^2)` (app/core/step_cost.py);
* the scheduler (app/core/scheduler.py) runs continuous batching with a per-step token budget
  and chunked prefill, admits requests while the KV cache has room (the rest queue), and gives
  mean and p95 TTFT and TPOT for a closed loop of `c` requests or Poisson arrivals at a rate;
* the engine (vLLM, SGLang, TensorRT-LLM: app/core/engines.py) sets the budget, the KV policy
  and fitted efficiencies and overheads.

Everything is vectorized over configurations (app/core/replica_batch.py); the functions here are
the scalar wrappers, and this module re-exports the vectorized API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core.arrays import IntArray
from app.core.engines import DEFAULT_ENGINE, ENGINES, default_engine_kv_cache_precision
from app.core.errors import InvalidParallelismError, InvalidWorkloadError
from app.core.memory_breakdown import MemoryBreakdown, breakdown_from_arrays, validate_parallelism
from app.core.replica_batch import (
    BOUND_COMPUTE,
    BOUND_KV_CAPACITY,
    BOUND_MEMORY_BANDWIDTH,
    BOUNDS,
    DEFAULT_CALIBRATION,
    DEFAULT_REAL_WORLD_DERATE,
    PerformanceCalibration,
    ReplicaBatch,
    ReplicaBatchResult,
    evaluate_replicas,
)
from app.core.types import Engine, GpuSpec, OpenModelSpec, Precision

__all__ = [
    "BOUNDS",
    "BOUND_COMPUTE",
    "BOUND_KV_CAPACITY",
    "BOUND_MEMORY_BANDWIDTH",
    "DEFAULT_CALIBRATION",
    "DEFAULT_REAL_WORLD_DERATE",
    "MAX_CURVE_POINTS",
    "PerformanceCalibration",
    "ReplicaBatch",
    "ReplicaBatchResult",
    "ReplicaCurve",
    "ReplicaPerformance",
    "concurrency_grid",
    "evaluate_replicas",
    "evaluate_with_reference_build",
    "replica_curve",
    "replica_performance",
]

#: Largest number of concurrency levels a curve evaluates (beyond it the grid is geometric).
MAX_CURVE_POINTS = 256


@dataclass(frozen=True, slots=True)
class ReplicaPerformance:
    """One replica at one operating point (whole replica unless the name says per GPU)."""

    output_tokens_per_s: float
    output_tokens_per_s_per_gpu: float
    requests_per_s: float
    concurrency: int  # requests in flight in the engine (capped at max_concurrency)
    ttft_s: float  # includes queueing when more requests were offered than fit
    tpot_s: float
    e2e_latency_s: float
    bound: str  # one of BOUNDS
    memory: MemoryBreakdown
    ttft_p95_s: float = 0.0
    tpot_p95_s: float = 0.0
    queue_s: float = 0.0  # mean wait for admission when the KV cache is full
    saturated: bool = False  # open loop: the rate is at or beyond what the replica serves
    engine: Engine = DEFAULT_ENGINE
    request_rate_per_s: float | None = None  # open-loop Poisson rate, if that was the load
    max_concurrency: int = 0  # requests the engine admits at once (KV policy, scheduler cap)


@dataclass(frozen=True, slots=True)
class ReplicaCurve:
    """Performance against concurrency (one entry per level), for latency-constrained sizing."""

    concurrency: np.ndarray
    output_tokens_per_s: np.ndarray
    requests_per_s: np.ndarray
    ttft_s: np.ndarray
    tpot_s: np.ndarray
    e2e_latency_s: np.ndarray
    memory: MemoryBreakdown
    ttft_p95_s: np.ndarray | None = None
    tpot_p95_s: np.ndarray | None = None


def _single_batch(
    model: OpenModelSpec,
    gpu: GpuSpec,
    tensor_parallel: int,
    precision: Precision,
    input_tokens: int,
    output_tokens: int,
    concurrency: Sequence[int] | IntArray,
    engine: Engine | None = None,
    request_rate_per_s: float | None = None,
    pipeline_parallel: int = 1,
) -> ReplicaBatch:
    n = len(concurrency)
    return ReplicaBatch.build(
        [model],
        [gpu],
        model_index=np.zeros(n, np.int64),
        gpu_index=np.zeros(n, np.int64),
        tensor_parallel=[tensor_parallel],
        precision=[precision] * n,
        input_tokens=[input_tokens],
        output_tokens=[output_tokens],
        concurrency=concurrency,
        engine=[engine or DEFAULT_ENGINE] * n,
        request_rate_per_s=None if request_rate_per_s is None else [request_rate_per_s] * n,
        pipeline_parallel=[pipeline_parallel] * n,
    )


def _checked_memory(
    result: ReplicaBatchResult,
    model: OpenModelSpec,
    gpu: GpuSpec,
    tensor_parallel: int,
    precision: Precision,
    context_tokens: int,
    calibration: PerformanceCalibration,
    engine: Engine | None = None,
    pipeline_parallel: int = 1,
) -> MemoryBreakdown:
    # Raises ModelDoesNotFitError, with the numbers, when not even one sequence fits. The
    # breakdown counts every GPU of the replica (tensor x pipeline parallel), and reports the
    # share of free memory the KV pool takes (vLLM's and SGLang's settings are shares of total
    # memory: app/core/engines.py KV_FRACTION_OF_TOTAL_MEMORY).
    mem = result.memory
    fraction = calibration.engine(engine).kv_cache_memory_fraction
    free = gpu.memory_bytes - float(mem.weights_bytes_per_gpu[0] + mem.overhead_bytes_per_gpu[0])
    if mem.max_concurrency[0] >= 1 and free > 0:
        fraction = float(mem.kv_cache_capacity_bytes_per_gpu[0]) / free
    breakdown = breakdown_from_arrays(
        result.memory,
        0,
        model,
        gpu,
        tensor_parallel * pipeline_parallel,
        context_tokens,
        default_engine_kv_cache_precision(engine or DEFAULT_ENGINE, precision),
        fraction,
    )
    return breakdown


def replica_performance(
    model: OpenModelSpec,
    gpu: GpuSpec,
    tensor_parallel: int,
    precision: Precision,
    input_tokens: int,
    output_tokens: int,
    concurrency: int | None = None,
    calibration: PerformanceCalibration = DEFAULT_CALIBRATION,
    real_world_derate: float = DEFAULT_REAL_WORLD_DERATE,
    engine: Engine | None = None,
    request_rate_per_s: float | None = None,
    pipeline_parallel: int = 1,
) -> ReplicaPerformance:
    """Throughput (tokens/s) and mean/p95 latencies (s) of one replica.

    The load is `concurrency` requests kept in flight (closed loop), or Poisson arrivals at
    `request_rate_per_s`, or (both None) the maximum-throughput point. A replica spans
    `pipeline_parallel` servers of `tensor_parallel` GPUs each (pipeline stages over the
    inter-node network) when the model does not fit one server.
    """
    validate_parallelism(model, gpu, tensor_parallel)
    _validate_pipeline(model, pipeline_parallel)
    _validate_lengths(input_tokens, output_tokens, concurrency, request_rate_per_s)
    batch = _single_batch(
        model, gpu, tensor_parallel, precision, input_tokens, output_tokens, [concurrency or 0],
        engine, request_rate_per_s, pipeline_parallel,
    )  # fmt: skip
    r = evaluate_replicas(batch, calibration, real_world_derate)
    memory = _checked_memory(
        r, model, gpu, tensor_parallel, precision, input_tokens + output_tokens, calibration,
        engine, pipeline_parallel,
    )  # fmt: skip
    return ReplicaPerformance(
        output_tokens_per_s=float(r.output_tokens_per_s[0]),
        output_tokens_per_s_per_gpu=float(r.output_tokens_per_s_per_gpu[0]),
        requests_per_s=float(r.requests_per_s[0]),
        concurrency=int(r.concurrency[0]),
        ttft_s=float(r.ttft_s[0]),
        tpot_s=float(r.tpot_s[0]),
        e2e_latency_s=float(r.e2e_latency_s[0]),
        bound=BOUNDS[int(r.bound[0])],
        memory=memory,
        ttft_p95_s=float(r.ttft_p95_s[0]),
        tpot_p95_s=float(r.tpot_p95_s[0]),
        queue_s=float(r.queue_s[0]),
        saturated=bool(r.saturated[0]),
        engine=engine or DEFAULT_ENGINE,
        request_rate_per_s=request_rate_per_s,
        max_concurrency=int(r.max_concurrency[0]),
    )


def evaluate_with_reference_build(
    batch: ReplicaBatch,
    reference_rows: Sequence[bool] | np.ndarray,
    calibration: PerformanceCalibration = DEFAULT_CALIBRATION,
) -> ReplicaBatchResult:
    """Benchmark-level results, the `reference_rows` run by the reference TensorRT-LLM build.

    NVIDIA's perf-overview table (throughput.csv) was measured with TensorRT-LLM 0.17 compiled
    engines under `trtllm-bench` (C++ runtime); the sweeps and what people deploy today run
    TensorRT-LLM 1.x, whose default PyTorch backend has its own kernels and a Python
    executor. Those rows use `calibration.reference_build` in place of the `trtllm` engine.
    """
    result = evaluate_replicas(batch, calibration, real_world_derate=1.0)
    mask = np.asarray(reference_rows, dtype=bool)
    if not mask.any():
        return result
    engines = tuple(
        calibration.reference_build if e is Engine.TRTLLM else calibration.engine(e)
        for e in ENGINES
    )
    reference = evaluate_replicas(
        batch, dataclasses.replace(calibration, engines=engines), real_world_derate=1.0
    )
    merged = {
        f.name: np.where(mask, getattr(reference, f.name), getattr(result, f.name))
        for f in dataclasses.fields(result)
        if f.name != "memory"
    }
    return dataclasses.replace(result, **merged)


def concurrency_grid(max_concurrency: int, max_points: int = MAX_CURVE_POINTS) -> IntArray:
    """Concurrency levels 1..max_concurrency: all of them, or a geometric grid if too many."""
    if max_concurrency <= max_points:
        return np.arange(1, max_concurrency + 1, dtype=np.int64)
    grid = np.unique(np.round(np.geomspace(1, max_concurrency, max_points)).astype(np.int64))
    return grid


def replica_curve(
    model: OpenModelSpec,
    gpu: GpuSpec,
    tensor_parallel: int,
    precision: Precision,
    input_tokens: int,
    output_tokens: int,
    calibration: PerformanceCalibration = DEFAULT_CALIBRATION,
    real_world_derate: float = DEFAULT_REAL_WORLD_DERATE,
    engine: Engine | None = None,
) -> ReplicaCurve:
    """Throughput (tokens/s) and latencies (s) at every concurrency level the replica can hold."""
    validate_parallelism(model, gpu, tensor_parallel)
    _validate_lengths(input_tokens, output_tokens, None)
    probe = evaluate_replicas(
        _single_batch(
            model, gpu, tensor_parallel, precision, input_tokens, output_tokens, [0], engine
        ),
        calibration,
        real_world_derate,
    )
    memory = _checked_memory(
        probe, model, gpu, tensor_parallel, precision, input_tokens + output_tokens, calibration,
        engine,
    )  # fmt: skip
    levels = concurrency_grid(int(probe.max_concurrency[0]))
    r = evaluate_replicas(
        _single_batch(
            model, gpu, tensor_parallel, precision, input_tokens, output_tokens, levels, engine
        ),
        calibration,
        real_world_derate,
    )
    return ReplicaCurve(
        concurrency=levels,
        output_tokens_per_s=r.output_tokens_per_s,
        requests_per_s=r.requests_per_s,
        ttft_s=r.ttft_s,
        tpot_s=r.tpot_s,
        e2e_latency_s=r.e2e_latency_s,
        memory=memory,
        ttft_p95_s=r.ttft_p95_s,
        tpot_p95_s=r.tpot_p95_s,
    )


def _validate_pipeline(model: OpenModelSpec, pipeline_parallel: int) -> None:
    if not 1 <= pipeline_parallel <= model.num_layers:
        raise InvalidParallelismError(
            f"Pipeline parallelism must be between 1 and the {model.num_layers} layers of "
            f"{model.slug}, got {pipeline_parallel}.",
            pipeline_parallel=pipeline_parallel,
            num_layers=model.num_layers,
        )


def _validate_lengths(
    input_tokens: int,
    output_tokens: int,
    concurrency: int | None,
    request_rate_per_s: float | None = None,
) -> None:
    if request_rate_per_s is not None and not request_rate_per_s > 0:
        raise InvalidWorkloadError(
            "A request rate must be positive.", request_rate_per_s=request_rate_per_s
        )
    if request_rate_per_s is not None and concurrency is not None:
        raise InvalidWorkloadError(
            "Give either a concurrency (closed loop) or a request rate (open loop), not both.",
            concurrency=concurrency,
            request_rate_per_s=request_rate_per_s,
        )
    if input_tokens < 1 or output_tokens < 1:
        raise InvalidWorkloadError(
            "Input and output lengths must be at least one token.",
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )
    if concurrency is not None and concurrency < 1:
        raise InvalidWorkloadError(
            "Concurrency must be at least 1 (or omitted for the maximum-throughput point).",
            concurrency=concurrency,
        )
