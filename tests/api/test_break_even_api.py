"""Break-even answers that are right or say why not (issue 9): no sentinel in curves or
crossings, and a search window that widens instead of reporting its own edge."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MINI_ONLY: dict[str, Any] = {
    "workload": {"requests_per_day": 10_000, "input_tokens": 1000, "output_tokens": 500},
    "api_models": ["openai--gpt-4o-mini"],
}


def break_even(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/estimates", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["break_even"]
    return result


def assert_curve_is_real(result: dict[str, Any]) -> None:
    named = {o["id"] for o in result["curve_options"]}
    for point in result["curve"]:
        cost = point["self_hosted_usd_per_month"]
        if point["self_hosted_option"] is None:
            assert cost is None
        else:
            assert cost is not None
            assert cost >= 0
            assert point["self_hosted_option"] in named
    for crossing in result["crossings"]:
        volume = crossing["requests_per_day"]
        assert result["searched_requests_per_day_min"] < volume
        assert volume < result["searched_requests_per_day_max"]


def test_no_sentinel_or_spurious_crossing_for_a_cheap_api(client: TestClient) -> None:
    # Before: 16 curve points at -1.0 and a crossing at 61,992 requests/day where
    # self-hosting cost $9,223 a month against $566 for the API.
    result = break_even(client, MINI_ONLY)
    assert_curve_is_real(result)
    curve = result["curve"]
    for crossing in result["crossings"]:
        at = min(
            range(len(curve)),
            key=lambda i: abs(curve[i]["requests_per_day"] - crossing["requests_per_day"]),
        )
        point = curve[at]
        assert point["requests_per_day"] == pytest.approx(crossing["requests_per_day"])
        # Self-hosting is (still) no dearer at the crossing itself; the envelope is a staircase
        # of affine pieces, so the crossing is either a touch (equal costs) or a jump, and on
        # the far side the API is no dearer.
        assert point["self_hosted_usd_per_month"] <= point["api_usd_per_month"] * (1 + 1e-6)
        volume = crossing["requests_per_day"]
        if crossing["self_hosting_cheaper_above"]:
            beyond = [p for p in curve if p["requests_per_day"] < volume * (1 - 1e-9)][-1]
        else:
            beyond = next(p for p in curve if p["requests_per_day"] > volume * (1 + 1e-15))
        assert beyond["self_hosted_usd_per_month"] >= beyond["api_usd_per_month"] * (1 - 1e-6)
    assert result["outcome"] == "self_hosting_cheaper_above"
    assert result["conclusion"].startswith("Self-hosting is cheaper than openai--gpt-4o-mini above")


def test_the_window_widens_instead_of_reporting_its_edge(client: TestClient) -> None:
    # Before: at 1e9 requests/day the answer was the window's lower edge (1e7) with no
    # crossings. The crossing does not depend on today's volume, so both requests find it.
    near = break_even(client, MINI_ONLY)
    far_body = {**MINI_ONLY, "workload": {**MINI_ONLY["workload"], "requests_per_day": 1e9}}
    far = break_even(client, far_body)
    assert far["requests_per_day"] == pytest.approx(near["requests_per_day"], rel=1e-9)
    assert far["searched_requests_per_day_min"] < far["requests_per_day"]
    assert far["crossings"]
    assert_curve_is_real(far)


def test_no_crossing_is_said_with_the_range_searched(client: TestClient) -> None:
    # One tiny model on one dear GPU against a cheap API: the API stays cheaper.
    body = {
        "workload": {"requests_per_day": 1000, "input_tokens": 200, "output_tokens": 50},
        "api_models": ["google--gemini-2.5-flash-lite"],
        "self_hosting": {
            "open_models": ["llama-3.1-405b"],
            "gpus": ["h100-sxm-80gb"],
            "purchase_modes": ["on_demand"],
        },
    }
    result = break_even(client, body)
    assert result["requests_per_day"] is None
    assert result["outcome"] == "api_cheaper_throughout"
    assert result["crossings"] == []
    # It searched beyond the first window (1/100 to 100x), up to 10,000x today's volume.
    assert result["searched_requests_per_day_max"] == pytest.approx(1000 * 10_000)
    assert result["conclusion"].startswith("No crossing below 10,000,000 requests/day")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    volume=st.floats(10, 1e8),
    input_tokens=st.integers(50, 8000),
    output_tokens=st.integers(10, 2000),
    peak=st.floats(1.0, 6.0),
    api=st.sampled_from(["openai--gpt-4o-mini", "openai--gpt-4o", "deepseek--deepseek-chat"]),
)
def test_every_curve_point_is_a_real_cost_of_a_named_option(
    client: TestClient, volume: float, input_tokens: int, output_tokens: int, peak: float, api: str
) -> None:
    body = {
        "workload": {
            "requests_per_day": volume,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "peak_to_average": peak,
        },
        "api_models": [api],
        "self_hosting": {
            "open_models": ["llama-3.1-8b", "qwen3-32b"],
            "gpus": ["l4-24gb", "h100-sxm-80gb"],
        },
    }
    result = break_even(client, body)
    assert_curve_is_real(result)
    if result["requests_per_day"] is not None:
        assert result["searched_requests_per_day_min"] < result["requests_per_day"]
