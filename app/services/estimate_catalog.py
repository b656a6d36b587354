"""The catalog rows one estimate (or plan) uses, resolved at one catalog version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.schemas.estimates import EstimateRequest
from app.services import catalog_cache
from app.services.catalog_resources import (
    API_MODELS,
    GPU_OFFERINGS,
    GPUS,
    OPEN_MODELS,
    CatalogResource,
)

#: API models compared when the request names none: each major provider's current flagship
#: and its cheap tier, plus hosts of open models. Missing slugs are skipped.
DEFAULT_API_MODELS: tuple[str, ...] = (
    "openai--gpt-5",
    "openai--gpt-5-mini",
    "openai--gpt-4o",
    "openai--gpt-4o-mini",
    "openai--gpt-4.1-mini",
    "anthropic--claude-opus-4-1",
    "anthropic--claude-sonnet-4-5",
    "anthropic--claude-haiku-4-5",
    "google--gemini-2.5-pro",
    "google--gemini-2.5-flash",
    "google--gemini-2.5-flash-lite",
    "mistral--mistral-large-2512",
    "mistral--mistral-small-latest",
    "deepseek--deepseek-chat",
    "x-ai--grok-4-0709",
    "x-ai--grok-3-mini",
    "together--meta-llama-llama-3.3-70b-instruct-turbo",
    "fireworks--gpt-oss-120b",
    "groq--llama-3.3-70b-versatile",
    "groq--llama-3.1-8b-instant",
)


@dataclass(frozen=True, slots=True)
class CatalogRows:
    """The catalog entries one estimate uses, each as a plain row (column -> value)."""

    version: int
    api_models: list[dict[str, Any]]
    open_models: list[dict[str, Any]]
    gpus: list[dict[str, Any]]
    offerings: list[dict[str, Any]]


def load_catalog(session: Session, request: EstimateRequest) -> CatalogRows:
    version = catalog_cache.resolve_version(session, request.catalog_version)
    sh = request.self_hosting
    gpus = catalog_entries(session, GPUS, sh.gpus, version)
    gpu_slugs = {g["slug"] for g in gpus}
    offerings = [
        row
        for row in catalog_entries(session, GPU_OFFERINGS, sh.offerings, version)
        if row["gpu_slug"] in gpu_slugs
    ]
    return CatalogRows(
        version=version,
        api_models=_api_models(session, request.api_models, version),
        open_models=catalog_entries(session, OPEN_MODELS, sh.open_models, version),
        gpus=gpus,
        offerings=offerings,
    )


def catalog_entries(
    session: Session, resource: CatalogResource, slugs: Sequence[str] | None, version: int
) -> list[dict[str, Any]]:
    """Catalog rows at `version`: the named ones in the order given (all must exist), or all
    of them by slug (from the in-process cache of the catalog's current state)."""
    return catalog_cache.entries(session, resource, slugs, version)


def _api_models(
    session: Session, slugs: Sequence[str] | None, version: int
) -> list[dict[str, Any]]:
    if slugs is not None:
        return catalog_entries(session, API_MODELS, slugs, version)
    return catalog_cache.present(session, API_MODELS, DEFAULT_API_MODELS, version)
