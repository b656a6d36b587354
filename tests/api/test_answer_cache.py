"""Repeated estimates and performance requests (app/services/response_cache.py): the same
request while the catalog is unchanged is answered byte for byte from the worker's cache; any
catalog change, and any change to the request, computes again; the cache is bounded and can be
turned off."""

from __future__ import annotations

import copy

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.services.response_cache import ResponseCache
from tests.api.test_catalog_cache import ESTIMATE, PERFORMANCE
from tests.conftest import make_settings

HIT = "llm-cost-estimator; hit"
MISS = "llm-cost-estimator; fwd=miss; stored"


def test_a_repeated_request_is_answered_from_the_cache(client: TestClient) -> None:
    first = client.post("/v1/estimates", json=ESTIMATE)
    second = client.post("/v1/estimates", json=ESTIMATE)
    assert first.status_code == second.status_code == 200, first.text
    assert first.headers["cache-status"] == MISS
    assert second.headers["cache-status"] == HIT
    assert second.content == first.content
    assert second.headers["content-type"] == "application/json"


def test_the_cached_answer_is_what_the_service_computes_without_a_cache(
    database_url: str, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    client.post("/v1/estimates", json=ESTIMATE)
    cached = client.post("/v1/estimates", json=ESTIMATE)
    assert cached.headers["cache-status"] == HIT
    app = create_app(make_settings(database_url, answer_cache_mb=0))
    with TestClient(app) as plain:
        app.state.sessionmaker = session_factory
        computed = plain.post("/v1/estimates", json=ESTIMATE)
    assert computed.status_code == 200
    assert "cache-status" not in computed.headers  # off: nothing said about a cache
    assert computed.content == cached.content


def test_a_different_request_is_computed(client: TestClient) -> None:
    client.post("/v1/estimates", json=ESTIMATE)
    other = copy.deepcopy(ESTIMATE)
    other["workload"]["requests_per_day"] = 60_000
    answer = client.post("/v1/estimates", json=other)
    assert answer.headers["cache-status"] == MISS
    assert answer.json()["requests_per_day"] == 60_000
    # Spelled differently, the same request: defaults written out, keys in another order.
    same = {
        "self_hosting": ESTIMATE["self_hosting"],
        "api_models": ESTIMATE["api_models"],
        "workload": {**ESTIMATE["workload"], "cached_input_share": 0.0},
    }
    assert client.post("/v1/estimates", json=same).headers["cache-status"] == HIT


def test_a_catalog_change_is_computed_at_once(client: TestClient, admin: dict[str, str]) -> None:
    before = client.post("/v1/estimates", json=ESTIMATE)
    assert client.post("/v1/estimates", json=ESTIMATE).headers["cache-status"] == HIT
    patched = client.patch(
        "/v1/api-models/openai--gpt-4o-mini",
        json={"usd_per_mtok_input": 1.5, "usd_per_mtok_output": 6.0},
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    after = client.post("/v1/estimates", json=ESTIMATE)
    assert after.headers["cache-status"] == MISS

    def api_cost(answer: dict[str, object]) -> float:
        options = answer["options"]
        assert isinstance(options, list)
        return next(o["monthly_cost_usd"] for o in options if o["kind"] == "api")

    # Token prices ten times higher (the API option also carries its people: not ten times).
    assert api_cost(after.json()) > api_cost(before.json()) * 1.5


def test_errors_are_not_cached(client: TestClient) -> None:
    bad = {**ESTIMATE, "api_models": ["no-such-model"]}
    for _ in range(2):
        answer = client.post("/v1/estimates", json=bad)
        assert answer.status_code == 422
        assert "cache-status" not in answer.headers


def test_the_cache_keeps_the_most_recently_used_within_its_bound() -> None:
    cache = ResponseCache(max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"5678")
    assert cache.get("a") == b"1234"  # now the most recently used
    cache.put("c", b"90ab")  # 12 bytes: the least recently used ("b") goes
    assert cache.get("b") is None
    assert cache.get("a") == b"1234"
    assert cache.get("c") == b"90ab"
    assert cache.stored_bytes == 8
    cache.put("huge", b"x" * 11)  # larger than the whole bound: not kept, nothing evicted
    assert cache.get("huge") is None
    assert len(cache) == 2
    cache.put("a", b"12")  # replaced, not counted twice
    assert cache.stored_bytes == 6


def test_a_zero_bound_turns_the_cache_off() -> None:
    cache = ResponseCache(max_bytes=0)
    assert not cache.enabled
    cache.put("a", b"1")
    assert cache.get("a") is None


def test_metrics_count_hits_and_misses(client: TestClient) -> None:
    def count(result: str) -> float:
        text = client.get("/metrics").text
        name = f'estimator_response_cache_requests_total{{kind="estimate",result="{result}"}}'
        lines = [line for line in text.splitlines() if line.startswith(name)]
        return float(lines[0].split()[-1]) if lines else 0.0

    hits, misses = count("hit"), count("miss")
    client.post("/v1/estimates", json=ESTIMATE)
    client.post("/v1/estimates", json=ESTIMATE)
    assert count("miss") == misses + 1
    assert count("hit") == hits + 1


def test_performance_answers_are_cached_and_follow_the_catalog(
    client: TestClient, admin: dict[str, str]
) -> None:
    first = client.post("/v1/performance", json=PERFORMANCE)
    second = client.post("/v1/performance", json=PERFORMANCE)
    assert first.headers["cache-status"] == MISS
    assert second.headers["cache-status"] == HIT
    assert second.content == first.content
    # An estimate with the same catalog state never answers a performance request.
    assert client.post("/v1/estimates", json=ESTIMATE).headers["cache-status"] == MISS
    patched = client.patch(
        "/v1/gpus/h100-sxm-80gb", json={"memory_bandwidth_gb_per_s": 1000.0}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    after = client.post("/v1/performance", json=PERFORMANCE)
    assert after.headers["cache-status"] == MISS
    assert after.json()["tpot_s"] > first.json()["tpot_s"] * 2
    bad = client.post("/v1/performance", json={**PERFORMANCE, "tensor_parallel": 3})
    assert bad.status_code == 422
