"""Plumbing shared by the four catalog routers: list query parameters, paging, created."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from fastapi import Response
from pydantic import BaseModel, Field

from app.schemas.common import Page
from app.services import catalog as catalog_service
from app.services.catalog_resources import CatalogResource

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


class CatalogListQuery(BaseModel):
    """Query parameters every catalog list takes; subclasses add the resource's filters (any
    field beyond these) and narrow `sort` to its fields."""

    COMMON: ClassVar[frozenset[str]] = frozenset({"limit", "offset", "q", "sort"})

    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="Items to skip.")
    q: str | None = Field(default=None, max_length=200, description="Case-insensitive search.")
    sort: str = "slug"

    def filters(self) -> dict[str, str | None]:
        """The resource's filter fields and their values (None: not filtered)."""
        return {
            name: getattr(self, name) for name in type(self).model_fields if name not in self.COMMON
        }


def page(
    page_type: type[PageT],
    read: type[ReadT],
    resource: CatalogResource,
    query: CatalogListQuery,
    session: Any,
    version: int,
) -> PageT:
    """One page of `resource` at `version` as `page_type` of `read` items."""
    items, total = catalog_service.list_entries(
        session,
        resource,
        version=version,
        filters=query.filters(),
        q=query.q,
        sort=query.sort,
        limit=query.limit,
        offset=query.offset,
    )
    return page_type(
        items=[read.model_validate(item) for item in items],
        total=total,
        limit=query.limit,
        offset=query.offset,
        catalog_version=version,
    )


def created(response: Response, resource: CatalogResource, entry: Any, read: type[ReadT]) -> ReadT:
    response.headers["Location"] = f"/v1/{resource.collection}/{entry.slug}"
    return read.model_validate(entry)
