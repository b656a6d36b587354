"""Latency under load: closed loop and Poisson arrivals, p95s, engines (app/core/scheduler.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidParallelismError, InvalidWorkloadError, ModelDoesNotFitError
from app.core.performance import replica_performance
from app.core.scheduler import SchedulerInputs, closed_loop, open_loop
from app.core.types import AttentionKind, Engine, OpenModelSpec, Precision
from tests.factories import H100, LLAMA_8B, LLAMA_70B

engines = st.sampled_from(list(Engine))


@settings(max_examples=60, deadline=None)
@given(
    engine=engines,
    isl=st.integers(1, 16_000),
    osl=st.integers(1, 4_000),
    share=st.floats(0.01, 0.95),
    more=st.floats(1.0, 3.0),
)
def test_more_poisson_load_never_shortens_ttft_or_tpot(
    engine: Engine, isl: int, osl: int, share: float, more: float
) -> None:
    try:
        best = replica_performance(LLAMA_8B, H100, 1, Precision.FP8, isl, osl, engine=engine)
    except ModelDoesNotFitError:
        return
    rate = share * best.requests_per_s
    low = replica_performance(
        LLAMA_8B, H100, 1, Precision.FP8, isl, osl, engine=engine, request_rate_per_s=rate
    )
    high = replica_performance(
        LLAMA_8B, H100, 1, Precision.FP8, isl, osl, engine=engine,
        request_rate_per_s=min(rate * more, 0.95 * best.requests_per_s),
    )  # fmt: skip
    if high.saturated:
        return
    assert high.ttft_s >= low.ttft_s * (1 - 1e-9)
    assert high.tpot_s >= low.tpot_s * (1 - 1e-9)
    assert high.ttft_p95_s >= high.ttft_s
    assert high.tpot_p95_s >= high.tpot_s


def test_poisson_rate_is_served_and_a_trickle_sees_single_request_latency() -> None:
    single = replica_performance(LLAMA_70B, H100, 2, Precision.FP8, 2000, 500, 1)
    trickle = replica_performance(
        LLAMA_70B, H100, 2, Precision.FP8, 2000, 500, request_rate_per_s=1e-3
    )
    assert trickle.requests_per_s == pytest.approx(1e-3)
    assert trickle.ttft_s == pytest.approx(single.ttft_s, rel=0.02)
    assert trickle.tpot_s == pytest.approx(single.tpot_s, rel=0.02)


def test_a_rate_beyond_capacity_saturates_the_replica() -> None:
    best = replica_performance(LLAMA_70B, H100, 2, Precision.FP8, 2000, 500)
    over = replica_performance(
        LLAMA_70B, H100, 2, Precision.FP8, 2000, 500, request_rate_per_s=2 * best.requests_per_s
    )
    assert over.saturated
    assert over.ttft_s == float("inf")


def test_p95_tail_grows_faster_than_the_mean_near_saturation() -> None:
    best = replica_performance(LLAMA_70B, H100, 2, Precision.FP8, 2000, 500)
    light, heavy = (
        replica_performance(
            LLAMA_70B, H100, 2, Precision.FP8, 2000, 500, request_rate_per_s=s * best.requests_per_s
        )
        for s in (0.2, 0.9)
    )
    assert heavy.ttft_p95_s - heavy.ttft_s > light.ttft_p95_s - light.ttft_s


def test_rate_and_concurrency_together_are_rejected() -> None:
    with pytest.raises(InvalidWorkloadError):
        replica_performance(LLAMA_8B, H100, 1, Precision.FP8, 100, 100, 4, request_rate_per_s=1.0)
    with pytest.raises(InvalidWorkloadError):
        replica_performance(LLAMA_8B, H100, 1, Precision.FP8, 100, 100, request_rate_per_s=0.0)


def test_kv_limited_closed_loop_queues_for_seconds_as_measured() -> None:
    # AIConfigurator H100 sweep (benchmarks: app/calibration_data/latency_sweeps_h100.csv):
    # Llama-3.1-70B FP8 on 2xH100 with vLLM, 8192/1024 tokens: TTFT 1.3 s at 16 in flight,
    # 6.5 s at 32 and 59 s at 64, as requests wait for KV cache.
    ttft = [
        replica_performance(
            LLAMA_70B, H100, 2, Precision.FP8, 8192, 1024, c, real_world_derate=1,
            engine=Engine.VLLM,
        ).ttft_s
        for c in (16, 32, 64)
    ]  # fmt: skip
    assert ttft[0] < 3.0
    assert ttft[1] > 3.0
    assert ttft[2] > 30.0


def test_engines_differ_and_trtllm_is_fastest_offline() -> None:
    tokens = {
        e: replica_performance(
            LLAMA_70B, H100, 4, Precision.FP8, 1000, 1000, real_world_derate=1, engine=e
        ).output_tokens_per_s
        for e in Engine
    }
    assert tokens[Engine.TRTLLM] > tokens[Engine.VLLM]


def test_a_model_too_big_for_one_server_runs_across_two() -> None:
    # DeepSeek-V3 (671B parameters, config.json of deepseek-ai/DeepSeek-V3: 61 layers, MLA) at
    # FP8 needs ~680 GB of weights: more than one 8 x H100 server (640 GB).
    deepseek = OpenModelSpec(
        slug="deepseek-v3", total_params=671e9, active_params=37e9, num_layers=61,
        hidden_size=7168, num_attention_heads=128, num_kv_heads=128, head_dim=128,
        intermediate_size=2048, vocab_size=129280, num_experts=256, num_experts_per_token=8,
        attention_kind=AttentionKind.MLA, kv_lora_rank=512, qk_rope_head_dim=64,
        max_context_tokens=163840,
    )  # fmt: skip
    with pytest.raises(ModelDoesNotFitError):
        replica_performance(deepseek, H100, 8, Precision.FP8, 2000, 500)
    two = replica_performance(deepseek, H100, 8, Precision.FP8, 2000, 500, pipeline_parallel=2)
    assert two.output_tokens_per_s > 0
    assert two.memory.total_memory_bytes == pytest.approx(16 * H100.memory_bytes)
    assert two.output_tokens_per_s_per_gpu == pytest.approx(two.output_tokens_per_s / 16)


def test_pipeline_stages_add_latency_per_token_but_hold_more_sequences() -> None:
    # Llama-3.1-70B at BF16 on 2 x 4 H100 (pipeline) vs 1 x 4: the second server doubles the
    # KV cache, and each token pays two stage passes plus a hop over InfiniBand.
    one = replica_performance(LLAMA_70B, H100, 4, Precision.BF16, 1000, 500, 1)
    two = replica_performance(LLAMA_70B, H100, 4, Precision.BF16, 1000, 500, 1, pipeline_parallel=2)
    assert two.tpot_s > one.tpot_s
    assert two.max_concurrency > 2 * one.max_concurrency
    with pytest.raises(InvalidParallelismError):
        replica_performance(LLAMA_70B, H100, 4, Precision.BF16, 1000, 500, pipeline_parallel=0)


def _linear_step(decodes: np.ndarray, prefill: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # A step costs 10 ms, plus 0.1 ms per decode and 0.01 ms per prompt token.
    return 0.01 + 1e-4 * decodes + 1e-5 * prefill, np.zeros_like(decodes)


def _inputs(apart: bool) -> SchedulerInputs:
    one = np.ones(3)
    return SchedulerInputs(
        input_tokens=2048 * one, output_tokens=128 * one, budget_tokens=8192 * one,
        request_overhead_s=0.05 * one, prefill_wait_steps_per_request=0 * one,
        prefill_wait_prompts_per_request=0.5 * one, prefill_cluster_requests=100 * one,
        capacity=1000 * one, prefill_apart=np.full(3, apart),
    )  # fmt: skip


def test_prefill_batches_apart_keep_the_prompts_ahead_out_of_the_decode() -> None:
    # SGLang runs waiting prompts in prefill batches of their own, first: in a closed loop the
    # prompts a request waits behind run before its first token, and only the half of the
    # others' prompts that arrive after it interrupt its decode.
    offered, offline = np.asarray([1.0, 16.0, 128.0]), np.zeros(3, dtype=bool)
    mixed = closed_loop(_linear_step, _inputs(False), offered, offline=offline)
    apart = closed_loop(_linear_step, _inputs(True), offered, offline=offline)
    decode_only, _ = _linear_step(
        offered * 127.0 / np.maximum(128.0, offered * (2048 + 127) / 8192), np.zeros(3)
    )
    assert apart.tpot_s == pytest.approx(decode_only + 0.5 * (mixed.tpot_s - decode_only))
    assert apart.tpot_s[2] < 0.8 * mixed.tpot_s[2]
    assert apart.ttft_s == pytest.approx(mixed.ttft_s)
    # Alone in the engine there are no other prompts; with company the loop turns faster.
    assert apart.tpot_s[0] == pytest.approx(mixed.tpot_s[0])
    assert np.all(apart.requests_per_s[1:] > mixed.requests_per_s[1:])
    # Offline (a queued batch, no clustering) and Poisson arrivals keep every prompt in play.
    queued = closed_loop(_linear_step, _inputs(True), offered, offline=~offline)
    batch = closed_loop(_linear_step, _inputs(False), offered, offline=~offline)
    assert queued.tpot_s == pytest.approx(batch.tpot_s)
    rate = np.asarray([0.5, 2.0, 8.0])
    poisson = open_loop(_linear_step, _inputs(True), rate)
    assert poisson.tpot_s == pytest.approx(open_loop(_linear_step, _inputs(False), rate).tpot_s)
