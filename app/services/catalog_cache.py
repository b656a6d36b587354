"""Catalog rows kept in memory, per catalog state, for the hot read paths (estimates,
`/v1/performance`, name resolution, stored benchmarks).

Why it is safe: catalog rows are never changed in place. Every change (create, update, delete,
refresh) opens a new catalog version, inserts rows valid from it and closes the rows it replaces
(`valid_to_version`); so the rows visible at a version, and each row's columns, change only when
a new version is committed. Versions are never deleted. The cache key is therefore the state of
the `catalog_versions` table: its newest id, its number of rows and its newest `created_at`, read
in one query per transaction. Any committed change, made by any worker or replica, changes that
key, including the case where two PostgreSQL writers commit their versions out of order (version
10 after 11: the newest id stays, the count does not). A session's own uncommitted change also
changes the key it sees (and only it sees), and the key is re-read after every flush.

Rows handed out are copies: callers may change them freely.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.db.orm import CatalogVersion
from app.errors import InvalidInputError, NotFoundError
from app.services import catalog as catalog_service
from app.services.catalog_resources import CatalogResource

_T = TypeVar("_T")
Row = dict[str, Any]

#: Catalog states kept per process: the current one, plus a few a slow request may still use.
MAX_STATES = 8
#: Values kept per state (rows of a catalog at a version, specs, name indexes, re-fits); past
#: this, values are computed and not kept.
MAX_VALUES_PER_STATE = 2_000
_STATE_QUERY = select(
    func.max(CatalogVersion.id), func.count(CatalogVersion.id), func.max(CatalogVersion.created_at)
)
_SESSION_KEY = "catalog_cache.state"


@dataclass(frozen=True, slots=True)
class CatalogState:
    """What identifies the catalog's content: changes whenever any version is committed."""

    database: str
    latest: int | None
    versions: int
    newest_at: dt.datetime | None


class _Snapshot:
    """Rows (and things derived from them) of one catalog state, filled on first use."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}
        # Re-entrant: building one value may read another (a spec reads its row).
        self._lock = threading.RLock()

    def get(self, key: Any, build: Callable[[], _T]) -> _T:
        try:
            return self._values[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        with self._lock:
            if key not in self._values:
                if len(self._values) >= MAX_VALUES_PER_STATE:
                    # Keys can carry request values (a re-fit's derate): never grow unbounded.
                    return build()
                self._values[key] = build()
            return self._values[key]  # type: ignore[no-any-return]


_SNAPSHOTS: OrderedDict[CatalogState, _Snapshot] = OrderedDict()
_SNAPSHOTS_LOCK = threading.Lock()


def _forget_state(session: Session, *_args: Any) -> None:
    session.info.pop(_SESSION_KEY, None)


# A flush may have written a version; a new transaction may see versions others committed.
event.listen(Session, "after_flush", _forget_state)
event.listen(Session, "after_transaction_end", _forget_state)


def catalog_state(session: Session) -> CatalogState:
    """The catalog's state as `session` sees it (one query per session)."""
    state: CatalogState | None = session.info.get(_SESSION_KEY)
    if state is None:
        latest, versions, newest_at = session.execute(_STATE_QUERY).one()
        bind = session.get_bind()
        state = CatalogState(str(bind.engine.url), latest, versions, newest_at)
        session.info[_SESSION_KEY] = state
    return state


def _snapshot(session: Session) -> _Snapshot:
    state = catalog_state(session)
    with _SNAPSHOTS_LOCK:
        snapshot = _SNAPSHOTS.get(state)
        if snapshot is None:
            snapshot = _SNAPSHOTS[state] = _Snapshot()
            while len(_SNAPSHOTS) > MAX_STATES:
                _SNAPSHOTS.popitem(last=False)
        else:
            _SNAPSHOTS.move_to_end(state)
        return snapshot


def clear() -> None:
    """Forget every cached state (tests; nothing else needs it)."""
    with _SNAPSHOTS_LOCK:
        _SNAPSHOTS.clear()


def resolve_version(session: Session, version: int | None = None) -> int:
    """`catalog_service.resolve_version` for a request that names a version or none (latest),
    without a second query for the latest."""
    if version is not None:
        return catalog_service.resolve_version(session, version=version)
    latest = catalog_state(session).latest
    if latest is None:
        raise NotFoundError("the catalog is empty: run `llm-cost-estimator migrate` to seed it")
    return latest


def derived(session: Session, version: int, key: Any, build: Callable[[], _T]) -> _T:
    """`build()`, computed once per catalog state and version (it must not change after)."""
    return _snapshot(session).get(("derived", version, key), build)


def _rows_at(session: Session, resource: CatalogResource, version: int) -> Mapping[str, Row]:
    """Every row of `resource` visible at `version`, by slug (shared: never hand these out)."""

    def load() -> dict[str, Row]:
        table = resource.orm.__table__
        stmt = select(table).where(catalog_service.visible_at(resource.orm, version))
        return {row.slug: dict(row._mapping) for row in session.execute(stmt)}

    return _snapshot(session).get(("rows", resource.collection, version), load)


def _copy(row: Row) -> Row:
    return {k: copy.deepcopy(v) if isinstance(v, list | dict) else v for k, v in row.items()}


def slugs(session: Session, resource: CatalogResource, version: int) -> Mapping[str, Row]:
    """The slugs of `resource` at `version` (a read-only mapping: test membership only)."""
    return _rows_at(session, resource, version)


def shared_current_rows(session: Session, resource: CatalogResource) -> tuple[Row, ...]:
    """Every current row of `resource`, in slug order, shared with other requests: read them,
    never change them (`current_rows` gives copies)."""
    latest = catalog_state(session).latest
    if latest is None:
        return ()
    rows = _rows_at(session, resource, latest)
    return derived(
        session,
        latest,
        ("sorted", resource.collection),
        lambda: tuple(rows[s] for s in sorted(rows)),
    )


def find_row(session: Session, resource: CatalogResource, slug: str, version: int) -> Row | None:
    """One row at `version`, as `catalog_service.entry_row` gives it, or None."""
    row = _rows_at(session, resource, version).get(slug)
    return None if row is None else _copy(row)


def entries(
    session: Session, resource: CatalogResource, slugs: Sequence[str] | None, version: int
) -> list[Row]:
    """Rows at `version`: the named ones in the order given (all must exist; a missing one is
    a 422), or all of them in slug order."""
    rows = _rows_at(session, resource, version)
    if slugs is None:
        return [_copy(rows[s]) for s in sorted(rows)]
    missing = [s for s in slugs if s not in rows]
    if missing:
        raise InvalidInputError(
            f"unknown {resource.label} slug(s) at catalog version {version}: " + ", ".join(missing),
            resource=resource.collection,
            slugs=missing,
        )
    return [_copy(rows[s]) for s in dict.fromkeys(slugs)]


def present(
    session: Session, resource: CatalogResource, slugs: Iterable[str], version: int
) -> list[Row]:
    """The rows at `version` of those of `slugs` that exist, in the order given."""
    rows = _rows_at(session, resource, version)
    return [_copy(rows[s]) for s in dict.fromkeys(slugs) if s in rows]


def current_rows(session: Session, resource: CatalogResource) -> list[Row]:
    """Every current row of `resource` (as of the newest version), in slug order."""
    latest = catalog_state(session).latest
    return [] if latest is None else entries(session, resource, None, latest)
