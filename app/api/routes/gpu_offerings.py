"""`/v1/gpu-offerings`: cloud instances with GPUs and their hourly prices."""

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
from app.schemas.catalog import (
    GpuOfferingCreate,
    GpuOfferingPage,
    GpuOfferingRead,
    GpuOfferingUpdate,
)
from app.schemas.common import Slug
from app.services import catalog as catalog_service
from app.services.catalog_resources import GPU_OFFERINGS

router = APIRouter(prefix="/v1/gpu-offerings", tags=["gpu-offerings"], dependencies=[ReaderDep])


class GpuOfferingListQuery(CatalogListQuery):
    provider: str | None = Field(default=None, max_length=64, examples=["aws"])
    gpu_slug: str | None = Field(default=None, max_length=200, examples=["h100-sxm-80gb"])
    region: str | None = Field(default=None, max_length=64, examples=["us-east-1"])
    sort: str = Field(
        default="slug",
        pattern=sort_pattern(GPU_OFFERINGS),
        description=sort_description(GPU_OFFERINGS),
    )


@router.get("", summary="List GPU offerings")
def list_gpu_offerings(
    session: SessionDep, version: VersionDep, query: Annotated[GpuOfferingListQuery, Query()]
) -> GpuOfferingPage:
    """GPU offerings as the catalog held them at `version` (default: latest)."""
    return page(GpuOfferingPage, GpuOfferingRead, GPU_OFFERINGS, query, session, version)


@router.get("/{slug}", summary="Get a GPU offering")
def get_gpu_offering(session: SessionDep, version: VersionDep, slug: Slug) -> GpuOfferingRead:
    return GpuOfferingRead.model_validate(
        catalog_service.get_entry(session, GPU_OFFERINGS, slug, version=version)
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, dependencies=[AdminDep], summary="Add a GPU offering"
)
def create_gpu_offering(
    session: SessionDep,
    body: Annotated[GpuOfferingCreate, Body(openapi_examples=ex.GPU_OFFERING_CREATE)],
    response: Response,
) -> GpuOfferingRead:
    """Add a GPU offering as a new catalog version. Needs an admin key."""
    return created(
        response,
        GPU_OFFERINGS,
        catalog_service.create_entry(session, GPU_OFFERINGS, body),
        GpuOfferingRead,
    )


@router.patch("/{slug}", dependencies=[AdminDep], summary="Change a GPU offering")
def update_gpu_offering(
    session: SessionDep,
    slug: Slug,
    body: Annotated[GpuOfferingUpdate, Body(openapi_examples=ex.GPU_OFFERING_UPDATE)],
) -> GpuOfferingRead:
    """Change some fields; the old values stay readable at earlier versions. Needs an admin key."""
    return GpuOfferingRead.model_validate(
        catalog_service.update_entry(session, GPU_OFFERINGS, slug, body)
    )


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[AdminDep],
    summary="Delete a GPU offering",
)
def delete_gpu_offering(session: SessionDep, slug: Slug) -> Response:
    """Remove a GPU offering from the current catalog (history keeps it). Needs an admin key."""
    catalog_service.delete_entry(session, GPU_OFFERINGS, slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
