"""Hosted-API cost: worked examples by hand, long-context tiers, and input validation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats  # type: ignore[import-untyped]

from app.core.api_cost import (
    ApiPriceSpec,
    LongContextTierSpec,
    api_cost,
)
from app.core.errors import InvalidEstimateInputError
from app.core.lengths import lognormal_sigma, share_above
from app.core.workload import DAYS_PER_MONTH, WorkloadSpec


def test_month_is_a_julian_twelfth() -> None:
    # 365.25 days / 12 months, the documented convention.
    assert pytest.approx(30.4375) == DAYS_PER_MONTH


def test_worked_example_plain_tokens() -> None:
    # By hand: 1,000 input tokens at $3/Mtok = $0.003; 200 output tokens at $15/Mtok = $0.003.
    # $0.006 per request x 10,000 requests/day x 30.4375 days = $1,826.25 per month.
    w = WorkloadSpec(requests_per_day=10_000, input_tokens_mean=1000, output_tokens_mean=200)
    cost = api_cost(ApiPriceSpec("m", 3.0, 15.0), w)
    assert cost.usd_per_request_interactive == pytest.approx(0.006)
    assert cost.monthly_cost_usd == pytest.approx(1826.25)
    # $1,826.25 over 10,000 x 30.4375 x 1,200 tokens = 365.25 Mtok -> $5.00 per Mtok.
    assert cost.usd_per_million_tokens == pytest.approx(5.0)


def test_worked_example_cache_and_batch() -> None:
    # By hand: half of 1,000 input tokens cached: 500 x $3 + 500 x $0.30 per Mtok = $0.00165;
    # output 200 x $15/Mtok = $0.003; $0.00465 per request. 40% of traffic is batch at half
    # price: mix = 0.6 + 0.4 x 0.5 = 0.8. Month: 10,000 x 30.4375 x 0.00465 x 0.8 = $1,132.275.
    w = WorkloadSpec(
        requests_per_day=10_000,
        input_tokens_mean=1000,
        output_tokens_mean=200,
        cached_input_share=0.5,
        batch_share=0.4,
    )
    price = ApiPriceSpec("m", 3.0, 15.0, usd_per_mtok_cached_input=0.3, batch_discount=0.5)
    cost = api_cost(price, w)
    assert cost.monthly_cost_usd == pytest.approx(1132.275)
    assert sum(cost.breakdown.values()) == pytest.approx(cost.monthly_cost_usd)
    assert cost.usd_per_request_batch == pytest.approx(0.00465 * 0.5)


def test_negotiated_discount_scales_everything() -> None:
    w = WorkloadSpec(requests_per_day=10_000, input_tokens_mean=1000, output_tokens_mean=200)
    price = ApiPriceSpec("m", 3.0, 15.0)
    full = api_cost(price, w).monthly_cost_usd
    assert api_cost(price, w, discount_share=0.2).monthly_cost_usd == pytest.approx(0.8 * full)


def test_long_context_tier_applies_to_whole_request_without_p95() -> None:
    # A single input length of 250k tokens is above a 200k threshold: the whole request
    # (input and output) is billed at the tier's prices: 250k x $6 + 1k x $22.5 per Mtok.
    tier = LongContextTierSpec(200_000, 6.0, 22.5)
    price = ApiPriceSpec("m", 3.0, 15.0, long_context_tiers=(tier,))
    long = WorkloadSpec(requests_per_day=1, input_tokens_mean=250_000, output_tokens_mean=1000)
    short = WorkloadSpec(requests_per_day=1, input_tokens_mean=150_000, output_tokens_mean=1000)
    assert api_cost(price, long).usd_per_request_interactive == pytest.approx(1.5 + 0.0225)
    assert api_cost(price, short).usd_per_request_interactive == pytest.approx(0.45 + 0.015)
    assert api_cost(price, long).long_context_request_share == 1.0


def test_lognormal_fit_reproduces_mean_and_p95() -> None:
    sigma = lognormal_sigma(2000.0, 6000.0)
    mu = math.log(2000.0) - sigma**2 / 2
    dist = stats.lognorm(s=sigma, scale=math.exp(mu))
    assert dist.mean() == pytest.approx(2000.0)
    assert dist.ppf(0.95) == pytest.approx(6000.0)


def test_share_above_matches_numerical_integration() -> None:
    # Independent check with scipy: request share is the survival function; the token share
    # is the partial expectation E[X; X > t] / E[X], integrated numerically.
    mean, sigma, threshold = 2000.0, lognormal_sigma(2000.0, 6000.0), 5000.0
    dist = stats.lognorm(s=sigma, scale=math.exp(math.log(mean) - sigma**2 / 2))
    req_share, tok_share = share_above(mean, sigma, threshold)
    assert req_share == pytest.approx(dist.sf(threshold))
    partial = dist.expect(lambda x: x, lb=threshold) / mean
    assert tok_share == pytest.approx(partial, rel=1e-6)


def test_tier_share_weights_the_price_between_base_and_tier() -> None:
    tier = LongContextTierSpec(5000, 6.0, 30.0)
    price = ApiPriceSpec("m", 3.0, 15.0, long_context_tiers=(tier,))
    w = WorkloadSpec(
        requests_per_day=1, input_tokens_mean=2000, output_tokens_mean=100, input_tokens_p95=6000
    )
    sigma = lognormal_sigma(2000, 6000)
    req_share, tok_share = share_above(2000, sigma, 5000)
    expected = (
        2000 * ((1 - tok_share) * 3.0 + tok_share * 6.0)
        + 100 * ((1 - req_share) * 15.0 + req_share * 30.0)
    ) / 1e6
    assert api_cost(price, w).usd_per_request_interactive == pytest.approx(expected)
    # 5,000 is below the p95 of 6,000, so over 5% of requests exceed it; long requests
    # carry more than their share of the tokens.
    assert 0.05 < req_share < tok_share < 1


@given(
    volume=st.floats(0, 1e7),
    extra=st.floats(0, 1e7),
    p_in=st.floats(0, 100),
    p_out=st.floats(0, 100),
)
def test_more_traffic_never_costs_less(
    volume: float, extra: float, p_in: float, p_out: float
) -> None:
    w = WorkloadSpec(requests_per_day=volume, input_tokens_mean=800, output_tokens_mean=300)
    price = ApiPriceSpec("m", p_in, p_out)
    low = api_cost(price, w).monthly_cost_usd
    high = api_cost(price, w, requests_per_day=volume + extra).monthly_cost_usd
    assert high >= low


def test_invalid_prices_are_refused() -> None:
    with pytest.raises(InvalidEstimateInputError):
        ApiPriceSpec("m", -1.0, 2.0)
    with pytest.raises(InvalidEstimateInputError):
        ApiPriceSpec("m", 1.0, 2.0, batch_discount=1.5)
    w = WorkloadSpec(requests_per_day=1, input_tokens_mean=1, output_tokens_mean=1)
    with pytest.raises(InvalidEstimateInputError):
        api_cost(ApiPriceSpec("m", 1.0, 2.0), w, discount_share=1.0)
