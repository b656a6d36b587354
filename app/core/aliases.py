"""Names people type -> catalog slugs: pure, deterministic, and refusing to guess.

A request may name a catalog entry by its slug or by a name people use (`gpt-4o`, `GPT-4o`,
`h100`, `llama-4-maverick`). Rules are tried in order; the first that finds exactly one entry
wins, and a rule that finds several stops the search (the name is ambiguous):

1. the exact slug (no alias is reported);
2. the slug, compared loosely (case, spaces, `_` and `.` as `-`);
3. a curated alias with its source (`h100` means the SXM 80 GB board clouds rent);
4. another name of the entry, compared loosely: an API model's `model_id`, display name and
   `provider/model_id`, the part after a vendor prefix (`openai/gpt-4o` -> `gpt-4o`), an open
   model's Hugging Face repo, an offering's instance type. Several providers may sell one
   model: the model's own vendor (OpenAI for `gpt-*`) wins when it is the only one;
5. every word of the name appears in one entry's slug or names (`h200-141gb`,
   `llama-4-maverick`), with the same first-party preference.

Unknown and ambiguous names come back with the closest catalog slugs, ranked by RapidFuzz's
weighted ratio (https://rapidfuzz.github.io/RapidFuzz/Usage/fuzz.html#wratio).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from rapidfuzz import fuzz, process

#: Closest slugs listed for a name that resolves to nothing (or to too many).
SUGGESTIONS_MAX: Final = 5


class NameKind(StrEnum):
    """The catalog a name is looked up in."""

    API_MODEL = "api_model"
    OPEN_MODEL = "open_model"
    GPU = "gpu"
    OFFERING = "offering"


class MatchRule(StrEnum):
    """How a requested name was matched (see the module docstring)."""

    EXACT = "exact_slug"
    LOOSE_SLUG = "case_insensitive_slug"
    CURATED = "curated_alias"
    NAME = "name"
    FIRST_PARTY_NAME = "first_party_name"
    TOKENS = "token_subset"
    FIRST_PARTY_TOKENS = "first_party_token_subset"


@dataclass(frozen=True, slots=True)
class CuratedAlias:
    """A common spelling that no rule resolves on its own, with why it means `slug`."""

    slug: str
    source: str


#: Spellings that are ambiguous among catalog slugs but have one everyday meaning.
CURATED_ALIASES: Final[Mapping[NameKind, Mapping[str, CuratedAlias]]] = {
    NameKind.GPU: {
        "h100": CuratedAlias(
            "h100-sxm-80gb",
            "An unqualified 'H100' is the SXM5 80 GB board of HGX H100 servers: NVIDIA's H100 "
            "datasheet leads with H100 SXM (nvidia.com/en-us/data-center/h100), and the rented "
            "H100 instances (AWS p5, Google Cloud a3, Azure ND H100 v5) are SXM 80 GB; 8 of the "
            "9 H100 offerings in app/catalog_data/gpu_offerings.csv use it (2026-12-02).",
        ),
        "h100-80gb": CuratedAlias(
            "h100-sxm-80gb",
            "As 'h100': the 80 GB H100 clouds rent is the SXM5 board (see the 'h100' alias).",
        ),
    },
}

#: An API model's own vendor, by the start of its model id (after any `vendor/` prefix), as
#: each vendor names its models in its API reference (platform.openai.com/docs/models,
#: docs.anthropic.com/en/docs/about-claude/models, ai.google.dev/gemini-api/docs/models,
#: docs.mistral.ai/getting-started/models, api-docs.deepseek.com, docs.x.ai/docs/models,
#: docs.cohere.com/docs/models, platform.moonshot.ai, docs.perplexity.ai; as of 2026-12-02).
#: Providers are genai-prices provider ids.
FIRST_PARTY_PREFIXES: Final[Mapping[str, frozenset[str]]] = {
    "gpt-": frozenset({"openai"}),
    "chatgpt-": frozenset({"openai"}),
    "o1": frozenset({"openai"}),
    "o3": frozenset({"openai"}),
    "o4": frozenset({"openai"}),
    "claude": frozenset({"anthropic"}),
    "gemini": frozenset({"google"}),
    "mistral": frozenset({"mistral"}),
    "codestral": frozenset({"mistral"}),
    "magistral": frozenset({"mistral"}),
    "ministral": frozenset({"mistral"}),
    "pixtral": frozenset({"mistral"}),
    "devstral": frozenset({"mistral"}),
    "deepseek": frozenset({"deepseek"}),
    "grok": frozenset({"x-ai"}),
    "command": frozenset({"cohere"}),
    "kimi": frozenset({"moonshotai"}),
    "glm": frozenset({"zai", "zhipuai"}),
    "minimax": frozenset({"minimax"}),
    "sonar": frozenset({"perplexity"}),
    "llama": frozenset({"meta"}),
}

_SEPARATORS: Final = re.compile(r"[\s_.]+")
_DASHES: Final = re.compile(r"-{2,}")
_TOKEN_SPLIT: Final = re.compile(r"[-/:+()]+")


def loose_key(name: str) -> str:
    """`name` compared loosely: lower case, spaces, `_` and `.` as `-`, one `-` at a time."""
    key = _SEPARATORS.sub("-", name.strip().lower())
    return _DASHES.sub("-", key).strip("-")


def _key_tokens(key: str) -> frozenset[str]:
    return frozenset(t for t in _TOKEN_SPLIT.split(key) if t)


def _tokens(name: str) -> frozenset[str]:
    return _key_tokens(loose_key(name))


_PREFIXES_BY_VENDOR: Final[Mapping[str, tuple[str, ...]]] = {
    vendor: tuple(p for p, vendors in FIRST_PARTY_PREFIXES.items() if vendor in vendors)
    for vendor in frozenset().union(*FIRST_PARTY_PREFIXES.values())
}


def is_first_party(provider: str, model_id: str) -> bool:
    """Whether `provider` is the vendor of the model it sells as `model_id`."""
    prefixes = _PREFIXES_BY_VENDOR.get(provider)
    return prefixes is not None and model_id.lower().rsplit("/", 1)[-1].startswith(prefixes)


@dataclass(frozen=True, slots=True)
class NamedEntry:
    """One catalog entry as names see it: its slug, its other names, whether it is first-party."""

    slug: str
    names: tuple[str, ...] = ()
    first_party: bool = False


@dataclass(frozen=True, slots=True)
class NameResolution:
    """What one requested name came to: a slug, or the candidates to choose from."""

    requested: str
    kind: NameKind
    slug: str | None
    rule: MatchRule | None = None
    #: For an unresolved name: the matching slugs (ambiguous) or the closest ones (unknown).
    suggestions: tuple[str, ...] = ()
    ambiguous: bool = False
    matches: int = 0


@dataclass(frozen=True, slots=True)
class NameIndex:
    """Lookup tables over one catalog's entries (build with `name_index`)."""

    kind: NameKind
    entries: Mapping[str, NamedEntry]
    #: Each entry's loose keys: its slug's first, then its names' (and their model parts).
    keys: Mapping[str, tuple[str, ...]]
    by_loose_slug: Mapping[str, tuple[str, ...]]
    by_loose_name: Mapping[str, tuple[str, ...]]
    #: Filled on first use (the token rule and suggestions), then reused for every name.
    token_cache: dict[str, tuple[frozenset[str], ...]] = field(default_factory=dict)
    choice_cache: list[tuple[str, str]] = field(default_factory=list)


def _group(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, dict[str, None]] = {}
    for key, slug in pairs:
        grouped.setdefault(key, {})[slug] = None
    return {key: tuple(slugs) for key, slugs in grouped.items()}


def _entry_keys(entry: NamedEntry) -> tuple[str, ...]:
    """The loose keys of an entry's slug and names; `vendor/model` names add the model part."""
    keys = {loose_key(entry.slug): None}
    for name in entry.names:
        key = loose_key(name)
        if key:
            keys[key] = None
            keys[key.rsplit("/", 1)[-1]] = None
    return tuple(keys)


def name_index(kind: NameKind, entries: Iterable[NamedEntry]) -> NameIndex:
    """Index `entries` (one catalog at one version) for `resolve_name`."""
    by_slug = {entry.slug: entry for entry in entries}
    keys = {slug: _entry_keys(by_slug[slug]) for slug in sorted(by_slug)}
    return NameIndex(
        kind=kind,
        entries=by_slug,
        keys=keys,
        by_loose_slug=_group((entry_keys[0], slug) for slug, entry_keys in keys.items()),
        by_loose_name=_group(
            (key, slug) for slug, entry_keys in keys.items() for key in entry_keys[1:]
        ),
    )


def resolve_name(index: NameIndex, requested: str, *, suggest: bool = True) -> NameResolution:
    """The slug `requested` names in `index`, by the first rule that decides (see module);
    for an unknown name, the closest slugs unless `suggest` is false (they cost a fuzzy scan)."""
    kind = index.kind
    if requested in index.entries:
        return NameResolution(requested, kind, requested, MatchRule.EXACT)
    key = loose_key(requested)
    found = index.by_loose_slug.get(key, ())
    if len(found) == 1:
        return NameResolution(requested, kind, found[0], MatchRule.LOOSE_SLUG)
    curated = CURATED_ALIASES.get(kind, {}).get(key)
    if curated is not None and curated.slug in index.entries:
        return NameResolution(requested, kind, curated.slug, MatchRule.CURATED)
    matched = found or index.by_loose_name.get(key, ())
    if matched:
        return _decide(index, requested, matched, MatchRule.NAME, MatchRule.FIRST_PARTY_NAME)
    wanted = _tokens(requested)
    by_tokens = tuple(
        slug
        for slug, token_sets in _token_sets(index).items()
        if wanted and any(wanted <= tokens for tokens in token_sets)
    )
    if by_tokens:
        return _decide(index, requested, by_tokens, MatchRule.TOKENS, MatchRule.FIRST_PARTY_TOKENS)
    suggestions = closest_slugs(index, requested) if suggest else ()
    return NameResolution(requested, kind, None, suggestions=suggestions)


def _token_sets(index: NameIndex) -> Mapping[str, tuple[frozenset[str], ...]]:
    if not index.token_cache:
        index.token_cache.update(
            (slug, tuple(_key_tokens(key) for key in keys)) for slug, keys in index.keys.items()
        )
    return index.token_cache


def _decide(
    index: NameIndex,
    requested: str,
    matched: Sequence[str],
    rule: MatchRule,
    first_party_rule: MatchRule,
) -> NameResolution:
    """One match wins; among several, the only first-party one wins; else it is ambiguous."""
    if len(matched) == 1:
        return NameResolution(requested, index.kind, matched[0], rule)
    first_party = [slug for slug in matched if index.entries[slug].first_party]
    if len(first_party) == 1:
        return NameResolution(requested, index.kind, first_party[0], first_party_rule)
    ranked = _rank(index, requested, first_party or matched)
    return NameResolution(
        requested,
        index.kind,
        None,
        suggestions=tuple(ranked[:SUGGESTIONS_MAX]),
        ambiguous=True,
        matches=len(matched),
    )


def _rank(index: NameIndex, requested: str, slugs: Sequence[str]) -> list[str]:
    """`slugs`, closest to `requested` first (best weighted ratio over each entry's names)."""
    key = loose_key(requested)

    def score(slug: str) -> float:
        return max(fuzz.WRatio(key, entry_key) for entry_key in index.keys[slug])

    return sorted(slugs, key=lambda slug: (-score(slug), len(slug), slug))


def closest_slugs(
    index: NameIndex, requested: str, limit: int = SUGGESTIONS_MAX
) -> tuple[str, ...]:
    """The catalog slugs closest to `requested`, best first (RapidFuzz weighted ratio)."""
    if not index.choice_cache:
        index.choice_cache.extend(
            (slug, key) for slug, entry_keys in index.keys.items() for key in entry_keys
        )
    choices = index.choice_cache
    hits = process.extract(
        loose_key(requested),
        [key for _, key in choices],
        scorer=fuzz.WRatio,
        limit=max(limit * 8, 20),
    )
    ranked = sorted(hits, key=lambda hit: (-hit[1], len(choices[hit[2]][0]), choices[hit[2]][0]))
    out: dict[str, None] = {}
    for _, _, position in ranked:
        out.setdefault(choices[position][0], None)
        if len(out) == limit:
            break
    return tuple(out)
