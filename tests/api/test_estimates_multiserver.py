"""`/v1/estimates` with a model that fits no single 8-GPU server: replicas span servers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

#: DeepSeek-V3 (671B) in FP8 needs ~0.68 TB of weights: more than one 8 x H100 server holds
#: (8 x 85.5 GB), so every replica spans two servers (TP 8 x PP 2).
MULTI_SERVER: dict[str, Any] = {
    "workload": {"requests_per_day": 200_000, "input_tokens": 1000, "output_tokens": 200},
    "api_models": ["openai--gpt-4o"],
    "self_hosting": {
        "open_models": ["deepseek-v3"],
        "gpus": ["h100-sxm-80gb"],
        "precisions": ["fp8"],
        "purchase_modes": ["on_demand", "owned"],
        "engine": "vllm",
    },
    # No headroom, so a fleet's replica capacity is the modelled operating point itself.
    "sizing": {"real_world_derate": 0.8, "target_utilisation": 1.0},
}


def _self_hosted(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in body["options"] if o["kind"] == "self_hosted"]


def test_a_model_too_big_for_one_server_is_priced_on_two(client: TestClient) -> None:
    response = client.post("/v1/estimates", json=MULTI_SERVER)
    assert response.status_code == 200, response.text
    body = response.json()
    options = _self_hosted(body)
    assert {o["key"]["purchase_mode"] for o in options} == {"on_demand", "owned"}
    for option in options:
        fleet, key = option["fleet"], option["key"]
        assert option["monthly_cost_usd"] > 0
        assert (fleet["tensor_parallel"], fleet["pipeline_parallel"]) == (8, 2)
        assert (key["tensor_parallel"], key["pipeline_parallel"]) == (8, 2)
        assert fleet["gpus_per_replica"] == 16
        assert fleet["gpus_per_instance"] == 8
        # Whole instances (servers): two per replica, every GPU bought holds a replica.
        assert fleet["instances"] == 2 * fleet["replicas"]
        assert fleet["gpus"] == 16 * fleet["replicas"]
        assert fleet["unused_gpus"] == 0
        assert ":tp8pp2:fp8:" in option["id"]
        assert "2×8× h100-sxm-80gb (fp8, PP 2)" in option["label"]
    assert not [i for i in body["infeasible"] if i["open_model"] == "deepseek-v3"]


def test_the_replica_capacity_is_the_performance_of_the_same_pipeline(
    client: TestClient,
) -> None:
    body = client.post("/v1/estimates", json=MULTI_SERVER).json()
    fleet = next(o["fleet"] for o in _self_hosted(body) if o["key"]["purchase_mode"] == "on_demand")
    concurrency = round(fleet["operating_concurrency"])
    assert concurrency == fleet["operating_concurrency"]
    performance = client.post(
        "/v1/performance",
        json={
            "model": "deepseek-v3",
            "gpu": "h100-sxm-80gb",
            "tensor_parallel": 8,
            "pipeline_parallel": 2,
            "precision": "fp8",
            "input_tokens": 1000,
            "output_tokens": 200,
            "concurrency": concurrency,
            "engine": "vllm",
            "real_world_derate": 0.8,
        },
    )
    assert performance.status_code == 200, performance.text
    answer = performance.json()
    assert answer["pipeline_parallel"] == 2
    assert fleet["replica_requests_per_s"] == pytest.approx(answer["requests_per_s"], rel=1e-9)
    assert fleet["ttft_s"] == pytest.approx(answer["ttft_s"], rel=1e-9)
    assert fleet["tpot_s"] == pytest.approx(answer["tpot_s"], rel=1e-9)


def test_models_that_fit_one_server_keep_one_server_options(client: TestClient) -> None:
    request = {
        **MULTI_SERVER,
        "self_hosting": {**MULTI_SERVER["self_hosting"], "open_models": ["llama-3.3-70b"]},
    }
    body = client.post("/v1/estimates", json=request).json()
    options = _self_hosted(body)
    assert options
    for option in options:
        assert option["fleet"]["pipeline_parallel"] == 1
        assert option["key"]["pipeline_parallel"] == 1
        assert "pp" not in option["id"].split(":")[3]
        assert option["fleet"]["gpus_per_replica"] == option["fleet"]["tensor_parallel"]
