"""ASGI middleware: request-body size limit, JSON content type and server timing."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.api.hardening import invalid_text_response, json_shape_errors, json_text_errors
from app.api.problems import problem_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_TYPES = ("application/json", "application/merge-patch+json", "application/problem+json")
BODY_METHODS = {"POST", "PUT", "PATCH"}
#: Paths whose body is a whole result file: `max_import_body_bytes`, no member count cap.
IMPORT_PATHS = frozenset({"/v1/benchmarks/import"})


def _has_authorization(headers: dict[str, str]) -> bool:
    # Any scheme: only Bearer keys authenticate, and the auth check refuses the rest.
    return "authorization" in headers


class BodyLimitMiddleware:
    """Refuse bodies over `max_body_bytes` (413), non-JSON bodies (415) and JSON strings that
    hold text no database can store (422), before routing.

    The body is read here in full (it is at most `max_body_bytes`) and handed on in one piece,
    so every over-long body gets the same 413, whether its length was declared or streamed.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_import_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_import_body_bytes = max_import_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope.get("path", "")
        # Imports carry a tool's whole result file (a free-form JSON document) and need an
        # admin key; every other body is a small, closed request.
        bulk = path in IMPORT_PATHS
        limit = self.max_import_body_bytes if bulk else self.max_body_bytes
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._too_large(scope, receive, send, path, limit)
            return
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        has_body = (length is not None and length != "0") or "transfer-encoding" in headers
        if content_type not in JSON_TYPES and (has_body or not _has_authorization(headers)):
            # Whatever the length: a cross-site HTML form can POST with no body, but can send
            # neither a JSON content type nor an Authorization header without a CORS preflight.
            detail = (
                f"send the body as application/json, not {content_type or 'no type'}"
                if has_body
                else "a request that changes something needs `Content-Type: application/json` "
                "(an empty body is fine) or an `Authorization: Bearer <key>` header"
            )
            response = problem_response(
                status=415,
                title="Unsupported Media Type",
                detail=detail,
                type_slug="unsupported-media-type",
                instance=path,
            )
            await response(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await self._too_large(scope, receive, send, path, limit)
                return
            if not message.get("more_body", False):
                break
        shape = [] if bulk else json_shape_errors(bytes(body))
        errors = shape or json_text_errors(bytes(body))
        if errors:
            await invalid_text_response(scope, errors)(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(
        self, scope: Scope, receive: Receive, send: Send, path: str, limit: int
    ) -> None:
        response = problem_response(
            status=413,
            title="Content Too Large",
            detail=f"request bodies are limited to {limit} bytes",
            type_slug="content-too-large",
            instance=path,
        )
        await response(scope, receive, send)


class ServerTimingMiddleware:
    """Add `Server-Timing: app;dur=<ms>` to every response: time spent inside the service,
    which benchmarks read to separate server time from client and network time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - started) * 1000.0
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={elapsed_ms:.3f}".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, timed_send)
