"""Every write operation shows a realistic request example in the OpenAPI document, and every
example works when sent; `GET /` points to the documentation."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.catalog.genai_import import load_api_models
from app.catalog.seed_data import load_gpu_offerings, load_gpus, load_open_models

WRITE_METHODS = ("post", "patch", "put")
CATALOGS = ("/v1/gpus", "/v1/gpu-offerings", "/v1/open-models", "/v1/api-models")
#: The catalog rows (packaged CSVs, pinned genai-prices data) create examples are copied from.
PACKAGED_ROWS = {
    "/v1/gpus": load_gpus,
    "/v1/gpu-offerings": load_gpu_offerings,
    "/v1/open-models": load_open_models,
}


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (path, method, operation)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method in WRITE_METHODS
    ]


def _examples(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    examples = {name: e["value"] for name, e in content.get("examples", {}).items()}
    if "example" in content:
        examples["example"] = content["example"]
    return examples


def test_every_write_operation_has_a_request_example(client: TestClient) -> None:
    operations = _operations(client)
    assert len(operations) >= 12
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations
        if "requestBody" in operation and not _examples(operation)
    ]
    assert missing == []
    # Write operations without a body take their input from the path and query alone.
    bodiless = {f"{m.upper()} {p}" for p, m, o in operations if "requestBody" not in o}
    assert bodiless == {"POST /v1/analyses/{analysis_id}/rerun"}


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _packaged_row(path: str, slug: str) -> dict[str, Any]:
    if path == "/v1/api-models":
        # The seeded API catalog: the pinned genai-prices data as of the test seed date.
        rows = [asdict(r) for r in load_api_models(as_of=dt.date(2026, 11, 30))]
    else:
        rows = [dict(r) for r in PACKAGED_ROWS[path]()]
    found = [r for r in rows if r["slug"] == slug]
    assert len(found) == 1, (path, slug)
    row = {k: _plain(v) for k, v in found[0].items()}
    # Tier prices are exact decimal strings in the data; the API takes and returns numbers.
    row["long_context_tiers"] = [
        {k: float(v) if k.startswith("usd_") and v is not None else v for k, v in tier.items()}
        for tier in row.get("long_context_tiers", [])
    ]
    return row


@pytest.mark.parametrize("path", CATALOGS)
def test_catalog_create_examples_are_real_rows_and_can_be_added(
    client: TestClient, admin: dict[str, str], path: str
) -> None:
    operation = client.get("/openapi.json").json()["paths"][path]["post"]
    for example in _examples(operation).values():
        row = _packaged_row(path, example["slug"])
        assert {k: row[k] for k in example} == example
        # The row is in the seeded catalog already; under a new slug the API adds it.
        copy = {**example, "slug": f"{example['slug']}-copy"}
        created = client.post(path, json=copy, headers=admin)
        assert created.status_code == 201, created.text


@pytest.mark.parametrize("path", CATALOGS)
def test_catalog_patch_examples_apply(client: TestClient, admin: dict[str, str], path: str) -> None:
    operation = client.get("/openapi.json").json()["paths"][f"{path}/{{slug}}"]["patch"]
    content = operation["requestBody"]["content"]["application/json"]
    for name, example in content["examples"].items():
        # Each PATCH example is named after the entry it changes.
        response = client.patch(f"{path}/{name}", json=example["value"], headers=admin)
        assert response.status_code == 200, response.text
        changed = response.json()
        for field, value in example["value"].items():
            assert changed[field] == value


def test_analysis_examples_save(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    create = _examples(paths["/v1/analyses"]["post"])
    assert len(create) >= 2
    for example in create.values():
        response = client.post("/v1/analyses", json=example)
        assert response.status_code == 201, response.text
    saved = response.json()
    for example in _examples(paths["/v1/analyses/{analysis_id}"]["patch"]).values():
        response = client.patch(f"/v1/analyses/{saved['id']}", json=example)
        assert response.status_code == 200, response.text


def test_performance_and_refresh_examples_are_accepted(
    client: TestClient, admin: dict[str, str]
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for example in _examples(paths["/v1/performance"]["post"]).values():
        response = client.post("/v1/performance", json=example)
        assert response.status_code == 200, response.text
    for example in _examples(paths["/v1/catalog/refresh"]["post"]).values():
        response = client.post("/v1/catalog/refresh", json=example, headers=admin)
        assert response.status_code == 200, response.text


def test_root_points_to_the_documentation(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    body = response.json()
    assert {body["docs"], body["redoc"], body["openapi"]} == {"/docs", "/redoc", "/openapi.json"}
    for pointer in ("docs", "redoc", "openapi"):
        assert client.get(body[pointer]).status_code == 200, pointer
    assert "/" not in client.get("/openapi.json").json()["paths"]  # not part of the API


def test_benchmark_examples_store_and_change(client: TestClient, admin: dict[str, str]) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for example in _examples(paths["/v1/benchmarks"]["post"]).values():
        response = client.post("/v1/benchmarks", json=example, headers=admin)
        assert response.status_code == 201, response.text
    patches = paths["/v1/benchmarks/{slug}"]["patch"]["requestBody"]["content"]
    for slug, example in patches["application/json"]["examples"].items():
        response = client.patch(f"/v1/benchmarks/{slug}", json=example["value"], headers=admin)
        assert response.status_code == 200, response.text
    for example in _examples(paths["/v1/benchmarks/import"]["post"]).values():
        response = client.post("/v1/benchmarks/import", json=example, headers=admin)
        assert response.status_code == 201, response.text
