"""One replica's memory as a scalar breakdown, with the parallelism checks and the error that
says why a model does not fit. A thin wrapper over the vectorised `memory.memory_arrays`.
See docs/performance-model.md for the derivations and their sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.errors import InvalidParallelismError, ModelDoesNotFitError
from app.core.memory import (
    DEFAULT_KV_CACHE_MEMORY_FRACTION,
    GpuArrays,
    MemoryArrays,
    ModelArrays,
    memory_arrays,
)
from app.core.precision_bytes import (
    KV_BYTES_PER_ELEMENT,
    WEIGHT_BYTES_PER_PARAM,
    default_kv_cache_precision,
)
from app.core.types import AttentionKind, GpuSpec, OpenModelSpec, Precision


@dataclass(frozen=True, slots=True)
class MemoryBreakdown:
    """Memory of one replica (all its TP GPUs together unless the name says per GPU)."""

    weights_bytes: float
    kv_cache_bytes_per_token: float  # logical: all layers, without TP replication
    kv_cache_bytes_per_sequence: float  # at context_tokens, sliding windows and replication incl.
    overhead_bytes: float
    kv_cache_capacity_bytes: float
    total_memory_bytes: float
    kv_cache_memory_fraction: float  # share of (total - weights - overhead) given to the KV cache
    max_concurrency: int
    context_tokens: int
    tensor_parallel: int
    kv_cache_precision: Precision
    kv_replication_factor: float  # >1 when GQA has fewer KV heads than TP ranks, or MLA


def validate_parallelism(model: OpenModelSpec, gpu: GpuSpec, tensor_parallel: int) -> None:
    """Raise InvalidParallelismError if `tensor_parallel` cannot run `model` on `gpu`."""
    tp = tensor_parallel
    if tp < 1:
        raise InvalidParallelismError(
            f"Tensor-parallel degree must be at least 1, got {tp}.", tensor_parallel=tp
        )
    if tp > gpu.max_gpus_per_node:
        raise InvalidParallelismError(
            f"Tensor parallelism {tp} exceeds the {gpu.max_gpus_per_node} GPUs that share a "
            f"fast interconnect for {gpu.slug}.",
            tensor_parallel=tp,
            max_gpus_per_node=gpu.max_gpus_per_node,
        )
    if model.num_attention_heads % tp != 0:
        raise InvalidParallelismError(
            f"Tensor parallelism {tp} does not divide the {model.num_attention_heads} attention "
            f"heads of {model.slug}.",
            tensor_parallel=tp,
            num_attention_heads=model.num_attention_heads,
        )
    kv = model.num_kv_heads
    if model.attention_kind is not AttentionKind.MLA and (
        (kv >= tp and kv % tp != 0) or (kv < tp and tp % max(kv, 1) != 0)
    ):
        raise InvalidParallelismError(
            f"Tensor parallelism {tp} neither divides nor is a multiple of the {kv} KV heads of "
            f"{model.slug}.",
            tensor_parallel=tp,
            num_kv_heads=kv,
        )


def memory_breakdown(
    model: OpenModelSpec,
    gpu: GpuSpec,
    tensor_parallel: int,
    precision: Precision,
    context_tokens: int,
    kv_cache_precision: Precision | None = None,
    kv_cache_memory_fraction: float = DEFAULT_KV_CACHE_MEMORY_FRACTION,
) -> MemoryBreakdown:
    """Memory (bytes) of one replica and the sequences of `context_tokens` tokens it can hold."""
    validate_parallelism(model, gpu, tensor_parallel)
    kv_precision = kv_cache_precision or default_kv_cache_precision(precision)
    arrays = memory_arrays(
        ModelArrays.from_specs([model]),
        GpuArrays.from_specs([gpu]),
        np.asarray([float(tensor_parallel)]),
        np.asarray([WEIGHT_BYTES_PER_PARAM[precision]]),
        np.asarray([KV_BYTES_PER_ELEMENT[kv_precision]]),
        np.asarray([float(context_tokens)]),
        kv_cache_memory_fraction,
    )
    return breakdown_from_arrays(
        arrays,
        0,
        model,
        gpu,
        tensor_parallel,
        context_tokens,
        kv_precision,
        kv_cache_memory_fraction,
    )


def breakdown_from_arrays(
    arrays: MemoryArrays,
    i: int,
    model: OpenModelSpec,
    gpu: GpuSpec,
    tensor_parallel: int,
    context_tokens: int,
    kv_precision: Precision,
    kv_cache_memory_fraction: float,
) -> MemoryBreakdown:
    """Row `i` of vectorized results as a MemoryBreakdown; raises if the model does not fit."""
    tp = tensor_parallel
    seq_bytes = float(arrays.kv_sequence_bytes_per_gpu[i]) * tp
    weights = float(arrays.weights_bytes[i])
    overhead = float(arrays.overhead_bytes_per_gpu[i]) * tp
    total = gpu.memory_bytes * tp
    if arrays.max_concurrency[i] < 1:
        # The engine keeps (1 - fraction) of the free memory as headroom, so one sequence's KV
        # cache needs seq_bytes / fraction of free memory.
        required = weights + overhead + seq_bytes / kv_cache_memory_fraction
        raise ModelDoesNotFitError(
            f"{model.slug} on {tp} x {gpu.slug} needs {required / 1e9:.1f} GB "
            f"(weights {weights / 1e9:.1f} GB, runtime {overhead / 1e9:.1f} GB, KV cache with "
            f"headroom for one {context_tokens}-token sequence "
            f"{seq_bytes / kv_cache_memory_fraction / 1e9:.2f} GB) but has {total / 1e9:.1f} GB. "
            "Use more GPUs (tensor_parallel), a lower precision or shorter sequences.",
            required_bytes=required,
            available_bytes=total,
        )
    return MemoryBreakdown(
        weights_bytes=weights,
        kv_cache_bytes_per_token=float(arrays.kv_cache_bytes_per_token[i]),
        kv_cache_bytes_per_sequence=seq_bytes,
        overhead_bytes=overhead,
        kv_cache_capacity_bytes=float(arrays.kv_cache_capacity_bytes_per_gpu[i]) * tp,
        total_memory_bytes=total,
        kv_cache_memory_fraction=kv_cache_memory_fraction,
        max_concurrency=int(arrays.max_concurrency[i]),
        context_tokens=context_tokens,
        tensor_parallel=tp,
        kv_cache_precision=kv_precision,
        kv_replication_factor=float(arrays.kv_replication_factor[i]),
    )
