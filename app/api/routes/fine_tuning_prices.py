"""`/v1/fine-tuning-prices`: hosted fine-tuning of API models: training and inference prices."""

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
from app.schemas.catalog_api import (
    FineTuningPriceCreate,
    FineTuningPricePage,
    FineTuningPriceRead,
    FineTuningPriceUpdate,
)
from app.schemas.common import Slug
from app.services import catalog as catalog_service
from app.services.catalog_resources import FINE_TUNING_PRICES

router = APIRouter(
    prefix="/v1/fine-tuning-prices", tags=["fine-tuning-prices"], dependencies=[ReaderDep]
)


class FineTuningPriceListQuery(CatalogListQuery):
    api_model_slug: str | None = Field(
        default=None, max_length=200, examples=["openai--gpt-4o-mini"]
    )
    sort: str = Field(
        default="slug",
        pattern=sort_pattern(FINE_TUNING_PRICES),
        description=sort_description(FINE_TUNING_PRICES),
    )


@router.get("", summary="List fine-tuning prices")
def list_fine_tuning_prices(
    session: SessionDep, version: VersionDep, query: Annotated[FineTuningPriceListQuery, Query()]
) -> FineTuningPricePage:
    """fine-tuning prices as the catalog held them at `version` (default: latest)."""
    return page(
        FineTuningPricePage, FineTuningPriceRead, FINE_TUNING_PRICES, query, session, version
    )


@router.get("/{slug}", summary="Get a fine-tuning price")
def get_fine_tuning_price(
    session: SessionDep, version: VersionDep, slug: Slug
) -> FineTuningPriceRead:
    return FineTuningPriceRead.model_validate(
        catalog_service.get_entry(session, FINE_TUNING_PRICES, slug, version=version)
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[AdminDep],
    summary="Add a fine-tuning price",
)
def create_fine_tuning_price(
    session: SessionDep,
    body: Annotated[FineTuningPriceCreate, Body(openapi_examples=ex.FINE_TUNING_PRICE_CREATE)],
    response: Response,
) -> FineTuningPriceRead:
    """Add a fine-tuning price as a new catalog version. Needs an admin key."""
    return created(
        response,
        FINE_TUNING_PRICES,
        catalog_service.create_entry(session, FINE_TUNING_PRICES, body),
        FineTuningPriceRead,
    )


@router.patch("/{slug}", dependencies=[AdminDep], summary="Change a fine-tuning price")
def update_fine_tuning_price(
    session: SessionDep,
    slug: Slug,
    body: Annotated[FineTuningPriceUpdate, Body(openapi_examples=ex.FINE_TUNING_PRICE_UPDATE)],
) -> FineTuningPriceRead:
    """Change some fields; the old values stay readable at earlier versions. Needs an admin key."""
    return FineTuningPriceRead.model_validate(
        catalog_service.update_entry(session, FINE_TUNING_PRICES, slug, body)
    )


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[AdminDep],
    summary="Delete a fine-tuning price",
)
def delete_fine_tuning_price(session: SessionDep, slug: Slug) -> Response:
    """Remove a fine-tuning price from the catalog (history keeps it). Needs an admin key."""
    catalog_service.delete_entry(session, FINE_TUNING_PRICES, slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
