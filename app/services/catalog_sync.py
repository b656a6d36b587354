"""Seeding and refreshing the catalog from the bundled data and genai-prices.

A refresh opens one `CatalogVersion` only if something changed; entries that came from
genai-prices are removed when the package drops them, hand-made ones stay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.orm import CatalogVersion, VersionedEntry
from app.errors import InvalidInputError
from app.services.catalog import (
    entry_values,
    find_latest_version,
    insert_entry,
    open_version,
    to_row_values,
    validate_entry,
)
from app.services.catalog_resources import (
    API_MODELS,
    FINE_TUNING_PRICES,
    GPU_OFFERINGS,
    GPUS,
    OPEN_MODELS,
    QUALITY_SCORES,
    CatalogResource,
)


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
        values = to_row_values(resource, validate_entry(resource, given))
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
            insert_entry(session, resource, values, version())
            added += 1
        elif entry_values(resource, existing) != values:
            existing.valid_to_version = version()
            session.flush()
            insert_entry(session, resource, values, version())
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
    version = open_version(session, action="seed", resource=None, slug=None, note=_seed_note(today))
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
                open_version(
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
        f"bundled GPU, offering, open-model and quality-score data; API prices from genai-prices "
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
        (QUALITY_SCORES, seed_data.load_quality_scores()),
        (API_MODELS, [asdict(row) for row in load_api_models(as_of=today)]),
        (FINE_TUNING_PRICES, seed_data.load_fine_tuning_prices()),
    ]
