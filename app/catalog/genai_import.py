"""Hosted-API price catalog built from the bundled `genai-prices` data snapshot.

The catalog of hosted API models (`/v1/api-models`) is never edited by hand: it is seeded
and refreshed from `genai_prices.data.providers`, the data that ships inside the installed
package (https://github.com/pydantic/genai-prices). The package's auto-update feature
(`genai_prices.UpdatePrices`, which downloads prices from GitHub) is deliberately never used,
and neither is `genai_prices.data_snapshot.get_snapshot()`, which would return such a
downloaded snapshot if some other code had started one. Nothing here touches the network.

How the package's price model maps onto one row per (provider, model):

* Dated prices (`ConditionalPrice` with a `StartDateConstraint`) are resolved exactly like
  the package resolves them at a given instant: the last entry whose constraint is active
  wins, and the first entry is the fallback.
* Time-of-day prices (`TimeOfDateConstraint`, e.g. DeepSeek's off-peak discount) cannot be
  one number, so the row keeps the price in force for the largest share of the UTC day on
  `as_of`: the list price a round-the-clock workload mostly pays.
* Request-context variants (`price_variants`: service tiers, priority, regional routes) are
  ignored for the standard prices; only the `processing=batch` variant is read, to derive
  `batch_discount`.
* Token-count tiers (`TieredPrices`) become `long_context_tiers`; the row's own prices are
  the base (below the first threshold) prices. As in the package, crossing a threshold
  re-prices every token of the request, not only the tokens above it.
* The cache-write price is the package's default (`cache_write_mtok`; for Anthropic the
  5-minute cache). The 1-hour cache-write price is not carried.

Skipped models (see `skipped_api_models` for the reasons of one run):

* models without both an input and an output price per token (embeddings, OCR priced per
  page, speech priced per audio hour, image models priced per image, free entries that
  carry no price at all);
* models whose input and output token prices are both zero (promotional, rate-limited
  free endpoints such as OpenRouter's `:free` models): a zero price would make every
  comparison with self-hosting meaningless.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import importlib.metadata
import importlib.resources
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from functools import cache
from typing import Final

from genai_prices.types import (
    ConditionalPrice,
    ModelInfo,
    ModelPrice,
    PriceVariant,
    Provider,
    StartDateConstraint,
    TieredPrices,
    TimeOfDateConstraint,
)

#: Distribution name on PyPI.
_DISTRIBUTION: Final = "genai-prices"

#: Prices are stored with at most this many decimal places (USD per Mtok, i.e. 1e-15 USD per
#: token): finer than any published price, and what the database's Decimal columns hold.
_MAX_DECIMAL_PLACES: Final = 9
_QUANTUM: Final = Decimal(1).scaleb(-_MAX_DECIMAL_PLACES)

#: The package's request context that selects batch prices (`PriceVariant.when`).
_BATCH_CONTEXT: Final[Mapping[str, str]] = {"processing": "batch"}

_SLUG_UNSAFE = re.compile(r"[^a-z0-9._-]")

#: Maintainers write "verified on 2026-10-14" / "checked 2026-11-03" in price comments; the
#: latest such date is the best record the package carries of when its data was taken.
_CHECKED_DATE = re.compile(
    r"\b(?:verified|checked|confirmed|reviewed)\b[^.;]{0,30}?\b(\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)

_SECONDS_PER_DAY: Final = 86_400


class BatchDiscountSource(StrEnum):
    """Where a row's `batch_discount` comes from."""

    #: The package's own `processing=batch` price variant for this model.
    GENAI_PRICES = "genai-prices"
    #: `_PUBLISHED_BATCH_DISCOUNTS` below (the provider's documentation).
    PROVIDER_DOCS = "provider-docs"


@dataclass(frozen=True, slots=True)
class _PublishedBatchDiscount:
    fraction: Decimal
    source_url: str
    # None: every model of the provider; otherwise only these package model ids.
    model_ids: frozenset[str] | None = None
    # First day the discount was offered, where the provider says so.
    since: datetime.date | None = None


#: Batch-API discounts for providers whose batch prices genai-prices does not record.
#: Providers it does record (OpenAI, Anthropic, Google, Mistral, Groq, xAI: `processing=batch`
#: variants) are read from the package only; a model of theirs without such a variant gets no
#: discount, since the package only gives variants to models on the provider's batch price
#: list. DeepSeek has no batch API. AWS Bedrock and Azure discount only some models in some
#: regions, which this table cannot express, so they get none.
_PUBLISHED_BATCH_DISCOUNTS: Final[Mapping[str, _PublishedBatchDiscount]] = {
    # "Batch inference is billed at 50% of serverless pricing on both input and output."
    "fireworks": _PublishedBatchDiscount(
        fraction=Decimal("0.5"),
        source_url="https://docs.fireworks.ai/serverless/pricing",
    ),
    # Together's batch API is "up to 50% off": only the models in its "Discounted models" table
    # get 50%, "Models not listed run at standard rates". Launched 2025-06-11 per
    # https://www.together.ai/blog/batch-api. Ids below are those of the table that the package
    # also lists (Qwen2.5-7B-Instruct-Turbo, GLM-4.5-Air-FP8 and Whisper are not in it).
    "together": _PublishedBatchDiscount(
        fraction=Decimal("0.5"),
        source_url="https://docs.together.ai/docs/inference/batch/overview",
        model_ids=frozenset(
            {
                "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                "meta-llama/Llama-3-70b-chat-hf",
                "mistralai/Mixtral-8x7B-Instruct-v0.1",
            }
        ),
        since=datetime.date(2025, 6, 11),
    ),
}


@dataclass(frozen=True, slots=True)
class ApiModelRow:
    """One hosted API model's prices, as stored in the `api_models` table."""

    slug: str
    provider: str
    provider_name: str
    model_id: str
    name: str
    context_window_tokens: int | None
    usd_per_mtok_input: Decimal
    usd_per_mtok_output: Decimal
    usd_per_mtok_cached_input: Decimal | None
    usd_per_mtok_cache_write: Decimal | None
    # Fraction taken off every token price when the request goes through the batch API.
    batch_discount: Decimal | None
    # A `BatchDiscountSource` value plus where it was read; None when there is no discount.
    batch_discount_source: str | None
    # [{"above_input_tokens": int, "usd_per_mtok_input": str, "usd_per_mtok_output": str|None,
    #   "usd_per_mtok_cached_input": str|None}], ascending; [] when prices are flat.
    long_context_tiers: list[dict[str, int | str | None]]
    source: str
    as_of: datetime.date


@dataclass(frozen=True, slots=True)
class SkippedApiModel:
    """A package model that has no row, and why."""

    provider: str
    model_id: str
    reason: str


class GenaiPricesDataError(Exception):
    """The installed genai-prices data cannot be turned into a catalog."""


def load_api_models(*, as_of: datetime.date | None = None) -> list[ApiModelRow]:
    """Hosted API model prices in effect on `as_of` (UTC date; default today), USD per Mtok."""
    rows, _ = _build_catalog(as_of or datetime.datetime.now(datetime.UTC).date())
    return rows


def skipped_api_models(*, as_of: datetime.date | None = None) -> list[SkippedApiModel]:
    """Package models left out of `load_api_models(as_of=...)`, with the reason for each."""
    _, skipped = _build_catalog(as_of or datetime.datetime.now(datetime.UTC).date())
    return skipped


def genai_prices_version() -> str:
    """Installed genai-prices version and the identity of its bundled price data."""
    return (
        f"{_package_version()} (data.py sha256:{_data_sha256()[:16]}, "
        f"prices checked up to {_snapshot_date().isoformat()})"
    )


# --- building rows ------------------------------------------------------------------------


def _build_catalog(as_of: datetime.date) -> tuple[list[ApiModelRow], list[SkippedApiModel]]:
    from genai_prices.data import providers  # the bundled snapshot, never a downloaded one

    version = _package_version()
    snapshot_date = _snapshot_date()
    rows: list[ApiModelRow] = []
    skipped: list[SkippedApiModel] = []
    for provider in providers:
        source = f"genai-prices {version} (pydantic/genai-prices data snapshot)"
        if provider.pricing_urls:
            source += f", provider pricing page: {provider.pricing_urls[0]}"
        for model in provider.models:
            row_or_reason = _row_for_model(provider, model, as_of, snapshot_date, source)
            if isinstance(row_or_reason, str):
                skipped.append(SkippedApiModel(provider.id, model.id, row_or_reason))
            else:
                rows.append(row_or_reason)
    return _with_unique_slugs(rows), skipped


def _row_for_model(
    provider: Provider,
    model: ModelInfo,
    as_of: datetime.date,
    snapshot_date: datetime.date,
    source: str,
) -> ApiModelRow | str:
    """The row for one package model, or the reason it is skipped."""
    prices, instant, period_start = _prices_in_effect(model, as_of)

    input_price = _price_value(prices, "input_mtok")
    output_price = _price_value(prices, "output_mtok")
    if input_price is None or output_price is None:
        return "no per-token input and output price"
    input_base = _base(input_price)
    output_base = _base(output_price)
    if input_base is None or output_base is None:
        return "price is not a finite non-negative number"
    if input_base == 0 and output_base == 0:
        return "free (zero input and output price)"

    cached = _price_value(prices, "cache_read_mtok")
    cache_write = _price_value(prices, "cache_write_mtok")
    discount, discount_source = _batch_discount(provider, model, prices, instant, as_of)
    return ApiModelRow(
        slug=_base_slug(provider.id, model.id),
        provider=provider.id,
        provider_name=provider.name,
        model_id=model.id,
        name=model.name or model.id,
        context_window_tokens=model.context_window,
        usd_per_mtok_input=input_base,
        usd_per_mtok_output=output_base,
        usd_per_mtok_cached_input=_base(cached),
        usd_per_mtok_cache_write=_base(cache_write),
        batch_discount=discount,
        batch_discount_source=discount_source,
        long_context_tiers=_long_context_tiers(input_price, output_price, cached),
        source=source,
        as_of=period_start or snapshot_date,
    )


def _prices_in_effect(
    model: ModelInfo, as_of: datetime.date
) -> tuple[ModelPrice, datetime.datetime, datetime.date | None]:
    """Standard prices on `as_of`, an instant at which they apply, and their start date."""
    midnight = datetime.datetime.combine(as_of, datetime.time(0), tzinfo=datetime.UTC)
    if isinstance(model.prices, ModelPrice):
        return model.prices, midnight, None

    conditional: Sequence[ConditionalPrice] = model.prices
    # Cut the UTC day at every time-of-day boundary; within a piece the package picks one
    # entry, so asking it (ModelInfo.get_prices) at the piece's start is exact.
    cuts = {0, _SECONDS_PER_DAY}
    for entry in conditional:
        if isinstance(entry.constraint, TimeOfDateConstraint):
            for bound in (entry.constraint.start_time, entry.constraint.end_time):
                cuts.add(_utc_seconds_of_day(bound))
    ordered = sorted(cuts)
    seconds_by_entry: dict[int, int] = {}
    first_instant: dict[int, datetime.datetime] = {}
    for start_s, end_s in itertools.pairwise(ordered):
        instant = midnight + datetime.timedelta(seconds=start_s)
        chosen = model.get_prices(instant)
        index = next(i for i, entry in enumerate(conditional) if entry.prices is chosen)
        seconds_by_entry[index] = seconds_by_entry.get(index, 0) + end_s - start_s
        first_instant.setdefault(index, instant)
    # Longest share of the day; a tie goes to the later entry, which the package ranks higher.
    index = max(seconds_by_entry, key=lambda i: (seconds_by_entry[i], i))

    active_starts = [
        entry.constraint.start_date
        for entry in conditional
        if isinstance(entry.constraint, StartDateConstraint)
        and entry.constraint.start_date <= as_of
    ]
    return conditional[index].prices, first_instant[index], max(active_starts, default=None)


def _utc_seconds_of_day(value: datetime.time) -> int:
    if value.tzinfo is not None:
        offset = value.utcoffset() or datetime.timedelta(0)
        shifted = datetime.datetime.combine(datetime.date(2000, 1, 1), value.replace(tzinfo=None))
        value = (shifted - offset).time()
    return value.hour * 3600 + value.minute * 60 + value.second


_Price = Decimal | TieredPrices


def _price_value(prices: ModelPrice, key: str) -> _Price | None:
    # ModelPrice keeps only the keys the data sets, as instance attributes.
    value = prices.__dict__.get(key)
    return value if isinstance(value, Decimal | TieredPrices) else None


def _base(price: _Price | None) -> Decimal | None:
    """The price below any long-context threshold, exact and rounded to 9 places."""
    if price is None:
        return None
    return _exact(price.base if isinstance(price, TieredPrices) else price)


def _exact(value: object) -> Decimal | None:
    # The package parses prices from strings into Decimal; str() keeps any other number type
    # from going through a binary float. Invalid values (negative, NaN) make the price unknown.
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite() or number < 0:
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_MAX_DECIMAL_PLACES:
        number = number.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    return number


def _price_above(price: _Price | None, threshold: int) -> Decimal | None:
    """The price that applies once the prompt has more than `threshold` input tokens."""
    if not isinstance(price, TieredPrices):
        return _base(price)
    applicable = price.base
    for tier in price.tiers:  # sorted ascending by the package
        if tier.start <= threshold:
            applicable = tier.price
    return _exact(applicable)


def _long_context_tiers(
    input_price: _Price, output_price: _Price, cached: _Price | None
) -> list[dict[str, int | str | None]]:
    thresholds = sorted(
        {
            tier.start
            for price in (input_price, output_price, cached)
            if isinstance(price, TieredPrices)
            for tier in price.tiers
        }
    )
    tiers: list[dict[str, int | str | None]] = []
    for threshold in thresholds:
        tier_input = _price_above(input_price, threshold)
        if tier_input is None:
            continue
        tiers.append(
            {
                "above_input_tokens": threshold,
                "usd_per_mtok_input": str(tier_input),
                "usd_per_mtok_output": _str_or_none(_price_above(output_price, threshold)),
                "usd_per_mtok_cached_input": _str_or_none(_price_above(cached, threshold)),
            }
        )
    return tiers


def _str_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _batch_discount(
    provider: Provider,
    model: ModelInfo,
    standard: ModelPrice,
    instant: datetime.datetime,
    as_of: datetime.date,
) -> tuple[Decimal | None, str | None]:
    """Fraction off token prices through the batch API, and where that figure comes from."""
    if _records_batch_prices(provider):
        variants: Iterable[PriceVariant] = model.price_variants or ()
        active = any(
            dict(variant.when) == _BATCH_CONTEXT
            and (variant.constraint is None or variant.constraint.active(instant))
            for variant in variants
        )
        if not active:
            return None, None
        batch = model.get_prices(instant, _BATCH_CONTEXT)
        fraction = _discount_from_prices(standard, batch)
        if fraction is None:
            return None, None
        return fraction, f"{BatchDiscountSource.GENAI_PRICES}: processing=batch price variant"

    published = _PUBLISHED_BATCH_DISCOUNTS.get(provider.id)
    if published is None:
        return None, None
    if published.model_ids is not None and model.id not in published.model_ids:
        return None, None
    if published.since is not None and as_of < published.since:
        return None, None
    return published.fraction, f"{BatchDiscountSource.PROVIDER_DOCS}: {published.source_url}"


@cache
def _batch_covered_providers() -> frozenset[str]:
    from genai_prices.data import providers

    return frozenset(
        provider.id
        for provider in providers
        if any(
            dict(variant.when) == _BATCH_CONTEXT
            for model in provider.models
            for variant in model.price_variants or ()
        )
    )


def _records_batch_prices(provider: Provider) -> bool:
    return provider.id in _batch_covered_providers()


def _discount_from_prices(standard: ModelPrice, batch: ModelPrice) -> Decimal | None:
    """1 − batch/standard price, from input and output; the smaller one if they differ."""
    fractions: list[Decimal] = []
    for key in ("input_mtok", "output_mtok"):
        standard_price = _base(_price_value(standard, key))
        batch_price = _base(_price_value(batch, key))
        if standard_price is None or batch_price is None or standard_price == 0:
            return None
        fractions.append(1 - batch_price / standard_price)
    # Quoting the smaller discount never overstates what batching saves.
    return _exact(max(Decimal(0), min(fractions)))


# --- slugs --------------------------------------------------------------------------------


def _base_slug(provider_id: str, model_id: str) -> str:
    return _SLUG_UNSAFE.sub("-", f"{provider_id}--{model_id}".lower())


def _with_unique_slugs(rows: list[ApiModelRow]) -> list[ApiModelRow]:
    """Rows whose base slugs collide get a short hash of their raw ids appended.

    Within a group of colliding rows the one with the smallest raw `provider/model_id` keeps
    the plain slug, so the result does not depend on the order of the package's lists.
    """
    by_slug: dict[str, list[ApiModelRow]] = {}
    for row in rows:
        by_slug.setdefault(row.slug, []).append(row)
    taken = set(by_slug)
    renamed: dict[int, str] = {}
    for slug, group in by_slug.items():
        if len(group) == 1:
            continue
        ordered = sorted(group, key=lambda r: (r.provider, r.model_id))
        for row in ordered[1:]:
            digest = hashlib.sha256(f"{row.provider}/{row.model_id}".encode()).hexdigest()
            length = 8
            candidate = f"{slug}-{digest[:length]}"
            while candidate in taken:
                length += 1
                candidate = f"{slug}-{digest[:length]}"
            taken.add(candidate)
            renamed[id(row)] = candidate
    return [
        dataclasses.replace(row, slug=renamed[id(row)]) if id(row) in renamed else row
        for row in rows
    ]


# --- package identity ---------------------------------------------------------------------


@cache
def _package_version() -> str:
    return importlib.metadata.version(_DISTRIBUTION)


@cache
def _data_sha256() -> str:
    data = importlib.resources.files("genai_prices").joinpath("data.py").read_bytes()
    return hashlib.sha256(data).hexdigest()


@cache
def _snapshot_date() -> datetime.date:
    """Date of the bundled data: the latest day its maintainers record checking a price.

    The package has no explicit snapshot date. Dated prices cannot stand in for one because
    they include announced future changes, so the dates written next to "verified"/"checked"
    in the price comments are used; if none are found, the latest dated price is the fallback.
    """
    from genai_prices.data import providers

    checked: list[datetime.date] = []
    starts: list[datetime.date] = []
    for provider in providers:
        texts = [provider.price_comments or ""]
        for model in provider.models:
            texts.append(model.price_comments or "")
            if not isinstance(model.prices, list):
                continue
            starts.extend(
                entry.constraint.start_date
                for entry in model.prices
                if isinstance(entry.constraint, StartDateConstraint)
            )
        for text in texts:
            for match in _CHECKED_DATE.finditer(text):
                try:
                    checked.append(datetime.date.fromisoformat(match.group(1)))
                except ValueError:
                    continue
    if checked:
        return max(checked)
    if starts:
        return max(starts)
    raise GenaiPricesDataError("genai-prices data carries no date to date its snapshot by")
