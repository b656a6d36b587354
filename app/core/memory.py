"""GPU memory of one replica: weights, KV cache, runtime overhead and the concurrency they allow.

A replica is one open model on `tensor_parallel` GPUs of one kind. Everything here is
vectorized (struct of arrays) so that the fleet search can size thousands of candidates at
once; the scalar `memory_breakdown.memory_breakdown` is a thin wrapper over it, and bytes per
precision are tabled in `precision_bytes.py`.
See docs/performance-model.md for the derivations and their sources.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.core.arrays import FloatArray, IntArray
from app.core.precision_bytes import (
    ACTIVATION_BYTES_PER_ELEMENT,
    UNQUANTIZED_BYTES_PER_PARAM,
)
from app.core.types import AttentionKind, GpuSpec, OpenModelSpec

#: CUDA context, cuBLAS/NCCL workspaces and CUDA graphs per GPU. vLLM's own memory profile
#: reports about 0.5-1 GiB of "non-torch" memory plus graph memory on H100; 1 GiB is the round
#: figure we use (not fitted: `kv_cache_memory_fraction` absorbs the error).
RUNTIME_RESERVED_BYTES_PER_GPU = float(2**30)

#: Tokens per scheduler step (vLLM `max_num_batched_tokens` and TensorRT-LLM `max_num_tokens`
#: both default to 8192); sets the activation workspace.
MAX_TOKENS_PER_STEP = 8192

#: Most sequences one engine schedules at once (TensorRT-LLM's `max_batch_size` ceiling used
#: by trtllm-bench; vLLM's `max_num_seqs` can be raised to it). Also sizes the logits buffer.
MAX_NUM_SEQS = 2048

#: Share of the memory left after weights and runtime overhead that the engine gives to the KV
#: cache (TensorRT-LLM `free_gpu_memory_fraction`, default 0.9; vLLM's `gpu_memory_utilization`
#: 0.9 of all memory is similar). Fitted; this is the default when none is given.
DEFAULT_KV_CACHE_MEMORY_FRACTION = 0.9


@dataclass(frozen=True, slots=True)
class ModelArrays:
    """Architecture of many models as parallel arrays (one entry per configuration)."""

    total_params: FloatArray
    active_params: FloatArray
    num_layers: FloatArray
    hidden_size: FloatArray
    num_attention_heads: FloatArray
    num_kv_heads: FloatArray
    head_dim: FloatArray
    intermediate_size: FloatArray
    vocab_size: FloatArray
    num_experts: FloatArray
    num_experts_per_token: FloatArray
    is_mla: npt.NDArray[np.bool_]
    kv_latent_dim: FloatArray  # MLA: kv_lora_rank + qk_rope_head_dim
    sliding_window_tokens: FloatArray
    num_sliding_window_layers: FloatArray

    @classmethod
    def from_specs(cls, models: Sequence[OpenModelSpec]) -> ModelArrays:
        """Stack model specs into arrays."""

        def col(values: list[float]) -> FloatArray:
            return np.asarray(values, dtype=np.float64)

        sliding = [m.sliding_window_tokens > 0 for m in models]
        return cls(
            total_params=col([m.total_params for m in models]),
            active_params=col([m.active_params for m in models]),
            num_layers=col([m.num_layers for m in models]),
            hidden_size=col([m.hidden_size for m in models]),
            num_attention_heads=col([m.num_attention_heads for m in models]),
            num_kv_heads=col([m.num_kv_heads for m in models]),
            head_dim=col([m.head_dim for m in models]),
            intermediate_size=col([m.intermediate_size for m in models]),
            vocab_size=col([m.vocab_size for m in models]),
            num_experts=col([m.num_experts for m in models]),
            num_experts_per_token=col([m.num_experts_per_token for m in models]),
            is_mla=np.asarray([m.attention_kind is AttentionKind.MLA for m in models], bool),
            kv_latent_dim=col([m.kv_lora_rank + m.qk_rope_head_dim for m in models]),
            sliding_window_tokens=col([m.sliding_window_tokens for m in models]),
            num_sliding_window_layers=col(
                [
                    m.num_sliding_window_layers if s else 0
                    for m, s in zip(models, sliding, strict=True)
                ]
            ),
        )

    def take(self, index: IntArray) -> ModelArrays:
        """Rows `index` of every array (gather by configuration); the `take` method, not
        `np.take`, whose Python dispatch costs as much as the gather on these sizes."""
        return ModelArrays(*[getattr(self, f).take(index) for f in self.__slots__])


@dataclass(frozen=True, slots=True)
class GpuArrays:
    """Many GPUs as parallel arrays; missing peaks (no native support) are NaN."""

    memory_bytes: FloatArray
    memory_bandwidth_bytes_per_s: FloatArray
    bf16_flops_per_s: FloatArray
    fp8_flops_per_s: FloatArray
    fp4_flops_per_s: FloatArray
    int8_ops_per_s: FloatArray
    interconnect_bandwidth_bytes_per_s: FloatArray
    max_gpus_per_node: FloatArray

    @classmethod
    def from_specs(cls, gpus: Sequence[GpuSpec]) -> GpuArrays:
        """Stack GPU specs into arrays."""

        def col(values: list[float | None]) -> FloatArray:
            return np.asarray([math.nan if v is None else v for v in values], dtype=np.float64)

        return cls(
            memory_bytes=col([g.memory_bytes for g in gpus]),
            memory_bandwidth_bytes_per_s=col([g.memory_bandwidth_bytes_per_s for g in gpus]),
            bf16_flops_per_s=col([g.bf16_flops_per_s for g in gpus]),
            fp8_flops_per_s=col([g.fp8_flops_per_s for g in gpus]),
            fp4_flops_per_s=col([g.fp4_flops_per_s for g in gpus]),
            int8_ops_per_s=col([g.int8_ops_per_s for g in gpus]),
            interconnect_bandwidth_bytes_per_s=col(
                [g.interconnect_bandwidth_bytes_per_s for g in gpus]
            ),
            max_gpus_per_node=col([g.max_gpus_per_node for g in gpus]),
        )

    def take(self, index: IntArray) -> GpuArrays:
        """Rows `index` of every array (gather by configuration), as ModelArrays.take."""
        return GpuArrays(*[getattr(self, f).take(index) for f in self.__slots__])


#: Why a configuration is infeasible (vectorized results carry these codes).
FEASIBLE = 0
TP_EXCEEDS_NODE = 1
TP_DOES_NOT_DIVIDE_HEADS = 2
DOES_NOT_FIT = 3


@dataclass(frozen=True, slots=True)
class MemoryArrays:
    """Vectorized memory results; replica totals unless the name says per GPU."""

    weights_bytes: FloatArray
    weights_bytes_per_gpu: FloatArray
    expert_weights_bytes: FloatArray  # all routed experts together (0 for dense models)
    embedding_bytes: FloatArray  # one vocab x hidden table, stored at 16 bits
    kv_cache_bytes_per_token: FloatArray  # logical, all layers, no TP replication
    kv_bytes_per_token_per_layer_per_gpu: FloatArray  # as stored on one GPU (replication incl.)
    kv_replication_factor: FloatArray
    kv_sequence_bytes_per_gpu: FloatArray  # one sequence at the context length, on one GPU
    overhead_bytes_per_gpu: FloatArray
    kv_cache_capacity_bytes_per_gpu: FloatArray
    max_concurrency: FloatArray  # KV-limited, integral-valued, may be 0
    infeasible_reason: IntArray


def kv_sequence_bytes_per_gpu(
    kv_bytes_per_token_per_layer_per_gpu: FloatArray,
    num_layers: FloatArray,
    sliding_window_tokens: FloatArray,
    num_sliding_window_layers: FloatArray,
    context_tokens: FloatArray,
) -> FloatArray:
    """KV-cache bytes one sequence of `context_tokens` holds on one GPU (sliding layers capped)."""
    windowed = np.where(
        sliding_window_tokens > 0, np.minimum(context_tokens, sliding_window_tokens), context_tokens
    )
    global_layers = num_layers - num_sliding_window_layers
    result: FloatArray = kv_bytes_per_token_per_layer_per_gpu * (
        global_layers * context_tokens + num_sliding_window_layers * windowed
    )
    return result


def _weight_bytes(
    model: ModelArrays, weight_bytes_per_param: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weights in all, the routed experts' share of them, and the embedding parameters."""
    embedding_params = model.vocab_size * model.hidden_size
    # Input embedding and LM head (assumed untied) keep 16 bits; the rest is quantized.
    unquantized_params = np.minimum(2.0 * embedding_params, model.total_params)
    weights = (
        model.total_params - unquantized_params
    ) * weight_bytes_per_param + unquantized_params * UNQUANTIZED_BYTES_PER_PARAM
    # MoE: per-expert parameters = (total - active) / (E - k), as the routed experts are the
    # only parameters a token does not use.
    is_moe = model.num_experts > model.num_experts_per_token
    per_expert_params = np.where(
        is_moe,
        (model.total_params - model.active_params)
        / np.maximum(model.num_experts - model.num_experts_per_token, 1.0),
        0.0,
    )
    expert_bytes = per_expert_params * model.num_experts * weight_bytes_per_param
    return weights, expert_bytes, embedding_params


def _kv_bytes(
    model: ModelArrays, tp: FloatArray, kv_bytes_per_element: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """KV cache bytes per token (all layers, logical), per token and layer on one GPU, and the
    replication factor across TP ranks.

    GQA/MHA heads are split across TP ranks; with fewer KV heads than ranks each rank keeps one
    (replicated) head (vLLM/TensorRT-LLM behaviour). The MLA latent is not split by heads, so
    every rank caches all of it (vLLM MLA backend)."""
    logical_elements = np.where(
        model.is_mla, model.kv_latent_dim, 2.0 * model.num_kv_heads * model.head_dim
    )
    per_gpu_elements = np.where(
        model.is_mla,
        model.kv_latent_dim,
        2.0 * np.ceil(model.num_kv_heads / tp) * model.head_dim,
    )
    kv_bytes_per_token = logical_elements * kv_bytes_per_element * model.num_layers
    kv_layer_gpu = per_gpu_elements * kv_bytes_per_element
    replication = per_gpu_elements * tp / logical_elements
    return kv_bytes_per_token, kv_layer_gpu, replication


def _overhead_per_gpu(model: ModelArrays, tp: FloatArray) -> FloatArray:
    """Runtime overhead per GPU: fixed reserve + activations of one full scheduler step
    (residual stream, QKV/attention output and the gate/up MLP projection, TP-split) + fp32
    logits."""
    activation_bytes = (
        MAX_TOKENS_PER_STEP
        * ACTIVATION_BYTES_PER_ELEMENT
        * (4.0 * model.hidden_size + 2.0 * model.intermediate_size / tp)
    )
    logits_bytes = MAX_NUM_SEQS * 4.0 * model.vocab_size / tp
    result: FloatArray = RUNTIME_RESERVED_BYTES_PER_GPU + activation_bytes + logits_bytes
    return result


def _infeasible_reasons(
    model: ModelArrays, gpu: GpuArrays, tp: FloatArray, max_concurrency: FloatArray
) -> IntArray:
    """Why each replica cannot serve (FEASIBLE where it can); later checks win."""
    reason = np.full(tp.shape, FEASIBLE, dtype=np.int64)
    reason[max_concurrency < 1] = DOES_NOT_FIT
    heads_ok = np.mod(model.num_attention_heads, tp) == 0
    kv_ok = model.is_mla | np.where(
        model.num_kv_heads >= tp,
        np.mod(model.num_kv_heads, tp) == 0,
        np.mod(tp, np.maximum(model.num_kv_heads, 1.0)) == 0,
    )
    reason[~(heads_ok & kv_ok)] = TP_DOES_NOT_DIVIDE_HEADS
    reason[tp > gpu.max_gpus_per_node] = TP_EXCEEDS_NODE
    return reason


def memory_arrays(
    model: ModelArrays,
    gpu: GpuArrays,
    tensor_parallel: FloatArray,
    weight_bytes_per_param: FloatArray,
    kv_bytes_per_element: FloatArray,
    context_tokens: FloatArray,
    kv_cache_memory_fraction: float | FloatArray = DEFAULT_KV_CACHE_MEMORY_FRACTION,
    pipeline_parallel: float | FloatArray = 1.0,
) -> MemoryArrays:
    """Memory breakdown of many replicas at once (arrays of equal length, bytes).

    With `pipeline_parallel` stages (one per node) each GPU holds 1/pp of the layers: of the
    weights and of every sequence's KV cache.

    Numeric kernel: one vectorised pass over every term of the memory budget."""
    tp = tensor_parallel
    weights, expert_bytes, embedding_params = _weight_bytes(model, weight_bytes_per_param)
    kv_bytes_per_token, kv_layer_gpu, replication = _kv_bytes(model, tp, kv_bytes_per_element)
    overhead_per_gpu = _overhead_per_gpu(model, tp)

    weights_per_gpu = weights / (tp * pipeline_parallel)
    kv_capacity_per_gpu = kv_cache_memory_fraction * np.maximum(
        gpu.memory_bytes - weights_per_gpu - overhead_per_gpu, 0.0
    )
    seq_bytes = (
        kv_sequence_bytes_per_gpu(
            kv_layer_gpu,
            model.num_layers,
            model.sliding_window_tokens,
            model.num_sliding_window_layers,
            context_tokens,
        )
        / pipeline_parallel
    )
    max_concurrency = np.floor(kv_capacity_per_gpu / seq_bytes)
    reason = _infeasible_reasons(model, gpu, tp, max_concurrency)
    return MemoryArrays(
        weights_bytes=weights,
        weights_bytes_per_gpu=weights_per_gpu,
        expert_weights_bytes=expert_bytes,
        embedding_bytes=embedding_params * UNQUANTIZED_BYTES_PER_PARAM,
        kv_cache_bytes_per_token=kv_bytes_per_token,
        kv_bytes_per_token_per_layer_per_gpu=kv_layer_gpu,
        kv_replication_factor=replication,
        kv_sequence_bytes_per_gpu=seq_bytes,
        overhead_bytes_per_gpu=overhead_per_gpu,
        kv_cache_capacity_bytes_per_gpu=kv_capacity_per_gpu,
        max_concurrency=max_concurrency,
        infeasible_reason=reason,
    )
