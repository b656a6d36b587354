"""`/v1/benchmarks`: your own measured operating points; `/v1/performance` answers from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import Field

from app.api import openapi_examples as ex
from app.api.deps import AdminDep, ReaderDep, SessionDep, VersionDep
from app.api.routes._catalog import (
    CatalogListQuery,
    created,
    page,
    sort_description,
    sort_pattern,
)
from app.schemas.benchmarks import (
    BenchmarkCreate,
    BenchmarkImport,
    BenchmarkImportResult,
    BenchmarkPage,
    BenchmarkRead,
    BenchmarkUpdate,
)
from app.schemas.common import Slug
from app.services import benchmarks as benchmark_service
from app.services import catalog as catalog_service
from app.services.catalog_resources import BENCHMARKS

router = APIRouter(prefix="/v1/benchmarks", tags=["benchmarks"], dependencies=[ReaderDep])


class BenchmarkListQuery(CatalogListQuery):
    engine: str | None = Field(default=None, max_length=16, examples=["vllm"])
    gpu_slug: str | None = Field(default=None, max_length=200)
    open_model_slug: str | None = Field(default=None, max_length=200)
    precision: str | None = Field(default=None, max_length=8)
    tool: str | None = Field(default=None, max_length=32, examples=["guidellm"])
    sort: str = Field(
        default="slug", pattern=sort_pattern(BENCHMARKS), description=sort_description(BENCHMARKS)
    )


@router.get("", summary="List benchmarks")
def list_benchmarks(
    session: SessionDep, version: VersionDep, query: Annotated[BenchmarkListQuery, Query()]
) -> BenchmarkPage:
    """Stored measurements as the catalog held them at `version` (default: latest)."""
    return page(BenchmarkPage, BenchmarkRead, BENCHMARKS, query, session, version)


@router.get("/{slug}", summary="Get a benchmark")
def get_benchmark(session: SessionDep, version: VersionDep, slug: Slug) -> BenchmarkRead:
    entry = catalog_service.get_entry(session, BENCHMARKS, slug, version=version)
    return BenchmarkRead.model_validate(entry)


@router.post(
    "", status_code=status.HTTP_201_CREATED, dependencies=[AdminDep], summary="Store a benchmark"
)
def create_benchmark(
    session: SessionDep,
    body: Annotated[BenchmarkCreate, Body(openapi_examples=ex.BENCHMARK_CREATE)],
    response: Response,
) -> BenchmarkRead:
    """Store one measured operating point with its provenance. Where stored points cover a
    configuration, `/v1/performance` answers from them (`source: measured`). Needs an admin key."""
    return created(
        response, BENCHMARKS, benchmark_service.create_benchmark(session, body), BenchmarkRead
    )


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    dependencies=[AdminDep],
    summary="Import a vllm bench serve or GuideLLM result file",
)
def import_benchmarks(
    session: SessionDep,
    body: Annotated[BenchmarkImport, Body(openapi_examples=ex.BENCHMARK_IMPORT)],
) -> BenchmarkImportResult:
    """Store every fixed-load run of a `vllm bench serve --save-result` JSON or a GuideLLM report
    as `<slug_prefix>-<n>`; all or nothing. Needs an admin key."""
    entries = benchmark_service.import_benchmarks(session, body)
    return BenchmarkImportResult(items=[BenchmarkRead.model_validate(e) for e in entries])


@router.patch("/{slug}", dependencies=[AdminDep], summary="Change a benchmark")
def update_benchmark(
    session: SessionDep,
    slug: Slug,
    body: Annotated[BenchmarkUpdate, Body(openapi_examples=ex.BENCHMARK_UPDATE)],
) -> BenchmarkRead:
    """Change some fields; old values stay readable at earlier versions. Needs an admin key."""
    entry = catalog_service.update_entry(session, BENCHMARKS, slug, body)
    return BenchmarkRead.model_validate(entry)


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[AdminDep],
    summary="Delete a benchmark",
)
def delete_benchmark(session: SessionDep, slug: Slug) -> Response:
    """Remove a measurement from the current catalog (history keeps it). Needs an admin key."""
    catalog_service.delete_entry(session, BENCHMARKS, slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
