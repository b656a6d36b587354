"""The hosted-API catalog built from the bundled genai-prices data."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import socket
import urllib.parse
from collections import Counter
from decimal import Decimal
from functools import cache

import pytest
from genai_prices import data_snapshot
from genai_prices.data import providers
from genai_prices.types import ModelInfo, ModelPrice, StartDateConstraint, TimeOfDateConstraint

from app.catalog import genai_import
from app.catalog.genai_batch import batch_covered_providers
from app.catalog.genai_import import (
    ApiModelRow,
    genai_prices_version,
    load_api_models,
    skipped_api_models,
)
from app.catalog.genai_price_values import exact
from tests.factories import REQUIRED_PROVIDERS

# A fixed date keeps the tests independent of the clock (and of future price changes).
AS_OF = datetime.date(2026, 11, 30)


@cache
def _rows() -> tuple[ApiModelRow, ...]:
    return tuple(load_api_models(as_of=AS_OF))


def _row(provider: str, model_id: str) -> ApiModelRow:
    matches = [r for r in _rows() if r.provider == provider and r.model_id == model_id]
    assert len(matches) == 1, (provider, model_id, len(matches))
    return matches[0]


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


# --- coverage -----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", REQUIRED_PROVIDERS)
def test_covers_frontier_labs_and_open_model_hosts(provider: str) -> None:
    assert sum(r.provider == provider for r in _rows()) >= 3


@pytest.mark.parametrize(
    ("provider", "model_id"),
    [
        ("openai", "gpt-4o"),
        ("anthropic", "claude-opus-4-1"),
        ("anthropic", "claude-sonnet-4-0"),
        ("google", "gemini-2.5-pro"),
        ("deepseek", "deepseek-chat"),
        ("x-ai", "grok-4-0709"),
        ("mistral", "mistral-large-2512"),
        ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
        ("fireworks", "gpt-oss-120b"),
        ("groq", "openai/gpt-oss-120b"),
    ],
)
def test_flagship_models_are_present(provider: str, model_id: str) -> None:
    row = _row(provider, model_id)
    assert row.usd_per_mtok_input > 0
    assert row.usd_per_mtok_output > 0
    assert row.name


def test_every_package_model_is_either_a_row_or_a_documented_skip() -> None:
    skipped = skipped_api_models(as_of=AS_OF)
    total = sum(len(p.models) for p in providers)
    assert len(_rows()) + len(skipped) == total
    by_model = {(p.id, m.id): m for p in providers for m in p.models}
    for skip in skipped:
        prices = by_model[(skip.provider, skip.model_id)].get_prices(
            datetime.datetime.combine(AS_OF, datetime.time(12), tzinfo=datetime.UTC)
        )
        has_both = (
            prices.__dict__.get("input_mtok") is not None
            and prices.__dict__.get("output_mtok") is not None
        )
        assert skip.reason.startswith("free") or not has_both, skip


# --- slugs and values ---------------------------------------------------------------------


def test_slugs_are_unique_and_url_safe() -> None:
    slugs = [r.slug for r in _rows()]
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9._-]+", slug), slug
        assert urllib.parse.quote(slug, safe="") == slug
        assert "--" in slug


def test_colliding_slugs_get_deterministic_suffixes() -> None:
    base = _row("openai", "gpt-4o")
    # "a/b", "a:b" and "A.B"-style ids all sanitise to the same base slug.
    clashing = [
        dataclasses.replace(base, provider="p", model_id=model_id, slug="p--a-b")
        for model_id in ("a/b", "a:b", "a b")
    ]
    forward = genai_import._with_unique_slugs(clashing)
    backward = genai_import._with_unique_slugs(list(reversed(clashing)))
    assert len({r.slug for r in forward}) == 3
    assert {r.model_id: r.slug for r in forward} == {r.model_id: r.slug for r in backward}
    # The smallest raw id keeps the plain slug.
    assert {r.model_id: r.slug for r in forward}["a b"] == "p--a-b"


def test_prices_are_exact_non_negative_decimals() -> None:
    for row in _rows():
        prices = [row.usd_per_mtok_input, row.usd_per_mtok_output]
        prices += [p for p in (row.usd_per_mtok_cached_input, row.usd_per_mtok_cache_write) if p]
        for tier in row.long_context_tiers:
            prices += [Decimal(str(v)) for k, v in tier.items() if k.startswith("usd") and v]
        for price in prices:
            assert isinstance(price, Decimal)
            assert price.is_finite()
            assert price >= 0
            assert _places(price) <= 9, (row.slug, price)
        assert not (row.usd_per_mtok_input == 0 and row.usd_per_mtok_output == 0)
        if row.batch_discount is not None:
            assert Decimal(0) <= row.batch_discount < 1
            assert row.batch_discount_source
        else:
            assert row.batch_discount_source is None
        assert row.as_of <= AS_OF or row.as_of == genai_import._snapshot_date()
        assert row.source.startswith(f"genai-prices {genai_prices_version().split()[0]}")


def test_long_context_tiers_are_json_and_ascending() -> None:
    tiered = [r for r in _rows() if r.long_context_tiers]
    assert tiered
    for row in tiered:
        json.dumps(row.long_context_tiers)
        thresholds = [t["above_input_tokens"] for t in row.long_context_tiers]
        ints = [t for t in thresholds if isinstance(t, int) and t > 0]
        assert ints == thresholds
        assert ints == sorted(set(ints))


def test_prices_are_rounded_to_nine_places_without_floats() -> None:
    assert exact(Decimal("0.0000001234567891")) == Decimal("0.000000123")
    assert exact(Decimal("2.5")) == Decimal("2.5")
    assert exact(Decimal("-1")) is None


# --- golden prices ------------------------------------------------------------------------


def test_gpt_4o_matches_openai_pricing_page() -> None:
    # https://platform.openai.com/docs/pricing (gpt-4o): $2.50 input, $1.25 cached input,
    # $10.00 output per 1M tokens; Batch API 50% off (https://platform.openai.com/docs/guides/batch).
    row = _row("openai", "gpt-4o")
    assert row.usd_per_mtok_input == Decimal("2.50")
    assert row.usd_per_mtok_cached_input == Decimal("1.25")
    assert row.usd_per_mtok_output == Decimal("10.00")
    assert row.batch_discount == Decimal("0.5")
    assert row.batch_discount_source is not None
    assert row.batch_discount_source.startswith("genai-prices")
    assert row.context_window_tokens == 128_000
    assert row.slug == "openai--gpt-4o"


def test_claude_opus_4_1_matches_anthropic_pricing_page() -> None:
    # https://www.anthropic.com/pricing#api (Opus 4.1): $15 / MTok input, $75 / MTok output,
    # prompt caching: write $18.75 / MTok, read $1.50 / MTok.
    row = _row("anthropic", "claude-opus-4-1")
    assert row.usd_per_mtok_input == Decimal(15)
    assert row.usd_per_mtok_output == Decimal(75)
    assert row.usd_per_mtok_cache_write == Decimal("18.75")
    assert row.usd_per_mtok_cached_input == Decimal("1.50")


def test_gemini_2_5_pro_has_its_long_context_tier() -> None:
    # https://ai.google.dev/gemini-api/docs/pricing (Gemini 2.5 Pro, paid tier): input $1.25
    # for prompts <= 200k tokens and $2.50 above; output $10.00 and $15.00 respectively.
    row = _row("google", "gemini-2.5-pro")
    assert row.usd_per_mtok_input == Decimal("1.25")
    assert row.usd_per_mtok_output == Decimal(10)
    assert len(row.long_context_tiers) == 1
    tier = row.long_context_tiers[0]
    assert tier["above_input_tokens"] == 200_000
    assert Decimal(str(tier["usd_per_mtok_input"])) == Decimal("2.50")
    assert Decimal(str(tier["usd_per_mtok_output"])) == Decimal(15)


def test_batch_discount_falls_back_to_provider_docs() -> None:
    # https://docs.fireworks.ai/serverless/pricing: "Batch inference is billed at 50% of
    # serverless pricing on both input and output."
    fireworks = _row("fireworks", "gpt-oss-120b")
    assert fireworks.batch_discount == Decimal("0.5")
    assert fireworks.batch_discount_source == (
        "provider-docs: https://docs.fireworks.ai/serverless/pricing"
    )
    # https://docs.together.ai/docs/inference/batch/overview: only listed models get 50% off.
    assert _row("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo").batch_discount == Decimal(
        "0.5"
    )
    assert _row("together", "openai/gpt-oss-120b").batch_discount is None
    # DeepSeek has no batch API.
    assert _row("deepseek", "deepseek-chat").batch_discount is None


def test_package_batch_variants_only_count_once_in_effect() -> None:
    # The package dates its batch variants from when they were verified; before that it
    # records no batch price, so neither does the catalog.
    starts = [
        v.constraint.start_date
        for m in next(p for p in providers if p.id == "openai").models
        if m.id == "gpt-4o"
        for v in m.price_variants or ()
        if v.when == {"processing": "batch"} and isinstance(v.constraint, StartDateConstraint)
    ]
    assert starts
    before = min(starts) - datetime.timedelta(days=1)
    row = next(
        r
        for r in load_api_models(as_of=before)
        if r.provider == "openai" and r.model_id == "gpt-4o"
    )
    assert row.batch_discount is None


# --- dated and time-of-day prices ---------------------------------------------------------


def _date_only_models() -> list[tuple[str, ModelInfo]]:
    return [
        (p.id, m)
        for p in providers
        for m in p.models
        if isinstance(m.prices, list)
        and not any(isinstance(c.constraint, TimeOfDateConstraint) for c in m.prices)
        and any(isinstance(c.constraint, StartDateConstraint) for c in m.prices)
        and all(isinstance(c.prices.__dict__.get("input_mtok"), Decimal) for c in m.prices)
    ]


def test_dated_price_switches_on_its_start_date() -> None:
    provider_id, model = _date_only_models()[0]
    assert isinstance(model.prices, list)
    entry = next(c for c in model.prices if isinstance(c.constraint, StartDateConstraint))
    assert isinstance(entry.constraint, StartDateConstraint)
    start = entry.constraint.start_date
    previous = model.prices[model.prices.index(entry) - 1]

    def row_on(day: datetime.date) -> ApiModelRow:
        return next(
            r
            for r in load_api_models(as_of=day)
            if r.provider == provider_id and r.model_id == model.id
        )

    on_start = row_on(start)
    assert on_start.usd_per_mtok_input == entry.prices.__dict__["input_mtok"]
    assert on_start.as_of == start
    day_before = row_on(start - datetime.timedelta(days=1))
    assert day_before.usd_per_mtok_input == previous.prices.__dict__["input_mtok"]


def test_time_of_day_prices_keep_the_price_of_most_of_the_day() -> None:
    # Brute force: ask the package for the price at every minute of the UTC day.
    models = [
        (p.id, m)
        for p in providers
        for m in p.models
        if isinstance(m.prices, list)
        and any(isinstance(c.constraint, TimeOfDateConstraint) for c in m.prices)
    ]
    assert models
    midnight = datetime.datetime.combine(AS_OF, datetime.time(0), tzinfo=datetime.UTC)
    for provider_id, model in models:
        minutes: Counter[int] = Counter()
        chosen: dict[int, ModelPrice] = {}
        for minute in range(24 * 60):
            prices = model.get_prices(midnight + datetime.timedelta(minutes=minute))
            minutes[id(prices)] += 1
            chosen[id(prices)] = prices
        most = chosen[minutes.most_common(1)[0][0]]
        assert _row(provider_id, model.id).usd_per_mtok_input == most.__dict__["input_mtok"]


def test_deepseek_chat_keeps_its_standard_rate_not_the_off_peak_one() -> None:
    # https://api-docs.deepseek.com/quick_start/pricing: off-peak (16:30-00:30 UTC, 8 h) is
    # half price; the standard rate covers the other 16 hours of the day.
    row = _row("deepseek", "deepseek-chat")
    model = next(
        m for p in providers if p.id == "deepseek" for m in p.models if m.id == row.model_id
    )
    assert isinstance(model.prices, list)
    off_peak = model.prices[0].prices.__dict__["input_mtok"]
    assert row.usd_per_mtok_input == 2 * off_peak


# --- isolation ----------------------------------------------------------------------------


def test_does_not_touch_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for cached in (
        genai_import._package_version,
        genai_import._data_sha256,
        genai_import._snapshot_date,
        batch_covered_providers,
    ):
        cached.cache_clear()
    rows = load_api_models(as_of=AS_OF)
    assert rows == list(_rows())
    assert genai_prices_version()


def test_ignores_a_downloaded_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    # genai-prices' auto-update swaps in a downloaded snapshot; the catalog reads the bundled one.
    empty = data_snapshot.DataSnapshot(providers=[], from_auto_update=True)
    monkeypatch.setattr(data_snapshot, "_custom_snapshot", empty)
    assert load_api_models(as_of=AS_OF) == list(_rows())


def test_version_names_the_package_and_its_data() -> None:
    version = genai_prices_version()
    assert re.match(r"\d+\.\d+\.\d+ \(data\.py sha256:[0-9a-f]{16}, prices checked up to ", version)
