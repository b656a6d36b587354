"""All routers, and the problem responses every operation may return."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.problems import PROBLEM_MEDIA_TYPE
from app.api.routes import (
    analyses,
    api_keys,
    api_models,
    benchmarks,
    catalog,
    estimates,
    fine_tuning_prices,
    gpu_offerings,
    gpus,
    health,
    open_models,
    performance,
    plans,
    quality_scores,
    root,
)
from app.schemas.common import Problem

#: Every resource router, in the order the OpenAPI document lists them. The app includes
#: each directly: a router nested in another costs a routing pass per level on every request.
ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        estimates,
        plans,
        analyses,
        performance,
        benchmarks,
        api_models,
        gpus,
        gpu_offerings,
        open_models,
        quality_scores,
        fine_tuning_prices,
        catalog,
        api_keys,
        health,
        root,
    )
)


def problem_responses() -> dict[int | str, dict[str, Any]]:
    """Document the RFC 9457 body of every error status the service uses."""
    described = {
        400: "Malformed request.",
        401: "An API key is needed.",
        403: "The API key may not do this.",
        404: "No such resource.",
        405: "Method not allowed on this path.",
        409: "Conflicts with the current state (e.g. a duplicate slug).",
        413: "Request body too large.",
        415: "The body must be JSON.",
        422: "Invalid input: `errors` lists each bad field.",
        500: "Unexpected error (logged; no internals are returned).",
        503: "The database is unreachable or busy: retry after `Retry-After` seconds.",
    }
    return {
        status: {
            "description": text,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        }
        for status, text in described.items()
    }


PROBLEM_REF = "#/components/schemas/Problem"


def problem_components() -> dict[str, Any]:
    """JSON schemas of `Problem` and what it references, for `components.schemas`."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = schema.pop("$defs", {})
    components["Problem"] = schema
    return components
