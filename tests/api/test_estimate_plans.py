"""A `plan` section in `/v1/estimates` when asked: the same answer as `/v1/plans`."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from fastapi.testclient import TestClient

from app.api.routes.estimates import CHAT_PLUS_DOCUMENTS_PLANNED
from app.api.routes.plans import CHAT_PLUS_DOCUMENTS
from app.schemas.analyses import AnalysisCreate
from app.services.analyses import fingerprint
from tests.api.test_analyses_plans import without_timing
from tests.api.test_catalog_api import assert_problem
from tests.factories import body as analysis_body

EXAMPLE: dict[str, Any] = CHAT_PLUS_DOCUMENTS["value"]
SETTINGS = ("length_buckets", "limits", "api_overflow_model", "time_limit_s")


def as_estimate(plan_body: dict[str, Any]) -> dict[str, Any]:
    """The plan request as an estimate request asking for that plan."""
    estimate = {k: v for k, v in plan_body.items() if k not in SETTINGS}
    estimate["plan"] = {k: v for k, v in plan_body.items() if k in SETTINGS}
    return estimate


def post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_plan_in_an_estimate_is_the_plans_answer(client: TestClient) -> None:
    estimate = post(client, "/v1/estimates", as_estimate(EXAMPLE))
    direct = post(client, "/v1/plans", EXAMPLE)
    assert without_timing(estimate["plan"]) == without_timing(direct)
    # The rest of the estimate is what it is without the plan.
    plain = post(client, "/v1/estimates", {k: v for k, v in EXAMPLE.items() if k not in SETTINGS})
    assert "plan" not in plain
    assert {k: v for k, v in estimate.items() if k != "plan"} == plain


def test_the_plan_follows_its_limits_as_in_plans(client: TestClient) -> None:
    limited = copy.deepcopy(EXAMPLE)
    limited["limits"] = {
        "available_instances": [{"offering": "nebius-8x-b200-sxm", "instances": 2}]
    }
    estimate = post(client, "/v1/estimates", as_estimate(limited))
    direct = post(client, "/v1/plans", limited)
    assert without_timing(estimate["plan"]) == without_timing(direct)
    assert [b["limit"] for b in estimate["plan"]["binding_limits"]] == [
        b["limit"] for b in direct["binding_limits"]
    ]


def test_infeasible_plan_limits_get_the_same_422(client: TestClient) -> None:
    body = {
        "workload": {"requests_per_day": 1_000_000, "input_tokens": 1000, "output_tokens": 300},
        "self_hosting": {
            "open_models": ["llama-3.1-8b"],
            "gpus": ["h100-sxm-80gb"],
            "purchase_modes": ["owned"],
        },
        "limits": {"power_cap_kw": 1.0, "upfront_budget_usd": 1e9},
    }
    from_plans = assert_problem(client.post("/v1/plans", json=body), 422)
    problem = assert_problem(client.post("/v1/estimates", json=as_estimate(body)), 422)
    assert problem["limits"] == ["power_cap_kw"]
    assert problem["type"].endswith("/plan-infeasible")
    assert problem["detail"] == from_plans["detail"]


def test_an_analysis_whose_input_asks_for_a_plan_keeps_it_and_refuses_bad_limits(
    client: TestClient,
) -> None:
    sent = analysis_body()
    sent["input"]["plan"] = {"limits": {"power_cap_kw": 0.0}}
    sent["input"]["self_hosting"] = {**sent["input"].get("self_hosting", {})}
    sent["input"]["self_hosting"]["purchase_modes"] = ["owned"]
    before = client.get("/v1/analyses").json()["total"]
    assert_problem(client.post("/v1/analyses", json=sent), 422)
    # Nothing was stored.
    assert client.get("/v1/analyses").json()["total"] == before
    sent["input"]["plan"] = {"length_buckets": {"count": 1}}
    response = client.post("/v1/analyses", json=sent)
    assert response.status_code == 201, response.text
    assert response.json()["result"]["plan"]["monthly_cost_usd"] > 0


def test_a_plan_less_analysis_hashes_as_before_plans_existed() -> None:
    # Idempotency keys of analyses saved before estimates could ask for a plan keep working.
    data = AnalysisCreate.model_validate(analysis_body())
    dumped = data.model_dump(mode="json")
    dumped.pop("plan")
    dumped["input"].pop("plan")
    canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
    assert fingerprint(data) == hashlib.sha256(canonical.encode()).hexdigest()


def test_openapi_carries_the_estimate_with_a_plan(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    examples = schema["paths"]["/v1/estimates"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    assert examples["chat_plus_documents_planned"]["value"] == CHAT_PLUS_DOCUMENTS_PLANNED["value"]
    assert CHAT_PLUS_DOCUMENTS_PLANNED["value"] == as_estimate(EXAMPLE)
    post(client, "/v1/estimates", CHAT_PLUS_DOCUMENTS_PLANNED["value"])
