"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.services.health import check_readiness

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str | None = None
    revision: str | None = None


@router.get("/healthz", summary="Liveness")
async def healthz() -> Health:
    """The process is up and serving."""
    # `async def`: answered on the event loop itself, never queued behind the thread pool
    # that runs CPU-bound routes.
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness",
    responses={503: {"description": "Database unreachable or migrations not at head."}},
)
def readyz(request: Request) -> Health:
    """The database answers and its schema is at the newest migration."""
    readiness = check_readiness(request.app.state.engine)
    return Health(status="ready", database=readiness.database, revision=readiness.revision)
