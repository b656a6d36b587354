"""Typed dependencies shared by the routes."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from app.db.session import session_scope
from app.errors import ForbiddenError, UnauthenticatedError
from app.services import catalog as catalog_service
from app.settings import Settings

# Dependencies that do no I/O are `async def`: FastAPI runs plain `def` ones in a worker
# thread, and those thread hops cost more than the work itself.


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed before the response is sent, or rolled back."""
    write = request.method in {"POST", "PUT", "PATCH", "DELETE"}
    yield from session_scope(request.app.state.sessionmaker, write=write)


def get_read_session(request: Request) -> Iterator[Session]:
    """A transaction for a request that only reads, whatever its method (e.g. POST estimates):
    on SQLite it does not take the write lock, so it never queues behind or blocks writers."""
    yield from session_scope(request.app.state.sessionmaker, write=False)


def get_rerun_session(request: Request) -> Iterator[Session]:
    """A re-run writes only when it saves a revision (`?save=true`); otherwise it reads, so on
    SQLite it neither takes nor waits for the write lock. An invalid `save` value is rejected
    by the route's own validation."""
    save = request.query_params.get("save", "").strip().lower() in _TRUE_WORDS
    yield from session_scope(request.app.state.sessionmaker, write=save)


#: Query-string spellings of true that FastAPI accepts for a bool parameter.
_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})

SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
RerunSessionDep = Annotated[Session, Depends(get_rerun_session, scope="function")]


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise UnauthenticatedError("this operation needs an API key: `Authorization: Bearer <key>`")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("the Authorization header must be `Bearer <key>`")
    return token.strip()


def _matches(token: str, keys: list[str]) -> bool:
    # Compare against every key, in constant time per key, so timing reveals nothing.
    found = False
    for key in keys:
        found |= hmac.compare_digest(token.encode(), key.encode())
    return found


async def require_admin(
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    token = _bearer(authorization)
    if not settings.admin_api_keys:
        raise ForbiddenError(
            "catalog writes are disabled: no admin keys are configured (set ADMIN_API_KEYS)"
        )
    if not _matches(token, settings.admin_api_keys):
        raise ForbiddenError("this API key may not change the catalogs")


async def require_reader(
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    if not settings.require_api_key_for_reads:
        return
    token = _bearer(authorization)
    if not _matches(token, settings.read_api_keys + settings.admin_api_keys):
        raise ForbiddenError("this API key may not read this service")


AdminDep = Depends(require_admin)
ReaderDep = Depends(require_reader)


def catalog_version(
    session: SessionDep,
    version: Annotated[
        int | None,
        Query(ge=1, le=2_000_000_000, description="Read the catalog as it was at this version."),
    ] = None,
    as_of: Annotated[
        dt.datetime | None,
        Query(description="Read the catalog as it was at this instant (ISO 8601)."),
    ] = None,
) -> int:
    return catalog_service.resolve_version(session, version=version, as_of=as_of)


VersionDep = Annotated[int, Depends(catalog_version)]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
SearchText = Annotated[
    str | None, Query(max_length=200, description="Case-insensitive text search.")
]
