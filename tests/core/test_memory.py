"""Memory model: golden figures from published configs, validation errors and properties."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidParallelismError, ModelDoesNotFitError
from app.core.memory_breakdown import memory_breakdown
from app.core.types import AttentionKind, GpuSpec, OpenModelSpec, Precision
from tests.factories import A100, H100, LLAMA_8B, LLAMA_70B, MISTRAL_7B, MIXTRAL_8X7B

# Specs are inline so that these tests do not depend on the catalog CSVs.

# huggingface.co/deepseek-ai/DeepSeek-V3 config.json: 61 layers, hidden 7168, 128 heads,
# kv_lora_rank 512, qk_rope_head_dim 64, v_head_dim 128, 256 routed experts, top-8, vocab 129280;
# 671B total / 37B active (model card).
DEEPSEEK_V3 = OpenModelSpec(
    slug="deepseek-v3", total_params=671e9, active_params=37e9, num_layers=61, hidden_size=7168,
    num_attention_heads=128, num_kv_heads=128, head_dim=128, intermediate_size=18432,
    vocab_size=129280, attention_kind=AttentionKind.MLA, max_context_tokens=163840,
    num_experts=256, num_experts_per_token=8, kv_lora_rank=512, qk_rope_head_dim=64,
)  # fmt: skip


def test_llama_70b_bf16_kv_bytes_per_token() -> None:
    # K and V x 80 layers x 8 KV heads x head_dim 128 x 2 bytes = 327,680 (Llama-3.1-70B config).
    m = memory_breakdown(LLAMA_70B, H100, 4, Precision.BF16, 2048)
    assert m.kv_cache_bytes_per_token == 327_680
    assert m.kv_replication_factor == 1.0


def test_llama_8b_fp8_kv_bytes_per_token() -> None:
    # 2 x 32 layers x 8 KV heads x 128 x 1 byte = 65,536 (Llama-3.1-8B config, FP8 KV cache).
    m = memory_breakdown(LLAMA_8B, H100, 1, Precision.FP8, 2048)
    assert m.kv_cache_precision is Precision.FP8
    assert m.kv_cache_bytes_per_token == 65_536


def test_deepseek_v3_mla_kv_bytes_per_token() -> None:
    # MLA caches the 512-wide latent plus the 64-wide RoPE key: 61 x (512 + 64) x 2 = 70,272.
    gpu = dataclasses.replace(H100, memory_bytes=141e9)  # H200-like, so that FP8 V3 fits on 8
    m = memory_breakdown(DEEPSEEK_V3, gpu, 8, Precision.FP8, 4096, Precision.BF16)
    assert m.kv_cache_bytes_per_token == 70_272
    # The latent is not split by heads: each of the 8 ranks keeps all of it.
    assert m.kv_replication_factor == 8.0
    assert m.kv_cache_bytes_per_sequence == 70_272 * 4096 * 8


def test_llama_70b_weights_bytes() -> None:
    # BF16: 70.55e9 x 2 bytes. FP8: the input embedding and LM head (2 x 128256 x 8192 =
    # 2,101,346,304 parameters) stay 16-bit: 70.55e9 + 2,101,346,304 bytes.
    assert memory_breakdown(LLAMA_70B, H100, 4, Precision.BF16, 1024).weights_bytes == 141.1e9
    fp8 = memory_breakdown(LLAMA_70B, H100, 4, Precision.FP8, 1024).weights_bytes
    assert fp8 == pytest.approx(70.55e9 + 2_101_346_304, rel=1e-12)


def test_int4_weights_carry_group_scales() -> None:
    # 4-bit with one 16-bit scale per 128 weights: 0.515625 bytes per quantized parameter.
    m = memory_breakdown(LLAMA_8B, H100, 1, Precision.INT4, 1024)
    embeddings = 2 * 128256 * 4096
    assert m.weights_bytes == pytest.approx((8.03e9 - embeddings) * 0.515625 + embeddings * 2)


def test_sliding_window_caps_kv_per_sequence() -> None:
    # Mistral-7B-v0.1: every layer keeps at most 4096 tokens: 131,072 bytes/token x 4096 at BF16.
    long = memory_breakdown(MISTRAL_7B, H100, 1, Precision.BF16, 20_000)
    assert long.kv_cache_bytes_per_token == 131_072
    assert long.kv_cache_bytes_per_sequence == 131_072 * 4096
    short = memory_breakdown(MISTRAL_7B, H100, 1, Precision.BF16, 1000)
    assert short.kv_cache_bytes_per_sequence == 131_072 * 1000


def test_gqa_heads_replicated_when_tp_exceeds_kv_heads() -> None:
    # 8 KV heads on 16 ranks: each rank keeps one head, so the replica stores each head twice.
    gpu16 = dataclasses.replace(H100, max_gpus_per_node=16)
    m = memory_breakdown(LLAMA_8B, gpu16, 16, Precision.BF16, 1000)
    assert m.kv_replication_factor == 2.0
    assert m.kv_cache_bytes_per_sequence == 2 * 131_072 * 1000


def test_max_concurrency_is_kv_capacity_over_sequence_bytes() -> None:
    m = memory_breakdown(LLAMA_70B, H100, 4, Precision.FP8, 3000)
    assert m.max_concurrency == int(m.kv_cache_capacity_bytes // m.kv_cache_bytes_per_sequence)
    free = m.total_memory_bytes - m.weights_bytes - m.overhead_bytes
    assert m.kv_cache_capacity_bytes == pytest.approx(m.kv_cache_memory_fraction * free)
    assert m.max_concurrency > 100


def test_model_that_does_not_fit_reports_the_numbers() -> None:
    with pytest.raises(ModelDoesNotFitError) as info:
        memory_breakdown(LLAMA_70B, H100, 1, Precision.BF16, 2048)
    err = info.value
    assert err.required_bytes > err.available_bytes == 80 * 2**30
    assert err.data["required_bytes"] == err.required_bytes
    assert err.required_bytes > 141.1e9


def test_tp_above_node_size_is_refused() -> None:
    with pytest.raises(InvalidParallelismError) as info:
        memory_breakdown(LLAMA_8B, H100, 16, Precision.BF16, 1000)
    assert info.value.data["max_gpus_per_node"] == 8


def test_tp_must_divide_attention_heads() -> None:
    gpu = dataclasses.replace(H100, max_gpus_per_node=16)
    with pytest.raises(InvalidParallelismError):
        memory_breakdown(LLAMA_8B, gpu, 3, Precision.BF16, 1000)
    with pytest.raises(InvalidParallelismError):
        memory_breakdown(LLAMA_8B, gpu, 0, Precision.BF16, 1000)


MODELS = [LLAMA_8B, LLAMA_70B, MISTRAL_7B, MIXTRAL_8X7B, DEEPSEEK_V3]


@settings(max_examples=200, deadline=None)
@given(
    model=st.sampled_from(MODELS),
    gpu=st.sampled_from([H100, A100]),
    tp=st.sampled_from([1, 2, 4]),
    precision=st.sampled_from(list(Precision)),
    context=st.integers(1, 200_000),
)
def test_a_model_that_fits_at_tp_n_fits_at_2n(
    model: OpenModelSpec, gpu: GpuSpec, tp: int, precision: Precision, context: int
) -> None:
    try:
        small = memory_breakdown(model, gpu, tp, precision, context)
    except ModelDoesNotFitError:
        return
    large = memory_breakdown(model, gpu, 2 * tp, precision, context)
    assert large.max_concurrency >= small.max_concurrency >= 1
