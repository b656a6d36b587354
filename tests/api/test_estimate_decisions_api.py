"""`POST /v1/estimates` with the quality, routing and ranges blocks (issue 12)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.routes.estimates import SUPPORT_CHATBOT
from tests.factories import assert_problem

CHATBOT: dict[str, Any] = SUPPORT_CHATBOT["value"]
NO_SPREAD = {"low": 1.0, "high": 1.0}


def _post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/estimates", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def chatbot(client: TestClient) -> dict[str, Any]:
    return _post(client, CHATBOT)


def test_chatbot_answers_at_equal_quality_to_gpt4o_with_a_range(chatbot: dict[str, Any]) -> None:
    quality = chatbot["quality"]
    assert quality["reference"] == "openai--gpt-4o"
    assert quality["threshold"] == pytest.approx(49.9 - 1.0)  # GPT-4o GPQA Diamond 49.9
    tiers = {t["tier"]: t for t in quality["break_evens"]}
    equal, anyone = tiers["equal_quality"], tiers["any_model"]
    assert equal["api_model"] == "openai--gpt-4o"
    # Restricted to models as good as GPT-4o (Llama 3.3 70B) the break-even is higher than
    # when the 8B model may serve: the headline no longer compares unequal models.
    assert anyone["requests_per_day"] < equal["requests_per_day"]
    low, high = equal["range"]["p10"], equal["range"]["p90"]
    assert low <= equal["range"]["p50"] <= high
    assert low < equal["requests_per_day"] < high
    assert "equal quality to openai--gpt-4o" in quality["headline"]
    assert "P10-P90" in quality["headline"]


def test_models_below_the_bar_are_infeasible_or_left_out(chatbot: dict[str, Any]) -> None:
    verdicts = {v["model"]: v for v in chatbot["quality"]["verdicts"]}
    assert verdicts["llama-3.3-70b"]["meets_bar"]
    assert not verdicts["llama-3.1-8b"]["meets_bar"]
    assert not verdicts["openai--gpt-4o-mini"]["meets_bar"]  # no GPQA score in the catalog
    below = [i for i in chatbot["infeasible"] if i["reason"].startswith("below_quality")]
    assert {i["open_model"] for i in below} >= {"llama-3.1-8b", "qwen3-30b-a3b"}
    models = {o["api_model"] for o in chatbot["options"] if o["kind"] == "api"}
    assert models == {"openai--gpt-4o"}
    fleets = {o["fleet"]["open_model"] for o in chatbot["options"] if o["fleet"]}
    assert fleets == {"llama-3.3-70b"}


def test_ranges_tornado_answer_and_mixes_are_returned(chatbot: dict[str, Any]) -> None:
    ranges = chatbot["ranges"]
    assert ranges["samples"] == 1000
    assert set(ranges["distributions"]) == {
        "throughput",
        "api_price",
        "gpu_price",
        "staff_cost",
        "volume",
        "peak",
    }
    assert sum(o["probability_cheapest"] for o in ranges["options"]) == pytest.approx(1.0)
    for option in ranges["options"]:
        cost = option["monthly_cost_usd"]
        assert cost["p10"] <= cost["p50"] <= cost["p90"]
    tornado = chatbot["sensitivity"]["tornado"]
    assert len(tornado) == 6
    assert chatbot["sensitivity"]["answer"].startswith("Self-hosting")
    mixes = chatbot["routing"]["mixes"]
    assert mixes
    assert all(m["parts"][0]["request_share"] == 0.5 for m in mixes)


def test_same_seed_same_ranges_other_seed_other_ranges(
    client: TestClient, chatbot: dict[str, Any]
) -> None:
    again = _post(client, CHATBOT)
    assert again["ranges"] == chatbot["ranges"]
    other = copy.deepcopy(CHATBOT)
    other["ranges"]["seed"] = 2
    assert _post(client, other)["ranges"] != chatbot["ranges"]


def test_zero_spreads_collapse_to_the_single_numbers(client: TestClient) -> None:
    body = copy.deepcopy(CHATBOT)
    body["ranges"] = {
        "samples": 50,
        "throughput_log_sigma": 0.0,
        **dict.fromkeys(("api_price", "gpu_price", "staff_cost", "volume", "peak"), NO_SPREAD),
    }
    result = _post(client, body)
    point = {o["id"]: o for o in result["options"]}
    for option in result["ranges"]["options"]:
        cost = option["monthly_cost_usd"]
        assert (
            cost["p10"]
            == cost["p50"]
            == cost["p90"]
            == point[option["option_id"]]["monthly_cost_usd"]
        )
        per_mtok = option["usd_per_million_tokens"]
        assert per_mtok["p50"] == pytest.approx(
            point[option["option_id"]]["usd_per_million_tokens"], rel=1e-12
        )
    equal = next(b for b in result["ranges"]["break_evens"] if b["tier"] == "equal_quality")
    assert equal["range"]["p10"] == equal["range"]["p90"] == equal["requests_per_day"]
    assert result["break_even"]["requests_per_day"] == equal["requests_per_day"]


def test_without_the_blocks_nothing_is_added(client: TestClient) -> None:
    plain = {k: v for k, v in CHATBOT.items() if k not in ("quality", "routing", "ranges")}
    result = _post(client, plain)
    assert result["quality"] is None
    assert result["ranges"] is None
    assert result["sensitivity"] is None
    assert result["routing"] is None


def test_own_scores_override_the_catalog(client: TestClient) -> None:
    body = {k: v for k, v in CHATBOT.items() if k not in ("routing", "ranges")}
    body["quality"] = {
        "match": "openai--gpt-4o",
        "measure": "support_eval",
        "scores": {
            "openai--gpt-4o": {"support_eval": 0.82},
            "llama-3.1-8b": {"support_eval": 0.81},
            "llama-3.3-70b": {"support_eval": 0.84},
        },
        "tolerance": 0.02,
    }
    result = _post(client, body)
    verdicts = {v["model"]: v["meets_bar"] for v in result["quality"]["verdicts"]}
    assert verdicts["llama-3.1-8b"]
    assert verdicts["llama-3.3-70b"]
    assert not verdicts["qwen3-30b-a3b"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"quality": {"match": "openai--gpt-4o", "floor": 50.0}}, 422),
        ({"quality": {"measure": "gpqa_diamond"}}, 422),
        ({"quality": {"match": "openai--gpt-4o", "measure": "no_such_measure"}}, 422),
        (
            {"quality": {"match": "openai--gpt-4o"}, "break_even_api_model": "openai--gpt-4o-mini"},
            422,
        ),
        ({"ranges": {"samples": 0}}, 422),
        ({"ranges": {"api_price": {"low": 1.2, "high": 1.5}}}, 422),
        ({"routing": {"small_model_share": 1.0}}, 422),
    ],
)
def test_bad_decision_blocks_are_problems(
    client: TestClient, change: dict[str, Any], status: int
) -> None:
    body = {**{k: v for k, v in CHATBOT.items() if k not in ("quality", "routing", "ranges")}}
    body.update(change)
    response = client.post("/v1/estimates", json=body)
    assert_problem(response, status)


def test_no_qualifying_api_model_is_said_plainly(client: TestClient) -> None:
    body = {k: v for k, v in CHATBOT.items() if k not in ("routing",)}
    body["quality"] = {"measure": "gpqa_diamond", "floor": 50.0}  # GPT-4o has 49.9
    body["ranges"] = {"samples": 20}
    result = _post(client, body)
    assert "No compared API model qualifies" in result["quality"]["headline"]
    assert result["quality"]["break_evens"] == []
    assert not [o for o in result["options"] if o["kind"] == "api"]
    assert result["sensitivity"] is None


def test_sensitivity_can_be_left_out(client: TestClient) -> None:
    body = {k: v for k, v in CHATBOT.items() if k not in ("routing",)}
    body["ranges"] = {"samples": 20, "sensitivity": False}
    result = _post(client, body)
    assert result["ranges"]["samples"] == 20
    assert result["sensitivity"] is None


def test_zero_traffic_gets_an_answer_not_a_500(client: TestClient) -> None:
    # Found by an extreme-input sweep: with no traffic the cheapest API costs $0, and the
    # answer sentence divided by it.
    body = copy.deepcopy(CHATBOT)
    body["workload"]["users"] = 0
    result = _post(client, body)
    answer = result["sensitivity"]["answer"]
    assert "no traffic" in answer
    ranges = result["ranges"]["options"]
    assert all(o["monthly_cost_usd"]["p90"] >= 0 for o in ranges)


def test_throughput_spread_follows_each_options_regime_unless_overridden(
    chatbot: dict[str, Any], client: TestClient
) -> None:
    assert "error band" in chatbot["ranges"]["distributions"]["throughput"]
    body = copy.deepcopy(CHATBOT)
    body["ranges"]["throughput_log_sigma"] = 0.3
    overridden = _post(client, body)
    assert "log-sigma 0.3" in overridden["ranges"]["distributions"]["throughput"]
    assert overridden["ranges"]["options"] != chatbot["ranges"]["options"]
