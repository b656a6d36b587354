"""`/v1/open-models`: open-weights model architectures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import Field

from app.api import catalog_examples as ex
from app.api.deps import AdminDep, ReaderDep, SessionDep, VersionDep
from app.api.routes._catalog import (
    CatalogListQuery,
    created,
    page,
    sort_description,
    sort_pattern,
)
from app.schemas.catalog import OpenModelCreate, OpenModelPage, OpenModelRead, OpenModelUpdate
from app.schemas.common import Slug
from app.services import catalog as catalog_service
from app.services.catalog_resources import OPEN_MODELS

router = APIRouter(prefix="/v1/open-models", tags=["open-models"], dependencies=[ReaderDep])


class OpenModelListQuery(CatalogListQuery):
    family: str | None = Field(default=None, max_length=64, examples=["llama"])
    attention_kind: str | None = Field(default=None, max_length=32, examples=["gqa"])
    license: str | None = Field(default=None, max_length=128, examples=["apache-2.0"])
    sort: str = Field(
        default="slug", pattern=sort_pattern(OPEN_MODELS), description=sort_description(OPEN_MODELS)
    )


@router.get("", summary="List open models")
def list_open_models(
    session: SessionDep, version: VersionDep, query: Annotated[OpenModelListQuery, Query()]
) -> OpenModelPage:
    """Open models as the catalog held them at `version` (default: latest)."""
    return page(OpenModelPage, OpenModelRead, OPEN_MODELS, query, session, version)


@router.get("/{slug}", summary="Get an open model")
def get_open_model(session: SessionDep, version: VersionDep, slug: Slug) -> OpenModelRead:
    return OpenModelRead.model_validate(
        catalog_service.get_entry(session, OPEN_MODELS, slug, version=version)
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, dependencies=[AdminDep], summary="Add an open model"
)
def create_open_model(
    session: SessionDep,
    body: Annotated[OpenModelCreate, Body(openapi_examples=ex.OPEN_MODEL_CREATE)],
    response: Response,
) -> OpenModelRead:
    """Add an open model as a new catalog version. Needs an admin key."""
    return created(
        response,
        OPEN_MODELS,
        catalog_service.create_entry(session, OPEN_MODELS, body),
        OpenModelRead,
    )


@router.patch("/{slug}", dependencies=[AdminDep], summary="Change an open model")
def update_open_model(
    session: SessionDep,
    slug: Slug,
    body: Annotated[OpenModelUpdate, Body(openapi_examples=ex.OPEN_MODEL_UPDATE)],
) -> OpenModelRead:
    """Change some fields; the old values stay readable at earlier versions. Needs an admin key."""
    return OpenModelRead.model_validate(
        catalog_service.update_entry(session, OPEN_MODELS, slug, body)
    )


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[AdminDep],
    summary="Delete an open model",
)
def delete_open_model(session: SessionDep, slug: Slug) -> Response:
    """Remove an open model from the current catalog (history keeps it). Needs an admin key."""
    catalog_service.delete_entry(session, OPEN_MODELS, slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
