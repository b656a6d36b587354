"""Names in requests -> catalog slugs, at one catalog version (rules in `app.core.aliases`).

Names are looked up in the in-process catalog cache (`catalog_cache`: one query per request for
the catalog's state); the name index of a catalog is built when some name in a request is not a
slug there, once per catalog state. Every name that resolves to
nothing, or to several entries, is reported in one 422 problem with the closest slugs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.core.aliases import (
    NamedEntry,
    NameIndex,
    NameKind,
    NameResolution,
    is_first_party,
    name_index,
    resolve_name,
)
from app.errors import InvalidInputError
from app.schemas.common import AliasResolvedOut
from app.schemas.estimates import EstimateRequest
from app.services import catalog_cache
from app.services.catalog_resources import (
    API_MODELS,
    GPU_OFFERINGS,
    GPUS,
    OPEN_MODELS,
    CatalogResource,
)


def _api_entry(row: Any) -> NamedEntry:
    slug, provider, model_id, name = row
    return NamedEntry(
        slug, (model_id, name, f"{provider}/{model_id}"), is_first_party(provider, model_id)
    )


def _open_model_entry(row: Any) -> NamedEntry:
    slug, name, hf_repo = row
    return NamedEntry(slug, (name, hf_repo) if hf_repo else (name,))


def _gpu_entry(row: Any) -> NamedEntry:
    slug, name = row
    return NamedEntry(slug, (name,))


def _offering_entry(row: Any) -> NamedEntry:
    slug, provider, instance_type = row
    return NamedEntry(slug, (instance_type, f"{provider} {instance_type}"))


@dataclass(frozen=True, slots=True)
class _Catalog:
    """Where one kind of name is looked up: its table, columns and entry mapper."""

    resource: CatalogResource
    columns: tuple[str, ...]
    entry: Callable[[Any], NamedEntry]


_CATALOGS: dict[NameKind, _Catalog] = {
    NameKind.API_MODEL: _Catalog(API_MODELS, ("slug", "provider", "model_id", "name"), _api_entry),
    NameKind.OPEN_MODEL: _Catalog(OPEN_MODELS, ("slug", "name", "hf_repo"), _open_model_entry),
    NameKind.GPU: _Catalog(GPUS, ("slug", "name"), _gpu_entry),
    NameKind.OFFERING: _Catalog(
        GPU_OFFERINGS, ("slug", "provider", "instance_type"), _offering_entry
    ),
}


#: Distinct names in one request that are not catalog slugs, at most: each one costs a scan
#: of its catalog's names, so a request of hundreds is refused rather than slow.
MAX_NAMES_TO_RESOLVE = 50
#: Unknown names that get "closest slugs" (a fuzzy scan each); later ones get none.
MAX_NAMES_WITH_SUGGESTIONS = 10
_SHARED_INDEX_LOCK = threading.Lock()
#: Unresolved names spelled out in the problem's `detail` (all are in `unresolved`).
_DETAIL_NAMES = 10


@dataclass
class NameResolver:
    """Resolves the names of one request at one catalog version, collecting what failed."""

    session: Session
    version: int
    resolved: list[AliasResolvedOut] = field(default_factory=list)
    unresolved: list[tuple[str, NameResolution]] = field(default_factory=list)
    _indexes: dict[NameKind, NameIndex] = field(default_factory=dict)
    _seen: dict[tuple[NameKind, str], NameResolution] = field(default_factory=dict)
    _reported: set[tuple[str, str]] = field(default_factory=set)
    _over_limit: int = 0

    def names(self, kind: NameKind, where: str, names: Sequence[str] | None) -> list[str] | None:
        """`names` as slugs (unresolved ones kept as given; `check` reports them)."""
        if names is None:
            return None
        missing = set(names) - self._existing(kind, names)
        return [self._resolve(kind, where, n) if n in missing else n for n in names]

    def name(self, kind: NameKind, where: str, name: str | None) -> str | None:
        resolved = self.names(kind, where, None if name is None else [name])
        return None if resolved is None else resolved[0]

    def check(self) -> None:
        """Raise one 422 naming every name that did not resolve, with the closest slugs."""
        if not self.unresolved and not self._over_limit:
            return
        parts = [
            f"{r.requested!r} ({where}: "
            + ("ambiguous, " if r.ambiguous else "unknown, ")
            + ("closest: " + ", ".join(r.suggestions) if r.suggestions else "no close match")
            + ")"
            for where, r in self.unresolved[:_DETAIL_NAMES]
        ]
        if len(self.unresolved) > _DETAIL_NAMES:
            parts.append(f"and {len(self.unresolved) - _DETAIL_NAMES} more (see `unresolved`)")
        if self._over_limit:
            parts.insert(
                0,
                f"more than {MAX_NAMES_TO_RESOLVE} names are not catalog slugs "
                f"({self._over_limit} not looked up); give catalog slugs",
            )
        raise InvalidInputError(
            f"unknown or ambiguous catalog name(s) at catalog version {self.version}: "
            + "; ".join(parts),
            slugs=[r.requested for _, r in self.unresolved],
            unresolved=[
                {
                    "requested": r.requested,
                    "kind": r.kind.value,
                    "field": where,
                    "ambiguous": r.ambiguous,
                    "matches": r.matches,
                    "suggestions": list(r.suggestions),
                }
                for where, r in self.unresolved
            ],
        )

    def _existing(self, kind: NameKind, names: Sequence[str]) -> set[str]:
        known = catalog_cache.slugs(self.session, _CATALOGS[kind].resource, self.version)
        return {name for name in names if name in known}

    def _index(self, kind: NameKind) -> NameIndex:
        if kind not in self._indexes:
            catalog = _CATALOGS[kind]

            def build() -> NameIndex:
                rows = catalog_cache.entries(self.session, catalog.resource, None, self.version)
                entries = (catalog.entry(tuple(row[c] for c in catalog.columns)) for row in rows)
                return name_index(kind, entries)

            self._indexes[kind] = catalog_cache.derived(
                self.session, self.version, ("name_index", kind), build
            )
        return self._indexes[kind]

    def _resolve(self, kind: NameKind, where: str, name: str) -> str:
        resolution = self._seen.get((kind, name))
        if resolution is None:
            if len(self._seen) >= MAX_NAMES_TO_RESOLVE:
                self._over_limit += 1
                return name
            misses = sum(1 for r in self._seen.values() if r.slug is None)
            index = self._index(kind)
            # The index is shared by every request at this catalog state, and fills its
            # lookup caches on first use: one resolution at a time.
            with _SHARED_INDEX_LOCK:
                resolution = resolve_name(index, name, suggest=misses < MAX_NAMES_WITH_SUGGESTIONS)
            self._seen[(kind, name)] = resolution
        if (where, name) in self._reported:
            return resolution.slug or name
        self._reported.add((where, name))
        if resolution.slug is None or resolution.rule is None:
            self.unresolved.append((where, resolution))
            return name
        self.resolved.append(
            AliasResolvedOut(
                requested=name,
                resolved=resolution.slug,
                kind=kind,
                field=where,
                match=resolution.rule,
            )
        )
        return resolution.slug


def resolve_estimate_names(
    session: Session, request: EstimateRequest
) -> tuple[EstimateRequest, list[AliasResolvedOut]]:
    """`request` with every catalog name as its slug, and the aliases that were resolved."""
    version = catalog_cache.resolve_version(session, request.catalog_version)
    names = NameResolver(session, version)
    sh = request.self_hosting
    gpu_prices = [
        price.model_copy(
            update={"gpu": names.name(NameKind.GPU, "self_hosting.gpu_prices.gpu", price.gpu)}
        )
        for price in sh.gpu_prices
    ]
    self_hosting = sh.model_copy(
        update={
            "open_models": names.names(
                NameKind.OPEN_MODEL, "self_hosting.open_models", sh.open_models
            ),
            "gpus": names.names(NameKind.GPU, "self_hosting.gpus", sh.gpus),
            "offerings": names.names(NameKind.OFFERING, "self_hosting.offerings", sh.offerings),
            "gpu_prices": gpu_prices,
        }
    )
    reasoning = request.api_reasoning_tokens
    reasoning_slugs = names.names(NameKind.API_MODEL, "api_reasoning_tokens", list(reasoning)) or []
    update: dict[str, object] = {
        "api_reasoning_tokens": dict(zip(reasoning_slugs, reasoning.values(), strict=True)),
        "api_models": names.names(NameKind.API_MODEL, "api_models", request.api_models),
        "break_even_api_model": names.name(
            NameKind.API_MODEL, "break_even_api_model", request.break_even_api_model
        ),
        "self_hosting": self_hosting,
    }
    names.check()
    if not names.resolved:
        return request, []
    return request.model_copy(update=update), names.resolved
