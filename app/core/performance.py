"""What one GPU replica serves: throughput, TTFT and TPOT under continuous batching.

The model is a per-scheduler-step roofline (docs/performance-model.md):

* a step that processes `n` tokens takes
  `step_overhead + all_reduce(n) + sqrt(compute(n)^2 + memory(n)^2)`, where compute is
  2 x active parameters per token plus attention FLOPs, at the attainable fraction of the GPU's
  dense peak for the precision, and memory is the weights (for MoE, only the experts the step's
  tokens touch) plus the KV cache read, at the attainable fraction of HBM bandwidth;
* in a closed loop with `c` requests in flight, each request spends one step in prefill (its
  whole prompt, together with the other requests' decodes) and `output_tokens - 1` steps in
  decode; the `c` prefills are spread over the `output_tokens` steps of a cycle, which gives TTFT,
  TPOT and throughput from two step times (with and without a prefill);
* the maximum-throughput (offline) point runs as many sequences as the KV cache holds.

Free parameters (efficiencies, overheads) are fitted by benchmarks/fit_performance.py and live in
app/core/calibration.py. Everything is vectorized over configurations; the scalar functions are
wrappers over `evaluate_replicas`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core import calibration
from app.core.arrays import FloatArray, IntArray
from app.core.errors import InvalidWorkloadError
from app.core.memory import (
    ACTIVATION_BYTES_PER_ELEMENT,
    DEFAULT_KV_PRECISION_INDEX,
    FEASIBLE,
    KV_BYTES_BY_PRECISION,
    MAX_NUM_SEQS,
    PRECISION_INDEX,
    WEIGHT_BYTES_BY_PRECISION,
    GpuArrays,
    MemoryArrays,
    MemoryBreakdown,
    ModelArrays,
    breakdown_from_arrays,
    default_kv_cache_precision,
    kv_sequence_bytes_per_gpu,
    memory_arrays,
    validate_parallelism,
)
from app.core.types import GpuSpec, OpenModelSpec, Precision

#: Share of the calibrated (vendor best-case) throughput that a production deployment reaches.
#: The calibration data are TensorRT-LLM runs on DGX machines with fixed-length synthetic
#: prompts; vLLM/SGLang with real, variable-length traffic, sampling, detokenization and
#: imperfect batching typically run 10-30% lower, so 0.8 is our default. It is a policy input
#: (1.0 reproduces the calibration data), kept apart from the fit on purpose.
DEFAULT_REAL_WORLD_DERATE = 0.8

#: `bound` values, in the order of the integer codes used by the vectorized API.
BOUNDS: tuple[str, ...] = ("compute", "memory_bandwidth", "kv_capacity")
BOUND_COMPUTE = 0
BOUND_MEMORY_BANDWIDTH = 1
BOUND_KV_CAPACITY = 2

#: Largest number of concurrency levels a curve evaluates (beyond it the grid is geometric).
MAX_CURVE_POINTS = 256


@dataclass(frozen=True, slots=True)
class PerformanceCalibration:
    """The model's free parameters; defaults are the fitted values in app/core/calibration.py."""

    compute_efficiency_16bit: float = calibration.COMPUTE_EFFICIENCY_16BIT
    compute_efficiency_low_precision: float = calibration.COMPUTE_EFFICIENCY_LOW_PRECISION
    memory_bandwidth_efficiency: float = calibration.MEMORY_BANDWIDTH_EFFICIENCY
    step_overhead_s: float = calibration.STEP_OVERHEAD_S
    allreduce_latency_s: float = calibration.ALLREDUCE_LATENCY_S
    allreduce_bandwidth_efficiency: float = calibration.ALLREDUCE_BANDWIDTH_EFFICIENCY
    kv_cache_memory_fraction: float = calibration.KV_CACHE_MEMORY_FRACTION
    moe_compute_efficiency: float = calibration.MOE_COMPUTE_EFFICIENCY
    request_overhead_s: float = calibration.REQUEST_OVERHEAD_S


DEFAULT_CALIBRATION = PerformanceCalibration()


@dataclass(frozen=True, slots=True)
class ReplicaBatch:
    """Many replica configurations as parallel arrays (struct of arrays).

    `models` and `gpus` hold the distinct specs; the index arrays pick one per configuration.
    `concurrency` 0 means the maximum-throughput (offline) operating point.
    """

    models: tuple[OpenModelSpec, ...]
    gpus: tuple[GpuSpec, ...]
    model_index: IntArray
    gpu_index: IntArray
    tensor_parallel: IntArray
    precision_index: IntArray  # into memory.PRECISIONS
    input_tokens: IntArray
    output_tokens: IntArray
    concurrency: IntArray
    kv_cache_precision_index: IntArray | None = None  # None: the precision's default

    @classmethod
    def build(
        cls,
        models: Sequence[OpenModelSpec],
        gpus: Sequence[GpuSpec],
        *,
        model_index: Sequence[int] | IntArray,
        gpu_index: Sequence[int] | IntArray,
        tensor_parallel: Sequence[int] | IntArray,
        precision: Sequence[Precision],
        input_tokens: Sequence[int] | IntArray,
        output_tokens: Sequence[int] | IntArray,
        concurrency: Sequence[int] | IntArray | None = None,
    ) -> ReplicaBatch:
        """Assemble a batch from sequences, broadcasting scalars-as-length-1 inputs."""
        n = len(model_index)

        def ints(values: Sequence[int] | IntArray) -> IntArray:
            return np.broadcast_to(np.asarray(values, dtype=np.int64), (n,)).copy()

        return cls(
            models=tuple(models),
            gpus=tuple(gpus),
            model_index=ints(model_index),
            gpu_index=ints(gpu_index),
            tensor_parallel=ints(tensor_parallel),
            precision_index=ints([PRECISION_INDEX[p] for p in precision]),
            input_tokens=ints(input_tokens),
            output_tokens=ints(output_tokens),
            concurrency=ints(np.zeros(n, np.int64) if concurrency is None else concurrency),
        )


@dataclass(frozen=True, slots=True)
class ReplicaBatchResult:
    """Vectorized results, one entry per configuration of the batch.

    Infeasible entries (see `infeasible_reason`, codes in app.core.memory) have zero throughput
    and infinite latencies.
    """

    feasible: np.ndarray
    infeasible_reason: IntArray
    concurrency: FloatArray  # requests in flight that the engine actually runs
    max_concurrency: FloatArray  # min(KV-limited sequences, scheduler cap)
    output_tokens_per_s: FloatArray
    output_tokens_per_s_per_gpu: FloatArray
    requests_per_s: FloatArray
    ttft_s: FloatArray
    tpot_s: FloatArray
    e2e_latency_s: FloatArray
    bound: IntArray  # index into BOUNDS
    memory: MemoryArrays


def evaluate_replicas(
    batch: ReplicaBatch,
    calibration: PerformanceCalibration = DEFAULT_CALIBRATION,
    real_world_derate: float = DEFAULT_REAL_WORLD_DERATE,
) -> ReplicaBatchResult:
    """Throughput (tokens/s), TTFT and TPOT (s) of every configuration in `batch`, vectorized."""
    # Extreme inputs (million-token prompts on tiny GPUs) may overflow to inf or make NaN;
    # those entries are masked below rather than warned about.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _evaluate_replicas(batch, calibration, real_world_derate)


def _evaluate_replicas(
    batch: ReplicaBatch, calibration: PerformanceCalibration, real_world_derate: float
) -> ReplicaBatchResult:
    cal = calibration
    m = ModelArrays.from_specs(batch.models).take(batch.model_index)
    g = GpuArrays.from_specs(batch.gpus).take(batch.gpu_index)
    tp = batch.tensor_parallel.astype(np.float64)
    prompt = batch.input_tokens.astype(np.float64)
    out = np.maximum(batch.output_tokens.astype(np.float64), 1.0)
    kv_index = (
        DEFAULT_KV_PRECISION_INDEX[batch.precision_index]
        if batch.kv_cache_precision_index is None
        else batch.kv_cache_precision_index
    )
    mem = memory_arrays(
        m,
        g,
        tp,
        WEIGHT_BYTES_BY_PRECISION[batch.precision_index],
        KV_BYTES_BY_PRECISION[kv_index],
        prompt + out,
        cal.kv_cache_memory_fraction,
    )

    # Attainable rates per GPU. A precision without native tensor cores on this GPU runs as
    # weight-only quantization (weights and KV stored low, GEMMs at 16 bits: vLLM's Marlin and
    # FP8-Marlin kernels); INT4 is always weight-only (W4A16, as GPTQ/AWQ kernels are).
    code = batch.precision_index
    native = np.full(tp.shape, np.nan)
    native = np.where(code == PRECISION_INDEX[Precision.FP8], g.fp8_flops_per_s, native)
    native = np.where(code == PRECISION_INDEX[Precision.INT8], g.int8_ops_per_s, native)
    native = np.where(code == PRECISION_INDEX[Precision.FP4], g.fp4_flops_per_s, native)
    low = ~np.isnan(native)
    attn_flops_per_s = g.bf16_flops_per_s * cal.compute_efficiency_16bit
    linear_flops_per_s = np.where(
        low, native * cal.compute_efficiency_low_precision, attn_flops_per_s
    )
    bandwidth = g.memory_bandwidth_bytes_per_s * cal.memory_bandwidth_efficiency
    link = g.interconnect_bandwidth_bytes_per_s * cal.allreduce_bandwidth_efficiency

    # Routed-expert GEMMs (grouped, few tokens per expert, plus token permutation) reach a lower
    # share of peak than dense GEMMs: their FLOPs are divided by moe_compute_efficiency.
    routed_params = np.where(
        m.num_experts > 0,
        mem.expert_weights_bytes
        / WEIGHT_BYTES_BY_PRECISION[batch.precision_index]
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
    kv_decode_bytes = kv_sequence_bytes_per_gpu(
        mem.kv_bytes_per_token_per_layer_per_gpu,
        m.num_layers,
        window,
        sw_layers,
        decode_context,
    )
    kv_prompt_bytes = kv_sequence_bytes_per_gpu(
        mem.kv_bytes_per_token_per_layer_per_gpu, m.num_layers, window, sw_layers, prompt
    )
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

    def step(decodes: FloatArray, prefills: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Time (s) of one step with `decodes` decoding sequences and `prefills` prompts."""
        tokens = decodes + prefills * prompt
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
        total = cal.step_overhead_s + comm + np.sqrt(compute**2 + memory**2)
        return total / real_world_derate, compute - memory

    kv_limit = mem.max_concurrency
    cap = np.minimum(kv_limit, MAX_NUM_SEQS)
    feasible = mem.infeasible_reason == FEASIBLE
    cap_safe = np.where(feasible, np.maximum(cap, 1.0), 1.0)
    requested = batch.concurrency.astype(np.float64)
    wanted = np.where(requested > 0, requested, cap_safe)
    c = np.minimum(wanted, cap_safe)

    # A cycle of `out` steps holds c prefills: a share f of the steps carries `per_step`
    # prefills each; every step decodes the c(out-1)/out sequences that are past prefill.
    decodes = c * (out - 1.0) / out
    f = np.minimum(1.0, c / out)
    per_step = c / (out * f)
    t_mixed, mixed_balance = step(decodes, per_step)
    t_decode, decode_balance = step(decodes, np.zeros_like(c))
    t_mean = f * t_mixed + (1.0 - f) * t_decode
    tpot = np.where(out > 1.0, (out * t_mean - t_mixed) / np.maximum(out - 1.0, 1.0), t_decode)
    # Closed loop: each slot completes one request per cycle of `out` steps (plus the request's
    # CPU/HTTP overhead), so the request rate follows from time conservation.
    rps = c / (cal.request_overhead_s + out * t_mean)
    # TTFT as a request arriving at a random moment sees it (open-loop traffic at this load):
    # half a running step when others are in flight, then its prefill step, which also carries
    # everyone else's decode.
    ttft = cal.request_overhead_s + t_mixed + 0.5 * t_mean * (1.0 - 1.0 / c)
    e2e = ttft + (out - 1.0) * tpot
    # Requests beyond what the engine holds queue for a free slot: (wanted - c) / rps on average
    # (Little's law on the queue), before the latency above.
    queue_s = (wanted - c) / rps
    ttft = ttft + queue_s
    e2e = e2e + queue_s

    balance = f * mixed_balance + (1.0 - f) * decode_balance
    bound = np.where(
        balance >= 0.0,
        BOUND_COMPUTE,
        np.where(
            (c >= kv_limit) & (kv_limit <= MAX_NUM_SEQS), BOUND_KV_CAPACITY, BOUND_MEMORY_BANDWIDTH
        ),
    ).astype(np.int64)

    # A configuration whose numbers overflowed serves nothing, at no finite latency.
    rps = np.where(np.isfinite(rps) & (rps > 0), rps, 0.0)
    ttft, tpot, e2e = (np.where(np.isnan(x), np.inf, x) for x in (ttft, tpot, e2e))
    tokens_per_s = np.where(feasible, rps * out, 0.0)
    inf = np.inf
    return ReplicaBatchResult(
        feasible=feasible,
        infeasible_reason=mem.infeasible_reason,
        concurrency=np.where(feasible, c, 0.0),
        max_concurrency=np.where(feasible, cap, 0.0),
        output_tokens_per_s=tokens_per_s,
        output_tokens_per_s_per_gpu=tokens_per_s / tp,
        requests_per_s=np.where(feasible, rps, 0.0),
        ttft_s=np.where(feasible, ttft, inf),
        tpot_s=np.where(feasible, tpot, inf),
        e2e_latency_s=np.where(feasible, e2e, inf),
        bound=bound,
        memory=mem,
    )


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


def _single_batch(
    model: OpenModelSpec,
    gpu: GpuSpec,
    tensor_parallel: int,
    precision: Precision,
    input_tokens: int,
    output_tokens: int,
    concurrency: Sequence[int] | IntArray,
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
    )


def _checked_memory(
    result: ReplicaBatchResult,
    model: OpenModelSpec,
    gpu: GpuSpec,
    tensor_parallel: int,
    precision: Precision,
    context_tokens: int,
    calibration: PerformanceCalibration,
) -> MemoryBreakdown:
    # Raises ModelDoesNotFitError, with the numbers, when not even one sequence fits.
    breakdown = breakdown_from_arrays(
        result.memory,
        0,
        model,
        gpu,
        tensor_parallel,
        context_tokens,
        default_kv_cache_precision(precision),
        calibration.kv_cache_memory_fraction,
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
) -> ReplicaPerformance:
    """Throughput (tokens/s) and latencies (s) of one replica; None = max-throughput point."""
    validate_parallelism(model, gpu, tensor_parallel)
    _validate_lengths(input_tokens, output_tokens, concurrency)
    batch = _single_batch(
        model, gpu, tensor_parallel, precision, input_tokens, output_tokens, [concurrency or 0]
    )
    r = evaluate_replicas(batch, calibration, real_world_derate)
    memory = _checked_memory(
        r, model, gpu, tensor_parallel, precision, input_tokens + output_tokens, calibration
    )
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
    )


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
) -> ReplicaCurve:
    """Throughput (tokens/s) and latencies (s) at every concurrency level the replica can hold."""
    validate_parallelism(model, gpu, tensor_parallel)
    _validate_lengths(input_tokens, output_tokens, None)
    probe = evaluate_replicas(
        _single_batch(model, gpu, tensor_parallel, precision, input_tokens, output_tokens, [0]),
        calibration,
        real_world_derate,
    )
    memory = _checked_memory(
        probe, model, gpu, tensor_parallel, precision, input_tokens + output_tokens, calibration
    )
    levels = concurrency_grid(int(probe.max_concurrency[0]))
    r = evaluate_replicas(
        _single_batch(model, gpu, tensor_parallel, precision, input_tokens, output_tokens, levels),
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
    )


def _validate_lengths(input_tokens: int, output_tokens: int, concurrency: int | None) -> None:
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
