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
    response = post(client)
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
