"""Answers a user can act on (issue 9): context windows, prompt-cache writes, reasoning tokens,
GPU-level utilisation, settable defaults and overflowing projections."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_problem

LONG_PROMPTS: dict[str, Any] = {
    "workload": {"requests_per_day": 2000, "input_tokens": 150_000, "output_tokens": 500},
    "api_models": ["openai--gpt-4o-mini", "google--gemini-2.5-flash"],
    "self_hosting": {"open_models": ["qwen3-32b", "llama-4-scout-17b-16e"]},
}


def estimate(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/estimates", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_models_whose_context_cannot_hold_the_prompt_are_infeasible(client: TestClient) -> None:
    # Before: qwen3-32b (40,960-token context) was the cheapest answer for 150k-token prompts.
    body = estimate(client, LONG_PROMPTS)
    offered = {o["fleet"]["open_model"] for o in body["options"] if o["fleet"]}
    assert "qwen3-32b" not in offered
    assert "llama-4-scout-17b-16e" in offered  # 10M-token context
    apis = {o["api_model"] for o in body["options"] if o["kind"] == "api"}
    assert apis == {"google--gemini-2.5-flash"}  # 1M context; gpt-4o-mini holds 128k
    reasons = {
        (i["open_model"] or i["api_model"]): i["reason"]
        for i in body["infeasible"]
        if "context window" in i["reason"]
    }
    assert reasons["qwen3-32b"].startswith("context window of 40,960 tokens too small: 100.0%")
    assert reasons["openai--gpt-4o-mini"].startswith("context window too small: 100.0%")


def test_the_share_that_does_not_fit_comes_from_the_length_distribution(
    client: TestClient,
) -> None:
    # Mean 100k with p95 300k: a 128k context holds most requests but not 1% of them.
    body = copy.deepcopy(LONG_PROMPTS)
    body["workload"].update(input_tokens=100_000, input_tokens_p95=300_000)
    body["api_models"] = ["openai--gpt-4o-mini"]
    result = estimate(client, body)
    (reason,) = [i["reason"] for i in result["infeasible"] if i["api_model"]]
    share = float(re.search(r"([\d.]+)% of requests", reason).group(1))  # type: ignore[union-attr]
    assert 1.0 < share < 100.0
    # Allowing that much overflow makes the model feasible again.
    body["sizing"] = {"max_context_overflow_share": 1.0}
    assert estimate(client, body)["options"][0]["api_model"] == "openai--gpt-4o-mini"


def test_no_break_even_against_an_api_that_cannot_take_the_prompt(client: TestClient) -> None:
    body = {
        "workload": {"requests_per_day": 2000, "input_tokens": 300_000, "output_tokens": 500},
        "api_models": ["openai--gpt-4o"],
        "self_hosting": {"open_models": ["qwen3-32b"]},
    }
    result = estimate(client, body)
    assert result["break_even"] is None
    assert result["break_evens"] == []
    assert result["options"] == []


def test_performance_rejects_lengths_beyond_the_context(client: TestClient) -> None:
    body = {
        "model": "qwen3-32b",
        "gpu": "h100-sxm-80gb",
        "input_tokens": 150_000,
        "output_tokens": 100,
    }
    problem = assert_problem(client.post("/v1/performance", json=body), 422)
    assert "40,960" in problem["detail"]


def test_cache_writes_are_charged_at_the_cache_write_price(client: TestClient) -> None:
    # claude-haiku-4-5: input $1, cache read $0.10, cache write $1.25 per Mtok (genai-prices).
    body = {
        "workload": {
            "requests_per_day": 1440,
            "input_tokens": 2000,
            "output_tokens": 100,
            "cached_input_share": 0.5,
            "prompt_cache": {"distinct_prefixes": 1, "ttl_minutes": 5},
        },
        "api_models": ["anthropic--claude-haiku-4-5"],
        "self_hosting": {"open_models": ["llama-3.1-8b"], "gpus": ["l4-24gb"]},
    }
    result = estimate(client, body)
    api = result["options"][0] if result["options"][0]["kind"] == "api" else None
    api = next(o for o in result["options"] if o["kind"] == "api")
    # 1 prefix x 1,440 / 5 = 288 writes a day over 1,440 requests: write share 0.2.
    # Per request: 1,000 cached tokens -> 800 read x $0.10 + 200 written x $1.25 per Mtok.
    month = 1440 * 30.4375
    assert api["breakdown"]["api_cached_input"] == pytest.approx(month * 800 * 0.10 / 1e6)
    assert api["breakdown"]["api_cache_write"] == pytest.approx(month * 200 * 1.25 / 1e6)
    assert any(
        "prompt_cache.write_share = 0.2" in d for d in result["assumptions"]["defaults_applied"]
    )
    fixed = copy.deepcopy(body)
    fixed["workload"]["prompt_cache"]["write_share"] = 0.0
    no_writes = next(o for o in estimate(client, fixed)["options"] if o["kind"] == "api")
    assert "api_cache_write" not in no_writes["breakdown"]


def test_reasoning_models_bill_hidden_tokens_with_a_sourced_default(client: TestClient) -> None:
    body = {
        "workload": {"requests_per_day": 1000, "input_tokens": 500, "output_tokens": 200},
        "api_models": ["openai--gpt-5", "openai--gpt-4o"],
        "self_hosting": {"open_models": ["llama-3.1-8b"], "gpus": ["l4-24gb"]},
    }
    result = estimate(client, body)
    by_model = {o["api_model"]: o for o in result["options"] if o["kind"] == "api"}
    gpt5 = by_model["openai--gpt-5"]
    # 500 hidden tokens per request at gpt-5's $10/Mtok output price.
    assert gpt5["breakdown"]["api_reasoning"] == pytest.approx(1000 * 30.4375 * 500 * 10 / 1e6)
    assert "api_reasoning" not in by_model["openai--gpt-4o"]["breakdown"]
    (note,) = [d for d in result["assumptions"]["defaults_applied"] if "openai--gpt-5 =" in d]
    assert "Nous Research" in note
    body["api_reasoning_tokens"] = {"openai--gpt-5": 2000}
    heavier = next(
        o for o in estimate(client, body)["options"] if o["api_model"] == "openai--gpt-5"
    )
    assert heavier["breakdown"]["api_reasoning"] == pytest.approx(
        4 * gpt5["breakdown"]["api_reasoning"]
    )


def test_gpu_utilisation_counts_bought_gpus_that_hold_no_replica(client: TestClient) -> None:
    # One small replica on owned 8-GPU servers: 7 of 8 GPUs hold nothing.
    body = {
        "workload": {"requests_per_day": 500, "input_tokens": 500, "output_tokens": 200},
        "api_models": ["openai--gpt-4o-mini"],
        "self_hosting": {
            "open_models": ["llama-3.1-8b"],
            "gpus": ["h100-sxm-80gb"],
            "purchase_modes": ["owned"],
            "tensor_parallel": [1],
            "precisions": ["fp8"],
        },
    }
    fleet = next(o["fleet"] for o in estimate(client, body)["options"] if o["fleet"])
    assert fleet["gpus"] == 8
    assert fleet["unused_gpus"] == 8 - fleet["replicas"]
    assert fleet["gpu_utilisation"] == pytest.approx(
        fleet["average_utilisation"] * fleet["replicas"] / fleet["gpus"]
    )


def test_projection_that_overflows_is_a_clear_422(client: TestClient) -> None:
    body = copy.deepcopy(LONG_PROMPTS)
    body["workload"].update(growth_per_month=10, horizon_months=120)
    problem = assert_problem(client.post("/v1/estimates", json=body), 422)
    assert "growth" in problem["detail"]


def test_what_was_asked_for_is_always_answered(client: TestClient) -> None:
    # Before: with long prompts the cheapest max_options rows were all self-hosted and none of
    # the requested API models appeared.
    body = {
        "workload": {"requests_per_day": 200_000, "input_tokens": 6000, "output_tokens": 400},
        "api_models": ["openai--gpt-4o", "anthropic--claude-sonnet-4-5", "openai--gpt-5"],
        "self_hosting": {"open_models": ["llama-3.1-8b", "llama-3.1-405b"]},
        "max_options": 3,
    }
    result = estimate(client, body)
    ranked, extra = result["options"][:3], result["options"][3:]
    assert all(o["included_because"] is None for o in ranked)
    listed_apis = {o["api_model"] for o in result["options"] if o["kind"] == "api"}
    assert listed_apis == set(body["api_models"])
    models = {o["fleet"]["open_model"] for o in result["options"] if o["kind"] == "self_hosted"}
    assert models == {"llama-3.1-8b", "llama-3.1-405b"}
    assert {o["included_because"] for o in extra} <= {
        "requested API model",
        "cheapest option of a requested open model",
    }
    assert extra


def test_equivalent_options_are_folded_into_one_row(client: TestClient) -> None:
    # A tiny model at low volume: bf16 and fp8 replicas need the same single GPU at the same
    # price, so they are one answer with an alternative, not two rows.
    body = {
        "workload": {"requests_per_day": 100, "input_tokens": 300, "output_tokens": 100},
        "api_models": ["openai--gpt-4o-mini"],
        "self_hosting": {
            "open_models": ["llama-3.2-3b"],
            "gpus": ["h100-sxm-80gb"],
            "purchase_modes": ["on_demand"],
            "precisions": ["bf16", "fp8"],
            "tensor_parallel": [1],
        },
        # Itemised storage prices bf16 weights at twice fp8's (issue 11): not the same price.
        "infrastructure": {"itemised": False},
    }
    result = estimate(client, body)
    fleets = [o for o in result["options"] if o["kind"] == "self_hosted"]
    assert len(fleets) == 1
    (alternative,) = fleets[0]["alternatives"]
    assert {fleets[0]["fleet"]["precision"], alternative["precision"]} == {"bf16", "fp8"}
    assert result["options_total"] == 3  # both precisions still count, and the API model


#: Serving from month 0 (issue 11 counts hiring and build-out months on the interim API).
NO_BUILD_OUT = {"hiring_lead_months": 0, "build_out_months": 0}
#: The server share alone: no cluster network share and no resale value (issue 11 defaults).
BARE_SERVER = {"networking_share": 0, "residual_value_share": 0}


def _series_by_mode(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    modes = {o["id"]: o["fleet"]["purchase_mode"] for o in result["options"] if o["fleet"]}
    out: dict[str, dict[str, Any]] = {}
    for series in result["projection"]["series"]:
        mode = modes.get(series["option_id"])
        if mode is not None and mode not in out:
            out[mode] = series
    return out


def test_falling_volume_keeps_commitments_and_shows_stranded_cost(client: TestClient) -> None:
    # Before: with -20%/month, a 3-year commitment dropped 41% by month 3 and owned servers 35%.
    body = {
        "workload": {
            "requests_per_day": 30_000_000,
            "input_tokens": 1000,
            "output_tokens": 300,
            "growth_per_month": -0.2,
            "horizon_months": 12,
        },
        "api_models": ["openai--gpt-4o-mini"],
        "self_hosting": {
            "open_models": ["llama-3.1-8b"],
            "gpus": ["h100-sxm-80gb"],
            "purchase_modes": ["committed_3y", "owned", "on_demand"],
        },
        "max_options": 200,
        # Serving from month 0: the months on the interim API are tested in issue 11's tests.
        "time_to_production": NO_BUILD_OUT,
        # No people and no per-request infrastructure: they do not follow the capacity charge
        # under test (the team stays, egress follows the volume).
        "costs": {"staff_fte": 0.0},
        "infrastructure": {"itemised": False},
    }
    series = _series_by_mode(estimate(client, body))
    for mode in ("committed_3y", "owned"):
        costs = series[mode]["monthly_cost_usd"]
        # Power and hosting follow the work done; the capacity charge does not shrink.
        assert min(costs) >= 0.9 * costs[0], mode
        assert series[mode]["stranded_usd"][0] == pytest.approx(0.0, abs=1e-6)
        assert series[mode]["stranded_usd"][-1] > 0
    on_demand = series["on_demand"]["monthly_cost_usd"]
    assert on_demand[-1] < 0.5 * on_demand[0]  # follows the volume down
    assert all(v == 0 for v in series["on_demand"]["stranded_usd"])


def test_owned_hardware_has_a_cash_view(client: TestClient) -> None:
    body = {
        "workload": {"requests_per_day": 3_000_000, "input_tokens": 1000, "output_tokens": 300},
        "api_models": ["openai--gpt-4o-mini"],
        "self_hosting": {
            "open_models": ["llama-3.1-8b"],
            "gpus": ["h100-sxm-80gb"],
            "purchase_modes": ["owned"],
            "precisions": ["fp8"],
            "tensor_parallel": [1],
            "gpu_prices": [{"gpu": "h100-sxm-80gb", "owned_usd_per_gpu": 25_000}],
            "owned": {"server_usd_per_gpu": 5_000, "amortization_years": 4, **BARE_SERVER},
        },
        "costs": {"cost_of_capital_per_year": 0.0},
        "time_to_production": NO_BUILD_OUT,
    }
    result = estimate(client, body)
    option = next(o for o in result["options"] if o["kind"] == "self_hosted")
    servers = option["fleet"]["instances"]
    owned = _series_by_mode(result)["owned"]
    cash, amortised = owned["cash_usd"], owned["monthly_cost_usd"]
    # Amortised: each 8-GPU server costs 8 x ($25,000 + $5,000) = $240,000 over 48 months,
    # $5,000 a month. Cash: the servers up front in month 0, then running costs only.
    running = amortised[0] - servers * 5_000
    assert option["breakdown"]["compute"] == pytest.approx(servers * 5_000)
    assert cash[0] == pytest.approx(servers * 240_000 + running)
    assert cash[1:] == pytest.approx([running] * (len(cash) - 1))


def test_growth_buys_capacity_in_whole_servers(client: TestClient) -> None:
    body = {
        "workload": {
            "requests_per_day": 3_000_000,
            "input_tokens": 1000,
            "output_tokens": 300,
            "growth_per_month": 0.5,
            "horizon_months": 6,
        },
        "api_models": ["openai--gpt-4o-mini"],
        "self_hosting": {
            "open_models": ["llama-3.1-8b"],
            "gpus": ["h100-sxm-80gb"],
            "purchase_modes": ["owned"],
            "precisions": ["fp8"],
            "tensor_parallel": [1],
            "gpu_prices": [{"gpu": "h100-sxm-80gb", "owned_usd_per_gpu": 25_000}],
            "owned": {"server_usd_per_gpu": 5_000, "amortization_years": 4, **BARE_SERVER},
        },
        "costs": {"cost_of_capital_per_year": 0.0},
        "time_to_production": NO_BUILD_OUT,
    }
    owned = _series_by_mode(estimate(client, body))["owned"]
    cash, amortised = owned["cash_usd"], owned["monthly_cost_usd"]
    # cash - amortised = $240,000 per server bought - $5,000 per server held (the amortised
    # charge is not cash): solve month by month for the servers bought, k = whole servers.
    servers = (cash[0] - amortised[0]) / 235_000
    assert servers == pytest.approx(round(servers))
    servers = round(servers)  # a whole number up to float rounding (0.9999999999999999)
    assert servers >= 1
    bought_later = []
    for month in range(1, len(cash)):
        bought = (cash[month] - amortised[month] + 5_000 * servers) / 235_000
        assert bought == pytest.approx(round(bought), abs=1e-6), month
        bought_later.append(round(bought))
        servers += round(bought)
    assert all(b >= 0 for b in bought_later)
    assert sum(bought_later) >= 1  # growth adds whole servers in later months
