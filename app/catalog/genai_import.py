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

Reading prices lives in `genai_price_values.py`, batch discounts in `genai_batch.py`.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import importlib.metadata
import importlib.resources
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Final

from genai_prices.types import ModelInfo, Provider, StartDateConstraint

from app.catalog.genai_batch import batch_discount
from app.catalog.genai_price_values import (
    base_price,
    long_context_tiers,
    price_value,
    prices_in_effect,
)

#: Distribution name on PyPI.
_DISTRIBUTION: Final = "genai-prices"

_SLUG_UNSAFE = re.compile(r"[^a-z0-9._-]")

#: Maintainers write "verified on 2026-10-14" / "checked 2026-11-03" in price comments; the
#: latest such date is the best record the package carries of when its data was taken.
_CHECKED_DATE = re.compile(
    r"\b(?:verified|checked|confirmed|reviewed)\b[^.;]{0,30}?\b(\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)


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
    prices, instant, period_start = prices_in_effect(model, as_of)

    input_price = price_value(prices, "input_mtok")
    output_price = price_value(prices, "output_mtok")
    if input_price is None or output_price is None:
        return "no per-token input and output price"
    input_base = base_price(input_price)
    output_base = base_price(output_price)
    if input_base is None or output_base is None:
        return "price is not a finite non-negative number"
    if input_base == 0 and output_base == 0:
        return "free (zero input and output price)"

    cached = price_value(prices, "cache_read_mtok")
    cache_write = price_value(prices, "cache_write_mtok")
    discount, discount_source = batch_discount(provider, model, prices, instant, as_of)
    return ApiModelRow(
        slug=_base_slug(provider.id, model.id),
        provider=provider.id,
        provider_name=provider.name,
        model_id=model.id,
        name=model.name or model.id,
        context_window_tokens=model.context_window,
        usd_per_mtok_input=input_base,
        usd_per_mtok_output=output_base,
        usd_per_mtok_cached_input=base_price(cached),
        usd_per_mtok_cache_write=base_price(cache_write),
        batch_discount=discount,
        batch_discount_source=discount_source,
        long_context_tiers=long_context_tiers(input_price, output_price, cached),
        source=source,
        as_of=period_start or snapshot_date,
    )


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
