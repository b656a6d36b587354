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
from app.core.workload import DAYS_PER_MONTH, TOKENS_PER_MTOK, WorkloadSpec

#: Standard normal quantile at 0.95.
Z_95 = 1.6448536269514722


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

    def __post_init__(self) -> None:
        prices = [self.usd_per_mtok_input, self.usd_per_mtok_output]
        if self.usd_per_mtok_cached_input is not None:
            prices.append(self.usd_per_mtok_cached_input)
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


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def lognormal_sigma(mean: float, p95: float | None) -> float:
    """Shape sigma of the log-normal with this mean and 95th percentile (0 = a single length).

    Solves p95/mean = exp(z*sigma - sigma^2/2) for the smaller root. The ratio cannot exceed
    exp(z^2/2) ~ 3.87 for a log-normal; larger ratios are clipped to sigma = z.
    """
    if p95 is None or mean <= 0 or p95 <= mean:
        return 0.0
    k = math.log(p95 / mean)
    disc = Z_95 * Z_95 - 2.0 * k
    return Z_95 - math.sqrt(disc) if disc > 0 else Z_95


def share_above(mean: float, sigma: float, threshold: float) -> tuple[float, float]:
    """(request share, input-token share) of requests whose input exceeds `threshold` tokens."""
    if sigma == 0.0:
        above = 1.0 if mean > threshold else 0.0
        return above, above
    if threshold <= 0:
        return 1.0, 1.0
    mu = math.log(mean) - sigma * sigma / 2.0
    z = (math.log(threshold) - mu) / sigma
    # Partial expectation of a log-normal: E[X; X > t] / E[X] = 1 - Phi(z - sigma).
    return 1.0 - _normal_cdf(z), 1.0 - _normal_cdf(z - sigma)


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
    sigma = lognormal_sigma(workload.input_tokens_mean, workload.input_tokens_p95)

    # Bands of input length, each with its prices: base band, then tiers in threshold order.
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
    cached = workload.cached_input_share
    in_tok, out_tok = workload.input_tokens_mean, workload.output_tokens_mean
    usd_input = usd_cached = usd_output = 0.0  # per request, before batch and discount
    tiered_request_share = 0.0
    for i, (threshold, p_in, p_out, p_cached) in enumerate(bands):
        req_lo, tok_lo = (1.0, 1.0) if i == 0 else share_above(in_tok, sigma, threshold)
        req_hi, tok_hi = (
            share_above(in_tok, sigma, bands[i + 1][0]) if i + 1 < len(bands) else (0.0, 0.0)
        )
        req_share, tok_share = max(req_lo - req_hi, 0.0), max(tok_lo - tok_hi, 0.0)
        if i > 0:
            tiered_request_share += req_share
        # A model without a cache price bills cached tokens as ordinary input.
        p_cached_eff = p_in if p_cached is None else p_cached
        usd_input += in_tok * tok_share * (1.0 - cached) * p_in / TOKENS_PER_MTOK
        usd_cached += in_tok * tok_share * cached * p_cached_eff / TOKENS_PER_MTOK
        # Output length is taken as independent of input length.
        usd_output += out_tok * req_share * p_out / TOKENS_PER_MTOK

    keep = 1.0 - discount_share
    per_request = (usd_input + usd_cached + usd_output) * keep
    batch_keep = 1.0 - (price.batch_discount or 0.0)
    per_request_batch = per_request * batch_keep
    beta = workload.batch_share
    # Share of the spend that each token kind takes, scaled by the mixed (batch + not) volume.
    month_requests = volume * DAYS_PER_MONTH
    mix = (1.0 - beta) + beta * batch_keep
    monthly = month_requests * per_request * mix
    return ApiCost(
        slug=price.slug,
        usd_per_request_interactive=per_request,
        usd_per_request_batch=per_request_batch,
        monthly_cost_usd=monthly,
        usd_per_million_tokens=per_request * mix / workload.tokens_per_request * TOKENS_PER_MTOK,
        breakdown={
            "api_input": month_requests * usd_input * keep * mix,
            "api_cached_input": month_requests * usd_cached * keep * mix,
            "api_output": month_requests * usd_output * keep * mix,
        },
        long_context_request_share=tiered_request_share,
    )
