"""Optional OpenTelemetry tracing (app/tracing.py): off by default, spans when enabled."""

from __future__ import annotations

from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.tracing import tracer_provider
from tests.conftest import make_settings


def test_tracing_is_off_by_default(database_url: str) -> None:
    settings = make_settings(database_url)
    assert settings.tracing is False
    assert tracer_provider(settings) is None
    assert create_app(settings).state.tracer_provider is None


def test_enabled_tracing_records_a_span_per_request(
    database_url: str, session_factory: sessionmaker[Session]
) -> None:
    app = create_app(make_settings(database_url, tracing=True, tracing_exporter="none"))
    exported = InMemorySpanExporter()
    app.state.tracer_provider.add_span_processor(SimpleSpanProcessor(exported))
    with TestClient(app) as client:
        app.state.sessionmaker = session_factory
        assert client.get("/v1/gpus/h100-sxm-80gb").status_code == 200
        assert client.get("/v1/gpus/no-such-gpu").status_code == 404
    spans = exported.get_finished_spans()
    servers = [s for s in spans if s.kind.name == "SERVER"]
    assert [s.name for s in servers] == ["GET /v1/gpus/{slug}", "GET /v1/gpus/{slug}"]
    assert [s.attributes["http.response.status_code"] for s in servers] == [200, 404]
    # Child spans (dependencies, the endpoint) share the request's trace.
    assert {s.context.trace_id for s in spans} == {s.context.trace_id for s in servers}
    assert len(spans) > len(servers)
    assert servers[0].resource.attributes["service.name"] == "llm-cost-estimator"
