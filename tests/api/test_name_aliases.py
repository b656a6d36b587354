"""Names people type in requests (`gpt-4o`, `h100`, `llama-4-maverick`) resolve to catalog slugs,
and the response says which alias became what; unknown or ambiguous names are 422 problems
listing the closest slugs."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.services.slug_resolution import MAX_NAMES_TO_RESOLVE
from tests.factories import assert_problem

WORKLOAD: dict[str, Any] = {"requests_per_day": 10_000, "input_tokens": 1000, "output_tokens": 500}


def _estimate(client: TestClient, **body: Any) -> Any:
    return client.post("/v1/estimates", json={"workload": WORKLOAD, **body})


def _aliases(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["requested"]: a for a in body["assumptions"]["aliases_resolved"]}


def test_api_model_aliases_resolve_case_insensitively(client: TestClient) -> None:
    response = _estimate(
        client,
        api_models=["gpt-4o", "openai--gpt-4o-mini"],
        break_even_api_model="GPT-4o",
        self_hosting={"open_models": ["llama-3.1-8b"], "gpus": ["h100-sxm-80gb"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [m["slug"] for m in body["assumptions"]["api_models"]] == [
        "openai--gpt-4o",
        "openai--gpt-4o-mini",
    ]
    assert body["break_even"]["api_model"] == "openai--gpt-4o"
    aliases = _aliases(body)
    assert set(aliases) == {"gpt-4o", "GPT-4o"}  # exact slugs are not aliases
    assert aliases["gpt-4o"]["resolved"] == "openai--gpt-4o"
    assert aliases["gpt-4o"]["kind"] == "api_model"
    assert aliases["GPT-4o"]["resolved"] == "openai--gpt-4o"
    assert aliases["GPT-4o"]["field"] == "break_even_api_model"


ALIASED_SELF_HOSTING: dict[str, Any] = {
    "open_models": ["llama-4-maverick"],
    "gpus": ["h100", "H200-141GB"],
    "gpu_prices": [{"gpu": "H100", "usd_per_gpu_hour_on_demand": 2.0}],
    "offerings": ["AWS-P5-48xlarge", "p5en.48xlarge"],
}
EXACT_SELF_HOSTING: dict[str, Any] = {
    "open_models": ["llama-4-maverick-17b-128e"],
    "gpus": ["h100-sxm-80gb", "h200-sxm-141gb"],
    "gpu_prices": [{"gpu": "h100-sxm-80gb", "usd_per_gpu_hour_on_demand": 2.0}],
    "offerings": ["aws-p5-48xlarge", "aws-p5en-48xlarge"],
}


def test_gpu_open_model_and_offering_aliases_resolve(client: TestClient) -> None:
    aliased = _estimate(client, api_models=["openai--gpt-4o"], self_hosting=ALIASED_SELF_HOSTING)
    assert aliased.status_code == 200, aliased.text
    body = aliased.json()
    resolved = {
        (a["requested"], a["field"]): a["resolved"] for a in body["assumptions"]["aliases_resolved"]
    }
    assert resolved == {
        ("llama-4-maverick", "self_hosting.open_models"): "llama-4-maverick-17b-128e",
        ("h100", "self_hosting.gpus"): "h100-sxm-80gb",
        ("H200-141GB", "self_hosting.gpus"): "h200-sxm-141gb",
        ("H100", "self_hosting.gpu_prices.gpu"): "h100-sxm-80gb",
        ("AWS-P5-48xlarge", "self_hosting.offerings"): "aws-p5-48xlarge",
        ("p5en.48xlarge", "self_hosting.offerings"): "aws-p5en-48xlarge",
    }
    # Apart from the list of aliases, the answer is the one the exact slugs give (the GPU price
    # override included: it applies to the resolved GPU).
    exact = _estimate(client, api_models=["openai--gpt-4o"], self_hosting=EXACT_SELF_HOSTING)
    assert exact.status_code == 200, exact.text
    expected = exact.json()
    assert expected["assumptions"].pop("aliases_resolved") == []
    body["assumptions"].pop("aliases_resolved")
    assert body == expected


def test_exact_slugs_report_no_aliases(client: TestClient) -> None:
    response = _estimate(
        client,
        api_models=["openai--gpt-4o"],
        self_hosting={"open_models": ["llama-3.1-8b"], "gpus": ["l4-24gb"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["assumptions"]["aliases_resolved"] == []


def test_unknown_name_is_422_with_closest_slugs(client: TestClient) -> None:
    body = assert_problem(
        _estimate(client, api_models=["gpt-4o-minni"], self_hosting={"gpus": ["h100-sxm"]}),
        422,
    )
    unresolved = {u["requested"]: u for u in body["unresolved"]}
    assert set(unresolved) == {"gpt-4o-minni"}  # `h100-sxm` resolves (one GPU has both words)
    miss = unresolved["gpt-4o-minni"]
    assert miss["kind"] == "api_model"
    assert miss["field"] == "api_models"
    assert miss["ambiguous"] is False
    assert "openai--gpt-4o-mini" in miss["suggestions"]
    assert "gpt-4o-minni" in body["detail"]
    assert body["slugs"] == ["gpt-4o-minni"]


def test_ambiguous_name_is_422_listing_the_candidates(client: TestClient) -> None:
    body = assert_problem(
        _estimate(client, api_models=["openai--gpt-4o"], self_hosting={"gpus": ["a100"]}), 422
    )
    (miss,) = body["unresolved"]
    assert miss["ambiguous"] is True
    assert miss["kind"] == "gpu"
    assert set(miss["suggestions"]) == {"a100-sxm-40gb", "a100-sxm-80gb", "a100-pcie-80gb"}
    assert "ambiguous" in body["detail"]


def test_unknown_break_even_model_is_422(client: TestClient) -> None:
    body = assert_problem(
        _estimate(client, api_models=["openai--gpt-4o"], break_even_api_model="gpt-4o-minni"), 422
    )
    assert body["unresolved"][0]["field"] == "break_even_api_model"


@pytest.mark.parametrize(
    ("model", "gpu", "expected_model", "expected_gpu"),
    [
        ("Llama-3.1-70B", "H100", "llama-3.1-70b", "h100-sxm-80gb"),
        ("llama-3.1-70b", "h200-141gb", "llama-3.1-70b", "h200-sxm-141gb"),
    ],
)
def test_performance_resolves_aliases(
    client: TestClient, model: str, gpu: str, expected_model: str, expected_gpu: str
) -> None:
    response = client.post(
        "/v1/performance",
        json={"model": model, "gpu": gpu, "tensor_parallel": 2, "precision": "fp8"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model"], body["gpu"]) == (expected_model, expected_gpu)
    resolved = {a["requested"]: a["resolved"] for a in body["aliases_resolved"]}
    assert resolved[gpu] == expected_gpu


def test_performance_unknown_gpu_lists_closest(client: TestClient) -> None:
    body = assert_problem(
        client.post("/v1/performance", json={"model": "llama-3.1-8b", "gpu": "h100-sxm-81gb"}),
        422,
    )
    assert body["unresolved"][0]["suggestions"][0] == "h100-sxm-80gb"


def test_reasoning_token_overrides_take_names(client: TestClient) -> None:
    def cost(key: str) -> tuple[float, list[Any]]:
        response = _estimate(
            client,
            api_models=["openai--gpt-5"],
            api_reasoning_tokens={key: 2000},
            self_hosting={"open_models": ["llama-3.1-8b"], "gpus": ["l4-24gb"]},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        (gpt5,) = [o for o in body["options"] if o["api_model"] == "openai--gpt-5"]
        return gpt5["monthly_cost_usd"], body["assumptions"]["aliases_resolved"]

    by_slug, none = cost("openai--gpt-5")
    by_name, aliases = cost("GPT-5")
    assert none == []
    assert by_name == by_slug
    assert [(a["requested"], a["resolved"], a["field"]) for a in aliases] == [
        ("GPT-5", "openai--gpt-5", "api_reasoning_tokens")
    ]


def test_many_unknown_names_answer_quickly(client: TestClient) -> None:
    # Found by schemathesis: 200 copies of a GPU slug given as API models took 10.8 s.
    started = time.perf_counter()
    response = _estimate(client, api_models=["h100-sxm-80gb"] * 200)
    elapsed_s = time.perf_counter() - started
    body = assert_problem(response, 422)
    assert [u["requested"] for u in body["unresolved"]] == ["h100-sxm-80gb"]
    assert elapsed_s < 2.0


def test_too_many_names_that_are_not_slugs_is_422(client: TestClient) -> None:
    names = [f"model-{n}" for n in range(MAX_NAMES_TO_RESOLVE + 1)]
    started = time.perf_counter()
    body = assert_problem(_estimate(client, api_models=names), 422)
    assert time.perf_counter() - started < 2.0
    assert "slugs" in body["detail"]
    assert len(body["unresolved"]) <= MAX_NAMES_TO_RESOLVE
