"""Serving infrastructure line items and an owned 8 x H100 server, by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidEstimateInputError
from app.core.infrastructure import (
    InfrastructureSpec,
    OwnedServerSpec,
    capital_usd_per_month,
    infrastructure_rates,
    owned_server_cost,
)


def test_owned_eight_h100_server_monthly_and_up_front_cost() -> None:
    # Per GPU: $27,500 H100 + $10,000 rest of the system = $37,500; networking is 20% of the
    # whole capital, so 37,500 x 0.2 / 0.8 = $9,375 more: $46,875 per GPU, $375,000 up front.
    # Capital: 4 years at 7.5%/year, r = 0.00625/month, n = 48, (1 + r)^-48 = 0.741510;
    # residual 10% = $37,500, worth 37,500 x 0.741510 = $27,806.63 today.
    # Payment = (375,000 - 27,806.63) x 0.00625 / (1 - 0.741510) = $8,394.75 per month.
    # Support: $39,800 per 8-GPU server-year / 12 = $3,316.67 per month.
    server = owned_server_cost(OwnedServerSpec(), gpu_usd=27_500, gpus=8)
    assert server.up_front_usd == pytest.approx(375_000)
    assert server.capital_usd_per_month == pytest.approx(8_394.75, abs=0.01)
    assert server.support_usd_per_month == pytest.approx(3_316.67, abs=0.01)
    assert server.usd_per_month == pytest.approx(11_711.42, abs=0.01)
    # All-in before power and hosting: 11,711.42 / 8 GPUs / 730.5 h = $2.00 per GPU-hour.
    assert server.usd_per_month / 8 / 730.5 == pytest.approx(2.004, abs=0.001)


def test_capital_without_interest_is_straight_line_less_residual() -> None:
    # (120,000 - 12,000) / 36 = $3,000 per month.
    assert capital_usd_per_month(
        120_000, residual_share=0.1, cost_of_capital_per_year=0.0, years=3
    ) == pytest.approx(3_000)


def test_infrastructure_line_items_by_hand() -> None:
    # 1M requests/day of 1,000 input + 500 output tokens on 10 instances, 16 GB of weights.
    # gateway: $0.0225/h x 730.5 = $16.44 + 1M x 30.4375 x $0.008/(25 x 3600) = $2,705.56.
    # observability: 10 hosts x $15 = $150.
    # storage: 16 GB x 3 copies x $0.023 = $1.10; logs 1,500 tokens x 4 B = 6 kB per request,
    #   x 30.4375M requests = 182.6 GB x $0.023 = $4.20.
    # egress: 500 tokens x 100 B = 50 kB per request, 1,521.9 GB x $0.09 = $136.97.
    rates = infrastructure_rates(
        InfrastructureSpec(),
        weights_bytes=16e9,
        input_tokens_per_request=1000,
        output_tokens_per_request=500,
    )
    lines = rates.lines(10, 1e6)
    assert lines["gateway"] == pytest.approx(0.0225 * 730.5 + 1e6 * 30.4375 * 0.008 / 90_000)
    assert lines["observability"] == pytest.approx(150.0)
    assert lines["storage"] == pytest.approx(16 * 3 * 0.023 + 182.625 * 0.023)
    assert lines["egress"] == pytest.approx(1_521.875 * 0.09)


def test_bad_infrastructure_and_owned_inputs_are_refused() -> None:
    with pytest.raises(InvalidEstimateInputError):
        InfrastructureSpec(egress_usd_per_gb=-1)
    with pytest.raises(InvalidEstimateInputError):
        OwnedServerSpec(networking_share=1.0)
    with pytest.raises(InvalidEstimateInputError):
        owned_server_cost(OwnedServerSpec(), gpu_usd=1.0, gpus=0)


@settings(max_examples=100, deadline=None)
@given(
    instances=st.floats(0, 1e5),
    more_instances=st.floats(0, 1e5),
    volume=st.floats(0, 1e9),
    more_volume=st.floats(0, 1e9),
)
def test_line_items_grow_with_fleet_and_traffic(
    instances: float, more_instances: float, volume: float, more_volume: float
) -> None:
    rates = infrastructure_rates(
        InfrastructureSpec(),
        weights_bytes=1e10,
        input_tokens_per_request=100,
        output_tokens_per_request=100,
    )
    small = rates.lines(instances, volume)
    big = rates.lines(instances + more_instances, volume + more_volume)
    assert all(big[k] >= small[k] - 1e-9 for k in small)
