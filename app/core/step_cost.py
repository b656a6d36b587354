"""Time of one scheduler step: a roofline over the tokens it processes (vectorized).

A step that decodes `d` sequences and prefills `p` prompt tokens takes, per GPU,
`step_overhead + per_sequence_overhead x sequences + all_reduce + sqrt(compute^2 + memory^2)`
(docs/performance-model.md): compute is 2 x active parameters per token plus attention FLOPs at
the attainable share of the GPU's dense peak, memory is the weights (for MoE, only the experts
the step's tokens touch) plus the KV cache read, at the attainable share of HBM bandwidth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.core.arrays import FloatArray
from app.core.memory import GpuArrays, MemoryArrays, ModelArrays, kv_sequence_bytes_per_gpu
from app.core.precision_bytes import (
    ACTIVATION_BYTES_PER_ELEMENT,
    PRECISION_INDEX,
    WEIGHT_BYTES_BY_PRECISION,
)
from app.core.scheduler import StepFunction
from app.core.types import Precision

if TYPE_CHECKING:
    from app.core.performance import PerformanceCalibration, ReplicaBatch


#: Per-GPU, per-direction scale-out bandwidth between servers: one 400 Gb/s ConnectX-7
#: (InfiniBand NDR) port per GPU, as in NVIDIA DGX H100/H200/B200 (DGX H100 User Guide, network
#: modules: eight ConnectX-7 ports for eight GPUs) = 50 GB/s.
INTER_NODE_BANDWIDTH_BYTES_PER_S = 50e9
#: Latency of one point-to-point activation send between servers (NCCL send/recv over
#: InfiniBand with GPUDirect RDMA: a few microseconds of wire and switch time plus kernel launch
#: and proxy overhead; 20 us is our round figure, not fitted).
INTER_NODE_LATENCY_S = 20e-6


def step_function(
    m: ModelArrays,
    g: GpuArrays,
    mem: MemoryArrays,
    batch: ReplicaBatch,
    cal: PerformanceCalibration,
    kernel_efficiency: FloatArray,
    low_precision_kernel_efficiency: FloatArray,
    step_overhead_s: FloatArray,
    step_overhead_per_sequence_s: FloatArray,
    real_world_derate: float,
) -> StepFunction:
    """The step-time function of every configuration (s), closed over its rates and sizes."""
    tp = batch.tensor_parallel.astype(np.float64)
    prompt = np.maximum(batch.input_tokens.astype(np.float64), 1.0)
    out = np.maximum(batch.output_tokens.astype(np.float64), 1.0)
    # Attainable rates per GPU. A precision without native tensor cores on this GPU runs as
    # weight-only quantization (weights and KV stored low, GEMMs at 16 bits: vLLM's Marlin and
    # FP8-Marlin kernels); INT4 is always weight-only (W4A16, as GPTQ/AWQ kernels are).
    code = batch.precision_index
    native = np.full(tp.shape, np.nan)
    native = np.where(code == PRECISION_INDEX[Precision.FP8], g.fp8_flops_per_s, native)
    native = np.where(code == PRECISION_INDEX[Precision.INT8], g.int8_ops_per_s, native)
    native = np.where(code == PRECISION_INDEX[Precision.FP4], g.fp4_flops_per_s, native)
    low = ~np.isnan(native)
    attn_flops_per_s = g.bf16_flops_per_s * cal.compute_efficiency_16bit * kernel_efficiency
    linear_flops_per_s = np.where(
        low,
        native * cal.compute_efficiency_low_precision * low_precision_kernel_efficiency,
        attn_flops_per_s,
    )
    bandwidth = g.memory_bandwidth_bytes_per_s * cal.memory_bandwidth_efficiency * kernel_efficiency
    link = g.interconnect_bandwidth_bytes_per_s * cal.allreduce_bandwidth_efficiency

    # Routed-expert GEMMs (grouped, few tokens per expert, plus token permutation) reach a lower
    # share of peak than dense GEMMs: their FLOPs are divided by moe_compute_efficiency.
    routed_params = np.where(
        m.num_experts > 0,
        mem.expert_weights_bytes
        / WEIGHT_BYTES_BY_PRECISION[code]
        * m.num_experts_per_token
        / np.maximum(m.num_experts, 1.0),
        0.0,
    )
    flops_per_token = (
        2.0 * (m.active_params - routed_params + routed_params / cal.moe_compute_efficiency) / tp
    )
    attn_width = 4.0 * m.num_attention_heads * m.head_dim / tp  # QK^T and PV, 2 FLOPs per MAC
    global_layers = m.num_layers - m.num_sliding_window_layers
    window = m.sliding_window_tokens
    sw_layers = m.num_sliding_window_layers
    # Causal query-key pairs of one prompt, summed over layers (sliding layers see <= window).
    sw_pairs = np.where(prompt > window, prompt * window - window * window / 2.0, prompt**2 / 2.0)
    prefill_pairs = global_layers * prompt**2 / 2.0 + sw_layers * np.where(
        window > 0, sw_pairs, 0.0
    )
    decode_context = prompt + out / 2.0  # mean context of a decoding sequence
    decode_pairs = global_layers * decode_context + sw_layers * np.minimum(
        decode_context, np.where(window > 0, window, decode_context)
    )
    kv_layer = mem.kv_bytes_per_token_per_layer_per_gpu
    kv_decode_bytes = kv_sequence_bytes_per_gpu(
        kv_layer, m.num_layers, window, sw_layers, decode_context
    )
    kv_prompt_bytes = kv_sequence_bytes_per_gpu(kv_layer, m.num_layers, window, sw_layers, prompt)
    # Weights a step reads. The input embedding is a gather, not a full read. For MoE, a step
    # with T tokens touches E(1-(1-k/E)^T) distinct experts per layer in expectation.
    dense_read = (mem.weights_bytes - mem.embedding_bytes - mem.expert_weights_bytes) / tp
    expert_read = mem.expert_weights_bytes / tp
    miss = np.where(
        m.num_experts > 0, 1.0 - m.num_experts_per_token / np.maximum(m.num_experts, 1.0), 0.0
    )
    # Two all-reduces per layer (after attention and after the MLP/MoE), ring algorithm:
    # 2(p-1)/p of the payload crosses each GPU's link; latency grows with log2(p) hops.
    allreduce_layers = np.where(tp > 1, 2.0 * m.num_layers, 0.0)
    ring = 2.0 * (tp - 1.0) / tp * ACTIVATION_BYTES_PER_ELEMENT * m.hidden_size / link
    allreduce_latency = cal.allreduce_latency_s * np.log2(tp)

    pp = (
        np.ones_like(tp)
        if batch.pipeline_parallel is None
        else batch.pipeline_parallel.astype(np.float64)
    )
    hop_bytes_per_token = ACTIVATION_BYTES_PER_ELEMENT * m.hidden_size

    def step(all_decodes: FloatArray, all_prefill: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Time (s) of one step of the whole batch, and its compute-minus-memory time.

        With pp pipeline stages the batch runs as pp micro-batches; each stage holds 1/pp of
        the layers, and a token passes every stage in turn: a step takes pp stage times of one
        micro-batch plus pp - 1 hops over the inter-node network (vLLM/SGLang pipeline
        parallelism with pp micro-batches in flight).
        """
        decodes = all_decodes / pp
        prefill_tokens = all_prefill / pp
        prefills = prefill_tokens / prompt
        tokens = decodes + prefill_tokens
        compute = (
            tokens * flops_per_token / linear_flops_per_s
            + attn_width * (prefills * prefill_pairs + decodes * decode_pairs) / attn_flops_per_s
        )
        touched = 1.0 - miss**tokens
        memory = (
            dense_read
            + expert_read * touched
            + decodes * kv_decode_bytes
            + prefills * kv_prompt_bytes
        ) / bandwidth
        comm = allreduce_layers * (allreduce_latency + tokens * ring)
        # Smooth roofline: a step is a sequence of kernels, some compute-bound (GEMMs), some
        # memory-bound (attention, norms), so compute and memory time overlap only partly; the
        # L2 blend sqrt(c^2 + m^2) sits between max(c, m) and c + m (a fixed shape, not fitted).
        cpu = step_overhead_s + step_overhead_per_sequence_s * (decodes + prefills)
        compute, memory, comm = compute / pp, memory / pp, comm / pp
        stage = cpu + comm + np.sqrt(compute**2 + memory**2)
        hops = (pp - 1.0) * (
            INTER_NODE_LATENCY_S + tokens * hop_bytes_per_token / INTER_NODE_BANDWIDTH_BYTES_PER_S
        )
        total = pp * stage + hops
        return total / real_world_derate, compute - memory

    return step
