"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db.migrations import current_revision, head_revision
from app.errors import UnavailableError

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
    engine: Engine = request.app.state.engine
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        raise UnavailableError("the database is not reachable") from exc
    head = head_revision()
    if revision != head:
        raise UnavailableError(f"database schema is at {revision}, expected {head}: migrate it")
    return Health(status="ready", database=engine.dialect.name, revision=revision)
