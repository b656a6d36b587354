"""`/v1/quality-scores`: seeded with sources, versioned, editable by admins."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.catalog.seed_data import load_open_models, load_quality_scores


def test_seeded_scores_have_sources_and_name_catalog_models(client: TestClient) -> None:
    body = client.get("/v1/quality-scores", params={"limit": 200}).json()
    by_slug = {item["slug"]: item for item in body["items"]}
    assert by_slug["openai--gpt-4o"]["mmlu_pro"] == 72.6  # DeepSeek-V3 README, GPT-4o 0513
    assert by_slug["llama-3.1-70b"]["gpqa_diamond"] == 48.0  # Meta Llama 3.3 model card
    open_slugs = {row["slug"] for row in load_open_models()}
    for item in body["items"]:
        assert item["source"].count("https://") >= 1
        if item["model_kind"] == "open":
            assert item["slug"] in open_slugs
        else:
            assert client.get(f"/v1/api-models/{item['slug']}").status_code == 200, item["slug"]
    assert len(body["items"]) == len(load_quality_scores())


def test_admin_can_add_change_and_delete_scores_with_history(
    client: TestClient, admin: dict[str, str]
) -> None:
    new = {
        "slug": "mistral-7b",
        "name": "Mistral 7B",
        "model_kind": "open",
        "mmlu_pro": 30.0,
        "source": "our own evaluation, run 2026-12-01",
        "as_of": "2026-12-01",
    }
    created = client.post("/v1/quality-scores", json=new, headers=admin)
    assert created.status_code == 201
    assert created.headers["location"] == "/v1/quality-scores/mistral-7b"
    version = created.json()["valid_from_version"]
    changed = client.patch(
        "/v1/quality-scores/mistral-7b", json={"mmlu_pro": 31.5}, headers=admin
    ).json()
    assert changed["mmlu_pro"] == 31.5
    old = client.get("/v1/quality-scores/mistral-7b", params={"version": version}).json()
    assert old["mmlu_pro"] == 30.0
    assert client.delete("/v1/quality-scores/mistral-7b", headers=admin).status_code == 204
    assert client.get("/v1/quality-scores/mistral-7b").status_code == 404


def test_bad_scores_are_problems(client: TestClient, admin: dict[str, str]) -> None:
    bad = {
        "slug": "x",
        "name": "X",
        "model_kind": "open",
        "mmlu_pro": 140.0,
        "source": "nowhere",
        "as_of": "2026-12-01",
    }
    response = client.post("/v1/quality-scores", json=bad, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.post("/v1/quality-scores", json={**bad, "mmlu_pro": 40.0}).status_code in (
        401,
        403,
    )
