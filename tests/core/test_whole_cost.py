"""The whole cost of building inside the fleet model: team, support, infrastructure and
adaptation in fleet costs, hybrids and the break-even envelope."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.breakeven import cost_envelope, envelope_at
from app.core.economics import (
    BuildCostsSpec,
    CostAssumptionsSpec,
    PurchaseMode,
    PurchaseOptionSpec,
    SelfHostedCandidateSpec,
)
from app.core.fleet import SizingPolicySpec
from app.core.hybrid import hybrid_best_by_scan, hybrid_plan
from app.core.infrastructure import InfrastructureSpec
from app.core.monthly_costs import COST_COMPONENTS, fleet_costs
from app.core.option_table import build_option_table
from app.core.team import TeamSpec, self_hosted_team
from app.core.workload import WorkloadSpec
from tests.core.test_economics import flat_curve
from tests.core.test_estimate_properties import CANDIDATES, workload

PLAIN = CostAssumptionsSpec(ops_overhead_share=0.0)
WHOLE = BuildCostsSpec(team=TeamSpec(), infrastructure=InfrastructureSpec())


def test_owned_server_fleet_with_team_support_and_infrastructure_by_hand() -> None:
    # One 8-GPU owned server (one 1-GPU replica is enough), flat traffic of 10,000 req/day of
    # 1,000 + 200 tokens, 16 GB of weights, $1,000/month of adaptation.
    opt = PurchaseOptionSpec(
        PurchaseMode.OWNED,
        purchase_usd_per_gpu=27_500,
        server_usd_per_gpu=10_000,
        networking_usd_per_gpu=9_375,
        support_usd_per_gpu_year=4_975,
        residual_value_share=0.1,
        amortization_years=4,
        gpus_per_instance=8,
    )
    cand = SelfHostedCandidateSpec("c", "m", "g", 1, "fp8", 700.0, flat_curve(1.25), (opt,))
    # 16e9 parameters at fp8 (1 byte each) = 16 GB of weights.
    whole = replace(WHOLE, model_total_params={"m": 16e9}, adaptation_usd_per_month={"m": 1e3})
    a = replace(PLAIN, cost_of_capital_per_year=0.075)
    w = WorkloadSpec(requests_per_day=10_000, input_tokens_mean=1000, output_tokens_mean=200)
    costs = fleet_costs(
        build_option_table((cand,), w, a, SizingPolicySpec(), whole),
        np.array([0]),
        np.array([10_000.0]),
    )
    # Capital: $375,000 per server over 4 years at 7.5% less a 10% residual: $8,394.75/month
    # (tests/core/test_infrastructure.py). Support: 8 x 4,975 / 12 = $3,316.67.
    assert costs.compute[0] == pytest.approx(8_394.75, abs=0.01)
    assert costs.support[0] == pytest.approx(3_316.67, abs=0.01)
    # Team for 8 owned GPUs (tests/core/test_team.py rules).
    assert costs.staff[0] == pytest.approx(
        self_hosted_team(TeamSpec(), 8, owned=True).usd_per_month
    )
    # Gateway $16.44 + 10,000 x 30.4375 x $0.008/90,000 = $27.05; observability 1 host x $15.
    assert costs.gateway[0] == pytest.approx(0.0225 * 730.5 + 10_000 * 30.4375 * 0.008 / 90_000)
    assert costs.observability[0] == pytest.approx(15.0)
    assert costs.adaptation[0] == pytest.approx(1_000.0)
    parts = sum(getattr(costs, name)[0] for name in COST_COMPONENTS)
    assert costs.total[0] == pytest.approx(parts)


@settings(max_examples=15, deadline=None)
@given(
    volume=st.floats(1e4, 2e7),
    api_usd_per_request=st.floats(1e-5, 0.05),
    batch=st.floats(0.0, 0.5),
    option=st.sampled_from([1, 2, 4]),
)
def test_hybrid_milp_matches_scan_with_the_whole_cost(
    volume: float, api_usd_per_request: float, batch: float, option: int
) -> None:
    w = workload(requests_per_day=volume, batch_share=batch)
    models = ("m-small", "m-large")
    whole = replace(
        WHOLE,
        model_total_params=dict.fromkeys(models, 1e11),
        adaptation_usd_per_month=dict.fromkeys(models, 500.0),
    )
    table = build_option_table(CANDIDATES[:2], w, PLAIN, SizingPolicySpec(), whole)
    i = option + 5
    p = api_usd_per_request
    _, cost_scan = hybrid_best_by_scan(table, i, p, p * 0.5, volume)
    plan = hybrid_plan(table, i, "api", p, p * 0.5, volume)
    assert plan.monthly_cost_usd == pytest.approx(cost_scan, rel=1e-7, abs=1e-6)
    assert plan.monthly_cost_usd == pytest.approx(sum(plan.breakdown.values()))


def test_envelope_stays_exact_with_people_per_gpu_and_per_request_infrastructure() -> None:
    table = build_option_table(CANDIDATES[:2], workload(), PLAIN, SizingPolicySpec(), WHOLE)
    env = cost_envelope(table, 1e3, 1e8)
    assert env.exact
    probe = np.geomspace(1.3e3, 0.9e8, 300)
    values, _ = envelope_at(env, probe)
    feasible = np.flatnonzero(table.feasible)
    brute = (
        fleet_costs(table, np.repeat(feasible, probe.size), np.tile(probe, feasible.size))
        .total.reshape(feasible.size, probe.size)
        .min(axis=0)
    )
    np.testing.assert_allclose(values, brute, rtol=1e-9)


@settings(max_examples=50, deadline=None)
@given(adaptation=st.floats(0, 1e6), volume=st.floats(1e3, 1e8))
def test_adding_adaptation_never_lowers_cost(adaptation: float, volume: float) -> None:
    w = workload(requests_per_day=volume)
    plain = build_option_table(CANDIDATES[:2], w, PLAIN, SizingPolicySpec(), WHOLE)
    more = dict.fromkeys(("m-small", "m-large"), adaptation)
    adapted = build_option_table(
        CANDIDATES[:2], w, PLAIN, SizingPolicySpec(), replace(WHOLE, adaptation_usd_per_month=more)
    )
    idx = np.arange(plain.size)
    before = fleet_costs(plain, idx, np.full(idx.size, volume)).total
    after = fleet_costs(adapted, idx, np.full(idx.size, volume)).total
    assert np.all(after >= before)
