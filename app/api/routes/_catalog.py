"""Plumbing shared by the four catalog routers: paging and the create response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.db.orm import VersionedEntry
from app.schemas.common import Page
from app.services import catalog as catalog_service
from app.services.catalog import CatalogResource

ReadT = TypeVar("ReadT", bound=BaseModel)
PageT = TypeVar("PageT", bound=Page[Any])


def sort_pattern(resource: CatalogResource) -> str:
    return rf"^-?({'|'.join(resource.sort_fields)})$"


def sort_description(resource: CatalogResource) -> str:
    return (
        "Field to sort by, `-` first for descending: "
        + ", ".join(f"`{f}`" for f in resource.sort_fields)
        + "."
    )


def page(
    page_type: type[PageT],
    session: Session,
    resource: CatalogResource,
    read: type[ReadT],
    *,
    version: int,
    filters: Mapping[str, str | None],
    q: str | None,
    sort: str,
    limit: int,
    offset: int,
) -> PageT:
    items, total = catalog_service.list_entries(
        session,
        resource,
        version=version,
        filters=filters,
        q=q,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return page_type(
        items=[read.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
        catalog_version=version,
    )


def created(
    response: Response, resource: CatalogResource, entry: VersionedEntry, read: type[ReadT]
) -> ReadT:
    response.headers["Location"] = f"/v1/{resource.collection}/{entry.slug}"
    return read.model_validate(entry)
