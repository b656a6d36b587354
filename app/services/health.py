"""Readiness: the database answers and its schema is at the newest migration."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db.migrations import current_revision, head_revision
from app.errors import UnavailableError


@dataclass(frozen=True, slots=True)
class Readiness:
    database: str
    revision: str | None


def check_readiness(engine: Engine) -> Readiness:
    """Raises UnavailableError when the database is unreachable or not migrated to head."""
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        raise UnavailableError("the database is not reachable") from exc
    head = head_revision()
    if revision != head:
        raise UnavailableError(f"database schema is at {revision}, expected {head}: migrate it")
    return Readiness(database=engine.dialect.name, revision=revision)
