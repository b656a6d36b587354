"""A database outage: every affected endpoint answers 503 with Retry-After on a connection that
stays usable, liveness stays up, and service resumes by itself when the database returns.

The test runs its own PostgreSQL instance, so it can crash and restart it."""

from __future__ import annotations

import time

import httpx

from tests.conftest import make_settings
from tests.factories import body
from tests.ops.servers import TemporaryPostgres, exchange_on_one_connection, running_app

AFFECTED = ["/v1/gpus", "/v1/gpus/h100-sxm-80gb", "/v1/analyses", "/v1/catalog/versions"]


def test_a_database_outage_is_a_503_and_service_resumes() -> None:
    postgres = TemporaryPostgres()
    postgres.start()
    try:
        url = postgres.create_database("estimator")
        settings = make_settings(url, auto_migrate=True)
        with running_app(settings) as base, httpx.Client(base_url=base, timeout=30) as http:
            assert http.get("/v1/gpus").status_code == 200
            postgres.stop()

            for path in AFFECTED:
                response = http.get(path)
                assert response.status_code == 503, (path, response.text)
                assert response.headers["retry-after"] == "5"
                assert response.headers.get("connection") != "close"
                problem = response.json()
                assert problem["type"].endswith("/database-unavailable")
                assert problem["request_id"] == response.headers["x-request-id"]
            assert http.post("/v1/analyses", json=body()).status_code == 503
            assert http.post("/v1/estimates", json=body()["input"]).status_code == 503
            assert http.get("/healthz").status_code == 200
            assert http.get("/readyz").status_code == 503
            # The 503s leave the connection open: several requests in a row on one connection.
            answers = exchange_on_one_connection(base, [*AFFECTED, "/healthz", *AFFECTED])
            assert [status for status, _ in answers] == [503] * 4 + [200] + [503] * 4
            assert all(headers.get("connection") != "close" for _, headers in answers)

            postgres.start()
            restarted = time.monotonic()
            while http.get("/v1/gpus").status_code != 200:
                assert time.monotonic() - restarted < 15, "no recovery within 15 s"
                time.sleep(0.1)
            created = http.post("/v1/analyses", json=body())
            assert created.status_code == 201, created.text
            assert http.get(f"/v1/analyses/{created.json()['id']}").status_code == 200
            assert http.get("/readyz").status_code == 200
    finally:
        postgres.remove()
