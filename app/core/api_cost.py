"""Hosted-API cost of a workload: tokens x prices with prompt caching, batch discount and
long-context tiers.

Everything is linear in volume: a workload costs `requests_per_day x DAYS_PER_MONTH x
usd_per_request`. Long-context tiers price a whole request by its input length; input lengths
are taken as log-normal with the workload's mean and p95 (a single length when p95 is absent).
See docs/economics.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.errors import InvalidEstimateInputError
from app.core.lengths import context_overflow_share, lognormal_sigma, share_above
from app.core.workload import DAYS_PER_MONTH, TOKENS_PER_MTOK, WorkloadSpec


@dataclass(frozen=True, slots=True)
class LongContextTierSpec:
    """Prices that apply to a whole request once its input exceeds `above_input_tokens`."""

    above_input_tokens: float
    usd_per_mtok_input: float
    usd_per_mtok_output: float
    usd_per_mtok_cached_input: float | None = None


@dataclass(frozen=True, slots=True)
class ApiPriceSpec:
    """List prices of one hosted model (USD per 10^6 tokens)."""

    slug: str
    usd_per_mtok_input: float
    usd_per_mtok_output: float
    usd_per_mtok_cached_input: float | None = None
    # Share taken off every price for batch (asynchronous) requests, e.g. 0.5.
    batch_discount: float | None = None
    long_context_tiers: tuple[LongContextTierSpec, ...] = ()
    # Writing a prompt-cache entry (e.g. 1.25x input at Anthropic); None: billed as input.
    usd_per_mtok_cache_write: float | None = None
    # Largest input + output one request may have (tokens); None: not published.
    context_window_tokens: float | None = None
    # Hidden reasoning tokens billed as output on each request (reasoning models).
    reasoning_tokens_per_request: float = 0.0

    def __post_init__(self) -> None:
        prices = [self.usd_per_mtok_input, self.usd_per_mtok_output]
        prices += [
            p
            for p in (self.usd_per_mtok_cached_input, self.usd_per_mtok_cache_write)
            if p is not None
        ]
        for tier in self.long_context_tiers:
            prices += [tier.usd_per_mtok_input, tier.usd_per_mtok_output]
            if tier.usd_per_mtok_cached_input is not None:
                prices.append(tier.usd_per_mtok_cached_input)
            if not (math.isfinite(tier.above_input_tokens) and tier.above_input_tokens >= 0):
                raise InvalidEstimateInputError(
                    "a tier threshold must be >= 0", slug=self.slug, above=tier.above_input_tokens
                )
        if any(not (math.isfinite(p) and p >= 0) for p in prices):
            raise InvalidEstimateInputError("API prices must be finite and >= 0", slug=self.slug)
        if not (
            math.isfinite(self.reasoning_tokens_per_request)
            and self.reasoning_tokens_per_request >= 0
        ):
            raise InvalidEstimateInputError(
                "reasoning tokens per request must be >= 0", slug=self.slug
            )
        if self.batch_discount is not None and not (0.0 <= self.batch_discount <= 1.0):
            raise InvalidEstimateInputError(
                "batch_discount must be within [0, 1]", slug=self.slug, value=self.batch_discount
            )


@dataclass(frozen=True, slots=True)
class ApiCost:
    """Monthly cost of a workload on one hosted API model."""

    slug: str
    usd_per_request_interactive: float
    usd_per_request_batch: float
    monthly_cost_usd: float
    usd_per_million_tokens: float
    # input, cached_input, output -> USD per month, and the tiered share for transparency.
    breakdown: dict[str, float]
    long_context_request_share: float
    # Share of requests whose input + output exceeds the context window (0 when unknown).
    context_overflow_share: float = 0.0


@dataclass(frozen=True, slots=True)
class _RequestUsd:
    """What one request costs by component, before batch and discount (USD)."""

    input: float
    cached_input: float
    cache_write: float
    output: float
    reasoning: float
    tiered_request_share: float

    @property
    def total(self) -> float:
        return self.input + self.cached_input + self.cache_write + self.output + self.reasoning


def _price_bands(price: ApiPriceSpec) -> list[tuple[float, float, float, float | None]]:
    """(threshold, input, output, cached-input price) per band of input length: the base band,
    then the long-context tiers in threshold order (USD per 10^6 tokens)."""
    bands = [
        (0.0, price.usd_per_mtok_input, price.usd_per_mtok_output, price.usd_per_mtok_cached_input)
    ]
    for tier in sorted(price.long_context_tiers, key=lambda t: t.above_input_tokens):
        bands.append(
            (
                tier.above_input_tokens,
                tier.usd_per_mtok_input,
                tier.usd_per_mtok_output,
                tier.usd_per_mtok_cached_input,
            )
        )
    return bands


def _request_usd(price: ApiPriceSpec, workload: WorkloadSpec) -> _RequestUsd:
    """Per-request cost: each band of input length at its prices, weighted by the share of
    requests (output, reasoning) and of input tokens (input, cache) that fall in it."""
    sigma = lognormal_sigma(workload.input_tokens_mean, workload.input_tokens_p95)
    bands = _price_bands(price)
    cached, written = workload.cached_input_share, workload.cache_write_share
    in_tok, out_tok = workload.input_tokens_mean, workload.output_tokens_mean
    reasoning_tok = price.reasoning_tokens_per_request
    usd = dict.fromkeys(("input", "cached", "write", "output", "reasoning"), 0.0)
    tiered_request_share = 0.0
    for band, (threshold, p_in, p_out, p_cached) in enumerate(bands):
        req_lo, tok_lo = (1.0, 1.0) if band == 0 else share_above(in_tok, sigma, threshold)
        req_hi, tok_hi = (
            share_above(in_tok, sigma, bands[band + 1][0]) if band + 1 < len(bands) else (0, 0)
        )
        req_share, tok_share = max(req_lo - req_hi, 0.0), max(tok_lo - tok_hi, 0.0)
        if band > 0:
            tiered_request_share += req_share
        # A model without a cache price bills cached tokens (and cache writes) as input.
        p_read = p_in if p_cached is None else p_cached
        p_write = p_in if price.usd_per_mtok_cache_write is None else price.usd_per_mtok_cache_write
        cached_tok = in_tok * tok_share * cached / TOKENS_PER_MTOK
        usd["input"] += in_tok * tok_share * (1.0 - cached) * p_in / TOKENS_PER_MTOK
        usd["cached"] += cached_tok * (1.0 - written) * p_read
        usd["write"] += cached_tok * written * p_write
        # Output length is taken as independent of input length; reasoning is billed as output.
        usd["output"] += out_tok * req_share * p_out / TOKENS_PER_MTOK
        usd["reasoning"] += reasoning_tok * req_share * p_out / TOKENS_PER_MTOK
    return _RequestUsd(
        usd["input"], usd["cached"], usd["write"], usd["output"], usd["reasoning"],
        tiered_request_share,
    )  # fmt: skip


def api_cost(
    price: ApiPriceSpec,
    workload: WorkloadSpec,
    *,
    requests_per_day: float | None = None,
    discount_share: float = 0.0,
) -> ApiCost:
    """Monthly USD cost of `workload` on `price`, after a negotiated `discount_share` off list."""
    if not (0.0 <= discount_share < 1.0):
        raise InvalidEstimateInputError(
            "discount_share must be within [0, 1)", value=discount_share
        )
    volume = workload.requests_per_day if requests_per_day is None else requests_per_day
    usd = _request_usd(price, workload)
    keep = 1.0 - discount_share
    per_request = usd.total * keep
    batch_keep = 1.0 - (price.batch_discount or 0.0)
    # Share of the spend that each token kind takes, scaled by the mixed (batch + not) volume.
    month_requests = volume * DAYS_PER_MONTH
    mix = (1.0 - workload.batch_share) + workload.batch_share * batch_keep
    scale = month_requests * keep * mix
    breakdown = {
        "api_input": usd.input * scale,
        "api_cached_input": usd.cached_input * scale,
        "api_output": usd.output * scale,
    }
    if usd.cache_write > 0:
        breakdown["api_cache_write"] = usd.cache_write * scale
    if usd.reasoning > 0:
        breakdown["api_reasoning"] = usd.reasoning * scale
    overflow = (
        0.0
        if price.context_window_tokens is None
        else context_overflow_share(
            workload,
            price.context_window_tokens,
            extra_output_tokens=price.reasoning_tokens_per_request,
        )
    )
    return ApiCost(
        slug=price.slug,
        usd_per_request_interactive=per_request,
        usd_per_request_batch=per_request * batch_keep,
        monthly_cost_usd=month_requests * per_request * mix,
        usd_per_million_tokens=per_request * mix / workload.tokens_per_request * TOKENS_PER_MTOK,
        breakdown=breakdown,
        long_context_request_share=usd.tiered_request_share,
        context_overflow_share=overflow,
    )
