"""Saved analyses with a procurement plan: stored, re-run, charted, reported, refused cleanly."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.schemas.estimates import EstimateRequest
from app.schemas.plans import PlanSettingsIn
from app.services.plans import plan_request
from tests.factories import JSON, PROBLEM, REQUEST, body

PLAN: dict[str, Any] = {"length_buckets": {"count": 2}, "limits": {"max_spot_share": 0.5}}


def spread_body() -> dict[str, Any]:
    """The factory's analysis with a spread of input lengths, so that buckets differ."""
    sent = body()
    sent["input"]["workload"]["input_tokens_p95"] = 3000
    return sent


def without_timing(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan without the solver's wall-clock time (the one figure that varies run to run)."""
    return {**plan, "solver": {k: v for k, v in plan["solver"].items() if k != "solve_time_s"}}


def create_with_plan(client: TestClient, plan: dict[str, Any] = PLAN) -> dict[str, Any]:
    response = client.post("/v1/analyses", json={**spread_body(), "plan": plan})
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    return saved


def test_an_analysis_keeps_the_plan_for_its_input(client: TestClient) -> None:
    saved = create_with_plan(client)
    assert saved["plan"]["length_buckets"]["count"] == 2
    # The stored plan is what /v1/plans answers for the analysis's input with these settings.
    direct = client.post("/v1/plans", json={**spread_body()["input"], **PLAN})
    assert direct.status_code == 200, direct.text
    assert without_timing(saved["plan_result"]) == without_timing(direct.json())
    assert len(saved["plan_result"]["buckets"]) == 2
    assert saved["links"]["chart_plan_mix"] == f"/v1/analyses/{saved['id']}/charts/plan-mix"
    again = client.get(f"/v1/analyses/{saved['id']}").json()
    assert again["plan_result"] == saved["plan_result"]
    exported = client.get(f"/v1/analyses/{saved['id']}/export").json()
    assert exported["plan_result"] == saved["plan_result"]


def test_plan_request_joins_the_estimate_input_and_the_settings() -> None:
    request = plan_request(
        EstimateRequest.model_validate(REQUEST), PlanSettingsIn.model_validate(PLAN)
    )
    assert request.workload.requests_per_day == REQUEST["workload"]["requests_per_day"]
    assert request.api_models == REQUEST["api_models"]
    assert request.length_buckets.count == 2
    assert request.limits.max_spot_share == 0.5


def test_without_a_plan_nothing_changes(client: TestClient) -> None:
    response = client.post("/v1/analyses", json=body())
    saved = response.json()
    assert saved["plan"] is None
    assert saved["plan_result"] is None
    assert "chart_plan_mix" not in saved["links"]
    missing = client.get(f"/v1/analyses/{saved['id']}/charts/plan-mix")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith(PROBLEM)


def test_rerun_re_solves_the_plan_and_reports_its_cost(client: TestClient) -> None:
    saved = create_with_plan(client)
    response = client.post(
        f"/v1/analyses/{saved['id']}/rerun", params={"save": "true"}, headers=JSON
    )
    assert response.status_code == 200, response.text
    rerun = response.json()
    change = rerun["diff"]["plan"]
    # Same catalog: the plan costs the same and has the same lines.
    assert change["change_usd"] == 0
    assert change["monthly_cost_usd_before"] == saved["plan_result"]["monthly_cost_usd"]
    assert change["lines_before"] == change["lines_after"]
    assert rerun["plan_result"]["monthly_cost_usd"] == change["monthly_cost_usd_after"]
    revision = rerun["revision"]
    assert revision["plan"] == saved["plan"]
    assert revision["plan_result"] == rerun["plan_result"]


def test_plan_chart_and_report(client: TestClient) -> None:
    saved = create_with_plan(client)
    svg = client.get(saved["links"]["chart_plan_mix"])
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert b"GPUs held" in svg.content
    png = client.get(saved["links"]["chart_plan_mix"], params={"format": "png"})
    assert png.content.startswith(b"\x89PNG")
    html = client.get(f"/v1/analyses/{saved['id']}/report").text
    assert 'id="plan"' in html
    assert 'id="chart-plan-mix"' in html
    for line in saved["plan_result"]["lines"]:
        assert line["label"].replace("&", "&amp;") in html
    assert html.count("<svg") == 4


def test_an_infeasible_plan_stores_nothing(client: TestClient) -> None:
    before = client.get("/v1/analyses").json()["total"]
    plan = {"limits": {"power_cap_kw": 0.0}}
    sent = body()
    sent["input"] = {
        **sent["input"],
        "self_hosting": {**sent["input"]["self_hosting"], "purchase_modes": ["owned"]},
    }
    response = client.post("/v1/analyses", json={**sent, "plan": plan})
    assert response.status_code == 422, response.text
    assert response.json()["limits"] == ["power_cap_kw"]
    assert client.get("/v1/analyses").json()["total"] == before


def csv_rows(client: TestClient, analysis_id: str) -> list[dict[str, str]]:
    response = client.get(f"/v1/analyses/{analysis_id}/export", params={"format": "csv"})
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_export_carries_the_plan_and_its_lines(client: TestClient) -> None:
    saved = create_with_plan(client)
    plan = saved["plan_result"]
    rows = csv_rows(client, saved["id"])
    options = [r for r in rows if r["kind"] not in {"plan", "plan_line"}]
    assert [r["label"] for r in options] == [o["label"] for o in saved["result"]["options"]]
    # After the options: the plan as a whole, then each line, in the plan's order.
    (total,) = [r for r in rows if r["kind"] == "plan"]
    lines = [r for r in rows if r["kind"] == "plan_line"]
    assert rows[len(options)] == total
    assert abs(float(total["monthly_cost_usd"]) - plan["monthly_cost_usd"]) <= 0.005 + 1e-9
    assert int(total["gpus"]) == sum(line["gpus"] for line in plan["lines"])
    assert [r["label"] for r in lines] == [line["label"] for line in plan["lines"]]
    for row, line in zip(lines, plan["lines"], strict=True):
        assert row["option_id"] == f"plan:{plan['lines'].index(line) + 1}"
        assert row["gpu"] == line["gpu"]
        assert row["purchase_mode"] == line["purchase_mode"]
        assert int(row["gpus"]) == line["gpus"]
        assert abs(float(row["monthly_cost_usd"]) - line["monthly_cost_usd"]) <= 0.005 + 1e-9
        parts = [float(row[k]) for k in row if k.startswith("breakdown_") and row[k]]
        assert sum(parts) == pytest.approx(line["monthly_cost_usd"], abs=0.01 * len(parts))
    staff = float(total["breakdown_staff_usd"])
    assert staff == pytest.approx(plan["breakdown"]["staff"], abs=0.005)


def test_csv_export_without_a_plan_has_no_plan_rows(client: TestClient) -> None:
    saved = client.post("/v1/analyses", json=body()).json()
    rows = csv_rows(client, saved["id"])
    assert {r["kind"] for r in rows} <= {"api", "self_hosted", "hybrid"}
    assert len(rows) == len(saved["result"]["options"])


def test_an_estimate_asking_for_a_plan_exports_it_too(client: TestClient) -> None:
    sent = spread_body()
    sent["input"]["plan"] = PLAN
    response = client.post("/v1/analyses", json=sent)
    assert response.status_code == 201, response.text
    saved = response.json()
    assert saved["plan_result"] is None
    lines = [r for r in csv_rows(client, saved["id"]) if r["kind"] == "plan_line"]
    assert [r["label"] for r in lines] == [
        line["label"] for line in saved["result"]["plan"]["lines"]
    ]


def test_comparisons_compare_the_plans_cost(client: TestClient) -> None:
    planned = create_with_plan(client)
    tighter = create_with_plan(client, {**PLAN, "limits": {"max_spot_share": 0.0}})
    plain = client.post("/v1/analyses", json=body()).json()
    ids = [planned["id"], tighter["id"], plain["id"]]
    response = client.get("/v1/analysis-comparisons", params={"ids": ids})
    assert response.status_code == 200, response.text
    comparison = response.json()
    costs = [planned["plan_result"]["monthly_cost_usd"], tighter["plan_result"]["monthly_cost_usd"]]
    assert [a["plan_monthly_cost_usd"] for a in comparison["analyses"]] == [*costs, None]
    assert comparison["analyses"][0]["plan_lines"] == [
        line["label"] for line in planned["plan_result"]["lines"]
    ]
    (row,) = [r for r in comparison["rows"] if r["kind"] == "plan"]
    assert row["monthly_cost_usd"] == [*costs, None]
    # No spot at all is a tighter limit: it never lowers the plan's cost.
    assert costs[1] >= costs[0]
    tokens = planned["result"]["tokens_per_month"]
    assert row["usd_per_million_tokens"][0] == pytest.approx(costs[0] / tokens * 1e6)


def test_comparisons_without_plans_have_no_plan_row(client: TestClient) -> None:
    a = client.post("/v1/analyses", json=body()).json()
    b = client.post("/v1/analyses", json=body(name="Again")).json()
    comparison = client.get("/v1/analysis-comparisons", params={"ids": [a["id"], b["id"]]}).json()
    assert all(r["kind"] != "plan" for r in comparison["rows"])
    assert [x["plan_monthly_cost_usd"] for x in comparison["analyses"]] == [None, None]


def test_rerun_of_an_estimate_with_a_plan_compares_the_plans_cost(client: TestClient) -> None:
    sent = spread_body()
    sent["input"]["plan"] = PLAN
    saved = client.post("/v1/analyses", json=sent).json()
    response = client.post(f"/v1/analyses/{saved['id']}/rerun", headers=JSON)
    assert response.status_code == 200, response.text
    rerun = response.json()
    change = rerun["diff"]["plan"]
    assert change["monthly_cost_usd_before"] == saved["result"]["plan"]["monthly_cost_usd"]
    assert change["monthly_cost_usd_after"] == rerun["result"]["plan"]["monthly_cost_usd"]
    assert change["change_usd"] == 0
    assert rerun["diff"]["unchanged"] is True


def test_plan_chart_of_an_estimate_that_asked_for_a_plan(client: TestClient) -> None:
    sent = spread_body()
    sent["input"]["plan"] = PLAN
    saved = client.post("/v1/analyses", json=sent).json()
    svg = client.get(f"/v1/analyses/{saved['id']}/charts/plan-mix")
    assert svg.status_code == 200, svg.text
    assert b"GPUs held" in svg.content


def test_an_estimates_own_plan_is_linked_and_reported(client: TestClient) -> None:
    sent = spread_body()
    sent["input"]["plan"] = PLAN
    saved = client.post("/v1/analyses", json=sent).json()
    assert saved["links"]["chart_plan_mix"] == f"/v1/analyses/{saved['id']}/charts/plan-mix"
    listed = client.get(f"/v1/analyses/{saved['id']}").json()
    assert listed["links"]["chart_plan_mix"] == saved["links"]["chart_plan_mix"]
    html = client.get(f"/v1/analyses/{saved['id']}/report").text
    assert 'id="plan"' in html
    assert 'id="chart-plan-mix"' in html
    for line in saved["result"]["plan"]["lines"]:
        assert line["label"].replace("&", "&amp;") in html
