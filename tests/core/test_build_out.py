"""Time to production in the projection, cost shares and the cost of a constraint."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.build_out import (
    TimeToProductionSpec,
    constraint_cost,
    cost_shares,
    drivers_sentence,
    projection_with_build_out,
)
from app.core.errors import InvalidEstimateInputError


def test_six_month_build_out_in_the_projection() -> None:
    # 2 months hiring + 4 months building = 6 months before self-hosting serves traffic.
    # Months 0-1: the interim API ($10,000) only. Months 2-5: the API plus the hired team
    # ($50,000). Month 6 on: the fleet's own $30,000. Horizon of 12 months:
    # 2 x 10,000 + 4 x 60,000 + 6 x 30,000 = $440,000, against 12 x 30,000 = $360,000 if
    # self-hosting were live on day one.
    spec = TimeToProductionSpec(hiring_lead_months=2, build_out_months=4)
    series = projection_with_build_out(
        spec,
        self_hosted_usd=[30_000.0] * 12,
        interim_api_usd=[10_000.0] * 12,
        team_usd_per_month=50_000.0,
    )
    assert series.tolist() == [10_000.0] * 2 + [60_000.0] * 4 + [30_000.0] * 6
    assert series.sum() == pytest.approx(440_000)
    # Without the interim API the workload is not served: only the team is paid while building.
    dark = projection_with_build_out(
        TimeToProductionSpec(2, 4, interim_api=False),
        self_hosted_usd=[30_000.0] * 12,
        interim_api_usd=[10_000.0] * 12,
        team_usd_per_month=50_000.0,
    )
    assert dark.tolist() == [0.0] * 2 + [50_000.0] * 4 + [30_000.0] * 6


def test_fractional_months_are_split_pro_rata() -> None:
    # 1.9 months hiring + 3 months building = 4.9: month 4 is 90% building, 10% live.
    spec = TimeToProductionSpec(hiring_lead_months=1.9, build_out_months=3)
    series = projection_with_build_out(
        spec, self_hosted_usd=[100.0] * 6, interim_api_usd=[10.0] * 6, team_usd_per_month=50.0
    )
    # Month 1: 90% hiring (API only), 10% building (API + team): 10 + 0.1 x 50 = 15.
    assert series[1] == pytest.approx(15.0)
    # Month 4: 0.9 x (10 + 50) + 0.1 x 100 = 64.
    assert series[4] == pytest.approx(64.0)
    assert series[5] == pytest.approx(100.0)
    with pytest.raises(InvalidEstimateInputError):
        TimeToProductionSpec(hiring_lead_months=-1)


def test_cost_shares_and_the_sentence() -> None:
    shares = cost_shares({"staff": 65.0, "compute": 20.0, "power": 5.0, "gateway": 10.0})
    assert shares == pytest.approx(
        {"people": 0.65, "compute": 0.25, "infrastructure": 0.10, "adaptation": 0.0, "api": 0.0}
    )
    assert drivers_sentence(shares) == (
        "People are 65% of this option's cost; compute 25% and infrastructure 10%."
    )
    api = cost_shares({"api_input": 3.0, "api_output": 1.0})
    assert api["api"] == pytest.approx(1.0)
    assert drivers_sentence(api) == "API calls are 100% of this option's cost."


def test_constraint_cost_reports_both_cheapest_figures() -> None:
    cost = constraint_cost([100.0, 50.0, np.inf, 80.0], [True, False, True, True])
    assert cost.cheapest_unconstrained_usd_per_month == 50.0
    assert cost.cheapest_constrained_usd_per_month == 80.0
    assert cost.usd_per_month == 30.0
    assert constraint_cost([1.0], [False]).usd_per_month is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e9), st.booleans()), min_size=1, max_size=30))
def test_a_constraint_never_lowers_the_cheapest_cost(rows: list[tuple[float, bool]]) -> None:
    cost = constraint_cost([r[0] for r in rows], [r[1] for r in rows])
    if cost.cheapest_constrained_usd_per_month is not None:
        assert cost.cheapest_unconstrained_usd_per_month is not None
        assert cost.cheapest_constrained_usd_per_month >= cost.cheapest_unconstrained_usd_per_month
        assert cost.usd_per_month is not None
        assert cost.usd_per_month >= 0


@settings(max_examples=100, deadline=None)
@given(hire=st.floats(0, 24), build=st.floats(0, 24), extra=st.floats(0, 12))
def test_a_longer_build_out_never_costs_less_when_the_fleet_is_cheaper(
    hire: float, build: float, extra: float
) -> None:
    # The fleet ($30k) is cheaper than interim API + team, so delay only adds cost.
    args = {
        "self_hosted_usd": [30_000.0] * 36,
        "interim_api_usd": [40_000.0] * 36,
        "team_usd_per_month": 20_000.0,
    }
    short = projection_with_build_out(TimeToProductionSpec(hire, build), **args).sum()
    long = projection_with_build_out(TimeToProductionSpec(hire, build + extra), **args).sum()
    assert long >= short - 1e-6
