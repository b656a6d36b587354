"""`/v1/gpus`: accelerator specifications."""

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
from app.schemas.catalog import GpuCreate, GpuPage, GpuRead, GpuUpdate
from app.schemas.common import Slug
from app.services import catalog as catalog_service
from app.services.catalog_resources import GPUS

router = APIRouter(prefix="/v1/gpus", tags=["gpus"], dependencies=[ReaderDep])


class GpuListQuery(CatalogListQuery):
    vendor: str | None = Field(default=None, max_length=64, examples=["nvidia"])
    interconnect: str | None = Field(default=None, max_length=16, examples=["nvlink"])
    sort: str = Field(
        default="slug", pattern=sort_pattern(GPUS), description=sort_description(GPUS)
    )


@router.get("", summary="List GPUs")
def list_gpus(
    session: SessionDep, version: VersionDep, query: Annotated[GpuListQuery, Query()]
) -> GpuPage:
    """GPU specifications as the catalog held them at `version` (default: latest)."""
    return page(GpuPage, GpuRead, GPUS, query, session, version)


@router.get("/{slug}", summary="Get a GPU")
def get_gpu(session: SessionDep, version: VersionDep, slug: Slug) -> GpuRead:
    return GpuRead.model_validate(catalog_service.get_entry(session, GPUS, slug, version=version))


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[AdminDep], summary="Add a GPU")
def create_gpu(
    session: SessionDep,
    body: Annotated[GpuCreate, Body(openapi_examples=ex.GPU_CREATE)],
    response: Response,
) -> GpuRead:
    """Add a GPU as a new catalog version. Needs an admin key."""
    return created(response, GPUS, catalog_service.create_entry(session, GPUS, body), GpuRead)


@router.patch("/{slug}", dependencies=[AdminDep], summary="Change a GPU")
def update_gpu(
    session: SessionDep,
    slug: Slug,
    body: Annotated[GpuUpdate, Body(openapi_examples=ex.GPU_UPDATE)],
) -> GpuRead:
    """Change some fields; the old values stay readable at earlier versions. Needs an admin key."""
    return GpuRead.model_validate(catalog_service.update_entry(session, GPUS, slug, body))


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[AdminDep],
    summary="Delete a GPU",
)
def delete_gpu(session: SessionDep, slug: Slug) -> Response:
    """Remove a GPU from the current catalog (history keeps it). Needs an admin key."""
    catalog_service.delete_entry(session, GPUS, slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
