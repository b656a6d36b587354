"""`/v1/benchmarks`: store and import measurements; `/v1/performance` answers from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_problem

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEPLOYMENT: dict[str, Any] = {
    "engine": "vllm",
    "engine_version": "vllm 0.12.0",
    "gpu_slug": "h100-sxm-80gb",
    "open_model_slug": "llama-3.1-70b",
    "tensor_parallel": 2,
    "precision": "fp8",
    "source": "Our staging cluster, node gpu-07, 2026-12-01 run",
    "as_of": "2026-12-01",
}


def point(
    slug: str, concurrency: int, tokens_per_s: float, ttft_s: float, tpot_s: float
) -> dict[str, Any]:
    return {
        **DEPLOYMENT,
        "slug": slug,
        "input_tokens": 1024,
        "output_tokens": 1024,
        "concurrency": concurrency,
        "output_tokens_per_s": tokens_per_s,
        "ttft_s": ttft_s,
        "tpot_s": tpot_s,
    }


def performance(client: TestClient, **changes: Any) -> Any:
    body = {
        "model": "llama-3.1-70b",
        "gpu": "h100-sxm-80gb",
        "tensor_parallel": 2,
        "precision": "fp8",
        "input_tokens": 1000,
        "output_tokens": 1000,
        "engine": "vllm",
        **changes,
    }
    response = client.post("/v1/performance", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_stored_points_answer_covered_configurations(
    client: TestClient, admin: dict[str, str]
) -> None:
    for body in (
        point("ours-c8", 8, 400.0, 0.15, 0.019),
        point("ours-c32", 32, 1300.0, 0.27, 0.024),
    ):
        created = client.post("/v1/benchmarks", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert created.headers["location"] == f"/v1/benchmarks/{body['slug']}"
    answer = performance(client, concurrency=16)
    assert answer["source"] == "measured"
    assert answer["measured_benchmarks"] == ["ours-c32", "ours-c8"]
    # Linear between c=8 and c=32: a third of the way.
    assert answer["output_tokens_per_s"] == pytest.approx(400 + (1300 - 400) / 3)
    assert answer["ttft_s"] == pytest.approx(0.15 + (0.27 - 0.15) / 3)
    # Outside the measured range, a different engine or other lengths: the model answers.
    assert performance(client, concurrency=64)["source"] == "model"
    assert performance(client, concurrency=16, engine="sglang")["source"] == "model"
    assert performance(client, concurrency=16, input_tokens=4000)["source"] == "model"


def test_import_vllm_bench_serve_result(client: TestClient, admin: dict[str, str]) -> None:
    report = json.loads((FIXTURES / "vllm_bench_serve_result.json").read_text())
    body = {**DEPLOYMENT, "format": "vllm-bench-serve", "slug_prefix": "vllm-run", "report": report}
    response = client.post("/v1/benchmarks/import", json=body, headers=admin)
    assert response.status_code == 201, response.text
    (item,) = response.json()["items"]
    assert item["slug"] == "vllm-run-1"
    assert item["tool"] == "vllm-bench-serve"
    assert item["concurrency"] == 32
    assert (item["input_tokens"], item["output_tokens"]) == (1024, 1024)
    assert item["output_tokens_per_s"] == pytest.approx(1303.6)
    assert item["ttft_s"] == pytest.approx(0.2719)
    assert item["ttft_p95_s"] == pytest.approx(0.5126)
    # One point answers exactly its own load.
    answer = performance(client, concurrency=32, input_tokens=1024, output_tokens=1024)
    assert answer["source"] == "measured"
    assert answer["tpot_s"] == pytest.approx(0.02361)


def test_import_guidellm_report_keeps_fixed_load_runs(
    client: TestClient, admin: dict[str, str]
) -> None:
    report = json.loads((FIXTURES / "guidellm_report.json").read_text())
    body = {**DEPLOYMENT, "format": "guidellm", "slug_prefix": "guide", "report": report}
    response = client.post("/v1/benchmarks/import", json=body, headers=admin)
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    # synchronous, constant-rate and concurrent runs; the "throughput" run has no fixed load.
    assert [(i["concurrency"], i["request_rate_per_s"]) for i in items] == [
        (1, None),
        (None, 0.6),
        (16, None),
    ]
    assert items[2]["tpot_p95_s"] == pytest.approx(0.0216)
    listed = client.get("/v1/benchmarks", params={"tool": "guidellm"}).json()
    assert listed["total"] == 3


def test_delete_keeps_history_and_stops_measured_answers(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.post("/v1/benchmarks", json=point("one-a", 8, 400.0, 0.15, 0.019), headers=admin)
    client.post("/v1/benchmarks", json=point("one-b", 32, 1300.0, 0.27, 0.024), headers=admin)
    before = client.get("/v1/benchmarks/one-b").json()["valid_from_version"]
    assert client.delete("/v1/benchmarks/one-b", headers=admin).status_code == 204
    assert_problem(client.get("/v1/benchmarks/one-b"), 404)
    assert client.get("/v1/benchmarks/one-b", params={"version": before}).status_code == 200
    assert performance(client, concurrency=16)["source"] == "model"


@pytest.mark.parametrize(
    "changes",
    [
        {"gpu_slug": "no-such-gpu"},
        {"open_model_slug": "no-such-model"},
        {"concurrency": None},  # neither concurrency nor rate
        {"request_rate_per_s": 2.0},  # both
        {"engine": "tgi"},
        {"output_tokens_per_s": -1},
    ],
)
def test_bad_benchmark_is_a_problem_and_stores_nothing(
    client: TestClient, admin: dict[str, str], changes: dict[str, Any]
) -> None:
    body = {**point("bad", 8, 400.0, 0.15, 0.019), **changes}
    assert_problem(client.post("/v1/benchmarks", json=body, headers=admin), 422)
    assert client.get("/v1/benchmarks").json()["total"] == 0


def test_bad_import_stores_nothing(client: TestClient, admin: dict[str, str]) -> None:
    report = json.loads((FIXTURES / "guidellm_report.json").read_text())
    report["benchmarks"][3]["metrics"].pop("output_tokens_per_second")
    body = {**DEPLOYMENT, "format": "guidellm", "slug_prefix": "guide", "report": report}
    assert_problem(client.post("/v1/benchmarks/import", json=body, headers=admin), 422)
    assert client.get("/v1/benchmarks").json()["total"] == 0
    burst = {"completed": 10, "request_rate": "inf", "max_concurrency": None}
    body = {**DEPLOYMENT, "format": "vllm-bench-serve", "slug_prefix": "x", "report": burst}
    assert_problem(client.post("/v1/benchmarks/import", json=body, headers=admin), 422)


def test_writes_need_an_admin_key(client: TestClient) -> None:
    response = client.post("/v1/benchmarks", json=point("anon", 8, 400.0, 0.15, 0.019))
    assert response.status_code in (401, 403)


def test_enough_points_rescale_the_model_where_none_covers(
    client: TestClient, admin: dict[str, str]
) -> None:
    # Three points of this engine and GPU, each at half the model's throughput and twice its
    # latencies: an uncovered configuration (other lengths) gets the model times those ratios.
    before = performance(client, concurrency=64, input_tokens=3000, output_tokens=300)
    assert before["source"] == "model"
    for number, concurrency in enumerate((4, 8, 16), start=1):
        model = performance(client, concurrency=concurrency)
        body = point(
            f"slow-{number}", concurrency, model["output_tokens_per_s"] / 2,
            model["ttft_s"] * 2, model["tpot_s"] * 2,
        )  # fmt: skip
        body["input_tokens"], body["output_tokens"] = 1000, 1000
        assert client.post("/v1/benchmarks", json=body, headers=admin).status_code == 201
    after = performance(client, concurrency=64, input_tokens=3000, output_tokens=300)
    assert after["source"] == "model_refit"
    assert after["measured_benchmarks"] == ["slow-1", "slow-2", "slow-3"]
    assert after["output_tokens_per_s"] == pytest.approx(before["output_tokens_per_s"] / 2)
    assert after["ttft_s"] == pytest.approx(before["ttft_s"] * 2)
    assert after["tpot_p95_s"] == pytest.approx(before["tpot_p95_s"] * 2)
    # Another engine has no stored points: the model answers as before.
    assert performance(client, concurrency=64, engine="sglang")["source"] == "model"
