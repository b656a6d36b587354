"""Request ids, Prometheus metrics and structured logs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import ProgrammingError

from app.api import deps
from app.logs import configure_logging
from tests.conftest import reset_logging
from tests.factories import REQUEST, assert_problem


def test_a_sent_request_id_is_echoed_and_put_in_problems(client: TestClient) -> None:
    response = client.get("/v1/gpus/no-such-gpu", headers={"X-Request-ID": "trace-42.a"})
    assert response.headers["x-request-id"] == "trace-42.a"
    assert assert_problem(response, 404)["request_id"] == "trace-42.a"


@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 200, 'quote"d'])
def test_a_missing_or_odd_request_id_is_replaced(client: TestClient, sent: str | None) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}
    first = client.get("/healthz", headers=headers).headers["x-request-id"]
    second = client.get("/healthz", headers=headers).headers["x-request-id"]
    assert first != second
    assert len(first) == 32


def test_metrics_expose_route_histograms_and_compute_timings(client: TestClient) -> None:
    assert client.get("/v1/gpus").status_code == 200
    assert client.post("/v1/estimates", json=REQUEST).status_code == 200
    assert client.get("/v1/gpus/none").status_code == 404
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'http_request_duration_seconds_bucket{handler="/v1/gpus",le="0.1",method="GET"}' in text
    assert 'http_request_duration_seconds_count{handler="/v1/estimates",method="POST"}' in text
    assert 'http_requests_total{handler="/v1/gpus/{slug}",method="GET",status="404"}' in text
    assert 'estimator_compute_seconds_count{kind="estimate"}' in text
    assert "estimator_catalog_version 1.0" in text
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    yield stream
    reset_logging()


def test_logs_are_json_with_request_ids_and_no_parameters_or_sql(
    client: TestClient, json_logs: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.get("/v1/gpus", params={"q": "secret-search-term"}, headers={"X-Request-ID": "r-1"})

    def broken(*_args: object, **_kwargs: object) -> int:
        raise ProgrammingError(
            "SELECT hidden_column FROM gpus WHERE slug = %(slug)s", {"slug": "secret-value"}, None
        )

    monkeypatch.setattr(deps.catalog_service, "resolve_version", broken)
    failed = client.get("/v1/gpus", headers={"X-Request-ID": "r-2"})
    assert assert_problem(failed, 500)["request_id"] == "r-2"
    assert "hidden_column" not in failed.text
    # The connection stays usable: the error was answered, not re-raised to the server.
    assert failed.headers.get("connection") != "close"

    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    # The service's lines, not those of the test's own HTTP client.
    lines = [line for line in lines if not line["logger"].startswith("httpx")]
    output = "\n".join(json.dumps(line) for line in lines)
    access = [line for line in lines if line["event"] == "request"]
    assert [(a["request_id"], a["route"], a["status"]) for a in access] == [
        ("r-1", "/v1/gpus", 200),
        ("r-2", "/v1/gpus", 500),
    ]
    assert all("timestamp" in line and "level" in line for line in lines)
    assert output.count("Traceback (most recent call last)") == 1
    assert "ProgrammingError" in output
    for secret in ("secret-search-term", "secret-value", "hidden_column"):
        assert secret not in output


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/gpus"),
        ("GET", "/v1/gpus/h100-sxm-80gb"),
        ("GET", "/v1/gpus/"),
        ("POST", "/v1/performance"),
        ("GET", "/v1/performance"),
        ("GET", "/no/such/route"),
        ("GET", "/metrics"),
    ],
)
def test_metrics_name_routes_as_the_instrumentation_library_does(
    client: TestClient, method: str, path: str
) -> None:
    """The metrics middleware flattens the routes once; its templates are the library's."""
    from prometheus_fastapi_instrumentator.routing import get_route_name
    from starlette.requests import Request

    from app.api.observability import _FlatRoutesMiddleware

    app = client.app
    scope = {"type": "http", "method": method, "path": path, "headers": [], "app": app}
    scope.update(query_string=b"", root_path="")
    middleware = _FlatRoutesMiddleware(app, should_group_status_codes=False)
    library = get_route_name(Request(scope), should_include_root_path=False)
    assert middleware._get_handler(Request(scope)) == (library or path, library is not None)
