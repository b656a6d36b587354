"""Every error the API returns is an RFC 9457 problem (`application/problem+json`).

One place maps domain errors, validation errors, HTTP errors and unexpected exceptions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import EstimationError
from app.errors import AppError
from app.logs import REQUEST_ID

logger = logging.getLogger("app.problems")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://llm-cost-estimator.dev/problems/"


def problem_response(
    *,
    status: int,
    title: str,
    detail: str,
    type_slug: str,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    request_id = REQUEST_ID.get()
    if request_id is not None:
        body["request_id"] = request_id
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {})
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_jsonable(v) for v in value]
    return str(value)


#: A validation problem lists at most this many errors, each cut to `MAX_ERROR_CHARS`: a
#: hostile body can have tens of thousands of bad fields, and the answer must stay small.
MAX_LISTED_ERRORS = 20
MAX_ERROR_CHARS = 200


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _field_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    return [
        {
            "loc": _cut(".".join(str(part) for part in error.get("loc", ()))),
            "message": _cut(str(error.get("msg", "invalid"))),
            "type": _cut(str(error.get("type", "value_error"))),
        }
        for error in errors[:MAX_LISTED_ERRORS]
    ]


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        type_slug=exc.type_slug,
        instance=request.url.path,
        extra=_jsonable(exc.extra),
        headers=headers,
    )


async def _estimation_error(request: Request, exc: EstimationError) -> JSONResponse:
    return problem_response(
        status=422,
        title="Cannot estimate",
        detail=exc.detail,
        type_slug=_kebab(type(exc).__name__),
        instance=request.url.path,
        extra=_jsonable(exc.data),
    )


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    every = exc.errors()
    errors = _field_errors(every)
    summary = "; ".join(f"{e['loc']}: {e['message']}" for e in errors[:5])
    return problem_response(
        status=422,
        title="Invalid request",
        detail=f"{len(every)} invalid field(s): {summary}",
        type_slug="validation-error",
        instance=request.url.path,
        extra={"errors": errors, "errors_total": len(every)},
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    if status == 404 and detail == "Not Found":
        detail = f"no route matches {request.url.path}"
    headers = dict(exc.headers or {})
    if status == 405:
        allowed = _allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed on {request.url.path}; use {headers['Allow']}"
    return problem_response(
        status=status,
        title=phrase,
        detail=detail,
        type_slug=_kebab(phrase),
        instance=request.url.path,
        headers=headers,
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DBAPIError) and not (
        exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    ):
        raise exc  # a bug (e.g. a constraint we did not expect): a 500, logged once
    logger.warning("database unavailable: %s", type(exc).__name__)
    return problem_response(
        status=503,
        title="Service unavailable",
        detail="the database is not reachable or too busy; retry shortly",
        type_slug="database-unavailable",
        instance=request.url.path,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error the service raises to an RFC 9457 problem response."""
    app.exception_handler(AppError)(_app_error)
    app.exception_handler(EstimationError)(_estimation_error)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(DBAPIError)(_database_error)
    app.exception_handler(PoolTimeoutError)(_database_error)


#: Seconds a client should wait after a 503 before retrying.
RETRY_AFTER_S = 5


def unexpected_error_response(path: str) -> JSONResponse:
    """The 500 for an exception nothing else handled (logged by the caller, not here)."""
    return problem_response(
        status=500,
        title="Internal server error",
        detail="The server hit an unexpected error. It has been logged.",
        type_slug="internal-error",
        instance=path,
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some operation serves at this path (Starlette names only one route's).

    Read from the OpenAPI paths, the public record of what the app serves.
    """
    paths = request.app.openapi().get("paths", {})
    path = request.url.path
    # A literal path (e.g. /v1/benchmarks/import) is its own resource, even where a templated
    # one (/v1/benchmarks/{slug}) would also match it.
    if path in paths:
        methods = {method.upper() for method in paths[path]}
    else:
        methods = set()
        for template, operations in paths.items():
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            if re.fullmatch(pattern, path):
                methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _kebab(name: str) -> str:
    out: list[str] = []
    for char in name.replace(" ", "-"):
        if char.isupper() and out and out[-1] != "-":
            out.append("-")
        out.append(char.lower())
    slug = "".join(out)
    return slug.removesuffix("-error") if slug.endswith("-error") and slug != "-error" else slug
