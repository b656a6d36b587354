"""Catalog use cases: versioned reads and writes, seeding and refreshing.

Every write opens a new `CatalogVersion`; rows are never updated in place except to close them
(`valid_to_version`). Services flush but never commit: the request owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
    ApiModel,
    Benchmark,
    CatalogVersion,
    Gpu,
    GpuOffering,
    OpenModel,
    VersionedEntry,
)
from app.db.queries import escape_like
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.schemas.benchmarks import BenchmarkCreate
from app.schemas.catalog import (
    ApiModelCreate,
    GpuCreate,
    GpuOfferingCreate,
    OpenModelCreate,
)


@dataclass(frozen=True, slots=True)
class CatalogResource:
    """How one catalog table is listed, searched, validated and named."""

    collection: str
    label: str
    orm: type[VersionedEntry]
    create_schema: type[BaseModel]
    filters: tuple[str, ...]
    search_columns: tuple[str, ...]
    sort_fields: tuple[str, ...]


GPUS = CatalogResource(
    collection="gpus",
    label="GPU",
    orm=Gpu,
    create_schema=GpuCreate,
    filters=("vendor", "interconnect"),
    search_columns=("slug", "name", "vendor"),
    sort_fields=(
        "slug",
        "name",
        "vendor",
        "memory_gb",
        "memory_bandwidth_gb_per_s",
        "bf16_tflops",
        "fp8_tflops",
        "tdp_w",
        "list_price_usd",
        "as_of",
    ),
)
GPU_OFFERINGS = CatalogResource(
    collection="gpu-offerings",
    label="GPU offering",
    orm=GpuOffering,
    create_schema=GpuOfferingCreate,
    filters=("provider", "gpu_slug", "region"),
    search_columns=("slug", "provider", "instance_type", "gpu_slug"),
    sort_fields=(
        "slug",
        "provider",
        "instance_type",
        "gpu_slug",
        "gpu_count",
        "usd_per_hour_on_demand",
        "usd_per_hour_committed_1y",
        "usd_per_hour_committed_3y",
        "usd_per_hour_spot",
        "as_of",
    ),
)
OPEN_MODELS = CatalogResource(
    collection="open-models",
    label="open model",
    orm=OpenModel,
    create_schema=OpenModelCreate,
    filters=("family", "attention_kind", "license"),
    search_columns=("slug", "name", "family", "hf_repo"),
    sort_fields=(
        "slug",
        "name",
        "family",
        "total_params_b",
        "active_params_b",
        "max_context_tokens",
        "as_of",
    ),
)
API_MODELS = CatalogResource(
    collection="api-models",
    label="API model",
    orm=ApiModel,
    create_schema=ApiModelCreate,
    filters=("provider", "model_id"),
    search_columns=("slug", "name", "model_id", "provider", "provider_name"),
    sort_fields=(
        "slug",
        "name",
        "provider",
        "model_id",
        "context_window_tokens",
        "usd_per_mtok_input",
        "usd_per_mtok_output",
        "usd_per_mtok_cached_input",
        "as_of",
    ),
)
BENCHMARKS = CatalogResource(
    collection="benchmarks",
    label="benchmark",
    orm=Benchmark,
    create_schema=BenchmarkCreate,
    filters=("engine", "gpu_slug", "open_model_slug", "precision", "tool"),
    search_columns=("slug", "engine_version", "gpu_slug", "open_model_slug", "notes"),
    sort_fields=(
        "slug",
        "engine",
        "gpu_slug",
        "open_model_slug",
        "concurrency",
        "request_rate_per_s",
        "output_tokens_per_s",
        "as_of",
    ),
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


def _open_version(
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


def _to_row_values(resource: CatalogResource, data: BaseModel) -> dict[str, Any]:
    values = data.model_dump(mode="python")
    if resource is API_MODELS:
        # Tier prices stay exact inside the JSON column: Decimals as strings.
        values["long_context_tiers"] = [
            {k: (str(v) if isinstance(v, Decimal) else v) for k, v in tier.items()}
            for tier in values["long_context_tiers"]
        ]
    return {name: values[name] for name in _columns(resource)}


def _entry_values(resource: CatalogResource, entry: VersionedEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _columns(resource)}


def validate_entry(resource: CatalogResource, values: Mapping[str, Any]) -> BaseModel:
    """The create schema of `resource` applied to `values` (422 problem when invalid)."""
    return _validate(resource, values)


def _validate(resource: CatalogResource, values: Mapping[str, Any]) -> BaseModel:
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
    if resource is BENCHMARKS and (
        find_entry(session, OPEN_MODELS, values["open_model_slug"]) is None
    ):
        raise InvalidInputError(
            f"open_model_slug {values['open_model_slug']!r} is not an open model in the catalog",
            open_model_slug=values["open_model_slug"],
        )


def _insert(
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
    values = _to_row_values(resource, data)
    slug = values["slug"]
    if find_entry(session, resource, slug) is not None:
        raise ConflictError(f"a {resource.label} with slug {slug!r} already exists", slug=slug)
    _check_references(session, resource, values)
    version = _open_version(session, action="create", resource=resource.collection, slug=slug)
    entry = _insert(session, resource, values, version.id)
    version.rows_changed = 1
    _flush_or_conflict(session, resource, slug)
    return entry


def update_entry(
    session: Session, resource: CatalogResource, slug: str, patch: BaseModel
) -> VersionedEntry:
    """Apply a partial update as a new version; an update that changes nothing is a no-op."""
    current = _get_current_for_update(session, resource, slug)
    old = _entry_values(resource, current)
    changes = patch.model_dump(mode="python", exclude_unset=True)
    merged = _validate(resource, _jsonable_tiers({**old, **changes}))
    values = _to_row_values(resource, merged)
    if values == old:
        return current
    _check_references(session, resource, values)
    version = _open_version(session, action="update", resource=resource.collection, slug=slug)
    current.valid_to_version = version.id
    session.flush()  # close the old row before the partial unique index sees the new one
    entry = _insert(session, resource, values, version.id)
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
    version = _open_version(session, action="delete", resource=resource.collection, slug=slug)
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


# --- seeding and refreshing -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncCounts:
    added: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.removed


def _sync(
    session: Session,
    resource: CatalogResource,
    rows: Iterable[Mapping[str, Any]],
    version: Callable[[], int],
    *,
    owns: Callable[[VersionedEntry], bool],
) -> SyncCounts:
    """Make the current catalog match `rows`; remove current entries that `owns` but rows lack."""
    wanted = {}
    for row in rows:
        # Empty cells in bundled data mean "not given": the schema's default applies.
        given = {k: v for k, v in row.items() if v is not None}
        values = _to_row_values(resource, _validate(resource, given))
        wanted[values["slug"]] = values
    current = {
        e.slug: e
        for e in session.scalars(
            select(resource.orm).where(resource.orm.valid_to_version.is_(None))
        ).all()
    }
    added = updated = removed = 0
    for slug, values in wanted.items():
        existing = current.get(slug)
        if existing is None:
            _insert(session, resource, values, version())
            added += 1
        elif _entry_values(resource, existing) != values:
            existing.valid_to_version = version()
            session.flush()
            _insert(session, resource, values, version())
            updated += 1
    for slug, existing in current.items():
        if slug not in wanted and owns(existing):
            existing.valid_to_version = version()
            removed += 1
    session.flush()
    return SyncCounts(added, updated, removed)


GENAI_SOURCE_PREFIX = "genai-prices"


def _from_genai_prices(entry: VersionedEntry) -> bool:
    return entry.source.startswith(GENAI_SOURCE_PREFIX)


def _never(_entry: VersionedEntry) -> bool:
    return False


def seed_catalogs(session: Session, *, today: dt.date) -> CatalogVersion | None:
    """Fill an empty catalog from the bundled data and genai-prices; None if already seeded."""
    if find_latest_version(session) is not None:
        return None
    version = _open_version(
        session, action="seed", resource=None, slug=None, note=_seed_note(today)
    )
    total = 0
    for resource, rows in _bundled_rows(today=today):
        total += _sync(session, resource, rows, lambda: version.id, owns=_never).total
    version.rows_changed = total
    session.flush()
    return version


def refresh_catalogs(
    session: Session, *, collections: Sequence[str], today: dt.date
) -> tuple[SyncCounts, int, bool, str]:
    """Re-read the bundled sources; open one version if anything changed."""
    latest = find_latest_version(session)
    if latest is None:
        raise InvalidInputError("the catalog has not been seeded yet: nothing to refresh")
    opened: list[CatalogVersion] = []

    def version() -> int:
        if not opened:
            opened.append(
                _open_version(
                    session,
                    action="refresh",
                    resource=",".join(collections),
                    slug=None,
                    note=_seed_note(today),
                )
            )
        return opened[0].id

    added = updated = removed = 0
    for resource, rows in _bundled_rows(today=today):
        if resource.collection not in collections:
            continue
        counts = _sync(
            session,
            resource,
            rows,
            version,
            # Only entries that came from genai-prices are removed when the package drops them;
            # hand-made API models and bundled hardware stay until someone deletes them.
            owns=_from_genai_prices if resource is API_MODELS else _never,
        )
        added, updated, removed = (
            added + counts.added,
            updated + counts.updated,
            removed + counts.removed,
        )
    counts = SyncCounts(added, updated, removed)
    if opened:
        opened[0].rows_changed = counts.total
        session.flush()
        return counts, opened[0].id, True, _seed_note(today)
    return counts, latest, False, _seed_note(today)


def _seed_note(today: dt.date) -> str:
    from app.catalog.genai_import import genai_prices_version

    return (
        f"bundled GPU, offering and open-model data; API prices from genai-prices "
        f"{genai_prices_version()}, in effect {today}"
    )


def _bundled_rows(*, today: dt.date) -> list[tuple[CatalogResource, Sequence[Mapping[str, Any]]]]:
    from dataclasses import asdict

    from app.catalog import seed_data
    from app.catalog.genai_import import load_api_models

    return [
        (GPUS, seed_data.load_gpus()),
        (GPU_OFFERINGS, seed_data.load_gpu_offerings()),
        (OPEN_MODELS, seed_data.load_open_models()),
        (API_MODELS, [asdict(row) for row in load_api_models(as_of=today)]),
    ]
