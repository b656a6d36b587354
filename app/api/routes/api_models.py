"""`/v1/api-models`: hosted API models and their token prices."""

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
from app.schemas.catalog_api import ApiModelCreate, ApiModelPage, ApiModelRead, ApiModelUpdate
from app.schemas.common import Slug
from app.services import catalog as catalog_service
from app.services.catalog_resources import API_MODELS

router = APIRouter(prefix="/v1/api-models", tags=["api-models"], dependencies=[ReaderDep])


class ApiModelListQuery(CatalogListQuery):
    provider: str | None = Field(default=None, max_length=64, examples=["openai"])
    model_id: str | None = Field(default=None, max_length=200, examples=["gpt-4o"])
    sort: str = Field(
        default="slug", pattern=sort_pattern(API_MODELS), description=sort_description(API_MODELS)
    )


@router.get("", summary="List API models")
def list_api_models(
    session: SessionDep, version: VersionDep, query: Annotated[ApiModelListQuery, Query()]
) -> ApiModelPage:
    """API models as the catalog held them at `version` (default: latest)."""
    return page(ApiModelPage, ApiModelRead, API_MODELS, query, session, version)


@router.get("/{slug}", summary="Get an API model")
def get_api_model(session: SessionDep, version: VersionDep, slug: Slug) -> ApiModelRead:
    return ApiModelRead.model_validate(
        catalog_service.get_entry(session, API_MODELS, slug, version=version)
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, dependencies=[AdminDep], summary="Add an API model"
)
def create_api_model(
    session: SessionDep,
    body: Annotated[ApiModelCreate, Body(openapi_examples=ex.API_MODEL_CREATE)],
    response: Response,
) -> ApiModelRead:
    """Add an API model as a new catalog version. Needs an admin key."""
    return created(
        response, API_MODELS, catalog_service.create_entry(session, API_MODELS, body), ApiModelRead
    )


@router.patch("/{slug}", dependencies=[AdminDep], summary="Change an API model")
def update_api_model(
    session: SessionDep,
    slug: Slug,
    body: Annotated[ApiModelUpdate, Body(openapi_examples=ex.API_MODEL_UPDATE)],
) -> ApiModelRead:
    """Change some fields; the old values stay readable at earlier versions. Needs an admin key."""
    return ApiModelRead.model_validate(
        catalog_service.update_entry(session, API_MODELS, slug, body)
    )


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[AdminDep],
    summary="Delete an API model",
)
def delete_api_model(session: SessionDep, slug: Slug) -> Response:
    """Remove an API model from the current catalog (history keeps it). Needs an admin key."""
    catalog_service.delete_entry(session, API_MODELS, slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
