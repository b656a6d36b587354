"""Shared test data and helpers: required catalog slugs, small model and GPU specs, saved-
analysis request bodies, and RFC 9457 assertions. Test modules import from here, never from
each other."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient

from app.core.types import AttentionKind, GpuSpec, Interconnect, OpenModelSpec

REQUIRED_GPU_SLUGS = {
    "a100-sxm-40gb",
    "a100-sxm-80gb",
    "a100-pcie-80gb",
    "h100-sxm-80gb",
    "h100-pcie-80gb",
    "h200-sxm-141gb",
    "gh200-96gb",
    "b200-180gb",
    "gb200",
    "l40s-48gb",
    "l4-24gb",
    "a10g-24gb",
    "mi300x-192gb",
}


REQUIRED_MODEL_SLUGS = {
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "llama-3.3-70b",
    "llama-2-70b",
    "mistral-7b",
    "mixtral-8x7b",
    "mixtral-8x22b",
    "llama-4-scout-17b-16e",
    "llama-4-maverick-17b-128e",
    "qwen3-14b",
    "qwen3-32b",
    "qwen3-30b-a3b",
    "qwen3-235b-a22b",
    "deepseek-v3",
    "deepseek-r1",
    "gpt-oss-20b",
    "gpt-oss-120b",
    "gpt-j-6b",
}


#: Frontier labs and hosts of open models that the API catalog must cover.
REQUIRED_PROVIDERS = (
    "openai",
    "anthropic",
    "google",
    "mistral",
    "deepseek",
    "x-ai",
    "together",
    "fireworks",
    "groq",
)


# huggingface.co/meta-llama/Llama-3.1-8B config.json: 32 layers, hidden 4096, 32 heads,
# 8 KV heads, head_dim 128, intermediate 14336, vocab 128256; 8.03B parameters.
LLAMA_8B = OpenModelSpec(
    slug="llama-3.1-8b", total_params=8.03e9, active_params=8.03e9, num_layers=32,
    hidden_size=4096, num_attention_heads=32, num_kv_heads=8, head_dim=128,
    intermediate_size=14336, vocab_size=128256, attention_kind=AttentionKind.GQA,
    max_context_tokens=131072,
)  # fmt: skip


# huggingface.co/meta-llama/Llama-3.1-70B config.json: 80 layers, hidden 8192, 64 heads,
# 8 KV heads, head_dim 128, intermediate 28672, vocab 128256; 70.55B parameters.
LLAMA_70B = OpenModelSpec(
    slug="llama-3.1-70b", total_params=70.55e9, active_params=70.55e9, num_layers=80,
    hidden_size=8192, num_attention_heads=64, num_kv_heads=8, head_dim=128,
    intermediate_size=28672, vocab_size=128256, attention_kind=AttentionKind.GQA,
    max_context_tokens=131072,
)  # fmt: skip


# huggingface.co/mistralai/Mistral-7B-v0.1 config.json: 32 layers, 8 KV heads, head_dim 128,
# sliding_window 4096 on every layer, vocab 32000; 7.24B parameters.
MISTRAL_7B = OpenModelSpec(
    slug="mistral-7b", total_params=7.24e9, active_params=7.24e9, num_layers=32,
    hidden_size=4096, num_attention_heads=32, num_kv_heads=8, head_dim=128,
    intermediate_size=14336, vocab_size=32000, attention_kind=AttentionKind.SLIDING_WINDOW,
    max_context_tokens=32768, sliding_window_tokens=4096, num_sliding_window_layers=32,
)  # fmt: skip


# huggingface.co/mistralai/Mixtral-8x7B-v0.1 config.json: as Mistral-7B without the window,
# 8 experts, top-2; 46.7B total / 12.9B active (model card).
MIXTRAL_8X7B = OpenModelSpec(
    slug="mixtral-8x7b", total_params=46.7e9, active_params=12.9e9, num_layers=32,
    hidden_size=4096, num_attention_heads=32, num_kv_heads=8, head_dim=128,
    intermediate_size=14336, vocab_size=32000, attention_kind=AttentionKind.GQA,
    max_context_tokens=32768, num_experts=8, num_experts_per_token=2,
)  # fmt: skip


# NVIDIA H100 SXM5 datasheet: 80 GB HBM3 (80 GiB), 3.35 TB/s, 989 / 1979 dense BF16 / FP8
# TFLOPS, NVLink 900 GB/s bidirectional, 700 W.
H100 = GpuSpec(
    slug="h100-sxm-80gb", memory_bytes=80 * 2**30, memory_bandwidth_bytes_per_s=3.35e12,
    bf16_flops_per_s=989e12, fp8_flops_per_s=1979e12, fp4_flops_per_s=None,
    int8_ops_per_s=1979e12, interconnect_bandwidth_bytes_per_s=450e9,
    interconnect=Interconnect.NVLINK, max_gpus_per_node=8, tdp_w=700.0,
)  # fmt: skip


# NVIDIA A100 SXM4 80GB datasheet: 2.039 TB/s, 312 dense BF16 TFLOPS, no FP8, NVLink 600 GB/s.
A100 = GpuSpec(
    slug="a100-sxm-80gb", memory_bytes=80 * 2**30, memory_bandwidth_bytes_per_s=2.039e12,
    bf16_flops_per_s=312e12, fp8_flops_per_s=None, fp4_flops_per_s=None, int8_ops_per_s=624e12,
    interconnect_bandwidth_bytes_per_s=300e9, interconnect=Interconnect.NVLINK,
    max_gpus_per_node=8, tdp_w=400.0,
)  # fmt: skip


PROBLEM = "application/problem+json"
#: Sent with body-less POSTs: state-changing requests must declare JSON (tests/api/test_access.py).
JSON = {"Content-Type": "application/json"}


def versions_total(client: TestClient) -> int:
    return int(client.get("/v1/catalog/versions").json()["total"])


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


# Small candidate sets keep each estimate near 0.1 s.
REQUEST: dict[str, Any] = {
    "workload": {
        "requests_per_day": 50000,
        "input_tokens": 800,
        "output_tokens": 300,
        "latency": {"ttft_p95_s": 2, "tpot_p95_s": 0.1},
    },
    "api_models": ["openai--gpt-4o", "openai--gpt-4o-mini"],
    "self_hosting": {"open_models": ["llama-3.1-8b"], "gpus": ["h100-sxm-80gb", "l4-24gb"]},
    # A flat half engineer keeps the analysis tests (re-runs, comparisons, charts) about
    # analyses, with API costs linear in volume; the team model has its own tests.
    "costs": {"staff_fte": 0.5},
}


def body(name: str = "Support bot", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "description": "Q3 platform review",
        "tags": ["support", "q3"],
        "input": copy.deepcopy(REQUEST),
    }
    data.update(overrides)
    return data
