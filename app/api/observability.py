"""Request ids, access logs, one log line per unexpected error, and the `/metrics` endpoint."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, cast

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import routing as instrumentator_routing
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware import Middleware

from app.api.problems import unexpected_error_response
from app.db.orm import CatalogVersion
from app.logs import REQUEST_ID
from app.metrics import CATALOG_VERSION

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("app.requests")
REQUEST_ID_HEADER = b"x-request-id"
#: A caller's request id is used only if it looks like one (no spaces, quotes or control bytes).
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:/+=-]{1,128}$")


class RequestContextMiddleware:
    """Give each request an id (the caller's `X-Request-ID`, or a new one), echo it in the
    response, log one access line, and turn an unexpected exception into one logged traceback
    and a 500 problem, keeping the connection usable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"")
        request_id = sent.decode() if _VALID_REQUEST_ID.match(sent) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def tagged_send(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, tagged_send)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], _route(scope))
            if response_started:
                raise
            await unexpected_error_response(scope.get("path", ""))(scope, receive, tagged_send)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": _route(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                },
            )
            REQUEST_ID.reset(token)


def _route(scope: Scope) -> str:
    """The matched route's template (never the URL with its values), or `unmatched`."""
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def _current_catalog_version(request: Request) -> int | None:
    try:
        with request.app.state.sessionmaker() as session:
            version: int | None = session.scalar(select(func.max(CatalogVersion.id)))
            return version
    except SQLAlchemyError:
        return None


class _FlatRoutesMiddleware(PrometheusInstrumentatorMiddleware):
    """The instrumentator's middleware, matching each request against the app's routes as
    flattened once, instead of flattening every included router again on every request (which
    cost about 0.1 ms a request, a tenth of a `/healthz`). Same templates, same metrics; any
    case it does not cover (another version of the library, a root path, no match) is left to
    the library's own lookup."""

    _flat: tuple[int, list[Any]] | None = None

    def _get_handler(self, request: Request) -> tuple[str, bool]:
        flatten = getattr(instrumentator_routing, "_effective_routes", None)
        match = getattr(instrumentator_routing, "_get_route_name", None)
        routes = getattr(request.scope.get("app"), "routes", None)
        if flatten is None or match is None or not routes or request.scope.get("root_path"):
            return super()._get_handler(request)
        if self._flat is None or self._flat[0] != len(routes):
            self._flat = (len(routes), flatten(routes))
        name = match(request.scope, self._flat[1])
        if name is None:
            return super()._get_handler(request)
        return name, True


def install_metrics(app: FastAPI) -> None:
    """Per-route request counts and latency histograms, plus `/metrics` in the Prometheus
    text format (merged across workers in multiprocess mode)."""
    # The HTTP metrics live in a registry of this app's own (the process-wide one holds the
    # process and compute metrics): an app made again (tests do) must count afresh.
    http_registry = CollectorRegistry()
    Instrumentator(
        should_group_status_codes=False,
        excluded_handlers=["/metrics"],
        registry=http_registry,
    ).instrument(app, metric_namespace="", metric_subsystem="")
    added = app.user_middleware[0]
    assert added.cls is cast(Any, PrometheusInstrumentatorMiddleware)
    flat: Any = _FlatRoutesMiddleware
    app.user_middleware[0] = Middleware(flat, *added.args, **added.kwargs)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        version = _current_catalog_version(request)
        if version is not None:
            CATALOG_VERSION.set(version)
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            # Every worker's metrics, from the files each writes.
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            text = generate_latest(merged)
        else:
            text = generate_latest(REGISTRY) + generate_latest(http_registry)
        return Response(text, media_type=CONTENT_TYPE_LATEST)
