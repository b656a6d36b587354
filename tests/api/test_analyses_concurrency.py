"""Parallel clients against a real server and a fresh database, with real commits.

Creates (some retried concurrently with the same Idempotency-Key), patches, deletes and re-runs
race each other; afterwards nothing may be lost, duplicated or torn, and no request may get a 5xx.
Runs on the backend chosen with `--db` (the PostgreSQL run is the one that matters).
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from app.db import migrations
from app.db.orm import Analysis
from app.db.session import build_engine, session_scope
from app.main import create_app
from app.services.catalog_sync import seed_catalogs
from tests.conftest import make_settings
from tests.factories import JSON, REQUEST

WORKERS = 8
CREATES = 12
RETRIED = 6  # of the creates, how many are sent twice at once with the same key
DELETED = 4
REVISED = 2


@pytest.fixture
def fresh_url(empty_database_url: str) -> str:
    """A migrated, seeded database of the kind under test, separate from the shared one."""
    engine = build_engine(empty_database_url)
    migrations.upgrade(engine)
    for session in session_scope(sessionmaker(bind=engine, expire_on_commit=False)):
        seed_catalogs(session, today=dt.date(2026, 11, 30))
    engine.dispose()
    return empty_database_url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(fresh_url: str) -> Iterator[str]:
    """uvicorn serving the app on a free localhost port, in a background thread."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(make_settings(fresh_url)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def _run(base: str, jobs: list[Callable[[httpx.Client], Any]]) -> list[Any]:
    """Run the jobs on WORKERS threads, one HTTP client (connection pool) per thread."""
    local = threading.local()
    clients: list[httpx.Client] = []

    def call(job: Callable[[httpx.Client], Any]) -> Any:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, timeout=120)
            clients.append(local.client)
        return job(local.client)

    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(call, jobs))
    finally:
        for client in clients:
            client.close()


def _body(i: int) -> dict[str, Any]:
    request = copy.deepcopy(REQUEST)
    request["workload"]["requests_per_day"] = 10_000 * (i + 1)
    return {"name": f"analysis-{i}", "tags": [f"n{i}"], "input": request}


def test_parallel_writes_lose_and_corrupt_nothing(server: str, fresh_url: str) -> None:
    rng = random.Random(20261130)
    keys = [f"conc-{i}-{uuid.uuid4()}" for i in range(CREATES)]

    def create(i: int) -> Callable[[httpx.Client], tuple[int, int, dict[str, Any]]]:
        def job(client: httpx.Client) -> tuple[int, int, dict[str, Any]]:
            r = client.post("/v1/analyses", json=_body(i), headers={"Idempotency-Key": keys[i]})
            return i, r.status_code, r.json()

        return job

    # Phase 1: every create, with the first RETRIED sent twice at once under the same key.
    jobs = [create(i) for i in range(CREATES)] + [create(i) for i in range(RETRIED)]
    rng.shuffle(jobs)
    outcomes = _run(server, jobs)
    assert all(status < 500 for _, status, _ in outcomes), outcomes
    by_index: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for i, status, body in outcomes:
        by_index.setdefault(i, []).append((status, body))
    created: dict[int, dict[str, Any]] = {}
    for i, answers in by_index.items():
        statuses = sorted(s for s, _ in answers)
        assert statuses == ([200, 201] if i < RETRIED else [201]), (i, answers)
        assert len({b["id"] for _, b in answers}) == 1, answers  # one analysis per key
        created[i] = next(b for s, b in answers if s == 201)

    # Phase 2: patches (two racing per analysis), deletes, re-runs saved as revisions, reads.
    deleted = set(range(DELETED))
    revised = set(range(DELETED, DELETED + REVISED))
    names = {i: {f"renamed-{i}-a", f"renamed-{i}-b"} for i in range(CREATES)}

    def patch(i: int, suffix: str) -> Callable[[httpx.Client], tuple[str, int, int]]:
        def job(client: httpx.Client) -> tuple[str, int, int]:
            r = client.patch(
                f"/v1/analyses/{created[i]['id']}",
                json={"name": f"renamed-{i}-{suffix}", "tags": [f"renamed-{i}-{suffix}"]},
            )
            return "patch", i, r.status_code

        return job

    def delete(i: int) -> Callable[[httpx.Client], tuple[str, int, int]]:
        def job(client: httpx.Client) -> tuple[str, int, int]:
            return "delete", i, client.delete(f"/v1/analyses/{created[i]['id']}").status_code

        return job

    revisions: dict[int, dict[str, Any]] = {}

    def rerun(i: int) -> Callable[[httpx.Client], tuple[str, int, int]]:
        def job(client: httpx.Client) -> tuple[str, int, int]:
            r = client.post(
                f"/v1/analyses/{created[i]['id']}/rerun", params={"save": True}, headers=JSON
            )
            if r.status_code == 200:
                revisions[i] = r.json()["revision"]
            return "rerun", i, r.status_code

        return job

    def read(i: int) -> Callable[[httpx.Client], tuple[str, int, int]]:
        def job(client: httpx.Client) -> tuple[str, int, int]:
            return "read", i, client.get(f"/v1/analyses/{created[i]['id']}").status_code

        return job

    jobs2: list[Callable[[httpx.Client], Any]] = []
    for i in range(CREATES):
        jobs2 += [patch(i, "a"), patch(i, "b"), read(i)]
    jobs2 += [delete(i) for i in deleted] + [rerun(i) for i in revised]
    rng.shuffle(jobs2)
    outcomes2 = _run(server, jobs2)
    assert all(status < 500 for _, _, status in outcomes2), outcomes2
    for kind, i, status in outcomes2:
        if kind == "delete" or (kind == "rerun"):
            assert status in {200, 204}, (kind, i, status)
        elif i in deleted:
            assert status in {200, 404}, (kind, i, status)  # before or after the delete
        else:
            assert status == 200, (kind, i, status)
    assert set(revisions) == revised

    # Afterwards: every surviving analysis is whole, consistent and holds its original numbers.
    with httpx.Client(base_url=server, timeout=60) as client:
        for i, original in created.items():
            r = client.get(f"/v1/analyses/{original['id']}")
            if i in deleted:
                assert r.status_code == 404
                continue
            assert r.status_code == 200
            now = r.json()
            assert now["name"] in names[i]
            assert now["tags"] == [now["name"]]  # name and tags came from the same patch
            assert now["input"] == original["input"]
            assert now["result"] == original["result"]
            assert now["catalog_snapshot"] == original["catalog_snapshot"]
        for i, revision in revisions.items():
            r = client.get(f"/v1/analyses/{revision['id']}")
            assert r.status_code == 200
            assert r.json()["parent_id"] == created[i]["id"]
            assert r.json()["result"] == revision["result"]
        listed = client.get("/v1/analyses", params={"limit": 500}).json()
    expected = CREATES - DELETED + REVISED
    assert listed["total"] == len(listed["items"]) == expected
    assert {item["id"] for item in listed["items"]} == {
        created[i]["id"] for i in created if i not in deleted
    } | {r["id"] for r in revisions.values()}

    engine = build_engine(fresh_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Analysis)) == expected
            keys_stored = conn.scalar(select(func.count(Analysis.idempotency_key.distinct())))
            assert keys_stored == CREATES - DELETED
    finally:
        engine.dispose()
