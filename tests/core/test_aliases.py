"""Alias rules, one at a time, on small hand-made catalogs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.aliases import (
    CURATED_ALIASES,
    MatchRule,
    NamedEntry,
    NameKind,
    is_first_party,
    loose_key,
    name_index,
    resolve_name,
)

API = name_index(
    NameKind.API_MODEL,
    [
        NamedEntry("openai--gpt-4o", ("gpt-4o", "gpt 4o", "openai/gpt-4o"), first_party=True),
        NamedEntry("openai--gpt-4o-mini", ("gpt-4o-mini", "gpt 4o mini"), first_party=True),
        NamedEntry("openrouter--openai-gpt-4o", ("openai/gpt-4o", "GPT-4o", "openrouter/x")),
        NamedEntry("groq--gpt-oss-120b", ("openai/gpt-oss-120b",)),
        NamedEntry("fireworks--gpt-oss-120b", ("gpt-oss-120b",)),
        NamedEntry("anthropic--claude-sonnet-4-5", ("claude-sonnet-4-5",), first_party=True),
        NamedEntry("anthropic--claude-sonnet-4-0", ("claude-sonnet-4-0",), first_party=True),
    ],
)
GPUS = name_index(
    NameKind.GPU,
    [
        NamedEntry("h100-sxm-80gb", ("NVIDIA H100 SXM5 80GB",)),
        NamedEntry("h100-pcie-80gb", ("NVIDIA H100 PCIe 80GB",)),
        NamedEntry("h100-nvl-94gb", ("NVIDIA H100 NVL 94GB",)),
        NamedEntry("h200-sxm-141gb", ("NVIDIA H200 SXM 141GB",)),
        NamedEntry("l40-48gb", ("NVIDIA L40",)),
        NamedEntry("l40s-48gb", ("NVIDIA L40S",)),
    ],
)


@pytest.mark.parametrize(
    ("index", "requested", "slug", "rule"),
    [
        (API, "openai--gpt-4o", "openai--gpt-4o", MatchRule.EXACT),
        (API, "OpenAI--GPT-4o", "openai--gpt-4o", MatchRule.LOOSE_SLUG),
        # Three entries are called gpt-4o; only one is sold by OpenAI itself.
        (API, "gpt-4o", "openai--gpt-4o", MatchRule.FIRST_PARTY_NAME),
        (API, "GPT 4o", "openai--gpt-4o", MatchRule.FIRST_PARTY_NAME),
        (API, "gpt-4o-mini", "openai--gpt-4o-mini", MatchRule.NAME),
        (API, "claude-sonnet-4.5", "anthropic--claude-sonnet-4-5", MatchRule.NAME),
        (GPUS, "h100", "h100-sxm-80gb", MatchRule.CURATED),
        (GPUS, "H200-141GB", "h200-sxm-141gb", MatchRule.TOKENS),
        (GPUS, "h100 pcie", "h100-pcie-80gb", MatchRule.TOKENS),
        (GPUS, "l40", "l40-48gb", MatchRule.TOKENS),  # `l40s` is another word, not a prefix
    ],
)
def test_names_resolve(index: object, requested: str, slug: str, rule: MatchRule) -> None:
    resolution = resolve_name(index, requested)  # type: ignore[arg-type]
    assert (resolution.slug, resolution.rule) == (slug, rule)


def test_several_third_party_sellers_are_ambiguous() -> None:
    resolution = resolve_name(API, "gpt-oss-120b")
    assert resolution.slug is None
    assert resolution.ambiguous
    assert set(resolution.suggestions) == {"groq--gpt-oss-120b", "fireworks--gpt-oss-120b"}


def test_several_first_party_matches_are_ambiguous() -> None:
    resolution = resolve_name(API, "claude-sonnet")
    assert resolution.ambiguous
    assert resolution.matches == 2


def test_unknown_names_list_the_closest_slugs() -> None:
    resolution = resolve_name(GPUS, "h200-sxm-140gb")
    assert resolution.slug is None
    assert not resolution.ambiguous
    assert resolution.suggestions[0] == "h200-sxm-141gb"
    assert len(resolution.suggestions) <= 5


def test_first_party_follows_the_model_vendor() -> None:
    assert is_first_party("openai", "gpt-4o")
    assert is_first_party("anthropic", "claude-opus-4-1")
    assert not is_first_party("openrouter", "openai/gpt-4o")
    assert not is_first_party("openai", "claude-opus-4-1")


def test_loose_key() -> None:
    assert loose_key("  GPT 4.1_mini ") == "gpt-4-1-mini"
    assert loose_key("openai--gpt-4o") == "openai-gpt-4o"


def test_curated_aliases_carry_sources_and_are_loose_keys() -> None:
    for aliases in CURATED_ALIASES.values():
        for alias, target in aliases.items():
            assert alias == loose_key(alias)
            assert len(target.source) > 20


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ._:/+()-]{0,40}", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_any_name_resolves_to_an_entry_or_to_suggestions(requested: str) -> None:
    for index in (API, GPUS):
        resolution = resolve_name(index, requested)
        if resolution.slug is not None:
            assert resolution.slug in index.entries
            assert resolution.rule is not None
        else:
            assert set(resolution.suggestions) <= set(index.entries)
            assert len(resolution.suggestions) <= 5
