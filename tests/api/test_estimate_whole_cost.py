"""The whole cost of building over HTTP: team, infrastructure, owned servers, time to
production, adaptation, constraints, and what drives each option's cost."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.routes.estimates import CODING_ASSISTANT, SUPPORT_CHATBOT
from tests.factories import assert_problem, body

SWE = 132_930 / 0.683  # loaded SRE / MLOps / integration engineer, USD/year
SMALL: dict[str, Any] = {
    "workload": {"requests_per_day": 10_000, "input_tokens": 1000, "output_tokens": 500},
    "api_models": ["openai--gpt-4o-mini", "anthropic--claude-haiku-4-5"],
    "self_hosting": {
        "open_models": ["llama-3.1-8b"],
        "gpus": ["h100-sxm-80gb"],
        "purchase_modes": ["on_demand", "owned"],
    },
}


def estimate(client: TestClient, request: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/estimates", json=request)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def with_(request: dict[str, Any], **blocks: Any) -> dict[str, Any]:
    out = copy.deepcopy(request)
    out.update(blocks)
    return out


def first(result: dict[str, Any], kind: str, mode: str | None = None) -> dict[str, Any]:
    return next(
        o
        for o in result["options"]
        if o["kind"] == kind and (mode is None or o["fleet"]["purchase_mode"] == mode)
    )


def test_chatbot_break_even_includes_team_time_to_production_and_infrastructure(
    client: TestClient,
) -> None:
    # The example also asks for equal quality to gpt-4o (issue 12), which gpt-4o-mini is below;
    # this check is about the whole cost, so it compares against gpt-4o-mini without that bar.
    plain = {
        k: v
        for k, v in SUPPORT_CHATBOT["value"].items()
        if k not in ("quality", "routing", "ranges")
    }
    request = with_(plain, break_even_api_model="openai--gpt-4o-mini")
    result = estimate(client, request)
    fleet = first(result, "self_hosted")
    whole = fleet["whole_cost"]
    # The team is priced role by role and is what the staff line charges.
    assert fleet["breakdown"]["staff"] == pytest.approx(whole["team"]["usd_per_month"])
    assert {line["role"] for line in whole["team"]["lines"]} >= {"inference_engineer", "sre"}
    assert whole["team"]["fte"] >= 4.0  # a 24/7 rotation of one on call at <= 25%
    assert {"gateway", "observability", "storage", "egress"} <= set(fleet["breakdown"])
    assert sum(fleet["breakdown"].values()) == pytest.approx(fleet["monthly_cost_usd"])
    assert sum(whole["cost_shares"].values()) == pytest.approx(1.0)
    assert whole["drivers"].startswith("People are")

    # Break-even against gpt-4o-mini with all of that included, and without any people.
    be = result["break_even"]
    assert be["api_model"] == "openai--gpt-4o-mini"
    flat = estimate(client, with_(request, costs={"staff_fte": 0.0}))
    assert flat["break_even"]["requests_per_day"] is not None
    if be["requests_per_day"] is not None:
        assert be["requests_per_day"] > flat["break_even"]["requests_per_day"]
    else:
        assert be["searched_requests_per_day_max"] > flat["break_even"]["requests_per_day"]

    # Time to production: 1.9 months hiring + 3 building; the workload is on the cheapest API.
    ttp = result["whole_cost"]["time_to_production"]
    assert ttp["months"] == pytest.approx(4.9)
    assert ttp["interim_api_model"] == "openai--gpt-4o-mini"
    series = {s["option_id"]: s["monthly_cost_usd"] for s in result["projection"]["series"]}
    own, api = series[fleet["id"]], series["api:openai--gpt-4o-mini"]
    assert own[0] == pytest.approx(api[0])  # hiring: API only
    assert own[6] > api[6]  # live: the fleet's own cost
    assert whole["horizon_total_usd"] == pytest.approx(sum(own))


def test_report_shows_what_drives_the_answer(client: TestClient) -> None:
    saved = client.post("/v1/analyses", json=body(input=SUPPORT_CHATBOT["value"]))
    assert saved.status_code == 201, saved.text
    html = client.get(f"/v1/analyses/{saved.json()['id']}/report").text
    best = saved.json()["result"]["options"][0]
    assert best["whole_cost"]["drivers"].replace("'", "&#39;") in html
    assert 'id="time-to-production"' in html
    assert 'id="build-defaults"' in html
    assert "Bureau of Labor Statistics" in html or "BLS" in html


def test_team_overrides_and_a_flat_staff_figure(client: TestClient) -> None:
    base = first(estimate(client, SMALL), "self_hosted")
    cheaper = estimate(client, with_(SMALL, team={"location_cost_factor": 0.5}))
    same = next(o for o in cheaper["options"] if o["id"] == base["id"])
    assert same["breakdown"]["staff"] == pytest.approx(base["breakdown"]["staff"] / 2)
    flat = estimate(client, with_(SMALL, costs={"staff_fte": 0.5}))
    option = next(o for o in flat["options"] if o["id"] == base["id"])
    assert option["breakdown"]["staff"] == pytest.approx(0.5 * 200_000 / 12)
    assert option["whole_cost"]["team"] is None
    api = first(flat, "api")
    assert "people" not in api["breakdown"]


def test_owned_servers_carry_server_network_support_and_cash_up_front(
    client: TestClient,
) -> None:
    result = estimate(client, SMALL)
    owned = first(result, "self_hosted", "owned")
    gpus = owned["fleet"]["gpus"]
    # Per GPU: $27,500 + $10,000 rest of system + 20% networking: 37,500 x 0.25 = $9,375.
    assert owned["whole_cost"]["up_front_usd"] == pytest.approx(gpus * 46_875)
    assert owned["breakdown"]["support"] == pytest.approx(gpus * 39_800 / 8 / 12)
    names = {d["name"] for d in result["assumptions"]["build_defaults"]}
    assert {"self_hosting.owned.server_usd_per_gpu", "costs.cost_of_capital_per_year"} <= names
    assert all(d["source"] and d["as_of"] for d in result["assumptions"]["build_defaults"])
    # Your own terms win, and are no longer listed as defaults.
    mine = with_(SMALL, costs={"cost_of_capital_per_year": 0.0})
    mine["self_hosting"]["owned"] = {"server_usd_per_gpu": 0, "networking_share": 0}
    plain = first(estimate(client, mine), "self_hosted", "owned")
    assert plain["whole_cost"]["up_front_usd"] == pytest.approx(plain["fleet"]["gpus"] * 27_500)
    assert plain["breakdown"]["compute"] < owned["breakdown"]["compute"]


def test_lora_adaptation_with_hosted_fine_tuning(client: TestClient) -> None:
    adaptation = {"method": "lora", "training_tokens": 10e6, "epochs": 3, "retrains_per_year": 4}
    plain = estimate(client, SMALL)
    tuned = estimate(client, with_(SMALL, adaptation=adaptation))
    mini_before = next(o for o in plain["options"] if o["id"] == "api:openai--gpt-4o-mini")
    mini = next(o for o in tuned["options"] if o["id"] == "api:openai--gpt-4o-mini")
    # Fine-tuned gpt-4o-mini: $0.30 / $1.20 per Mtok, twice the base $0.15 / $0.60.
    assert mini["breakdown"]["api_input"] == pytest.approx(
        2 * mini_before["breakdown"]["api_input"]
    )
    # Training: 10M x 3 epochs x $3.00/Mtok = $90 a run; over 12 months + 4 retrains a year:
    # 90 / 12 + 90 x 4 / 12 = $37.50 a month.
    assert mini["breakdown"]["adaptation"] == pytest.approx(37.5)
    report = {(a["subject"], a["kind"]) for a in tuned["whole_cost"]["adaptation"]}
    assert ("anthropic--claude-haiku-4-5", "not_available") in report
    assert ("llama-3.1-8b", "self_hosted") in report
    for option in tuned["options"]:
        before = next((o for o in plain["options"] if o["id"] == option["id"]), None)
        if before is not None and option["kind"] == "self_hosted":
            assert option["monthly_cost_usd"] > before["monthly_cost_usd"]


def test_constraints_report_what_privacy_costs(client: TestClient) -> None:
    private = estimate(client, with_(SMALL, constraints={"hosted_apis_allowed": False}))
    assert all(o["kind"] == "self_hosted" for o in private["options"])
    assert private["break_evens"] == []
    cost = private["whole_cost"]["constraints"]
    assert cost["cheapest_constrained_usd_per_month"] == private["options"][0]["monthly_cost_usd"]
    assert (
        cost["cheapest_unconstrained_usd_per_month"] <= cost["cheapest_constrained_usd_per_month"]
    )
    assert cost["usd_per_month"] >= 0
    aws = estimate(client, with_(SMALL, constraints={"gpu_providers": ["aws"]}))
    offerings = {o["fleet"]["offering"] for o in aws["options"] if o["fleet"]}
    assert offerings
    assert all(o is None or o.startswith("aws-") for o in offerings)
    assert estimate(client, SMALL)["whole_cost"]["constraints"] is None


def test_coding_assistant_example_trains_a_model_of_its_own(client: TestClient) -> None:
    result = estimate(client, CODING_ASSISTANT["value"])
    [trained] = [a for a in result["whole_cost"]["adaptation"] if a["kind"] == "self_hosted"]
    # 6 x 8.03e9 active parameters x 2e12 tokens = 9.636e22 FLOPs per run.
    assert trained["training_flops_per_run"] == pytest.approx(6 * 8.03e9 * 2e12, rel=1e-3)
    assert result["whole_cost"]["time_to_production"]["months"] == 9
    fleet = first(result, "self_hosted")
    assert fleet["whole_cost"]["team"]["fte"] > 4
    assert fleet["breakdown"]["adaptation"] > 0


@pytest.mark.parametrize(
    "blocks",
    [
        {"time_to_production": {"interim_api_model": "openai--gpt-4o"}},
        {"adaptation": {"method": "lora", "training_tokens": 1e6, "training_gpu": "no-such-gpu"}},
        {"adaptation": {"method": "full_fine_tune", "training_tokens": 1e6, "adapters": 2}},
        {"adaptation": {"method": "distil", "training_tokens": 1e6}},
        {"team": {"sre_usd_per_year": -1}},
        {"team": {"salary": 1}},
        {"infrastructure": {"egress_usd_per_gb": "free"}},
        {"constraints": {"gpu_regions": "us-east-1"}},
    ],
)
def test_bad_whole_cost_inputs_are_problems(client: TestClient, blocks: dict[str, Any]) -> None:
    assert_problem(client.post("/v1/estimates", json=with_(SMALL, **blocks)), 422)


def _set(request: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    target = request
    for name in parents:
        target = target.setdefault(name, {})
    target[leaf] = value


def _answer(result: dict[str, Any]) -> Any:
    """Every option's monthly cost, fleet and horizon total (time to production included)."""
    return [
        (o["id"], o["monthly_cost_usd"], o["fleet"], o["whole_cost"]["horizon_total_usd"])
        for o in result["options"]
    ]


def test_every_build_default_can_be_set_and_moves_the_answer(client: TestClient) -> None:
    request = with_(
        SMALL,
        adaptation={"method": "lora", "training_tokens": 1e8, "epochs": 2},
        team={"on_call_support_usd_per_year": None},
    )
    base = estimate(client, request)
    listed = base["assumptions"]["build_defaults"]
    assert len(listed) >= 25
    for entry in listed:
        value = entry["value"]
        # Shares and rates go down (they are bounded by 1); counts and prices go up, since
        # less of a role that the on-call rotation tops up would change nothing.
        bounded = "share" in entry["unit"] or entry["name"].endswith("cost_of_capital_per_year")
        new = value * 0.5 if bounded else value * 3 + 1
        if entry["name"] == "team.models_served":
            new = int(new)
        changed_request = copy.deepcopy(request)
        _set(changed_request, entry["name"], new)
        changed = estimate(client, changed_request)
        assert _answer(changed) != _answer(base), f"setting {entry['name']} changed nothing"
        still = {d["name"] for d in changed["assumptions"]["build_defaults"]}
        assert entry["name"] not in still
