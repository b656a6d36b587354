"""Catalog use cases: versioned reads and writes (seeding and refreshing: `catalog_sync.py`).

Every write opens a new `CatalogVersion`; rows are never updated in place except to close them
(`valid_to_version`). Services flush but never commit: the request owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.orm import (
    CatalogVersion,
    FineTuningPrice,
    GpuOffering,
    VersionedEntry,
)
from app.db.queries import escape_like
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.catalog_resources import (
    API_MODELS,
    BENCHMARKS,
    FINE_TUNING_PRICES,
    GPU_OFFERINGS,
    GPUS,
    OPEN_MODELS,
    CatalogResource,
)

# --- versions -------------------------------------------------------------------------------


_LATEST_VERSION = select(func.max(CatalogVersion.id))


def find_latest_version(session: Session) -> int | None:
    return session.scalar(_LATEST_VERSION)


def resolve_version(
    session: Session, *, version: int | None = None, as_of: dt.datetime | None = None
) -> int:
    """The catalog version to read: the given one, the last one at `as_of`, or the latest.

    With both, the earlier of the two wins: `as_of` caps `version`.
    """
    if version is not None:
        if session.get(CatalogVersion, version) is None:
            raise NotFoundError(f"catalog version {version} does not exist", version=version)
        if as_of is None:
            return version
        return min(version, resolve_version(session, as_of=as_of))
    if as_of is not None:
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=dt.UTC)
        found = session.scalar(
            select(func.max(CatalogVersion.id)).where(CatalogVersion.created_at <= as_of)
        )
        if found is None:
            raise NotFoundError(
                f"the catalog had no version at {as_of.isoformat()}", as_of=as_of.isoformat()
            )
        return found
    latest = find_latest_version(session)
    if latest is None:
        raise NotFoundError("the catalog is empty: run `llm-cost-estimator migrate` to seed it")
    return latest


def list_versions(session: Session, *, limit: int, offset: int) -> tuple[list[CatalogVersion], int]:
    total = session.scalar(select(func.count()).select_from(CatalogVersion)) or 0
    rows = session.scalars(
        select(CatalogVersion).order_by(CatalogVersion.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def open_version(
    session: Session, *, action: str, resource: str | None, slug: str | None, note: str = ""
) -> CatalogVersion:
    version = CatalogVersion(
        created_at=dt.datetime.now(dt.UTC),
        action=action,
        resource=resource,
        slug=slug,
        note=note,
        rows_changed=0,
    )
    session.add(version)
    session.flush()
    return version


def visible_at(orm: type[VersionedEntry], version: int) -> ColumnElement[bool]:
    """Rows of `orm` as the catalog was at `version`."""
    return and_(
        orm.valid_from_version <= version,
        or_(orm.valid_to_version.is_(None), orm.valid_to_version > version),
    )


# --- reads ----------------------------------------------------------------------------------


def list_entries(
    session: Session,
    resource: CatalogResource,
    *,
    version: int,
    filters: Mapping[str, str | None],
    q: str | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[list[VersionedEntry], int]:
    """One page of the catalog as it was at `version`, with the total count."""
    orm = resource.orm
    stmt: Select[VersionedEntry] = select(orm).where(visible_at(orm, version))
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(func.lower(getattr(orm, name)) == value.lower())
    if q:
        pattern = f"%{escape_like(q.lower())}%"
        stmt = stmt.where(
            or_(
                *(
                    func.lower(getattr(orm, column)).like(pattern, escape="\\")
                    for column in resource.search_columns
                )
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    if field not in resource.sort_fields:
        raise InvalidInputError(
            f"cannot sort by {field!r}; choose one of {', '.join(resource.sort_fields)}",
            allowed=list(resource.sort_fields),
        )
    column = getattr(orm, field)
    ordering = column.desc() if descending else column.asc()
    # NULLs last either way, then slug so pages are stable.
    stmt = stmt.order_by(column.is_(None), ordering, orm.slug).limit(limit).offset(offset)
    return list(session.scalars(stmt).all()), total


@cache
def _entry_statements(
    orm: type[VersionedEntry],
) -> tuple[Select[VersionedEntry], Select[VersionedEntry]]:
    """(current, at-version) lookups by slug, built once: constructing a statement costs more
    than running it on the hot paths (/v1/performance resolves two entries per request)."""
    slug = bindparam("slug", type_=String)
    version = bindparam("version", type_=Integer)
    current = select(orm).where(orm.slug == slug, orm.valid_to_version.is_(None))
    at_version = select(orm).where(
        orm.slug == slug,
        orm.valid_from_version <= version,
        or_(orm.valid_to_version.is_(None), orm.valid_to_version > version),
    )
    return current, at_version


def find_entry(
    session: Session, resource: CatalogResource, slug: str, *, version: int | None = None
) -> VersionedEntry | None:
    current, at_version = _entry_statements(resource.orm)
    if version is None:
        return session.scalar(current, {"slug": slug})
    return session.scalar(at_version, {"slug": slug, "version": version})


def entry_row(entry: VersionedEntry) -> dict[str, Any]:
    """Every column of a catalog row, by name (what the seed-data spec builders read)."""
    return {c.key: getattr(entry, c.key) for c in type(entry).__table__.columns}


def get_entry(
    session: Session, resource: CatalogResource, slug: str, *, version: int | None = None
) -> VersionedEntry:
    entry = find_entry(session, resource, slug, version=version)
    if entry is None:
        at = "" if version is None else f" at catalog version {version}"
        raise NotFoundError(
            f"no {resource.label} with slug {slug!r}{at}",
            resource=resource.collection,
            slug=slug,
        )
    return entry


# --- writes ---------------------------------------------------------------------------------


def _columns(resource: CatalogResource) -> list[str]:
    skip = {"id", "valid_from_version", "valid_to_version"}
    return [c.key for c in resource.orm.__table__.columns if c.key not in skip]


def to_row_values(resource: CatalogResource, data: BaseModel) -> dict[str, Any]:
    values = data.model_dump(mode="python")
    if resource is API_MODELS:
        # Tier prices stay exact inside the JSON column: Decimals as strings.
        values["long_context_tiers"] = [
            {k: (str(v) if isinstance(v, Decimal) else v) for k, v in tier.items()}
            for tier in values["long_context_tiers"]
        ]
    return {name: values[name] for name in _columns(resource)}


def entry_values(resource: CatalogResource, entry: VersionedEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _columns(resource)}


def validate_entry(resource: CatalogResource, values: Mapping[str, Any]) -> BaseModel:
    """The create schema of `resource` applied to `values` (422 problem when invalid)."""
    try:
        # Internal data (bundled rows, stored rows) is trusted to use lax types such as
        # Decimal-as-string; request bodies are parsed strictly by FastAPI before this.
        return resource.create_schema.model_validate(dict(values), strict=False)
    except ValidationError as exc:
        raise InvalidInputError(
            f"the {resource.label} would be invalid: {_summarise(exc)}",
            errors=[
                {"loc": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
                for e in exc.errors()
            ],
        ) from exc


def _summarise(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
    )


def _check_references(
    session: Session, resource: CatalogResource, values: Mapping[str, Any]
) -> None:
    if resource in (GPU_OFFERINGS, BENCHMARKS) and (
        find_entry(session, GPUS, values["gpu_slug"]) is None
    ):
        raise InvalidInputError(
            f"gpu_slug {values['gpu_slug']!r} is not a GPU in the catalog",
            gpu_slug=values["gpu_slug"],
        )
    if (
        resource is FINE_TUNING_PRICES
        and find_entry(session, API_MODELS, values["api_model_slug"]) is None
    ):
        raise InvalidInputError(
            f"api_model_slug {values['api_model_slug']!r} is not an API model in the catalog",
            api_model_slug=values["api_model_slug"],
        )
    if resource is BENCHMARKS and (
        find_entry(session, OPEN_MODELS, values["open_model_slug"]) is None
    ):
        raise InvalidInputError(
            f"open_model_slug {values['open_model_slug']!r} is not an open model in the catalog",
            open_model_slug=values["open_model_slug"],
        )


def insert_entry(
    session: Session, resource: CatalogResource, values: Mapping[str, Any], version: int
) -> VersionedEntry:
    entry = resource.orm(**values, valid_from_version=version)
    session.add(entry)
    return entry


def _flush_or_conflict(session: Session, resource: CatalogResource, slug: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # Another request wrote the same slug between our check and our insert.
        raise ConflictError(
            f"a {resource.label} with slug {slug!r} already exists", slug=slug
        ) from exc


def create_entry(session: Session, resource: CatalogResource, data: BaseModel) -> VersionedEntry:
    values = to_row_values(resource, data)
    slug = values["slug"]
    if find_entry(session, resource, slug) is not None:
        raise ConflictError(f"a {resource.label} with slug {slug!r} already exists", slug=slug)
    _check_references(session, resource, values)
    version = open_version(session, action="create", resource=resource.collection, slug=slug)
    entry = insert_entry(session, resource, values, version.id)
    version.rows_changed = 1
    _flush_or_conflict(session, resource, slug)
    return entry


def update_entry(
    session: Session, resource: CatalogResource, slug: str, patch: BaseModel
) -> VersionedEntry:
    """Apply a partial update as a new version; an update that changes nothing is a no-op."""
    current = _get_current_for_update(session, resource, slug)
    old = entry_values(resource, current)
    changes = patch.model_dump(mode="python", exclude_unset=True)
    merged = validate_entry(resource, _jsonable_tiers({**old, **changes}))
    values = to_row_values(resource, merged)
    if values == old:
        return current
    _check_references(session, resource, values)
    version = open_version(session, action="update", resource=resource.collection, slug=slug)
    current.valid_to_version = version.id
    session.flush()  # close the old row before the partial unique index sees the new one
    entry = insert_entry(session, resource, values, version.id)
    version.rows_changed = 1
    _flush_or_conflict(session, resource, slug)
    return entry


def _jsonable_tiers(values: dict[str, Any]) -> dict[str, Any]:
    tiers = values.get("long_context_tiers")
    if tiers is not None:
        values["long_context_tiers"] = [
            t.model_dump(mode="python") if isinstance(t, BaseModel) else t for t in tiers
        ]
    return values


def delete_entry(session: Session, resource: CatalogResource, slug: str) -> int:
    """Close the entry at a new version (history keeps it); returns that version."""
    current = _get_current_for_update(session, resource, slug)
    if resource is GPUS:
        users = session.scalars(
            select(GpuOffering.slug).where(
                GpuOffering.gpu_slug == slug, GpuOffering.valid_to_version.is_(None)
            )
        ).all()
        if users:
            raise ConflictError(
                f"GPU {slug!r} is used by {len(users)} offering(s); delete those first",
                offerings=sorted(users),
            )
    if resource is API_MODELS:
        tunings = session.scalars(
            select(FineTuningPrice.slug).where(
                FineTuningPrice.api_model_slug == slug, FineTuningPrice.valid_to_version.is_(None)
            )
        ).all()
        if tunings:
            raise ConflictError(
                f"API model {slug!r} has {len(tunings)} fine-tuning price(s); delete those first",
                fine_tuning_prices=sorted(tunings),
            )
    version = open_version(session, action="delete", resource=resource.collection, slug=slug)
    current.valid_to_version = version.id
    version.rows_changed = 1
    session.flush()
    return version.id


def _get_current_for_update(
    session: Session, resource: CatalogResource, slug: str
) -> VersionedEntry:
    orm = resource.orm
    entry = session.scalar(
        select(orm).where(orm.slug == slug, orm.valid_to_version.is_(None)).with_for_update()
    )
    if entry is None:
        raise NotFoundError(
            f"no {resource.label} with slug {slug!r}", resource=resource.collection, slug=slug
        )
    return entry
