"""`/v1/quality-scores`: public quality measures of API and open models (by model slug)."""

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
from app.schemas.common import Slug
from app.schemas.quality_scores import (
    QualityScoreCreate,
    QualityScorePage,
    QualityScoreRead,
    QualityScoreUpdate,
)
from app.services import catalog as catalog_service
from app.services.catalog_resources import QUALITY_SCORES

router = APIRouter(prefix="/v1/quality-scores", tags=["quality-scores"], dependencies=[ReaderDep])


class QualityScoreListQuery(CatalogListQuery):
    model_kind: str | None = Field(default=None, max_length=16, examples=["open"])
    sort: str = Field(
        default="slug",
        pattern=sort_pattern(QUALITY_SCORES),
        description=sort_description(QUALITY_SCORES),
    )


@router.get("", summary="List quality scores")
def list_quality_scores(
    session: SessionDep, version: VersionDep, query: Annotated[QualityScoreListQuery, Query()]
) -> QualityScorePage:
    """Quality scores as the catalog held them at `version` (default: latest)."""
    return page(QualityScorePage, QualityScoreRead, QUALITY_SCORES, query, session, version)


@router.get("/{slug}", summary="Get a model's quality scores")
def get_quality_score(session: SessionDep, version: VersionDep, slug: Slug) -> QualityScoreRead:
    return QualityScoreRead.model_validate(
        catalog_service.get_entry(session, QUALITY_SCORES, slug, version=version)
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[AdminDep],
    summary="Add a model's quality scores",
)
def create_quality_score(
    session: SessionDep,
    body: Annotated[QualityScoreCreate, Body(openapi_examples=ex.QUALITY_SCORE_CREATE)],
    response: Response,
) -> QualityScoreRead:
    """Add a model's quality scores as a new catalog version. Needs an admin key."""
    return created(
        response,
        QUALITY_SCORES,
        catalog_service.create_entry(session, QUALITY_SCORES, body),
        QualityScoreRead,
    )


@router.patch("/{slug}", dependencies=[AdminDep], summary="Change a model's quality scores")
def update_quality_score(
    session: SessionDep,
    slug: Slug,
    body: Annotated[QualityScoreUpdate, Body(openapi_examples=ex.QUALITY_SCORE_UPDATE)],
) -> QualityScoreRead:
    """Change some fields; the old values stay readable at earlier versions. Needs an admin key."""
    return QualityScoreRead.model_validate(
        catalog_service.update_entry(session, QUALITY_SCORES, slug, body)
    )


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[AdminDep],
    summary="Delete a model's quality scores",
)
def delete_quality_score(session: SessionDep, slug: Slug) -> Response:
    """Remove a model's quality scores from the current catalog (history keeps them). Needs an
    admin key."""
    catalog_service.delete_entry(session, QUALITY_SCORES, slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
