"""The catalog REST API end to end: reads, versioned writes, auth and problem responses."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import (
    REQUIRED_GPU_SLUGS,
    REQUIRED_MODEL_SLUGS,
    REQUIRED_PROVIDERS,
    assert_problem,
    versions_total,
)

# The slugs the catalog must serve are listed once, beside the seed-data checks.
REQUIRED_GPUS = sorted(REQUIRED_GPU_SLUGS)
REQUIRED_OPEN_MODELS = sorted(REQUIRED_MODEL_SLUGS)


def new_gpu(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": "test-accel-64gb",
        "name": "Test Accelerator 64GB",
        "vendor": "testco",
        "memory_gb": 64,
        "memory_bandwidth_gb_per_s": 2000,
        "bf16_tflops": 400,
        "fp8_tflops": 800,
        "interconnect": "pcie",
        "interconnect_gb_per_s": 32,
        "max_gpus_per_node": 8,
        "tdp_w": 350,
        "list_price_usd": 12000.5,
        "source": "unit test fixture",
        "as_of": "2026-11-01",
    }
    body.update(overrides)
    return body


# --- seeded content ---------------------------------------------------------------------------


@pytest.mark.parametrize("slug", REQUIRED_GPUS)
def test_required_gpus_are_seeded_with_sources(client: TestClient, slug: str) -> None:
    body = client.get(f"/v1/gpus/{slug}").json()
    assert body["slug"] == slug
    assert body["memory_gb"] > 0
    assert body["memory_bandwidth_gb_per_s"] > 0
    assert len(body["source"]) > 10
    assert body["as_of"] <= "2026-11-30"


@pytest.mark.parametrize("slug", REQUIRED_OPEN_MODELS)
def test_required_open_models_are_seeded_with_sources(client: TestClient, slug: str) -> None:
    body = client.get(f"/v1/open-models/{slug}").json()
    assert body["slug"] == slug
    assert body["active_params_b"] <= body["total_params_b"]
    assert "config" in body["source"].lower() or "huggingface" in body["source"].lower()


@pytest.mark.parametrize("provider", REQUIRED_PROVIDERS)
def test_api_model_providers_are_seeded(client: TestClient, provider: str) -> None:
    page = client.get("/v1/api-models", params={"provider": provider, "limit": 5}).json()
    assert page["total"] > 0, provider
    for item in page["items"]:
        assert item["source"].startswith("genai-prices")
        assert item["usd_per_mtok_output"] >= 0


def test_offerings_cover_hyperscalers_and_gpu_clouds(client: TestClient) -> None:
    items = client.get("/v1/gpu-offerings", params={"limit": 500}).json()["items"]
    providers = {item["provider"] for item in items}
    assert {"aws", "gcp", "azure"} <= providers
    assert len(providers - {"aws", "gcp", "azure"}) >= 3


# --- lists --------------------------------------------------------------------------------------


def test_list_paginates_with_total(client: TestClient) -> None:
    first = client.get("/v1/gpus", params={"limit": 3, "offset": 0}).json()
    second = client.get("/v1/gpus", params={"limit": 3, "offset": 3}).json()
    assert first["total"] == second["total"] >= len(REQUIRED_GPUS)
    assert len(first["items"]) == 3
    slugs = [g["slug"] for g in first["items"] + second["items"]]
    assert len(set(slugs)) == 6
    assert slugs == sorted(slugs)


def test_list_sorts_descending_and_filters(client: TestClient) -> None:
    page = client.get("/v1/gpus", params={"sort": "-memory_gb", "vendor": "nvidia"}).json()
    memories = [g["memory_gb"] for g in page["items"]]
    assert memories == sorted(memories, reverse=True)
    assert {g["vendor"] for g in page["items"]} == {"nvidia"}


def test_text_search_is_case_insensitive(client: TestClient) -> None:
    page = client.get("/v1/open-models", params={"q": "LLAMA-3.1"}).json()
    assert {"llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"} <= {m["slug"] for m in page["items"]}
    assert all("llama-3.1" in m["slug"] or "llama-3.1" in m["name"].lower() for m in page["items"])


def test_sorting_by_unknown_field_is_a_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/gpus", params={"sort": "password"}), 422)
    assert body["errors"][0]["loc"] == "query.sort"


def test_bad_paging_is_a_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/gpus", params={"limit": 0, "offset": -1}), 422)
    assert {e["loc"] for e in body["errors"]} == {"query.limit", "query.offset"}


# --- writes and versions ------------------------------------------------------------------------


def test_create_returns_201_location_and_new_version(
    client: TestClient, admin: dict[str, str]
) -> None:
    before = versions_total(client)
    response = client.post("/v1/gpus", json=new_gpu(), headers=admin)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/gpus/test-accel-64gb"
    body = response.json()
    assert body["list_price_usd"] == 12000.5
    assert versions_total(client) == before + 1
    latest = client.get("/v1/catalog/versions", params={"limit": 1}).json()["items"][0]
    assert (latest["action"], latest["resource"], latest["slug"]) == (
        "create",
        "gpus",
        "test-accel-64gb",
    )
    assert body["valid_from_version"] == latest["id"]
    assert client.get(response.headers["location"]).json() == body


def test_duplicate_slug_is_a_conflict_and_changes_nothing(
    client: TestClient, admin: dict[str, str]
) -> None:
    before = versions_total(client)
    assert_problem(client.post("/v1/gpus", json=new_gpu(slug="h100-sxm-80gb"), headers=admin), 409)
    assert versions_total(client) == before


def test_update_keeps_history_readable_by_version_and_as_of(
    client: TestClient, admin: dict[str, str]
) -> None:
    original = client.get("/v1/api-models/openai--gpt-4o").json()
    old_version = client.get("/v1/catalog/versions", params={"limit": 1}).json()["items"][0]
    response = client.patch(
        "/v1/api-models/openai--gpt-4o", json={"usd_per_mtok_input": 1.75}, headers=admin
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["usd_per_mtok_input"] == 1.75
    assert updated["usd_per_mtok_output"] == original["usd_per_mtok_output"]
    assert updated["valid_from_version"] > old_version["id"]
    at_old = client.get("/v1/api-models/openai--gpt-4o", params={"version": old_version["id"]})
    assert at_old.json()["usd_per_mtok_input"] == original["usd_per_mtok_input"]
    assert at_old.json()["valid_to_version"] == updated["valid_from_version"]
    at_time = client.get(
        "/v1/api-models/openai--gpt-4o", params={"as_of": old_version["created_at"]}
    )
    assert at_time.json()["usd_per_mtok_input"] == original["usd_per_mtok_input"]
    listed = client.get(
        "/v1/api-models", params={"model_id": "gpt-4o", "provider": "openai"}
    ).json()
    assert [m["usd_per_mtok_input"] for m in listed["items"]] == [1.75]


def test_update_that_changes_nothing_makes_no_version(
    client: TestClient, admin: dict[str, str]
) -> None:
    current = client.get("/v1/gpus/h100-sxm-80gb").json()
    before = versions_total(client)
    response = client.patch(
        "/v1/gpus/h100-sxm-80gb", json={"tdp_w": current["tdp_w"]}, headers=admin
    )
    assert response.status_code == 200
    assert versions_total(client) == before


def test_patch_cannot_null_a_required_field(client: TestClient, admin: dict[str, str]) -> None:
    body = assert_problem(
        client.patch("/v1/gpus/h100-sxm-80gb", json={"memory_gb": None}, headers=admin), 422
    )
    assert "memory_gb" in body["detail"]


def test_patch_revalidates_the_whole_entry(client: TestClient, admin: dict[str, str]) -> None:
    before = versions_total(client)
    body = assert_problem(
        client.patch("/v1/open-models/llama-3.1-8b", json={"active_params_b": 9000}, headers=admin),
        422,
    )
    assert "active_params_b" in body["detail"]
    assert versions_total(client) == before


def test_delete_closes_entry_but_history_keeps_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post("/v1/gpus", json=new_gpu(), headers=admin).json()
    response = client.delete("/v1/gpus/test-accel-64gb", headers=admin)
    assert response.status_code == 204
    assert_problem(client.get("/v1/gpus/test-accel-64gb"), 404)
    old = client.get("/v1/gpus/test-accel-64gb", params={"version": created["valid_from_version"]})
    assert old.status_code == 200
    assert_problem(client.delete("/v1/gpus/test-accel-64gb", headers=admin), 404)
    # The slug is free again.
    assert client.post("/v1/gpus", json=new_gpu(), headers=admin).status_code == 201


def test_gpu_used_by_offerings_cannot_be_deleted(client: TestClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.delete("/v1/gpus/h100-sxm-80gb", headers=admin), 409)
    assert body["offerings"]


def test_offering_must_reference_a_known_gpu(client: TestClient, admin: dict[str, str]) -> None:
    offering = {
        "slug": "test-cloud-x1",
        "provider": "testcloud",
        "instance_type": "x1",
        "gpu_slug": "no-such-gpu",
        "gpu_count": 1,
        "usd_per_hour_on_demand": 2.5,
        "source": "unit test",
        "as_of": "2026-11-01",
    }
    assert_problem(client.post("/v1/gpu-offerings", json=offering, headers=admin), 422)
    offering["gpu_slug"] = "h100-sxm-80gb"
    assert client.post("/v1/gpu-offerings", json=offering, headers=admin).status_code == 201


def test_money_is_exact_to_nine_places(client: TestClient, admin: dict[str, str]) -> None:
    model = {
        "slug": "test--tiny",
        "provider": "test",
        "provider_name": "Test",
        "model_id": "tiny",
        "name": "Tiny",
        "usd_per_mtok_input": "0.123456789",
        "usd_per_mtok_output": 0.1,
        "long_context_tiers": [{"above_input_tokens": 200000, "usd_per_mtok_input": "0.3"}],
        "source": "unit test",
        "as_of": "2026-11-01",
    }
    response = client.post("/v1/api-models", json=model, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["usd_per_mtok_input"] == 0.123456789
    assert response.json()["long_context_tiers"][0]["usd_per_mtok_input"] == 0.3
    model.update(slug="test--tinier", usd_per_mtok_input="0.1234567891")
    body = assert_problem(client.post("/v1/api-models", json=model, headers=admin), 422)
    assert body["errors"][0]["loc"] == "body.usd_per_mtok_input"


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("memory_gb", -1),
        ("memory_gb", 0),
        ("memory_gb", 1e300),
        ("bf16_tflops", "NaN"),
        ("tdp_w", "Infinity"),
        ("max_gpus_per_node", 2.5),
        ("interconnect", "carrier-pigeon"),
        ("slug", "Has Spaces"),
        ("as_of", "yesterday"),
        ("list_price_usd", -5),
        ("surprise", 1),
    ],
)
def test_bad_fields_are_problems_that_change_nothing(
    client: TestClient, admin: dict[str, str], field: str, value: object
) -> None:
    before = versions_total(client)
    body = assert_problem(
        client.post("/v1/gpus", json=new_gpu(**{field: value}), headers=admin), 422
    )
    assert any(e["loc"] == f"body.{field}" for e in body["errors"]), body
    assert versions_total(client) == before
    assert_problem(client.get("/v1/gpus/test-accel-64gb"), 404)


def test_nan_literal_in_json_is_rejected(client: TestClient, admin: dict[str, str]) -> None:
    raw = '{"slug": "x", "memory_gb": NaN}'
    response = client.post(
        "/v1/gpus", content=raw, headers={**admin, "content-type": "application/json"}
    )
    assert_problem(response, 422)


def test_malformed_json_is_a_problem(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/v1/gpus", content="{not json", headers={**admin, "content-type": "application/json"}
    )
    assert_problem(response, 422)


def test_wrong_media_type_is_415(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/v1/gpus", content="memory=80", headers={**admin, "content-type": "text/plain"}
    )
    assert_problem(response, 415)


def test_oversized_body_is_413(client: TestClient, admin: dict[str, str]) -> None:
    huge = new_gpu(source="x" * 2_000_000)
    assert_problem(client.post("/v1/gpus", json=huge, headers=admin), 413)


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404)
    assert_problem(client.put("/v1/gpus/h100-sxm-80gb", json={}), 405)


def test_unknown_catalog_version_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/gpus", params={"version": 999999}), 404)
    assert_problem(client.get("/v1/gpus", params={"as_of": "1999-01-01T00:00:00Z"}), 404)


# --- auth -----------------------------------------------------------------------------------------


def test_writes_need_an_admin_key(client: TestClient) -> None:
    response = client.post("/v1/gpus", json=new_gpu())
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    wrong = {"Authorization": "Bearer not-the-key"}
    assert_problem(client.post("/v1/gpus", json=new_gpu(), headers=wrong), 403)
    assert_problem(client.delete("/v1/gpus/h100-sxm-80gb", headers=wrong), 403)
    assert_problem(client.post("/v1/catalog/refresh", headers={"Authorization": "Basic x"}), 401)


def test_reads_can_require_a_key(database_url: str, engine: Any, session_factory: Any) -> None:
    from app.main import create_app
    from tests.conftest import ADMIN_KEY, make_settings

    settings = make_settings(database_url, require_api_key_for_reads=True, read_api_keys=["reader"])
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.sessionmaker = session_factory
        assert_problem(client.get("/v1/gpus"), 401)
        assert_problem(client.get("/v1/gpus", headers={"Authorization": "Bearer nope"}), 403)
        assert client.get("/v1/gpus", headers={"Authorization": "Bearer reader"}).status_code == 200
        assert (
            client.get("/v1/gpus", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).status_code
            == 200
        )
        assert client.get("/healthz").status_code == 200


# --- refresh and probes -------------------------------------------------------------------------


def test_refresh_without_changes_makes_no_version(
    client: TestClient, admin: dict[str, str]
) -> None:
    before = versions_total(client)
    response = client.post(
        "/v1/catalog/refresh", json={"prices_as_of": "2026-11-30"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["changed"] is False
    assert versions_total(client) == before


def test_refresh_restores_package_prices_as_a_new_version(
    client: TestClient, admin: dict[str, str]
) -> None:
    original = client.get("/v1/api-models/openai--gpt-4o").json()
    client.patch("/v1/api-models/openai--gpt-4o", json={"usd_per_mtok_input": 99}, headers=admin)
    response = client.post(
        "/v1/catalog/refresh", json={"prices_as_of": "2026-11-30"}, headers=admin
    )
    body = response.json()
    assert body["changed"] is True
    assert body["updated"] == 1
    assert (body["added"], body["removed"]) == (0, 0)
    restored = client.get("/v1/api-models/openai--gpt-4o").json()
    assert restored["usd_per_mtok_input"] == original["usd_per_mtok_input"]
    assert restored["valid_from_version"] == body["catalog_version"]


def test_probes(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "database": None, "revision": None}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"


def test_unexpected_errors_are_logged_problems_without_internals(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from app.services import catalog as catalog_service

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internal detail: password=hunter2")

    monkeypatch.setattr(catalog_service, "list_entries", explode)
    body = assert_problem(client.get("/v1/gpus"), 500)
    assert "hunter2" not in str(body)
    assert "RuntimeError" not in str(body)
    assert any("hunter2" in r.getMessage() or r.exc_info for r in caplog.records)
