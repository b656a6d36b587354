"""Saved analyses keep quality, ranges and sensitivity; re-runs diff them; tornado chart and
report show them."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import JSON, REQUEST, body

DECIDED: dict[str, Any] = {
    **copy.deepcopy(REQUEST),
    "quality": {"measure": "mmlu_pro", "floor": 40.0},
    "ranges": {"samples": 300, "seed": 3},
}


def _create(client: TestClient) -> dict[str, Any]:
    response = client.post("/v1/analyses", json=body(input=copy.deepcopy(DECIDED)))
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    return saved


def test_saved_analysis_keeps_ranges_and_a_rerun_changes_nothing(client: TestClient) -> None:
    saved = _create(client)
    result = saved["result"]
    assert result["quality"]["threshold"] == 40.0
    assert result["ranges"]["samples"] == 300
    assert result["sensitivity"]["tornado"]
    rerun = client.post(f"/v1/analyses/{saved['id']}/rerun", headers=JSON).json()
    diff = rerun["diff"]
    assert diff["unchanged"] is True
    assert diff["ranges"]
    assert all(r["probability_cheapest_change"] == 0 for r in diff["ranges"])
    assert all(b["before"] == b["after"] for b in diff["break_even_ranges"])


def test_rerun_after_a_price_change_reports_range_changes(
    client: TestClient, admin: dict[str, str]
) -> None:
    saved = _create(client)
    slug = "openai--gpt-4o"
    price = client.get(f"/v1/api-models/{slug}").json()["usd_per_mtok_output"]
    patched = client.patch(
        f"/v1/api-models/{slug}", json={"usd_per_mtok_output": price * 3}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    diff = client.post(f"/v1/analyses/{saved['id']}/rerun", headers=JSON).json()["diff"]
    assert diff["unchanged"] is False
    moved = next(r for r in diff["ranges"] if r["option_id"] == f"api:{slug}")
    assert moved["monthly_cost_usd_after"]["p50"] > moved["monthly_cost_usd_before"]["p50"]
    assert moved["probability_cheapest_after"] <= moved["probability_cheapest_before"]
    assert moved["probability_cheapest_change"] == (
        moved["probability_cheapest_after"] - moved["probability_cheapest_before"]
    )


def test_tornado_chart_and_report_sections(client: TestClient) -> None:
    saved = _create(client)
    url = f"/v1/analyses/{saved['id']}/charts/tornado"
    svg = client.get(url)
    assert svg.status_code == 200, svg.text
    assert "What moves the cheapest option" in svg.text
    assert "Traffic volume" in svg.text
    assert client.get(url).content == svg.content  # deterministic
    report = client.get(f"/v1/analyses/{saved['id']}/report").text
    assert 'id="ranges"' in report
    assert 'id="chart-tornado"' in report
    assert "What would change the answer" in report
    assert 'id="quality-headline"' in report
    assert "Model quality scores" in report  # the scores' sources


def test_plain_analysis_has_no_tornado_in_its_report(client: TestClient) -> None:
    response = client.post("/v1/analyses", json=body())
    saved = response.json()
    report = client.get(f"/v1/analyses/{saved['id']}/report").text
    assert 'id="chart-tornado"' not in report
    chart = client.get(f"/v1/analyses/{saved['id']}/charts/tornado")
    assert chart.status_code == 200
    assert "No sensitivity analysis" in chart.text
