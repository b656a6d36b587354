"""`/v1/open-models`: open-weights model architectures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api.deps import AdminDep, Limit, Offset, ReaderDep, SearchText, SessionDep, VersionDep
from app.api.routes._catalog import created, page, sort_description, sort_pattern
from app.schemas.catalog import OpenModelCreate, OpenModelPage, OpenModelRead, OpenModelUpdate
from app.schemas.common import Slug
from app.services import catalog as catalog_service
from app.services.catalog import OPEN_MODELS

router = APIRouter(prefix="/v1/open-models", tags=["open-models"], dependencies=[ReaderDep])


@router.get("", summary="List open models")
def list_open_models(
    session: SessionDep,
    version: VersionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    q: SearchText = None,
    family: Annotated[str | None, Query(max_length=64, examples=["llama"])] = None,
    attention_kind: Annotated[str | None, Query(max_length=32, examples=["gqa"])] = None,
    license: Annotated[str | None, Query(max_length=128, examples=["apache-2.0"])] = None,
    sort: Annotated[
        str, Query(pattern=sort_pattern(OPEN_MODELS), description=sort_description(OPEN_MODELS))
    ] = "slug",
) -> OpenModelPage:
    """Open models as the catalog held them at `version` (default: latest)."""
    return page(
        OpenModelPage,
        session,
        OPEN_MODELS,
        OpenModelRead,
        version=version,
        filters={"family": family, "attention_kind": attention_kind, "license": license},
        q=q,
        sort=sort,
        limit=limit,
        offset=offset,
    )


@router.get("/{slug}", summary="Get an open model")
def get_open_model(session: SessionDep, version: VersionDep, slug: Slug) -> OpenModelRead:
    return OpenModelRead.model_validate(
        catalog_service.get_entry(session, OPEN_MODELS, slug, version=version)
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, dependencies=[AdminDep], summary="Add an open model"
)
def create_open_model(
    session: SessionDep, body: OpenModelCreate, response: Response
) -> OpenModelRead:
    """Add an open model as a new catalog version. Needs an admin key."""
    return created(
        response,
        OPEN_MODELS,
        catalog_service.create_entry(session, OPEN_MODELS, body),
        OpenModelRead,
    )


@router.patch("/{slug}", dependencies=[AdminDep], summary="Change an open model")
def update_open_model(session: SessionDep, slug: Slug, body: OpenModelUpdate) -> OpenModelRead:
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
