"""`/v1/fine-tuning-prices`: a versioned catalog of hosted fine-tuning, editable by admins."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_catalog_api import assert_problem


def new_price(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": "openai--gpt-4.1-mini-fine-tuning",
        "api_model_slug": "openai--gpt-4.1-mini",
        "usd_per_mtok_training": 5.0,
        "usd_per_mtok_input": 0.8,
        "usd_per_mtok_output": 3.2,
        "source": "unit test fixture",
        "as_of": "2026-11-01",
    }
    body.update(overrides)
    return body


def test_seeded_prices_have_sources(client: TestClient) -> None:
    page = client.get("/v1/fine-tuning-prices", params={"api_model_slug": "openai--gpt-4o-mini"})
    assert page.status_code == 200
    [item] = page.json()["items"]
    assert item["usd_per_mtok_training"] == 3.0
    assert (item["usd_per_mtok_input"], item["usd_per_mtok_output"]) == (0.3, 1.2)
    assert "OpenAI" in item["source"]
    assert item["as_of"] == "2026-04-01"


def test_create_update_delete_with_history(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post("/v1/fine-tuning-prices", json=new_price(), headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/v1/fine-tuning-prices/openai--gpt-4.1-mini-fine-tuning"
    version = created.json()["valid_from_version"]
    patched = client.patch(
        "/v1/fine-tuning-prices/openai--gpt-4.1-mini-fine-tuning",
        json={"usd_per_mtok_training": 4.0},
        headers=admin,
    )
    assert patched.status_code == 200
    assert patched.json()["usd_per_mtok_training"] == 4.0
    old = client.get(
        "/v1/fine-tuning-prices/openai--gpt-4.1-mini-fine-tuning", params={"version": version}
    )
    assert old.json()["usd_per_mtok_training"] == 5.0
    deleted = client.delete(
        "/v1/fine-tuning-prices/openai--gpt-4.1-mini-fine-tuning", headers=admin
    )
    assert deleted.status_code == 204
    assert_problem(client.get("/v1/fine-tuning-prices/openai--gpt-4.1-mini-fine-tuning"), 404)


def test_price_must_name_a_known_api_model_and_protects_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    before = client.get("/v1/fine-tuning-prices").json()["total"]
    bad = new_price(api_model_slug="no-such-model")
    assert_problem(client.post("/v1/fine-tuning-prices", json=bad, headers=admin), 422)
    assert_problem(
        client.post(
            "/v1/fine-tuning-prices", json=new_price(usd_per_mtok_training=-1), headers=admin
        ),
        422,
    )
    assert client.get("/v1/fine-tuning-prices").json()["total"] == before
    body = assert_problem(client.delete("/v1/api-models/openai--gpt-4o-mini", headers=admin), 409)
    assert body["fine_tuning_prices"] == ["openai--gpt-4o-mini-fine-tuning"]


def test_writes_need_an_admin_key(client: TestClient) -> None:
    assert_problem(client.post("/v1/fine-tuning-prices", json=new_price()), 401)
