"""Request and response bodies of hosted API models and their fine-tuning prices."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.schemas.catalog import CatalogMeta, ContextTokens
from app.schemas.common import (
    AsOf,
    Fraction,
    Name,
    Page,
    PatchModel,
    ShortText,
    Slug,
    Source,
    UsdPerHour,
    UsdPerMtok,
    unchanged,
)
from app.schemas.common import InputModel as _Input

# --- Hosted API models ----------------------------------------------------------------------


class LongContextTier(_Input):
    """Prices that apply when a request's input exceeds `above_input_tokens`."""

    above_input_tokens: Annotated[int, Field(strict=True, ge=1, le=100_000_000)]
    usd_per_mtok_input: UsdPerMtok
    usd_per_mtok_output: UsdPerMtok | None = None
    usd_per_mtok_cached_input: UsdPerMtok | None = None


class ApiModelFields(BaseModel):
    provider: ShortText = Field(examples=["openai"])
    provider_name: ShortText = Field(examples=["OpenAI"])
    model_id: Annotated[str, Field(min_length=1, max_length=200)] = Field(examples=["gpt-4o"])
    name: Name = Field(examples=["GPT-4o"])
    context_window_tokens: ContextTokens | None = None
    usd_per_mtok_input: UsdPerMtok = Field(examples=[2.5])
    usd_per_mtok_output: UsdPerMtok = Field(examples=[10])
    usd_per_mtok_cached_input: UsdPerMtok | None = Field(default=None, examples=[1.25])
    usd_per_mtok_cache_write: UsdPerMtok | None = None
    batch_discount: Fraction | None = Field(
        default=None, description="Share taken off for batch (asynchronous) requests, 0..1."
    )
    batch_discount_source: Annotated[str, Field(min_length=1, max_length=4000)] | None = Field(
        default=None, description="Where the batch discount comes from."
    )
    long_context_tiers: list[LongContextTier] = Field(default_factory=list, max_length=16)


class ApiModelCreate(ApiModelFields, _Input):
    slug: Slug
    source: Source
    as_of: AsOf


class ApiModelUpdate(PatchModel):
    provider: ShortText = unchanged()
    provider_name: ShortText = unchanged()
    model_id: Annotated[str, Field(min_length=1, max_length=200)] = unchanged()
    name: Name = unchanged()
    context_window_tokens: ContextTokens | None = None
    usd_per_mtok_input: UsdPerMtok = unchanged()
    usd_per_mtok_output: UsdPerMtok = unchanged()
    usd_per_mtok_cached_input: UsdPerMtok | None = None
    usd_per_mtok_cache_write: UsdPerMtok | None = None
    batch_discount: Fraction | None = None
    batch_discount_source: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    long_context_tiers: list[LongContextTier] = unchanged(max_length=16)
    source: Source = unchanged()
    as_of: AsOf = unchanged()


class ApiModelRead(ApiModelFields, CatalogMeta):
    pass


# --- Hosted fine-tuning prices --------------------------------------------------------------


class FineTuningPriceFields(BaseModel):
    api_model_slug: Slug = Field(description="Slug of the API model that can be fine-tuned.")
    usd_per_mtok_training: UsdPerMtok = Field(
        examples=[3.0], description="USD per 10^6 trained tokens (tokens x epochs)."
    )
    usd_per_mtok_input: UsdPerMtok = Field(
        examples=[0.3], description="The fine-tuned model's input price."
    )
    usd_per_mtok_output: UsdPerMtok = Field(
        examples=[1.2], description="The fine-tuned model's output price."
    )
    usd_per_mtok_cached_input: UsdPerMtok | None = None
    usd_per_hour_hosting: UsdPerHour | None = Field(
        default=None, description="Hourly charge for a deployed fine-tuned model, if any."
    )


class FineTuningPriceCreate(FineTuningPriceFields, _Input):
    slug: Slug
    source: Source
    as_of: AsOf


class FineTuningPriceUpdate(PatchModel):
    api_model_slug: Slug = unchanged()
    usd_per_mtok_training: UsdPerMtok = unchanged()
    usd_per_mtok_input: UsdPerMtok = unchanged()
    usd_per_mtok_output: UsdPerMtok = unchanged()
    usd_per_mtok_cached_input: UsdPerMtok | None = None
    usd_per_hour_hosting: UsdPerHour | None = None
    source: Source = unchanged()
    as_of: AsOf = unchanged()


class FineTuningPriceRead(FineTuningPriceFields, CatalogMeta):
    pass


# Named pages, so generated clients get readable class names.


class ApiModelPage(Page[ApiModelRead]):
    pass


class FineTuningPricePage(Page[FineTuningPriceRead]):
    pass
