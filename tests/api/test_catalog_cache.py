"""The in-process catalog cache (app/services/catalog_cache.py): hot paths read the catalog's
state in one query, and every catalog change, however it is made, is served at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from app.api.routes.estimates import SUPPORT_CHATBOT
from app.db import migrations
from app.db.orm import CatalogVersion, Gpu
from app.db.session import build_engine, session_scope
from app.main import create_app
from app.services import catalog_cache
from app.services.catalog_resources import GPUS
from app.services.catalog_sync import seed_catalogs
from tests.conftest import make_settings

PERFORMANCE = {
    "model": "llama-3.1-8b",
    "gpu": "h100-sxm-80gb",
    "tensor_parallel": 1,
    "precision": "fp8",
    "input_tokens": 1000,
    "output_tokens": 500,
}
CHATBOT = SUPPORT_CHATBOT["value"]
ESTIMATE = {
    "workload": {"requests_per_day": 50_000, "input_tokens": 800, "output_tokens": 300},
    "api_models": ["openai--gpt-4o-mini"],
    "self_hosting": {"open_models": ["llama-3.1-8b"], "gpus": ["h100-sxm-80gb"]},
}


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]).split()[0])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_hot_paths_read_only_the_catalog_state_once_warm(
    client: TestClient, engine: Engine
) -> None:
    for path, body in (("/v1/performance", PERFORMANCE), ("/v1/estimates", ESTIMATE)):
        assert client.post(path, json=body).status_code == 200
        with _statements(engine) as seen:
            assert client.post(path, json=body).status_code == 200
        selects = [s for s in seen if s.upper() == "SELECT"]
        # The state of catalog_versions (which keys the cache).
        assert len(selects) <= 1, (path, seen)


def test_a_patch_is_served_by_the_next_request(client: TestClient, admin: dict[str, str]) -> None:
    before = client.post("/v1/performance", json=PERFORMANCE).json()
    patched = client.patch(
        "/v1/gpus/h100-sxm-80gb", json={"memory_bandwidth_gb_per_s": 1000.0}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    after = client.post("/v1/performance", json=PERFORMANCE).json()
    # The version the patch wrote (ids come from a sequence: on PostgreSQL, versions that
    # earlier tests rolled back leave gaps, so it is not always before + 1).
    assert after["catalog_version"] == patched.json()["valid_from_version"]
    assert after["catalog_version"] > before["catalog_version"]
    # Decode reads the weights once per step: a third of the bandwidth is a slower TPOT.
    assert after["tpot_s"] > before["tpot_s"] * 2
    # The old version still answers as it was.
    old = client.post(
        "/v1/performance", json={**PERFORMANCE, "catalog_version": before["catalog_version"]}
    ).json()
    assert old["tpot_s"] == before["tpot_s"]


def test_quality_scores_are_cached_and_a_changed_score_is_served_at_once(
    client: TestClient, engine: Engine, admin: dict[str, str]
) -> None:
    body = {k: v for k, v in CHATBOT.items() if k not in ("routing", "ranges")}
    before = client.post("/v1/estimates", json=body)
    assert before.status_code == 200, before.text
    # Another workload, so that the estimate is computed (not an answer kept for the same body).
    other = {**body, "workload": {**body["workload"], "users": body["workload"]["users"] + 1}}
    with _statements(engine) as seen:
        assert client.post("/v1/estimates", json=other).status_code == 200
    # Warm, the quality bar's scores come from the cache too: only the catalog state is read.
    assert [s for s in seen if s.upper() == "SELECT"] == ["SELECT"], seen
    verdicts = {v["model"]: v for v in before.json()["quality"]["verdicts"]}
    assert not verdicts["llama-3.1-8b"]["meets_bar"]
    patched = client.patch(
        "/v1/quality-scores/llama-3.1-8b", json={"gpqa_diamond": 99.0}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    after = client.post("/v1/estimates", json=body).json()
    verdicts = {v["model"]: v for v in after["quality"]["verdicts"]}
    assert verdicts["llama-3.1-8b"]["meets_bar"]


def test_a_deleted_entry_is_gone_at_once(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/v1/estimates", json=ESTIMATE).status_code == 200
    l4 = client.get("/v1/gpus/l4-24gb").json()
    for history in ("valid_from_version", "valid_to_version"):
        l4.pop(history)
    created = client.post("/v1/gpus", json={**l4, "slug": "cache-test-gpu"}, headers=admin)
    assert created.status_code == 201, created.text
    body = {**ESTIMATE, "self_hosting": {**ESTIMATE["self_hosting"], "gpus": ["cache-test-gpu"]}}
    assert client.post("/v1/estimates", json=body).status_code == 200
    assert client.delete("/v1/gpus/cache-test-gpu", headers=admin).status_code == 204
    gone = client.post("/v1/estimates", json=body)
    assert gone.status_code == 422, gone.text
    assert "cache-test-gpu" in gone.json()["detail"]


def test_a_change_committed_elsewhere_is_served_at_once(empty_database_url: str) -> None:
    """Another worker (here: another engine on the same database) commits a change."""
    setup = build_engine(empty_database_url)
    migrations.upgrade(setup)
    for session in session_scope(sessionmaker(bind=setup)):
        seed_catalogs(session, today=dt.date(2026, 11, 30))
    app = create_app(make_settings(empty_database_url))
    with TestClient(app) as client:
        before = client.post("/v1/performance", json=PERFORMANCE).json()
        for session in session_scope(sessionmaker(bind=setup), write=True):
            version = CatalogVersion(
                created_at=dt.datetime.now(dt.UTC), action="update", note="", rows_changed=1
            )
            session.add(version)
            session.flush()
            gpu = session.scalar(
                select(Gpu).where(Gpu.slug == "h100-sxm-80gb", Gpu.valid_to_version.is_(None))
            )
            assert gpu is not None
            values = {c.key: getattr(gpu, c.key) for c in Gpu.__table__.columns if c.key != "id"}
            gpu.valid_to_version = version.id
            values.update(valid_from_version=version.id, valid_to_version=None)
            values["memory_bandwidth_gb_per_s"] = 1000.0
            session.add(Gpu(**values))
        after = client.post("/v1/performance", json=PERFORMANCE).json()
    setup.dispose()
    assert after["catalog_version"] == before["catalog_version"] + 1
    assert after["tpot_s"] > before["tpot_s"] * 2


def test_a_version_committed_out_of_order_changes_the_state(session: Session) -> None:
    """Two PostgreSQL writers may commit versions out of order: the newest id then stays the
    same while what it shows changes, so the number of versions is part of the key."""
    latest = catalog_cache.resolve_version(session)
    now = dt.datetime.now(dt.UTC)
    session.add(CatalogVersion(id=latest + 5, created_at=now, action="t", note="", rows_changed=0))
    session.flush()
    first = catalog_cache.catalog_state(session)
    rows_before = catalog_cache.entries(session, GPUS, None, latest + 5)
    # Version latest + 2 commits after latest + 5, with a GPU visible at latest + 5.
    earlier = now - dt.timedelta(seconds=1)
    session.add(
        CatalogVersion(id=latest + 2, created_at=earlier, action="t", note="", rows_changed=1)
    )
    h100 = catalog_cache.find_row(session, GPUS, "h100-sxm-80gb", latest)
    assert h100 is not None
    values = {k: v for k, v in h100.items() if k not in ("id", "valid_to_version")}
    session.add(Gpu(**{**values, "slug": "late-gpu", "valid_from_version": latest + 2}))
    session.flush()
    second = catalog_cache.catalog_state(session)
    assert second.latest == first.latest
    assert second != first
    rows_after = catalog_cache.entries(session, GPUS, None, latest + 5)
    assert {r["slug"] for r in rows_after} - {r["slug"] for r in rows_before} == {"late-gpu"}


def test_rows_handed_out_are_copies(session: Session) -> None:
    latest = catalog_cache.resolve_version(session)
    row = catalog_cache.find_row(session, GPUS, "h100-sxm-80gb", latest)
    assert row is not None
    row["memory_gb"] = -1
    again = catalog_cache.find_row(session, GPUS, "h100-sxm-80gb", latest)
    assert again is not None
    assert again["memory_gb"] != -1


def test_values_kept_per_state_are_bounded(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys may carry request values (a re-fit's derate): the cache must not grow with them."""
    catalog_cache.clear()  # this state's values so far belong to earlier tests
    monkeypatch.setattr(catalog_cache, "MAX_VALUES_PER_STATE", 3)
    latest = catalog_cache.resolve_version(session)
    built: list[int] = []
    for n in range(6):
        assert (
            catalog_cache.derived(session, latest, ("t", n), lambda n=n: built.append(n) or n) == n
        )
    assert catalog_cache.derived(session, latest, ("t", 5), lambda: built.append(-1) or 5) == 5
    assert built == [0, 1, 2, 3, 4, 5, -1]  # past the bound, computed every time
    assert catalog_cache.derived(session, latest, ("t", 0), lambda: built.append(-2) or 0) == 0
    assert built[-1] == -1  # within the bound, kept
