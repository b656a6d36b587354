"""`POST /v1/performance`: the HTTP contract other tools rely on."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_problem

BODY: dict[str, Any] = {
    "model": "llama-3.1-70b",
    "gpu": "h100-sxm-80gb",
    "tensor_parallel": 2,
    "precision": "fp8",
    "input_tokens": 1000,
    "output_tokens": 1000,
    "concurrency": None,
}


def post(client: TestClient, **changes: Any) -> Any:
    return client.post("/v1/performance", json={**BODY, **changes})


def test_max_throughput_contract(client: TestClient) -> None:
    # TensorRT-LLM runs FP8 checkpoints with an FP8 KV cache and reserves whole sequences.
    response = post(client, engine="trtllm")
    assert response.status_code == 200, response.text
    body = response.json()
    for key in ("output_tokens_per_s", "output_tokens_per_s_per_gpu", "ttft_s", "tpot_s"):
        assert body[key] > 0
    assert body["output_tokens_per_s_per_gpu"] == pytest.approx(body["output_tokens_per_s"] / 2)
    assert body["bound"] in {"compute", "memory_bandwidth", "kv_capacity"}
    memory = body["memory"]
    # Llama-3.1-70B config.json (meta-llama/Llama-3.1-70B): 80 layers, 8 KV heads, head_dim 128;
    # FP8 KV cache: K and V x 80 x 8 x 128 x 1 byte = 163,840 bytes per token.
    assert memory["kv_cache_bytes_per_token"] == 163_840
    # 70.55e9 parameters at one byte, plus the 16-bit input embedding kept beside them.
    assert 70e9 < memory["weights_bytes"] < 74e9
    assert body["concurrency"] == memory["max_concurrency"] >= 1
    assert body["catalog_version"] >= 1


def test_closed_loop_concurrency_is_honoured(client: TestClient) -> None:
    low = post(client, concurrency=4).json()
    high = post(client, concurrency=64).json()
    assert (low["concurrency"], high["concurrency"]) == (4, 64)
    assert high["output_tokens_per_s"] > low["output_tokens_per_s"]
    assert high["tpot_s"] >= low["tpot_s"]


def test_inline_objects_match_catalog_entries(client: TestClient) -> None:
    model = client.get("/v1/open-models/llama-3.1-70b").json()
    gpu = client.get("/v1/gpus/h100-sxm-80gb").json()
    meta = {"valid_from_version", "valid_to_version"}
    inline = post(
        client,
        model={k: v for k, v in model.items() if k not in meta},
        gpu={k: v for k, v in gpu.items() if k not in meta},
    ).json()
    by_slug = post(client).json()
    assert inline["output_tokens_per_s"] == by_slug["output_tokens_per_s"]
    assert inline["catalog_version"] is None


def test_unsupported_precision_is_weight_only(client: TestClient) -> None:
    body = post(client, gpu="a100-sxm-80gb").json()
    assert body["weight_only_quantization"] is True
    assert post(client).json()["weight_only_quantization"] is False


def test_model_that_does_not_fit_is_422_with_numbers(client: TestClient) -> None:
    body = assert_problem(post(client, tensor_parallel=1, precision="bf16"), 422)
    assert body["required_bytes"] > body["available_bytes"] > 0
    assert "needs" in body["detail"]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"tensor_parallel": 16}, "exceeds"),
        ({"tensor_parallel": 3}, "divide"),
        ({"model": "no-such-model"}, "no-such-model"),
        ({"gpu": "no-such-gpu"}, "no-such-gpu"),
    ],
)
def test_bad_configurations_are_422(
    client: TestClient, changes: dict[str, Any], fragment: str
) -> None:
    assert fragment in assert_problem(post(client, **changes), 422)["detail"]


@pytest.mark.parametrize(
    "changes",
    [
        {"input_tokens": -5},
        {"output_tokens": 0},
        {"concurrency": 0},
        {"precision": "fp7"},
        {"tensor_parallel": "2"},
        {"extra": True},
    ],
)
def test_malformed_requests_are_422(client: TestClient, changes: dict[str, Any]) -> None:
    assert_problem(post(client, **changes), 422)


def test_engine_defaults_to_vllm_with_a_16_bit_kv_cache(client: TestClient) -> None:
    body = post(client).json()
    assert body["engine"] == "vllm"
    # vLLM's `--kv-cache-dtype auto` keeps the KV cache at the model's 16-bit type.
    assert body["memory"]["kv_cache_precision"] == "bf16"
    trt = post(client, engine="trtllm").json()
    assert trt["output_tokens_per_s"] > body["output_tokens_per_s"]


def test_every_answer_has_p95s_a_regime_and_error_bands(client: TestClient) -> None:
    body = post(client, concurrency=16).json()
    assert body["load"] == "closed_loop"
    assert body["regime"] == "vllm|low_precision|unqueued"
    assert body["ttft_p95_s"] >= body["ttft_s"]
    assert body["tpot_p95_s"] >= body["tpot_s"]
    bands = {b["metric"]: b for b in body["error_bands"]}
    assert set(bands) == {"output_tokens_per_s", "ttft_s", "tpot_s"}
    for metric, band in bands.items():
        assert band["p10"] <= body[metric] <= band["p90"]
        assert band["band_regime"].startswith(metric + "|")
    assert body["source"] == "model"


def test_open_loop_rate(client: TestClient) -> None:
    best = post(client).json()
    body = post(client, request_rate_per_s=0.5 * best["requests_per_s"]).json()
    assert body["load"] == "open_loop"
    assert body["requests_per_s"] == pytest.approx(0.5 * best["requests_per_s"])
    assert body["request_rate_per_s_offered"] == pytest.approx(0.5 * best["requests_per_s"])
    assert body["regime"].endswith("|unqueued")


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"concurrency": 4, "request_rate_per_s": 1.0}, 422),
        ({"request_rate_per_s": 0}, 422),
        ({"request_rate_per_s": 1e5}, 422),
        ({"engine": "tgi"}, 422),
    ],
)
def test_bad_load_or_engine_is_a_problem(
    client: TestClient, changes: dict[str, Any], status: int
) -> None:
    response = post(client, **changes)
    assert_problem(response, status)


def test_accuracy_endpoint_reports_targets_and_sources(client: TestClient) -> None:
    response = client.get("/v1/performance/accuracy")
    assert response.status_code == 200, response.text
    body = response.json()
    labels = {t["metric"] for t in body["targets"]}
    assert "sweeps TTFT" in labels
    assert "max-throughput output tokens/s" in labels
    engines = {g["group"] for g in body["groups"] if g["group_by"] == "dataset_engine"}
    assert {"sweeps|vllm", "sweeps|sglang", "sweeps|trtllm"} <= engines
    assert set(body["sources"]) == {"throughput.csv", "latency_sweeps_h100.csv"}
    assert "aiconfigurator" in body["sources"]["latency_sweeps_h100.csv"]


def test_pipeline_parallel_spans_servers(client: TestClient) -> None:
    body = post(client, tensor_parallel=4, precision="bf16", pipeline_parallel=2).json()
    assert body["pipeline_parallel"] == 2
    assert body["output_tokens_per_s_per_gpu"] == pytest.approx(body["output_tokens_per_s"] / 8)
    assert_problem(post(client, pipeline_parallel=0), 422)


def test_a_vanishing_derate_is_rejected(client: TestClient) -> None:
    # Found by schemathesis: 5e-324 was accepted and answered 200 with null latencies.
    assert_problem(post(client, real_world_derate=5e-324), 422)
    assert post(client, real_world_derate=0.05).status_code == 200
