"""Optional OpenTelemetry tracing, off by default.

FastAPI (0.165+) records a span for every request, with child spans for dependency resolution,
the endpoint and serialisation, as soon as it is given a tracer provider. This module builds
that provider from the settings, only when `TRACING=true`:

* `TRACING_EXPORTER=console` (the default once tracing is on): spans as JSON on stdout;
* `TRACING_EXPORTER=otlp`: the OTLP/HTTP exporter, configured by the standard
  `OTEL_EXPORTER_OTLP_*` variables (needs `opentelemetry-exporter-otlp-proto-http`);
* `TRACING_EXPORTER=none`: spans are made (trace ids propagate) but sent nowhere.

Nothing reaches the network unless OTLP is chosen. The SDK is the `tracing` extra
(`pip install llm-cost-estimator[tracing]`); asking for tracing without it fails at start-up
with a message saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app import __version__

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from app.settings import Settings

SERVICE_NAME = "llm-cost-estimator"


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """A tracer provider for the app, or None when tracing is off."""
    if not settings.tracing:
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "TRACING=true needs the OpenTelemetry SDK: pip install 'llm-cost-estimator[tracing]'"
        ) from exc
    resource = Resource.create({"service.name": SERVICE_NAME, "service.version": __version__})
    provider = TracerProvider(resource=resource)
    exporter: Any = None
    if settings.tracing_exporter == "console":
        exporter = ConsoleSpanExporter()
    elif settings.tracing_exporter == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found,unused-ignore]
                OTLPSpanExporter,
            )
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise RuntimeError(
                "TRACING_EXPORTER=otlp needs opentelemetry-exporter-otlp-proto-http"
            ) from exc
        exporter = OTLPSpanExporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def telemetry_config(provider: TracerProvider | None) -> dict[str, Any]:
    """FastAPI's `telemetry` argument: spans only, from our provider, when there is one.

    Metrics stay with Prometheus (`/metrics`) and logs with structlog, so FastAPI's own OTel
    metrics and logs are off; with no provider, FastAPI's request telemetry is off entirely."""
    if provider is None:
        return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    return {"tracer_provider": provider, "metrics": False, "logs": False}
