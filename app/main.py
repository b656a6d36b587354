"""The ASGI application: `app.main:app`."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from app import __version__
from app.api.hardening import HardeningMiddleware
from app.api.middleware import BodyLimitMiddleware, ServerTimingMiddleware
from app.api.observability import RequestContextMiddleware, install_metrics
from app.api.problems import install_problem_handlers
from app.api.router import ROUTERS, problem_components, problem_responses
from app.db import migrations
from app.db.session import build_engine, build_sessionmaker, session_scope
from app.logs import configure_logging
from app.services.catalog_sync import seed_catalogs
from app.services.response_cache import ResponseCache
from app.settings import Settings, get_settings
from app.tracing import telemetry_config, tracer_provider

logger = logging.getLogger("app")

DESCRIPTION = """
Answers *pay per token for a hosted API, or run an open-weights model on our own GPUs?*

* **Catalogs** of hosted API prices (from the `genai-prices` package), GPUs, GPU cloud offerings
  and open-weights model architectures. Every value carries its source and as-of date; every
  change makes a new catalog version, and every read can ask for an old one.
* Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details.
* Catalog writes need an admin key: `Authorization: Bearer <key>`.
"""

TAGS = [
    {"name": "estimates", "description": "Hosted API versus self-hosted cost for a workload."},
    {
        "name": "analyses",
        "description": "Saved estimates: re-run against new prices, compare, export, chart and "
        "read as a report.",
    },
    {"name": "performance", "description": "Throughput and latency of one GPU replica."},
    {
        "name": "benchmarks",
        "description": "Your own measured operating points (vllm bench serve, GuideLLM), with "
        "provenance; /v1/performance answers from them where they cover a configuration.",
    },
    {"name": "api-models", "description": "Hosted API models and their token prices."},
    {"name": "gpus", "description": "GPU specifications."},
    {"name": "gpu-offerings", "description": "Cloud GPU instances and their hourly prices."},
    {"name": "open-models", "description": "Open-weights model architectures."},
    {"name": "catalog", "description": "Catalog history (versions) and refreshes."},
    {"name": "api-keys", "description": "Scoped API keys (needs the `keys:admin` scope)."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def prepare_database(settings: Settings) -> None:
    """Apply migrations and seed an empty catalog. Running it again changes nothing."""
    engine = build_engine(settings.resolved_database_url)
    try:
        before = migrations.current_revision(engine)
        migrations.upgrade(engine)
        logger.info("database schema at %s (was %s)", migrations.current_revision(engine), before)
        factory = build_sessionmaker(engine)
        for session in session_scope(factory, write=True):
            version = seed_catalogs(session, today=dt.datetime.now(dt.UTC).date())
            if version is not None:
                logger.info(
                    "seeded the catalogs: version %s, %s rows", version.id, version.rows_changed
                )
    finally:
        engine.dispose()


def _operation_id(route: APIRoute) -> str:
    return route.name


def _document_problems(app: FastAPI) -> None:
    """Add the RFC 9457 `Problem` schema to the generated OpenAPI components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                problem_components()
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    spans = tracer_provider(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            prepare_database(settings)
        _silence_highs_banner()
        tune_garbage_collector()
        engine = build_engine(settings.resolved_database_url)
        app.state.engine = engine
        app.state.sessionmaker = build_sessionmaker(engine)
        try:
            yield
        finally:
            engine.dispose()
            if spans is not None:
                spans.shutdown()

    # Swagger UI and ReDoc from assets installed with fastapi-offline, not from a CDN.
    app = FastAPIOffline(
        title="LLM Cost Estimator",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        responses=problem_responses(),
        separate_input_output_schemas=False,
        telemetry=telemetry_config(spans),
    )
    _document_problems(app)
    app.state.settings = settings
    app.state.tracer_provider = spans
    app.state.key_cache = {}
    app.state.answer_cache = ResponseCache(int(settings.answer_cache_mb * 1024 * 1024))
    install_problem_handlers(app)
    install_metrics(app)
    # Added innermost first: the request context wraps everything, so even a problem answered
    # by the hardening or body-limit middleware carries the request id.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_import_body_bytes=settings.max_import_body_bytes,
    )
    app.add_middleware(ServerTimingMiddleware)
    app.add_middleware(HardeningMiddleware)
    app.add_middleware(RequestContextMiddleware)
    for router in ROUTERS:
        app.include_router(router)
    return app


def create_served_app() -> FastAPI:
    """What `serve` runs in each worker: structured logs, then the app."""
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return create_app(settings)


#: Allocations (net container objects) between young-generation collections; CPython's
#: default is 700.
GC_YOUNG_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Collect less often, and never again scan what the first startup left behind.

    One estimate allocates hundreds of thousands of short-lived objects (arrays, dataclasses,
    response models), nearly all freed by reference counting rather than by the cycle
    collector; at the default threshold the collector ran some 5 times a request, and every
    few dozen requests a full collection walked the ~250,000 objects of imports and schemas
    (together ~2 ms of a ~25 ms estimate). Freezing moves what exists now out of the
    collector's sight (reference counting still frees it), and a higher young threshold makes
    the remaining collections rare; cyclic garbage is still collected. Once per process: a
    second app in the same process (tests) finds it done."""
    if gc.get_freeze_count() > 0:
        return
    gc.collect()
    gc.freeze()
    young, older, oldest = gc.get_threshold()
    gc.set_threshold(max(GC_YOUNG_THRESHOLD, young), older, oldest)


def _silence_highs_banner() -> None:
    """HiGHS prints a copyright banner to stdout when the first solver of a process is made,
    before any option can turn it off; make that first one here, with stdout pointed away."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)


app = create_app()
