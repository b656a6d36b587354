"""Every default an estimate lists is a setting the request can change, and changing it moves
the answer (issue 9: five listed defaults were rejected as unknown fields)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

# A workload that exercises every listed default: long-ish prompts with a cached prefix, an
# idle-prone owned fleet and autoscaled cloud fleets, a reasoning API model.
BASE: dict[str, Any] = {
    "workload": {
        "requests_per_day": 3000,
        "input_tokens": 3000,
        "output_tokens": 300,
        "input_tokens_p95": 9000,
        "cached_input_share": 0.5,
        "batch_share": 0.3,
    },
    "api_models": ["openai--gpt-5-mini", "anthropic--claude-haiku-4-5"],
    "self_hosting": {"open_models": ["llama-3.1-8b"], "gpus": ["h100-sxm-80gb", "l4-24gb"]},
}

WITH_TARGETS: dict[str, Any] = copy.deepcopy(BASE)
WITH_TARGETS["workload"]["latency"] = {"ttft_p95_s": 3.0, "tpot_p95_s": 0.08}

#: Defaults that cannot move this answer, and why (they are checked on WITH_TARGETS instead).
INERT_WITHOUT_TARGETS = {
    "sizing.ttft_p95_over_mean": "scales modelled TTFT against a TTFT target; there is none",
    "sizing.tpot_p95_over_mean": "scales modelled TPOT against a TPOT target; there is none",
}

#: For each default path, the request change that sets it to something else.
SET_IT: dict[str, tuple[str, Any]] = {
    "workload.peak_to_average": ("workload.peak_to_average", 4.0),
    "workload.latency": ("workload.latency", {"ttft_p95_s": 0.5, "tpot_p95_s": 0.02}),
    "workload.prompt_cache.write_share": ("workload.prompt_cache.write_share", 0.5),
    "api_models": ("api_models", ["openai--gpt-4o"]),
    "api_reasoning_tokens.openai--gpt-5-mini": (
        "api_reasoning_tokens",
        {"openai--gpt-5-mini": 5000},
    ),
    "sizing.real_world_derate": ("sizing.real_world_derate", 0.3),
    "sizing.target_utilisation": ("sizing.target_utilisation", 0.3),
    "sizing.ttft_p95_over_mean": ("sizing.ttft_p95_over_mean", 4.0),
    "sizing.tpot_p95_over_mean": ("sizing.tpot_p95_over_mean", 4.0),
    "sizing.batch_utilisation": ("sizing.batch_utilisation", 0.2),
    "sizing.spot_extra_capacity_share": ("sizing.spot_extra_capacity_share", 3.0),
    "sizing.min_serving_replicas": ("sizing.min_serving_replicas", 7),
    "sizing.max_context_overflow_share": ("sizing.max_context_overflow_share", 0.0),
    "costs.pue": ("costs.pue", 2.5),
    "costs.usd_per_kwh": ("costs.usd_per_kwh", 0.5),
    "costs.hosting_usd_per_kw_month": ("costs.hosting_usd_per_kw_month", 900.0),
    "costs.host_power_overhead_share": ("costs.host_power_overhead_share", 2.0),
    "costs.idle_power_share": ("costs.idle_power_share", 0.9),
    "costs.staff_fte": ("costs.staff_fte", 3.0),
    "costs.staff_usd_per_fte_year": ("costs.staff_usd_per_fte_year", 400_000.0),
    "costs.ops_overhead_share": ("costs.ops_overhead_share", 1.0),
    "costs.cost_of_capital_per_year": ("costs.cost_of_capital_per_year", 0.2),
    "self_hosting.engine": ("self_hosting.engine", "trtllm"),
    "self_hosting.precisions": ("self_hosting.precisions", ["int4"]),
    "self_hosting.tensor_parallel": ("self_hosting.tensor_parallel", [4]),
    "self_hosting.offerings": ("self_hosting.offerings", ["aws-p5-48xlarge"]),
    "self_hosting.owned.server_usd_per_gpu": ("self_hosting.owned.server_usd_per_gpu", 20_000.0),
    "self_hosting.owned.amortization_years": ("self_hosting.owned.amortization_years", 1.0),
    "self_hosting.owned.gpus_per_server": ("self_hosting.owned.gpus_per_server", 1),
    "break_even_api_model": ("break_even_api_model", "anthropic--claude-haiku-4-5"),
}


def _path(entry: str) -> str:
    match = re.match(r"^([\w.\-]+?)(?: = |: )", entry)
    assert match, entry
    return match.group(1)


def _set(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    target = body
    for name in parents:
        target = target.setdefault(name, {})
    target[leaf] = value


def _answer(body: dict[str, Any]) -> Any:
    """What a user acts on: every option's cost and fleet, and the break-evens."""
    return (
        [(o["id"], o["monthly_cost_usd"], o["fleet"]) for o in body["options"]],
        [(b["api_model"], b["requests_per_day"]) for b in body["break_evens"]],
        body["break_even"] and body["break_even"]["api_model"],
    )


@pytest.mark.parametrize(
    ("request_body", "inert"),
    [(BASE, INERT_WITHOUT_TARGETS), (WITH_TARGETS, {})],
    ids=["no-latency-targets", "latency-targets"],
)
def test_every_listed_default_can_be_set_and_moves_the_answer(
    client: TestClient, request_body: dict[str, Any], inert: dict[str, str]
) -> None:
    base = client.post("/v1/estimates", json=request_body)
    assert base.status_code == 200, base.text
    listed = [_path(d) for d in base.json()["assumptions"]["defaults_applied"]]
    unknown = sorted(set(listed) - set(SET_IT))
    assert not unknown, f"defaults without a way to set them: {unknown}"
    for path in listed:
        if path in inert:
            continue
        field, value = SET_IT[path]
        body = copy.deepcopy(request_body)
        _set(body, field, value)
        response = client.post("/v1/estimates", json=body)
        assert response.status_code == 200, (path, response.text)
        changed = response.json()
        assert _answer(changed) != _answer(base.json()), f"setting {path} changed nothing"
        still = [_path(d) for d in changed["assumptions"]["defaults_applied"]]
        assert path not in still, f"{path} is still listed as a default once set"
