"""The whole estimate: ranking, infeasible reasons, hybrid MILP vs scan, projection, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.api_cost import ApiPriceSpec
from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.estimate import estimate
from app.core.estimate_types import EstimateSpec
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.hybrid import hybrid_best_by_scan, hybrid_plan, solve_hybrid_replicas
from app.core.option_table import build_option_table
from app.core.options import OptionKind
from app.core.projection import project_option, project_options
from app.core.purchasing import PurchaseMode, PurchaseOptionSpec
from app.core.workload import WorkloadSpec


def curve(scale: float, gpus_per_replica: int) -> ReplicaCapacitySpec:
    """Synthetic continuous-batching replica: latency grows with concurrency, so does throughput."""
    c = np.arange(1, 129, dtype=np.float64)
    tpot = 0.01 * scale * (1 + c / 64)
    ttft = 0.1 * scale * (1 + c / 32)
    return ReplicaCapacitySpec(c, c / (ttft + 300 * tpot), ttft, tpot, gpus_per_replica)


OPTIONS = (
    PurchaseOptionSpec(PurchaseMode.ON_DEMAND, "od", usd_per_gpu_hour=3.0, gpus_per_instance=8),
    PurchaseOptionSpec(PurchaseMode.COMMITTED_1Y, "1y", usd_per_gpu_hour=2.2, gpus_per_instance=8),
    PurchaseOptionSpec(PurchaseMode.COMMITTED_3Y, "3y", usd_per_gpu_hour=1.7, gpus_per_instance=8),
    PurchaseOptionSpec(PurchaseMode.SPOT, "spot", usd_per_gpu_hour=1.3, gpus_per_instance=8),
    PurchaseOptionSpec(
        PurchaseMode.OWNED,
        "own",
        purchase_usd_per_gpu=25_000,
        server_usd_per_gpu=5_000,
        gpus_per_instance=8,
    ),
)
CANDIDATES = (
    SelfHostedCandidateSpec("small", "m-small", "g1", 1, "fp8", 700.0, curve(0.5, 1), OPTIONS),
    SelfHostedCandidateSpec("large", "m-large", "g1", 4, "bf16", 700.0, curve(2.0, 4), OPTIONS),
    SelfHostedCandidateSpec(
        "toobig",
        "m-huge",
        "g1",
        8,
        "bf16",
        700.0,
        None,
        OPTIONS[:1],
        infeasible_reason="weights do not fit in 8 x 80 GB",
    ),
)
APIS = (
    ApiPriceSpec("cheap", 0.15, 0.6, 0.075, 0.5),
    ApiPriceSpec("mid", 1.0, 4.0, 0.25, 0.5),
    ApiPriceSpec("dear", 3.0, 15.0, 0.3, 0.5),
)


def workload(**kw: object) -> WorkloadSpec:
    base: dict[str, object] = {
        "requests_per_day": 500_000,
        "input_tokens_mean": 1500,
        "output_tokens_mean": 300,
        "input_tokens_p95": 5000,
        "cached_input_share": 0.2,
        "batch_share": 0.1,
        "peak_to_average": 2.5,
        "growth_per_month": 0.05,
        "horizon_months": 12,
        "ttft_p95_s": 2.0,
        "tpot_p95_s": 0.05,
        "redundancy_replicas": 1,
    }
    base.update(kw)
    return WorkloadSpec(**base)  # type: ignore[arg-type]


def test_estimate_ranks_every_option_and_explains_infeasible_ones() -> None:
    result = estimate(EstimateSpec(workload(), APIS, CANDIDATES, hybrid_api_slugs=("mid", "dear")))
    feasible = [o for o in result.options if o.feasible]
    infeasible = [o for o in result.options if not o.feasible]
    costs = [o.monthly_cost_usd for o in feasible]
    assert costs == sorted(costs)  # type: ignore[type-var]
    assert result.options[-len(infeasible) :] == tuple(infeasible)
    assert {o.kind for o in feasible} >= {OptionKind.API, OptionKind.SELF_HOSTED}
    assert [o.reason for o in infeasible] == ["weights do not fit in 8 x 80 GB"]
    for o in feasible:
        assert o.monthly_cost_usd == pytest.approx(sum(o.breakdown.values()))
        if o.kind is OptionKind.SELF_HOSTED:
            assert o.fleet is not None
            assert o.fleet.gpus >= o.fleet.replicas >= 1
    assert len(result.break_evens) == len(APIS)
    assert len(result.projection_requests_per_day) == 12


def test_projection_month_zero_is_the_headline_and_grows() -> None:
    result = estimate(EstimateSpec(workload(), APIS, CANDIDATES))
    by_id = {o.id: o for o in result.options}
    for series in result.projection:
        assert series.monthly_cost_usd[0] == pytest.approx(by_id[series.option_id].monthly_cost_usd)
        assert list(series.monthly_cost_usd) == sorted(series.monthly_cost_usd)
    assert result.projection_requests_per_day[11] == pytest.approx(500_000 * 1.05**11)


@settings(max_examples=25, deadline=None)
@given(
    volume=st.floats(1e4, 5e7),
    api_usd_per_request=st.floats(1e-5, 0.05),
    batch_discount=st.floats(0.0, 0.9),
    batch=st.floats(0.0, 0.6),
    zones=st.integers(1, 3),
    k=st.integers(0, 2),
    option=st.sampled_from([1, 2, 4]),
)
def test_hybrid_milp_matches_exhaustive_scan(
    volume: float,
    api_usd_per_request: float,
    batch_discount: float,
    batch: float,
    zones: int,
    k: int,
    option: int,
) -> None:
    w = workload(requests_per_day=volume, batch_share=batch, zones=zones, redundancy_replicas=k)
    table = build_option_table(CANDIDATES[:2], w, CostAssumptionsSpec(), SizingPolicySpec())
    i = option + 5  # the "large" candidate's held options (4-GPU replicas in 8-GPU boxes)
    p_int, p_batch = api_usd_per_request, api_usd_per_request * (1 - batch_discount)
    n_scan, cost_scan = hybrid_best_by_scan(table, i, p_int, p_batch, volume)
    n_milp = solve_hybrid_replicas(table, i, p_int, p_batch, volume)
    plan = hybrid_plan(table, i, "api", p_int, p_batch, volume)
    assert plan.monthly_cost_usd == pytest.approx(cost_scan, rel=1e-7, abs=1e-6)
    assert plan.serving_replicas == n_milp
    # Ties aside, both pick the same fleet.
    if n_scan != n_milp:
        assert plan.monthly_cost_usd == pytest.approx(cost_scan, rel=1e-9)


def test_hybrid_takes_base_load_when_peaks_are_sharp() -> None:
    # Sharp daily peak (8x average in one hour): holding the peak all day is wasteful, so the
    # cheapest split self-hosts part of the demand and sends the peak to the API.
    w = workload(peak_to_average=8.0, batch_share=0.0, requests_per_day=2e6)
    table = build_option_table(CANDIDATES[:1], w, CostAssumptionsSpec(), SizingPolicySpec())
    i = 4  # small candidate, owned
    plan = hybrid_plan(table, i, "api", 0.002, 0.001, 2e6)
    assert 0 < plan.self_hosted_request_share < 1
    assert plan.breakdown["api"] > 0


@settings(max_examples=15, deadline=None)
@given(volume=st.floats(1e3, 1e8), more=st.floats(1.0, 10.0))
def test_more_traffic_never_costs_less_for_any_option(volume: float, more: float) -> None:
    low = estimate(EstimateSpec(workload(requests_per_day=volume), APIS, CANDIDATES))
    high = estimate(EstimateSpec(workload(requests_per_day=volume * more), APIS, CANDIDATES))
    low_cost = {o.id: o.monthly_cost_usd for o in low.options if o.kind is not OptionKind.HYBRID}
    for o in high.options:
        if o.id in low_cost and o.monthly_cost_usd is not None:
            assert o.monthly_cost_usd >= low_cost[o.id] * (1 - 1e-12)  # type: ignore[operator]
    assert high.options[0].monthly_cost_usd >= low.options[0].monthly_cost_usd * (1 - 1e-12)  # type: ignore[operator]


@settings(max_examples=15, deadline=None)
@given(volume=st.floats(1e3, 1e8), k=st.integers(0, 2), zones=st.integers(1, 3))
def test_redundancy_never_lowers_the_cheapest_self_hosted_cost(
    volume: float, k: int, zones: int
) -> None:
    def cheapest(spares: int) -> float:
        result = estimate(
            EstimateSpec(
                workload(requests_per_day=volume, redundancy_replicas=spares, zones=zones),
                APIS,
                CANDIDATES,
            )
        )
        return min(
            o.monthly_cost_usd or np.inf for o in result.options if o.kind is OptionKind.SELF_HOSTED
        )

    assert cheapest(k + 1) >= cheapest(k)


@settings(max_examples=15, deadline=None)
@given(tighten=st.floats(0.2, 1.0))
def test_tighter_latency_never_needs_fewer_gpus(tighten: float) -> None:
    def gpus(factor: float) -> dict[str, int]:
        w = workload(ttft_p95_s=2.0 * factor, tpot_p95_s=0.05 * factor)
        result = estimate(EstimateSpec(w, APIS, CANDIDATES))
        return {
            o.id: o.fleet.gpus
            for o in result.options
            if o.fleet and o.kind is OptionKind.SELF_HOSTED
        }

    loose, tight = gpus(1.0), gpus(tighten)
    # Options that become infeasible drop out; the rest never shrink.
    for option_id, count in tight.items():
        assert count >= loose[option_id]


@pytest.mark.parametrize("batch", [0.0, 0.3])
def test_batched_projection_equals_one_row_at_a_time(batch: float) -> None:
    """`project_options` (every row in one batch) gives `project_option`'s numbers, row by row:
    held, committed, owned (cash) and autoscaled rows, volumes rising and falling."""
    w = workload(batch_share=batch, zones=2)
    table = build_option_table(CANDIDATES, w, CostAssumptionsSpec(), SizingPolicySpec())
    assert table.autoscaled.any()
    assert (~table.autoscaled & table.feasible).any()
    volumes = np.concatenate([np.geomspace(1e3, 5e7, 30), np.geomspace(5e7, 1e4, 10)])
    rows = list(range(table.size))
    for row, batched in zip(rows, project_options(table, rows, volumes), strict=True):
        single = project_option(table, row, volumes)
        np.testing.assert_array_equal(batched.monthly_cost_usd, single.monthly_cost_usd)
        np.testing.assert_array_equal(batched.stranded_usd, single.stranded_usd)
        assert (batched.cash_usd is None) == (single.cash_usd is None)
        if single.cash_usd is not None:
            np.testing.assert_array_equal(batched.cash_usd, single.cash_usd)
    assert project_options(table, [], volumes) == []
