"""Physics of the step model: FP4 per GPU generation, small-active MoE, NVLink SHARP, the
reference build of the calibration table (issue 10, performance model II)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.core.engines import KV_FRACTION_OF_TOTAL_MEMORY
from app.core.performance import (
    DEFAULT_CALIBRATION,
    PerformanceCalibration,
    ReplicaBatch,
    ReplicaPerformance,
    evaluate_replicas,
    evaluate_with_reference_build,
    replica_performance,
)
from app.core.step_cost import DENSE_LAYER_KERNELS, MOE_EXTRA_KERNELS
from app.core.types import Engine, GpuSpec, OpenModelSpec, Precision
from tests.factories import A100, H100, LLAMA_8B, LLAMA_70B, MIXTRAL_8X7B

# NVIDIA Blackwell datasheet (as summarised in /work/shared/reference/gpus.csv, aiconfigurator
# b200_sxm.yaml): 180 GB HBM3e, 7.7 TB/s, dense BF16 2,250 / FP8 4,500 / FP4 9,000 TFLOPS,
# NVLink 5 900 GB/s per direction.
B200 = dataclasses.replace(
    H100, slug="b200-180gb", memory_bytes=180e9, memory_bandwidth_bytes_per_s=7.7e12,
    bf16_flops_per_s=2250e12, fp8_flops_per_s=4500e12, fp4_flops_per_s=9000e12,
    int8_ops_per_s=4500e12, interconnect_bandwidth_bytes_per_s=900e9, tdp_w=1000.0,
)  # fmt: skip

# huggingface.co/Qwen/Qwen3-30B-A3B config.json: 48 layers, hidden 2048, 32 heads, 4 KV heads,
# head_dim 128, 128 experts of intermediate 768, top-8; 30.5B total / 3.3B active.
QWEN3_30B_A3B = OpenModelSpec(
    slug="qwen3-30b-a3b", total_params=30.5e9, active_params=3.3e9, num_layers=48,
    hidden_size=2048, num_attention_heads=32, num_kv_heads=4, head_dim=128,
    intermediate_size=768, vocab_size=151936, attention_kind=LLAMA_8B.attention_kind,
    max_context_tokens=40960, num_experts=128, num_experts_per_token=8,
)  # fmt: skip


def _perf(
    model: OpenModelSpec,
    gpu: GpuSpec,
    precision: Precision,
    isl: int,
    osl: int,
    concurrency: int,
    tp: int = 1,
    calibration: PerformanceCalibration = DEFAULT_CALIBRATION,
) -> ReplicaPerformance:
    return replica_performance(
        model, gpu, tp, precision, isl, osl, concurrency,
        calibration=calibration, real_world_derate=1.0, engine=Engine.VLLM,
    )  # fmt: skip


def test_native_fp4_on_blackwell_is_faster_than_fp8_but_less_than_twice_on_compute() -> None:
    # Prefill-heavy, single request: the step is compute-bound. NVFP4 tensor cores have twice
    # the FP8 peak, but the GEMMs' serial share (activation quantization, scales, epilogue) does
    # not speed up, so the prompt is processed faster, not twice as fast.
    fp8 = _perf(LLAMA_70B, B200, Precision.FP8, 8000, 1, 1)
    fp4 = _perf(LLAMA_70B, B200, Precision.FP4, 8000, 1, 1)
    speedup = fp8.ttft_s / fp4.ttft_s
    assert 1.05 < speedup < 2.0
    # Without a serial share (FP8 as efficient as 16 bits), FP4 would gain more.
    no_serial = dataclasses.replace(
        DEFAULT_CALIBRATION,
        compute_efficiency_low_precision=DEFAULT_CALIBRATION.compute_efficiency_16bit,
    )
    fp8_ideal = _perf(LLAMA_70B, B200, Precision.FP8, 8000, 1, 1, calibration=no_serial)
    fp4_ideal = _perf(LLAMA_70B, B200, Precision.FP4, 8000, 1, 1, calibration=no_serial)
    assert speedup < fp8_ideal.ttft_s / fp4_ideal.ttft_s


def test_fp4_before_blackwell_is_weight_only() -> None:
    # No FP4 tensor cores on Hopper: weights are read at 4 bits (single-stream decode is faster
    # than FP8) but GEMMs run at 16 bits (a long prompt is slower than with FP8 tensor cores).
    fp8 = _perf(LLAMA_70B, H100, Precision.FP8, 8000, 256, 1, tp=2)
    fp4 = _perf(LLAMA_70B, H100, Precision.FP4, 8000, 256, 1, tp=2)
    assert fp4.tpot_s < fp8.tpot_s
    assert fp4.ttft_s > fp8.ttft_s
    # ...and the same on Ampere, which has no FP8 either: FP4 prefill runs at the BF16 rate.
    bf16 = _perf(LLAMA_8B, A100, Precision.BF16, 8000, 256, 1)
    fp4_a100 = _perf(LLAMA_8B, A100, Precision.FP4, 8000, 256, 1)
    assert fp4_a100.tpot_s < bf16.tpot_s
    assert fp4_a100.ttft_s == pytest.approx(bf16.ttft_s, rel=0.15)


@pytest.mark.parametrize(
    ("model", "kernels_per_layer"),
    [(LLAMA_8B, DENSE_LAYER_KERNELS), (QWEN3_30B_A3B, DENSE_LAYER_KERNELS + MOE_EXTRA_KERNELS)],
)
def test_every_layer_kernel_adds_its_launch_gap_to_a_step(
    model: OpenModelSpec, kernels_per_layer: float
) -> None:
    gapless = dataclasses.replace(DEFAULT_CALIBRATION, kernel_launch_s=0.0)
    with_gaps = dataclasses.replace(DEFAULT_CALIBRATION, kernel_launch_s=5e-6)
    base = _perf(model, H100, Precision.BF16, 16, 64, 1, calibration=gapless)
    slow = _perf(model, H100, Precision.BF16, 16, 64, 1, calibration=with_gaps)
    assert slow.tpot_s - base.tpot_s == pytest.approx(
        model.num_layers * kernels_per_layer * 5e-6, rel=1e-6
    )


def test_small_active_moe_is_slower_per_active_parameter_than_a_dense_model() -> None:
    # Qwen3-30B-A3B has 2.4x fewer active parameters than Llama-3.1-8B, but a single stream
    # touches 8 of 128 experts per layer (far more bytes than its active share when a batch
    # grows) and runs 48 MoE layers of 14 kernels: it is not 2.4x faster.
    dense = _perf(LLAMA_8B, H100, Precision.BF16, 1000, 1000, 1)
    moe = _perf(QWEN3_30B_A3B, H100, Precision.BF16, 1000, 1000, 1)
    assert dense.tpot_s / moe.tpot_s < LLAMA_8B.active_params / QWEN3_30B_A3B.active_params
    # At 32 in flight the batch touches most experts: the MoE reads most of its 30.5B weights.
    dense32 = _perf(LLAMA_8B, H100, Precision.BF16, 1000, 1000, 32)
    moe32 = _perf(QWEN3_30B_A3B, H100, Precision.BF16, 1000, 1000, 32)
    assert moe32.tpot_s > dense32.tpot_s


def test_nvlink_sharp_makes_tensor_parallel_all_reduce_cheaper() -> None:
    # The same GPU without FP8 tensor cores is treated as pre-Hopper (no NVLink SHARP): at 16
    # bits only the all-reduce differs, and a ring moves 2(p-1)/p = 1.75x the payload at TP 8.
    no_sharp = dataclasses.replace(H100, fp8_flops_per_s=None)
    with_sharp = _perf(LLAMA_70B, H100, Precision.BF16, 2048, 128, 256, tp=8)
    ring = _perf(LLAMA_70B, no_sharp, Precision.BF16, 2048, 128, 256, tp=8)
    assert with_sharp.output_tokens_per_s > ring.output_tokens_per_s
    # At TP 1 there is no all-reduce, so nothing differs.
    assert _perf(LLAMA_8B, H100, Precision.BF16, 2048, 128, 64).tpot_s == pytest.approx(
        _perf(LLAMA_8B, no_sharp, Precision.BF16, 2048, 128, 64).tpot_s
    )


def test_reference_build_only_changes_the_rows_it_is_asked_for() -> None:
    batch = ReplicaBatch.build(
        [LLAMA_8B, MIXTRAL_8X7B], [H100],
        model_index=[0, 1, 0], gpu_index=[0, 0, 0], tensor_parallel=[1, 2, 1],
        precision=[Precision.FP8] * 3, input_tokens=[128, 128, 2048],
        output_tokens=[128, 2048, 128], engine=[Engine.TRTLLM, Engine.TRTLLM, Engine.VLLM],
    )  # fmt: skip
    plain = evaluate_replicas(batch, DEFAULT_CALIBRATION, real_world_derate=1.0)
    mixed = evaluate_with_reference_build(batch, [True, False, True])
    assert mixed.output_tokens_per_s[1] == plain.output_tokens_per_s[1]
    # A vLLM row is not TensorRT-LLM: the reference build does not apply to it.
    assert mixed.output_tokens_per_s[2] == plain.output_tokens_per_s[2]
    # The TensorRT-LLM 0.17 build and TensorRT-LLM 1.x differ in their fitted constants.
    assert mixed.output_tokens_per_s[0] != plain.output_tokens_per_s[0]
    assert np.all(mixed.feasible == plain.feasible)


@pytest.mark.parametrize("engine", list(Engine))
def test_kv_share_is_of_total_memory_for_vllm_and_sglang_and_of_free_memory_for_trtllm(
    engine: Engine,
) -> None:
    batch = ReplicaBatch.build(
        [LLAMA_70B], [H100], model_index=[0, 0], gpu_index=[0, 0], tensor_parallel=[1, 4],
        precision=[Precision.FP8] * 2, input_tokens=[1000], output_tokens=[1000],
        engine=[engine] * 2,
    )  # fmt: skip
    mem = evaluate_replicas(batch).memory
    fraction = DEFAULT_CALIBRATION.engine(engine).kv_cache_memory_fraction
    free = H100.memory_bytes - mem.weights_bytes_per_gpu - mem.overhead_bytes_per_gpu
    if KV_FRACTION_OF_TOTAL_MEMORY[engine]:
        # Clipped at zero: SGLang's 0.825 of 80 GiB does not even hold the 70B FP8 weights.
        expected = np.maximum(fraction * H100.memory_bytes - (H100.memory_bytes - free), 0.0)
    else:
        expected = fraction * free
    np.testing.assert_allclose(mem.kv_cache_capacity_bytes_per_gpu, expected, rtol=1e-9)
    # A 70B FP8 model on one 80 GiB GPU keeps much less of its free memory for KV under the
    # total-memory reading than on four GPUs.
    share = mem.kv_cache_capacity_bytes_per_gpu / free
    if KV_FRACTION_OF_TOTAL_MEMORY[engine]:
        assert share[0] < share[1]
    else:
        assert share[0] == pytest.approx(share[1])
