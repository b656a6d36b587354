"""`/v1/catalog`: catalog history and refreshes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body
from pydantic import Field

from app.api import openapi_examples as ex
from app.api.deps import AdminDep, Limit, Offset, ReaderDep, SessionDep
from app.schemas.catalog import CatalogVersionPage, CatalogVersionRead, RefreshResult
from app.schemas.common import AsOf, InputModel
from app.services import catalog as catalog_service
from app.services import catalog_sync

router = APIRouter(prefix="/v1/catalog", tags=["catalog"], dependencies=[ReaderDep])

Collection = Literal["api-models", "gpus", "gpu-offerings", "open-models", "quality-scores"]


def _api_models_only() -> list[Collection]:
    return ["api-models"]


class RefreshRequest(InputModel):
    catalogs: list[Collection] = Field(
        default_factory=_api_models_only,
        min_length=1,
        max_length=5,
        description="Catalogs to re-read from the installed data.",
    )
    prices_as_of: AsOf | None = Field(
        default=None, description="Take the API prices in effect on this date (default: today)."
    )


@router.get("/versions", summary="List catalog versions")
def list_catalog_versions(
    session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> CatalogVersionPage:
    """Every change to the catalogs, newest first. Read any catalog at one with `?version=`."""
    rows, total = catalog_service.list_versions(session, limit=limit, offset=offset)
    return CatalogVersionPage(
        items=[CatalogVersionRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("/refresh", dependencies=[AdminDep], summary="Refresh catalogs")
def refresh_catalogs(
    session: SessionDep,
    body: Annotated[RefreshRequest | None, Body(openapi_examples=ex.CATALOG_REFRESH)] = None,
) -> RefreshResult:
    """Re-read the installed genai-prices package (and, if asked, the bundled hardware and
    model data) and record what changed as one new catalog version. Needs an admin key."""
    request = body or RefreshRequest()
    counts, version, changed, note = catalog_sync.refresh_catalogs(
        session,
        collections=list(dict.fromkeys(request.catalogs)),
        today=request.prices_as_of or dt.datetime.now(dt.UTC).date(),
    )
    return RefreshResult(
        changed=changed,
        catalog_version=version,
        added=counts.added,
        updated=counts.updated,
        removed=counts.removed,
        source=note,
    )
