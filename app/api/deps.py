"""Typed dependencies shared by the routes."""

from __future__ import annotations

import datetime as dt
import hmac
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated

import anyio
from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from app.access import ALL_SCOPES, ANONYMOUS, Principal, Scope
from app.db.session import read_scope, session_scope
from app.errors import ForbiddenError, UnauthenticatedError
from app.services import api_keys as api_keys_service
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
    on SQLite it does not take the write lock, so it never queues behind or blocks writers;
    on PostgreSQL it runs in autocommit (`read_scope`)."""
    yield from read_scope(request.app.state.sessionmaker)


_read_scope = contextmanager(read_scope)


def read_session(request: Request) -> AbstractContextManager[Session]:
    """`get_read_session` for a plain `def` endpoint to open in its own worker thread: as a
    dependency, a generator runs its start and its end in two more worker-thread hops per
    request (a third of what a cached answer costs)."""
    return _read_scope(request.app.state.sessionmaker)


def get_deferred_write_session(request: Request) -> Iterator[Session]:
    """A transaction that begins when first used: a service that computes before it writes
    calls `begin_write` once it is ready, so the write lock is not held while it computes."""
    yield from session_scope(request.app.state.sessionmaker, write=False)


#: Principal names of the keys configured in the environment.
ENV_ADMIN = "admin"
ENV_READER = "reader"
KEY_CACHE_MAX = 10_000

SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
DeferredWriteSessionDep = Annotated[Session, Depends(get_deferred_write_session, scope="function")]


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


def _lookup_key(request: Request, token: str) -> Principal | None:
    with request.app.state.sessionmaker() as session:
        return api_keys_service.find_principal(session, token)


async def _database_principal(request: Request, token: str, ttl_s: float) -> Principal | None:
    """A database key's principal, remembered by this worker for `ttl_s` seconds."""
    cache: dict[str, tuple[Principal | None, float]] = request.app.state.key_cache
    digest = api_keys_service.hash_secret(token)
    hit = cache.get(digest)
    now = time.monotonic()
    if hit is not None and hit[1] > now:
        return hit[0]
    principal = await anyio.to_thread.run_sync(_lookup_key, request, token)
    if len(cache) > KEY_CACHE_MAX:
        cache.clear()
    cache[digest] = (principal, now + ttl_s)
    return principal


async def get_principal(
    request: Request,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """Who is calling: a key from the environment or the database, or the anonymous caller."""
    if authorization is None:
        return Principal(name=ANONYMOUS, scopes=settings.resolved_anonymous_scopes)
    token = _bearer(authorization)
    if _matches(token, settings.admin_api_keys):
        return Principal(name=ENV_ADMIN, scopes=ALL_SCOPES, authenticated=True)
    if _matches(token, settings.read_api_keys):
        return Principal(name=ENV_READER, scopes=frozenset({Scope.READ}), authenticated=True)
    principal = await _database_principal(request, token, settings.api_key_cache_s)
    if principal is None:
        raise ForbiddenError("this API key is not valid: it is unknown or was revoked")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def ensure_scope(principal: Principal, scope: Scope) -> None:
    """401 for a caller without a key, 403 for a key, unless `principal` has `scope`."""
    if principal.can(scope):
        return
    if not principal.authenticated:
        raise UnauthenticatedError(
            f"this operation needs an API key with the `{scope}` scope: "
            "`Authorization: Bearer <key>`",
            required_scope=scope.value,
        )
    raise ForbiddenError(f"this API key lacks the `{scope}` scope", required_scope=scope.value)


def require(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only callers whose key has `scope`."""

    async def check(principal: PrincipalDep) -> Principal:
        ensure_scope(principal, scope)
        return principal

    return check


AdminDep = Depends(require(Scope.CATALOG_ADMIN))
ReaderDep = Depends(require(Scope.READ))
KeysAdminDep = Depends(require(Scope.KEYS_ADMIN))
AnalysesWriter = Annotated[Principal, Depends(require(Scope.ANALYSES_WRITE))]


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
