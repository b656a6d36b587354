"""What a reader of the report and the exports sees: the catalog values used, one version string,
money in cents, and prices as numbers wherever they appear."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from typing import Any

from fastapi.testclient import TestClient

from app.schemas.estimates import EstimateResponse
from app.services.analysis_diff import export_csv
from tests.factories import body

CENTS = re.compile(r"^-?\d+(\.\d{1,2})?$")


def _create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/analyses", json=body(**overrides))
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    return saved


def _values_cells(page: str) -> dict[str, str]:
    """The "Values used" cell of every catalog row, by slug."""
    cells = re.findall(r"<tr><td><code>([^<]+)</code></td><td>(.*?)</td>", page, flags=re.S)
    return {slug: html_lib.unescape(value) for slug, value in cells}


def test_report_values_column_lists_the_catalog_values(client: TestClient) -> None:
    saved = _create(client)
    page = client.get(f"/v1/analyses/{saved['id']}/report").text
    assert "built-in method" not in page
    cells = _values_cells(page)
    assert "usd per mtok input 2.5" in cells["openai--gpt-4o"]
    assert "usd per mtok output 10" in cells["openai--gpt-4o"]
    assert "tdp w 700" in cells["h100-sxm-80gb"]
    assert "num layers 32" in cells["llama-3.1-8b"]
    assert "source" not in cells["h100-sxm-80gb"]  # in its own column


def test_report_lists_the_names_it_resolved(client: TestClient) -> None:
    data = body()
    data["input"]["api_models"] = ["GPT-4o", "openai--gpt-4o-mini"]
    saved = _create(client, input=data["input"])
    page = client.get(f"/v1/analyses/{saved['id']}/report").text
    assert "<code>GPT-4o</code> → <code>openai--gpt-4o</code> (api_models" in page


def test_one_version_string(client: TestClient) -> None:
    saved = _create(client)
    estimator_version = saved["result"]["assumptions"]["estimator_version"]
    version = estimator_version.split()[0]
    assert client.get("/openapi.json").json()["info"]["version"] == version
    page = client.get(f"/v1/analyses/{saved['id']}/report").text
    footer = page[page.index("<footer>") :]
    assert f"LLM Cost Estimator {version} " in footer


def test_csv_money_is_in_cents(client: TestClient) -> None:
    saved = _create(client)
    result = EstimateResponse.model_validate(saved["result"])
    # Float noise as the core produces it: $182.625 stored as 182.62499999999997.
    noisy = result.options[0].model_copy(
        update={
            "monthly_cost_usd": 182.62499999999997,
            "breakdown": {"api_input": 100.00499999999999, "api_output": 82.62},
        }
    )
    result = result.model_copy(update={"options": [noisy, *result.options[1:]]})
    rows = list(csv.DictReader(io.StringIO(export_csv(result))))
    assert rows[0]["monthly_cost_usd"] == "182.63"
    assert rows[0]["breakdown_api_input_usd"] == "100.01"
    assert rows[0]["breakdown_api_output_usd"] == "82.62"

    exported = client.get(f"/v1/analyses/{saved['id']}/export", params={"format": "csv"}).text
    for row in csv.DictReader(io.StringIO(exported)):
        money = {k: v for k, v in row.items() if k.endswith("_usd") and v}
        assert money
        assert all(CENTS.match(v) for v in money.values()), money


def test_long_context_prices_are_numbers_in_estimates(client: TestClient) -> None:
    slug = "anthropic--claude-sonnet-4-5"
    response = client.post(
        "/v1/estimates",
        json={
            "workload": {"requests_per_day": 1000, "input_tokens": 1000, "output_tokens": 100},
            "api_models": [slug],
            "self_hosting": {"open_models": ["llama-3.1-8b"], "gpus": ["l4-24gb"]},
        },
    )
    assert response.status_code == 200, response.text
    (used,) = response.json()["assumptions"]["api_models"]
    tiers = used["long_context_tiers"]
    assert tiers
    for tier in tiers:
        for name, value in tier.items():
            assert value is None or isinstance(value, int | float), (name, value)
    catalog = client.get(f"/v1/api-models/{slug}").json()
    assert tiers == catalog["long_context_tiers"]
