"""Batch-API discounts of hosted API models: the package's `processing=batch` price variants
where it records them, else the providers' published discounts.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Final

from genai_prices.types import ModelInfo, ModelPrice, PriceVariant, Provider

from app.catalog.genai_price_values import base_price, exact, price_value

#: The package's request context that selects batch prices (`PriceVariant.when`).
_BATCH_CONTEXT: Final[Mapping[str, str]] = {"processing": "batch"}


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


def batch_discount(
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
def batch_covered_providers() -> frozenset[str]:
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
    return provider.id in batch_covered_providers()


def _discount_from_prices(standard: ModelPrice, batch: ModelPrice) -> Decimal | None:
    """1 − batch/standard price, from input and output; the smaller one if they differ."""
    fractions: list[Decimal] = []
    for key in ("input_mtok", "output_mtok"):
        standard_price = base_price(price_value(standard, key))
        batch_price = base_price(price_value(batch, key))
        if standard_price is None or batch_price is None or standard_price == 0:
            return None
        fractions.append(1 - batch_price / standard_price)
    # Quoting the smaller discount never overstates what batching saves.
    return exact(max(Decimal(0), min(fractions)))
