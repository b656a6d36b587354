"""`POST /v1/estimates` over HTTP: ranking, worked API cost, break-even, versions, errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.routes.estimates import DOCUMENT_SUMMARISATION, SUPPORT_CHATBOT
from tests.factories import assert_problem, versions_total

SMALL: dict[str, Any] = {
    "workload": {
        "requests_per_day": 10_000,
        "input_tokens": 1000,
        "output_tokens": 500,
        "latency": {"ttft_p95_s": 3, "tpot_p95_s": 0.1},
    },
    "api_models": ["openai--gpt-4o", "openai--gpt-4o-mini"],
    "self_hosting": {"open_models": ["llama-3.1-8b"], "gpus": ["h100-sxm-80gb", "l4-24gb"]},
}


def estimate(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/estimates", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_api_cost_worked_example(client: TestClient) -> None:
    body = estimate(client, SMALL)
    gpt4o = next(o for o in body["options"] if o["api_model"] == "openai--gpt-4o")
    # 10,000 requests/day x 30.4375 days = 304,375 requests/month.
    # Per request: 1,000 input x $2.50/Mtok + 500 output x $10/Mtok = $0.0025 + $0.005 = $0.0075.
    # 304,375 x $0.0075 = $2,282.8125 per month.
    tokens = gpt4o["breakdown"]["api_input"] + gpt4o["breakdown"]["api_output"]
    assert tokens == pytest.approx(2282.8125)
    # Plus a quarter of an integration engineer: 0.25 x $132,930 / 0.683 / 12 = $4,054.72.
    people = 0.25 * 132_930 / 0.683 / 12
    assert gpt4o["breakdown"]["people"] == pytest.approx(people)
    assert gpt4o["monthly_cost_usd"] == pytest.approx(2282.8125 + people)
    # 304,375 x 1,500 tokens = 456.5625 Mtok -> ($2,282.8125 + $4,054.72) / 456.5625.
    assert gpt4o["usd_per_million_tokens"] == pytest.approx((2282.8125 + people) / 456.5625)
    assert body["tokens_per_month"] == pytest.approx(456_562_500)


def test_options_are_ranked_and_explained(client: TestClient) -> None:
    body = estimate(client, SMALL)
    costs = [o["monthly_cost_usd"] for o in body["options"]]
    assert costs == sorted(costs)
    assert {o["kind"] for o in body["options"]} >= {"api", "self_hosted"}
    for option in body["options"]:
        assert sum(option["breakdown"].values()) == pytest.approx(
            option["monthly_cost_usd"], rel=1e-9
        )
        if option["kind"] == "self_hosted":
            fleet = option["fleet"]
            assert fleet["gpus"] >= fleet["replicas"] * fleet["gpus_per_replica"] // 1
            assert fleet["replicas"] >= fleet["serving_replicas"] + 1  # default N+1
    assert body["options_total"] >= len(body["options"])


def test_response_repeats_every_assumption(client: TestClient) -> None:
    body = estimate(client, SMALL)
    assumptions = body["assumptions"]
    assert assumptions["catalog_version"] >= 1
    api = {m["slug"]: m for m in assumptions["api_models"]}
    assert api["openai--gpt-4o"]["usd_per_mtok_input"] == 2.5
    assert api["openai--gpt-4o"]["source"].startswith("genai-prices")
    assert {g["slug"] for g in assumptions["gpus"]} == {"h100-sxm-80gb", "l4-24gb"}
    assert all(g["source"] and g["as_of"] for g in assumptions["gpus"])
    assert any(d.startswith("costs.pue") for d in assumptions["defaults_applied"])
    used = {o["fleet"]["offering"] for o in body["options"] if o["fleet"]}
    assert used <= {o["slug"] for o in assumptions["offerings"]} | {None}


def test_break_even_object_and_curve(client: TestClient) -> None:
    body = estimate(client, {**SMALL, "break_even_api_model": "openai--gpt-4o"})
    be = body["break_even"]
    assert be["api_model"] == "openai--gpt-4o"
    volumes = [p["requests_per_day"] for p in be["curve"]]
    assert volumes == sorted(volumes)
    assert len(volumes) >= 50
    if be["requests_per_day"] is not None:
        above = [p for p in be["curve"] if p["requests_per_day"] > be["requests_per_day"] * 1.01]
        assert all(p["self_hosted_usd_per_month"] <= p["api_usd_per_month"] for p in above)
    assert {b["api_model"] for b in body["break_evens"]} == set(SMALL["api_models"])


def test_a_higher_api_price_never_raises_the_break_even(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {**SMALL, "break_even_api_model": "openai--gpt-4o-mini"}
    before = estimate(client, body)["break_even"]["requests_per_day"]
    client.patch(
        "/v1/api-models/openai--gpt-4o-mini",
        json={"usd_per_mtok_input": 1.5, "usd_per_mtok_output": 6},
        headers=admin,
    )
    after = estimate(client, body)["break_even"]["requests_per_day"]
    assert after is not None
    assert before is None or after <= before


def test_catalog_version_pins_prices(client: TestClient, admin: dict[str, str]) -> None:
    old = estimate(client, SMALL)
    client.patch("/v1/api-models/openai--gpt-4o", json={"usd_per_mtok_input": 5}, headers=admin)
    new = estimate(client, SMALL)
    pinned = estimate(client, {**SMALL, "catalog_version": old["assumptions"]["catalog_version"]})

    def cost(body: dict[str, Any]) -> float:
        return float(
            next(o for o in body["options"] if o["api_model"] == "openai--gpt-4o")[
                "monthly_cost_usd"
            ]
        )

    assert cost(new) > cost(old)
    assert cost(pinned) == cost(old)


def test_estimates_store_nothing(client: TestClient) -> None:
    before = versions_total(client)
    estimate(client, SMALL)
    assert versions_total(client) == before


def test_model_that_fits_nowhere_is_listed_with_reason(client: TestClient) -> None:
    body = estimate(
        client,
        {**SMALL, "self_hosting": {"open_models": ["llama-3.1-405b"], "gpus": ["l4-24gb"]}},
    )
    assert not [o for o in body["options"] if o["kind"] == "self_hosted"]
    reasons = [i["reason"] for i in body["infeasible"] if i["open_model"] == "llama-3.1-405b"]
    assert reasons
    assert all("do not fit" in r for r in reasons)


def test_tighter_latency_needs_no_fewer_gpus(client: TestClient) -> None:
    def gpus(tpot: float) -> int:
        body = {
            **SMALL,
            "workload": {**SMALL["workload"], "requests_per_day": 2_000_000},
            "self_hosting": {
                "open_models": ["llama-3.1-8b"],
                "gpus": ["h100-sxm-80gb"],
                "precisions": ["fp8"],
                "tensor_parallel": [1],
                "purchase_modes": ["on_demand"],
            },
        }
        body["workload"]["latency"] = {"tpot_p95_s": tpot}
        options = [o for o in estimate(client, body)["options"] if o["kind"] == "self_hosted"]
        return int(options[0]["fleet"]["gpus"])

    assert gpus(0.02) >= gpus(0.2)


@pytest.mark.parametrize("example", [SUPPORT_CHATBOT, DOCUMENT_SUMMARISATION])
def test_openapi_examples_run(client: TestClient, example: Any) -> None:
    body = estimate(client, example["value"])
    assert body["options"]
    assert body["projection"]["months"][0] == 0
    assert len(body["projection"]["requests_per_day"]) == example["value"]["workload"].get(
        "horizon_months", 12
    )


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"api_models": ["openai--no-such-model"]}, 422),
        ({"break_even_api_model": "google--gemini-2.5-pro"}, 422),
        ({"workload": {"input_tokens": 10, "output_tokens": 10}}, 422),
        ({"workload": {**SMALL["workload"], "users": 10}}, 422),
        ({"workload": {**SMALL["workload"], "requests_per_day": -1}}, 422),
        ({"workload": {**SMALL["workload"], "cached_input_share": 1.5}}, 422),
        ({"workload": {**SMALL["workload"], "hourly_profile": [1] * 23}}, 422),
        ({"self_hosting": {"gpus": ["no-such-gpu"]}}, 422),
        ({"catalog_version": 999_999}, 404),
        ({"surprise": 1}, 422),
    ],
)
def test_bad_estimate_requests_are_problems(
    client: TestClient, changes: dict[str, Any], status: int
) -> None:
    assert_problem(client.post("/v1/estimates", json={**SMALL, **changes}), status)


def test_a_replica_never_spans_instances(client: TestClient) -> None:
    """Tensor parallelism runs inside one machine: a TP=2 replica needs 2+ GPUs per instance."""
    body = estimate(
        client,
        {
            **SMALL,
            "self_hosting": {
                "open_models": ["llama-3.1-70b"],
                "gpus": ["h100-sxm-80gb", "l40s-48gb"],
                "precisions": ["fp8"],
            },
            "max_options": 500,
        },
    )
    fleets = [o["fleet"] for o in body["options"] if o["fleet"]]
    assert fleets
    assert any(f["tensor_parallel"] > 1 for f in fleets)
    for fleet in fleets:
        assert fleet["gpus_per_instance"] >= fleet["tensor_parallel"], fleet
    single = [
        i for i in body["infeasible"] if i["tensor_parallel"] == 2 and i["open_model"] is None
    ]
    assert all("GPUs per instance" in i["reason"] or "price" in i["reason"] for i in single)


def test_owned_usd_per_gpu_prices_owned_options(client: TestClient) -> None:
    # Issue 8: self_hosting.owned.usd_per_gpu was accepted and documented but never read.
    # Only the GPU price: no server share, network, resale or interest (issue 11's defaults).
    bare = {"server_usd_per_gpu": 0, "networking_share": 0, "residual_value_share": 0}
    request: dict[str, Any] = {
        **SMALL,
        "self_hosting": {
            "open_models": ["llama-3.1-8b"],
            "gpus": ["h100-sxm-80gb"],
            "purchase_modes": ["owned"],
            "owned": bare,
        },
        "costs": {"cost_of_capital_per_year": 0.0},
    }
    catalog_price = estimate(client, request)
    cheap = estimate(
        client,
        {
            **request,
            "self_hosting": {**request["self_hosting"], "owned": {**bare, "usd_per_gpu": 1000}},
        },
    )

    def compute(body: dict[str, Any]) -> float:
        owned = next(o for o in body["options"] if o["kind"] == "self_hosted")
        return float(owned["breakdown"]["compute"])

    # 8 GPUs per server x $1,000 over 48 months = $166.67 per server-month (catalog: $27,500).
    servers = next(o for o in cheap["options"] if o["kind"] == "self_hosted")["fleet"]["instances"]
    assert compute(cheap) == pytest.approx(servers * 8 * 1000 / 48)
    assert compute(catalog_price) == pytest.approx(servers * 8 * 27_500 / 48)
    # A per-GPU override still takes precedence over the owned terms' price.
    both = estimate(
        client,
        {
            **request,
            "self_hosting": {
                **request["self_hosting"],
                "owned": {**bare, "usd_per_gpu": 1000},
                "gpu_prices": [{"gpu": "h100-sxm-80gb", "owned_usd_per_gpu": 2000}],
            },
        },
    )
    assert compute(both) == pytest.approx(servers * 8 * 2000 / 48)


def test_options_carry_a_structured_key_and_an_id_derived_from_it(client: TestClient) -> None:
    body = estimate(client, SMALL)
    api = next(o for o in body["options"] if o["kind"] == "api")
    assert api["key"] == {
        "kind": "api",
        "api_model": api["api_model"],
        "open_model": None,
        "gpu": None,
        "tensor_parallel": None,
        "precision": None,
        "purchase_mode": None,
        "offering": None,
        "pipeline_parallel": 1,
    }
    assert api["id"] == f"api:{api['api_model']}"
    fleet_option = next(o for o in body["options"] if o["kind"] == "self_hosted")
    key, fleet = fleet_option["key"], fleet_option["fleet"]
    assert (key["open_model"], key["gpu"], key["tensor_parallel"]) == (
        fleet["open_model"],
        fleet["gpu"],
        fleet["tensor_parallel"],
    )
    assert (key["precision"], key["purchase_mode"], key["offering"]) == (
        fleet["precision"],
        fleet["purchase_mode"],
        fleet["offering"],
    )
    assert fleet_option["id"] == ":".join(
        [
            "self",
            key["open_model"],
            key["gpu"],
            f"tp{key['tensor_parallel']}",
            key["precision"],
            key["purchase_mode"],
        ]
    )
    assert len({o["id"] for o in body["options"]}) == len(body["options"])


def test_engine_changes_replica_capacity_and_defaults_name_it(client: TestClient) -> None:
    default = estimate(client, SMALL)
    assert "self_hosting.engine = vllm" in default["assumptions"]["defaults_applied"]
    trt_body = {**SMALL, "self_hosting": {**SMALL["self_hosting"], "engine": "trtllm"}}
    trt = estimate(client, trt_body)
    assert not any(
        d.startswith("self_hosting.engine") for d in trt["assumptions"]["defaults_applied"]
    )

    def capacity(body: dict[str, Any]) -> dict[str, float]:
        return {
            o["id"]: o["fleet"]["replica_requests_per_s"]
            for o in body["options"]
            if o["kind"] == "self_hosted"
        }

    vllm_capacity, trt_capacity = capacity(default), capacity(trt)
    shared = vllm_capacity.keys() & trt_capacity.keys()
    assert shared
    assert all(trt_capacity[k] != vllm_capacity[k] for k in shared)


def test_a_tighter_margin_on_the_modelled_p95_never_raises_capacity(client: TestClient) -> None:
    loose = estimate(client, SMALL)
    tight = estimate(client, {**SMALL, "sizing": {"ttft_p95_over_mean": 3.0}})

    def capacity(body: dict[str, Any]) -> dict[str, float]:
        return {
            o["id"]: o["fleet"]["replica_requests_per_s"]
            for o in body["options"]
            if o["kind"] == "self_hosted"
        }

    before, after = capacity(loose), capacity(tight)
    assert all(after[k] <= before[k] for k in before.keys() & after.keys())
