"""Time of one scheduler step: a roofline over the tokens it processes (vectorized).

A step that decodes `d` sequences and prefills `p` prompt tokens takes, per GPU,
`step_overhead + per_sequence_overhead x sequences + kernel gaps + all_reduce
+ sqrt(compute^2 + memory^2)` (docs/performance-model.md): compute is 2 x active parameters per
token at the attainable share of the GPU's peak for the precision, plus attention FLOPs at the
attention kernels' share of the 16-bit peak; memory is the weights (for MoE, only the experts the
step's tokens touch) at the attainable share of HBM bandwidth plus the KV cache read at the
attention kernels' share. The step is built in named phases: rates (`_rates`), work per token
and per sequence (`_work`), fixed per-layer and communication costs (`_fixed_costs`), and the
step itself (`_step`).
"""

from __future__ import annotations

from dataclasses import dataclass
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
from app.core.types import Interconnect, Precision

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
#: NVLink SHARP (NVLS): the third-generation NVSwitch of HGX/DGX H100 and H200, and the
#: NVLink 5 switch of B200/GB200, reduce in the switch, so an all-reduce moves each GPU's
#: payload once each way instead of a ring's 2(p-1)/p (NVIDIA Hopper architecture whitepaper,
#: "NVLink SHARP"; NCCL >= 2.17 uses it for all-reduce). Ampere's NVSwitch (A100, 300 GB/s per
#: direction) and two-GPU NVLink bridges (H100 NVL, 300 GB/s) do not; GPUs with FP8 tensor
#: cores and >= 450 GB/s per direction of NVLink are the ones on such a switch.
NVLS_MIN_LINK_BYTES_PER_S = 450e9
#: Kernels of one dense decoder layer in a step (vLLM's Llama forward: fused add+RMSNorm, QKV
#: GEMM, rotary, KV-cache write + attention, O GEMM, fused add+RMSNorm, gate/up GEMM, SiLU-and-
#: mul, down GEMM, plus the residual add): 10. All-reduces are counted with the communication.
DENSE_LAYER_KERNELS = 10.0
#: Kernels an MoE layer adds to a dense layer's: router GEMM, top-k softmax, token alignment
#: (`moe_align_block_size`) and the combine (`moe_sum`) around the two grouped GEMMs that
#: replace the dense MLP's (vllm/model_executor/layers/fused_moe/fused_moe.py): 4.
MOE_EXTRA_KERNELS = 4.0
#: Rows of one GEMM tile: a GEMM over M tokens computes whole tiles of 128 rows (the CTA tile
#: M of CUTLASS/cuBLAS Hopper and Ampere tensor-core GEMMs and of TensorRT-LLM's and vLLM's
#: grouped MoE GEMMs at large batch), so on average half a tile, 64 rows, is wasted per GEMM,
#: and per expert in a grouped MoE GEMM, where few tokens reach each expert when k/E is small.
GEMM_TILE_ROWS = 128.0


@dataclass(frozen=True, slots=True)
class _Rates:
    """Attainable rates per GPU (FLOP/s, bytes/s)."""

    attention_flops_per_s: FloatArray
    linear_flops_per_s: FloatArray
    weight_bandwidth: FloatArray
    kv_bandwidth: FloatArray
    link: FloatArray


@dataclass(frozen=True, slots=True)
class _Work:
    """Work per token and per sequence of one step, per GPU."""

    prompt: FloatArray
    flops_per_token: FloatArray
    padding_flops_per_row: FloatArray  # one wasted tile row of every dense GEMM
    expert_padding_flops_per_row: FloatArray  # one wasted row of every routed expert's GEMMs
    attention_width: FloatArray  # FLOPs per query-key pair
    prefill_pairs: FloatArray  # query-key pairs of one prompt, summed over layers
    decode_pairs: FloatArray  # query-key pairs of one decode token, summed over layers
    kv_decode_bytes: FloatArray
    kv_prompt_bytes: FloatArray
    dense_read: FloatArray  # weights every step reads
    expert_read: FloatArray  # all routed experts (read in part)
    expert_miss: FloatArray  # probability that one token does not route to a given expert


@dataclass(frozen=True, slots=True)
class _FixedCosts:
    """What a step costs beyond its roofline, and the pipeline shape."""

    step_s: FloatArray  # engine's CPU time per step
    per_sequence_s: FloatArray  # engine's CPU time per sequence and step
    kernel_gaps_s: FloatArray  # launch-and-drain gaps of the step's kernels
    allreduce_layers: FloatArray
    allreduce_latency_s: FloatArray
    allreduce_s_per_token: FloatArray
    pipeline_stages: FloatArray
    hop_bytes_per_token: FloatArray


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
    rates = _rates(g, batch, cal, kernel_efficiency, low_precision_kernel_efficiency)
    work = _work(m, mem, batch, cal)
    fixed = _fixed_costs(m, batch, cal, rates, step_overhead_s, step_overhead_per_sequence_s)

    def step(all_decodes: FloatArray, all_prefill: FloatArray) -> tuple[FloatArray, FloatArray]:
        return _step(rates, work, fixed, all_decodes, all_prefill, real_world_derate)

    return step


def _rates(
    g: GpuArrays,
    batch: ReplicaBatch,
    cal: PerformanceCalibration,
    kernel_efficiency: FloatArray,
    low_precision_kernel_efficiency: FloatArray,
) -> _Rates:
    """Attainable FLOP/s and bytes/s per GPU for every configuration.

    A precision without native tensor cores on this GPU runs as weight-only quantization
    (weights and KV stored low, GEMMs at 16 bits: vLLM's Marlin and FP8-Marlin kernels, so FP4
    on Hopper and Ampere and FP8 on Ampere); INT4 is always weight-only (W4A16, as GPTQ/AWQ
    kernels are). Natively, a GEMM's tensor-core part speeds up with the precision's peak but
    its serial part (quantizing activations, scale factors, epilogue) does not: the calibrated
    FP8 efficiency (peak twice the 16-bit one) fixes that serial share `s`, and a format with
    `r` times the 16-bit peak (NVFP4 on Blackwell: 4) reaches `e8 (1 + s) / (1 + s (r - 1))`.
    """
    code = batch.precision_index
    native = np.full(code.shape, np.nan)
    native = np.where(code == PRECISION_INDEX[Precision.FP8], g.fp8_flops_per_s, native)
    native = np.where(code == PRECISION_INDEX[Precision.INT8], g.int8_ops_per_s, native)
    native = np.where(code == PRECISION_INDEX[Precision.FP4], g.fp4_flops_per_s, native)
    low = ~np.isnan(native)
    ratio = np.where(low, native / g.bf16_flops_per_s, 1.0)
    serial = max(cal.compute_efficiency_16bit / cal.compute_efficiency_low_precision - 1.0, 0.0)
    beyond_fp8 = (1.0 + serial) / (1.0 + serial * np.maximum(ratio - 1.0, 1.0))
    low_efficiency = cal.compute_efficiency_low_precision * low_precision_kernel_efficiency
    bandwidth = g.memory_bandwidth_bytes_per_s * kernel_efficiency
    return _Rates(
        attention_flops_per_s=g.bf16_flops_per_s
        * cal.attention_compute_efficiency
        * kernel_efficiency,
        linear_flops_per_s=np.where(
            low,
            native * low_efficiency * beyond_fp8,
            g.bf16_flops_per_s * cal.compute_efficiency_16bit * kernel_efficiency,
        ),
        weight_bandwidth=bandwidth * cal.memory_bandwidth_efficiency,
        kv_bandwidth=bandwidth * cal.kv_read_bandwidth_efficiency,
        link=g.interconnect_bandwidth_bytes_per_s * cal.allreduce_bandwidth_efficiency,
    )


def _work(
    m: ModelArrays, mem: MemoryArrays, batch: ReplicaBatch, cal: PerformanceCalibration
) -> _Work:
    """FLOPs, attention pairs and bytes of one step's tokens and sequences, per GPU."""
    tp = batch.tensor_parallel.astype(np.float64)
    prompt = np.maximum(batch.input_tokens.astype(np.float64), 1.0)
    out = np.maximum(batch.output_tokens.astype(np.float64), 1.0)
    # Routed-expert GEMMs (grouped, few tokens per expert, plus token permutation) reach a lower
    # share of peak than dense GEMMs: their FLOPs are divided by moe_compute_efficiency.
    moe = m.num_experts > 0
    routed_share = m.num_experts_per_token / np.maximum(m.num_experts, 1.0)
    code = batch.precision_index
    routed = np.where(
        moe, mem.expert_weights_bytes / WEIGHT_BYTES_BY_PRECISION[code] * routed_share, 0.0
    )
    active = m.active_params - routed + routed / cal.moe_compute_efficiency
    # Causal query-key pairs of one prompt, summed over layers (sliding layers see <= window).
    window, sw_layers = m.sliding_window_tokens, m.num_sliding_window_layers
    global_layers = m.num_layers - sw_layers
    sw_pairs = np.where(prompt > window, prompt * window - window * window / 2.0, prompt**2 / 2.0)
    prefill_pairs = global_layers * prompt**2 / 2.0 + sw_layers * np.where(
        window > 0, sw_pairs, 0.0
    )
    context = prompt + out / 2.0  # mean context of a decoding sequence
    decode_pairs = global_layers * context + sw_layers * np.minimum(
        context, np.where(window > 0, window, context)
    )
    kv_layer = mem.kv_bytes_per_token_per_layer_per_gpu
    # Weights a step reads. The input embedding is a gather, not a full read. For MoE, a step
    # with T tokens touches E(1-(1-k/E)^T) distinct experts per layer in expectation.
    return _Work(
        prompt=prompt,
        flops_per_token=2.0 * active / tp,
        padding_flops_per_row=2.0 * (m.active_params - routed) / tp,
        expert_padding_flops_per_row=2.0
        * np.where(moe, mem.expert_weights_bytes / WEIGHT_BYTES_BY_PRECISION[code], 0.0)
        / cal.moe_compute_efficiency
        / tp,
        attention_width=4.0 * m.num_attention_heads * m.head_dim / tp,  # QK^T and PV, 2/MAC
        prefill_pairs=prefill_pairs,
        decode_pairs=decode_pairs,
        kv_decode_bytes=kv_sequence_bytes_per_gpu(
            kv_layer, m.num_layers, window, sw_layers, context
        ),
        kv_prompt_bytes=kv_sequence_bytes_per_gpu(
            kv_layer, m.num_layers, window, sw_layers, prompt
        ),
        dense_read=(mem.weights_bytes - mem.embedding_bytes - mem.expert_weights_bytes) / tp,
        expert_read=mem.expert_weights_bytes / tp,
        expert_miss=np.where(moe, 1.0 - routed_share, 0.0),
    )


def _fixed_costs(
    m: ModelArrays,
    batch: ReplicaBatch,
    cal: PerformanceCalibration,
    rates: _Rates,
    step_overhead_s: FloatArray,
    step_overhead_per_sequence_s: FloatArray,
) -> _FixedCosts:
    """Per-step costs that the roofline does not see: CPU, kernel gaps, communication.

    Every kernel of a step leaves the GPU partly idle while it launches and drains (a few
    microseconds even inside a CUDA graph), whatever its size: `kernel_launch_s` per kernel,
    fitted, times the kernels of every layer (MoE layers have more). It is what small-active
    MoE models (a few billion active parameters over dozens of layers) spend most of a
    small-batch step on. All-reduces: two per layer (after attention and after the MLP/MoE),
    ring algorithm, 2(p-1)/p of the payload crosses each GPU's link (once with NVLink SHARP);
    their latency grows with log2(p) hops.
    """
    tp = batch.tensor_parallel.astype(np.float64)
    kernels = m.num_layers * (DENSE_LAYER_KERNELS + MOE_EXTRA_KERNELS * (m.num_experts > 0))
    share = np.where(_in_switch_reduction(batch), 1.0, 2.0 * (tp - 1.0) / tp)
    return _FixedCosts(
        step_s=step_overhead_s,
        per_sequence_s=step_overhead_per_sequence_s,
        kernel_gaps_s=kernels * cal.kernel_launch_s,
        allreduce_layers=np.where(tp > 1, 2.0 * m.num_layers, 0.0),
        allreduce_latency_s=cal.allreduce_latency_s * np.log2(tp),
        allreduce_s_per_token=share * ACTIVATION_BYTES_PER_ELEMENT * m.hidden_size / rates.link,
        pipeline_stages=np.ones_like(tp)
        if batch.pipeline_parallel is None
        else batch.pipeline_parallel.astype(np.float64),
        hop_bytes_per_token=ACTIVATION_BYTES_PER_ELEMENT * m.hidden_size,
    )


def _step(
    rates: _Rates,
    work: _Work,
    fixed: _FixedCosts,
    all_decodes: FloatArray,
    all_prefill: FloatArray,
    real_world_derate: float,
) -> tuple[FloatArray, FloatArray]:
    """Time (s) of one step of the whole batch, and its compute-minus-memory time.

    With pp pipeline stages the batch runs as pp micro-batches; each stage holds 1/pp of the
    layers, and a token passes every stage in turn: a step takes pp stage times of one
    micro-batch plus pp - 1 hops over the inter-node network (vLLM/SGLang pipeline parallelism
    with pp micro-batches in flight). Smooth roofline: a step is a sequence of kernels, some
    compute-bound (GEMMs), some memory-bound (attention, norms), so compute and memory time
    overlap only partly; the L2 blend sqrt(c^2 + m^2) sits between max(c, m) and c + m (a fixed
    shape, not fitted).
    """
    pp = fixed.pipeline_stages
    decodes = all_decodes / pp
    prefill_tokens = all_prefill / pp
    prefills = prefill_tokens / work.prompt
    tokens = decodes + prefill_tokens
    pairs = prefills * work.prefill_pairs + decodes * work.decode_pairs
    touched = 1.0 - work.expert_miss**tokens
    linear = tokens * work.flops_per_token + _padding_flops(work, tokens, touched)
    compute = (
        linear / rates.linear_flops_per_s
        + work.attention_width * pairs / rates.attention_flops_per_s
    ) / pp
    memory = (
        (work.dense_read + work.expert_read * touched) / rates.weight_bandwidth
        + (decodes * work.kv_decode_bytes + prefills * work.kv_prompt_bytes) / rates.kv_bandwidth
    ) / pp
    comm = (
        fixed.allreduce_layers
        * (fixed.allreduce_latency_s + tokens * fixed.allreduce_s_per_token)
        / pp
    )
    cpu = fixed.step_s + fixed.per_sequence_s * (decodes + prefills)
    stage = cpu + fixed.kernel_gaps_s / pp + comm + np.sqrt(compute**2 + memory**2)
    hops = (pp - 1.0) * (
        INTER_NODE_LATENCY_S + tokens * fixed.hop_bytes_per_token / INTER_NODE_BANDWIDTH_BYTES_PER_S
    )
    total = pp * stage + hops
    return total / real_world_derate, compute - memory


def _padding_flops(work: _Work, tokens: FloatArray, touched: FloatArray) -> FloatArray:
    """FLOPs of the rows wasted in partly filled GEMM tiles (per GPU, one step).

    Every GEMM wastes on average half a tile of rows, but never more rows than it has (small
    batches run narrow tiles or GEMV kernels). A grouped MoE GEMM does so per touched expert,
    with `tokens x k / (E x touched)` rows each: the waste is half a tile of every expert's
    weights, so relative to the useful work it is large where few of many experts are active
    per token (small k/E: Qwen3-30B-A3B 8 of 128, gpt-oss 4 of 128, DeepSeek-V3 8 of 256).
    """
    half_tile = GEMM_TILE_ROWS / 2.0
    routed_share = 1.0 - work.expert_miss
    per_expert = tokens * routed_share / np.maximum(touched, 1e-12)
    result: FloatArray = (
        np.minimum(tokens, half_tile) * work.padding_flops_per_row
        + touched * np.minimum(per_expert, half_tile) * work.expert_padding_flops_per_row
    )
    return result


def _in_switch_reduction(batch: ReplicaBatch) -> np.ndarray:
    """Whether each configuration's GPUs all-reduce inside the switch (NVLink SHARP)."""
    flags = np.asarray(
        [
            g.interconnect is Interconnect.NVLINK
            and g.fp8_flops_per_s is not None
            and g.interconnect_bandwidth_bytes_per_s >= NVLS_MIN_LINK_BYTES_PER_S
            for g in batch.gpus
        ],
        dtype=bool,
    )
    result: np.ndarray = flags[batch.gpu_index]
    return result
