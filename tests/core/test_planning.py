"""Procurement planner: hand-built optima, limits, binding limits, infeasibility, properties."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.api_cost import ApiPriceSpec
from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.errors import InvalidEstimateInputError
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.length_buckets import LengthBucket, length_buckets
from app.core.planning import (
    MAX_RELAXED_SOLVES,
    PlanInfeasibleError,
    PlanSpec,
    PlanTimeoutError,
    plan,
)
from app.core.planning_model import PlanLimitsSpec
from app.core.purchasing import PurchaseMode, PurchaseOptionSpec
from app.core.workload import HOURS_PER_MONTH, SECONDS_PER_DAY, WorkloadSpec

#: No staff, overhead, spares or headroom, so every cost is instances x price by hand.
PLAIN = CostAssumptionsSpec(staff_fte=0.0, ops_overhead_share=0.0)
POLICY = SizingPolicySpec(target_utilisation=1.0)
# Two buckets: 20 short requests/s and 8 long requests/s, flat over the day.
SHORT_RPS, LONG_RPS = 20.0, 8.0
BUCKETS = (
    LengthBucket(0, SHORT_RPS / 28, 0, 1000, 300, 800),
    LengthBucket(1, LONG_RPS / 28, 1000, math.inf, 6000, 12000),
)
WORKLOAD = WorkloadSpec(
    requests_per_day=28 * SECONDS_PER_DAY,
    input_tokens_mean=2000,
    output_tokens_mean=200,
    redundancy_replicas=0,
)


def flat(requests_per_s: float) -> ReplicaCapacitySpec:
    c = np.array([1.0, 2.0])
    return ReplicaCapacitySpec(c, np.full(2, requests_per_s), np.full(2, 0.1), np.full(2, 0.01), 1)


def committed(label: str, usd_per_hour: float) -> PurchaseOptionSpec:
    return PurchaseOptionSpec(
        PurchaseMode.COMMITTED_1Y, label=label, usd_per_gpu_hour=usd_per_hour, offering_slug=label
    )


def gpu(slug: str, *options: PurchaseOptionSpec) -> SelfHostedCandidateSpec:
    return SelfHostedCandidateSpec(slug, "m", slug, 1, "bf16", 700.0, None, options)


NO_LIMITS = PlanLimitsSpec()


def two_types(limits: PlanLimitsSpec = NO_LIMITS, **kwargs: object) -> PlanSpec:
    # GPU a: 10 short or 1 long request/s for $1/h; GPU b: 12 short or 4 long for $2/h.
    # Short on a costs $0.10 per req/s-hour against b's $0.167; long on b $0.50 against a's $1.
    candidates = (gpu("a", committed("a-offer", 1.0)), gpu("b", committed("b-offer", 2.0)))
    capacities = ((flat(10.0), flat(12.0)), (flat(1.0), flat(4.0)))
    return PlanSpec(
        workload=WORKLOAD,
        buckets=BUCKETS,
        candidates=candidates,
        bucket_capacities=capacities,
        assumptions=PLAIN,
        policy=POLICY,
        limits=limits,
        **kwargs,  # type: ignore[arg-type]
    )


def test_two_types_two_buckets_finds_the_known_optimum() -> None:
    # Short on 2 x a ($2/h), long on 2 x b ($4/h): $6/h. All on a needs 20/10 + 8/1 = 10
    # replicas ($10/h); all on b needs ceil(20/12 + 8/4) = 4 ($8/h).
    result = plan(two_types())
    assert result.solver_status == "optimal"
    assert result.monthly_cost_usd == pytest.approx(6.0 * HOURS_PER_MONTH)
    by_gpu = {p.option.label: p for p in result.pools}
    assert by_gpu["a-offer"].instances_by_hour == (2,) * 24
    assert by_gpu["b-offer"].instances_by_hour == (2,) * 24
    day = SECONDS_PER_DAY
    assert by_gpu["a-offer"].requests_per_day_by_bucket == pytest.approx((SHORT_RPS * day, 0.0))
    assert by_gpu["b-offer"].requests_per_day_by_bucket == pytest.approx((0.0, LONG_RPS * day))
    assert result.best_single_type is not None
    assert result.best_single_type.monthly_cost_usd == pytest.approx(8.0 * HOURS_PER_MONTH)
    assert result.binding_limits == ()


def test_committed_base_with_on_demand_above_the_base() -> None:
    # One bucket, 4 req/s for 12 hours and 8 req/s for 12; a replica serves 1 req/s.
    # Committed $1/h held all day; on-demand $1.5/h per hour held, and an on-demand pool keeps
    # at least one replica in every hour. c committed + on-demand max(1, 4 - c) and 8 - c:
    # c = 2: $48 + $144 = $192/day; c = 3: $72 + $108 = $180/day; c = 4: $96 + $90 = $186/day.
    on_demand = PurchaseOptionSpec(PurchaseMode.ON_DEMAND, label="a-od", usd_per_gpu_hour=1.5)
    candidates = (gpu("a", committed("a-1y", 1.0), on_demand),)
    workload = WorkloadSpec(
        requests_per_day=4 * 3600 * 36,
        input_tokens_mean=500,
        output_tokens_mean=200,
        hourly_weights=(1.0,) * 12 + (2.0,) * 12,
        redundancy_replicas=0,
    )
    spec = PlanSpec(
        workload=workload,
        buckets=(LengthBucket(0, 1.0, 0, math.inf, 500, 500),),
        candidates=candidates,
        bucket_capacities=((flat(1.0),),),
        assumptions=PLAIN,
        policy=POLICY,
    )
    result = plan(spec)
    days = HOURS_PER_MONTH / 24
    assert result.monthly_cost_usd == pytest.approx(180.0 * days)
    by_label = {p.option.label: p for p in result.pools}
    assert by_label["a-1y"].instances_by_hour == (3,) * 24
    assert by_label["a-od"].instances_by_hour == (1,) * 12 + (5,) * 12
    assert not by_label["a-od"].held
    # Committed alone would hold 8 replicas all day ($192/day).
    assert result.best_single_type is not None
    assert result.best_single_type.monthly_cost_usd == pytest.approx(192.0 * days)


def test_api_overflow_takes_the_bucket_it_serves_more_cheaply() -> None:
    # $0.5 per 10^6 output tokens, 200 output tokens: $1e-4 per request in both buckets.
    # Short on a costs $2/h / 72,000 req/h = $2.8e-5 per request: kept. Long on b costs
    # $4/h / 28,800 req/h = $1.39e-4: cheaper on the API (8 req/s x 86,400 x 30.4375 x 1e-4).
    api = ApiPriceSpec("api", usd_per_mtok_input=0.0, usd_per_mtok_output=0.5)
    result = plan(two_types(api_overflow=api, api_prices=(api,)))
    days = HOURS_PER_MONTH / 24
    expected = 2.0 * HOURS_PER_MONTH + LONG_RPS * SECONDS_PER_DAY * days * 1e-4
    assert result.monthly_cost_usd == pytest.approx(expected)
    assert result.breakdown["api"] == pytest.approx(LONG_RPS * SECONDS_PER_DAY * days * 1e-4)
    assert result.api_requests_per_day_by_bucket == pytest.approx((0.0, LONG_RPS * SECONDS_PER_DAY))
    assert [p.option.label for p in result.pools] == ["a-offer"]
    assert result.api_costs[0].slug == "api"


def test_availability_binds_and_relaxing_it_is_priced() -> None:
    # One b instance: 4 long req/s on b, the other 4 on 4 x a, short on 2 x a: $8/h.
    limits = PlanLimitsSpec(available_instances=(("b-offer", 1),))
    result = plan(two_types(limits))
    assert result.monthly_cost_usd == pytest.approx(8.0 * HOURS_PER_MONTH)
    (binding,) = result.binding_limits
    assert binding.limit == "available_instances:b-offer"
    assert binding.used == pytest.approx(1.0)
    assert binding.allowed == 1.0
    assert binding.saving_usd_per_month == pytest.approx(2.0 * HOURS_PER_MONTH)
    assert not result.best_single_type_within_limits


def test_infeasible_limits_name_the_limit() -> None:
    limits = PlanLimitsSpec(
        available_instances=(("a-offer", 3), ("b-offer", 1)), power_cap_kw=1000.0
    )
    with pytest.raises(PlanInfeasibleError) as caught:
        plan(two_types(limits))
    # Lifting either availability alone admits a plan; the power cap has nothing to do with it.
    assert caught.value.data["limits"] == [
        "available_instances:a-offer",
        "available_instances:b-offer",
    ]
    assert "available_instances:a-offer" in caught.value.detail


def test_a_bucket_nobody_serves_without_api_is_refused() -> None:
    spec = two_types()
    spec = PlanSpec(
        **{
            **{f: getattr(spec, f) for f in spec.__dataclass_fields__},
            "bucket_capacities": ((flat(10.0), flat(12.0)), (None, None)),
        }
    )
    with pytest.raises(PlanInfeasibleError) as caught:
        plan(spec)
    assert caught.value.data["limits"] == ["latency"]
    assert caught.value.data["bucket"] == 1


def owned_and_cloud(limits: PlanLimitsSpec) -> PlanSpec:
    # GPU a can be owned ($8,000 over 3 years = $222.22/month, plus 2.013 kW of power at
    # $0.13/kWh = $191.27 and 1.274 kW of hosting at $163.44/kW = $208.22: $621.71/month,
    # below committed's $730.50) and rented; b is rented. Owned a draws 0.7 x 1.82 x 1.58 kW.
    owned = PurchaseOptionSpec(
        PurchaseMode.OWNED, label="a-owned", purchase_usd_per_gpu=8_000, amortization_years=3
    )
    base = two_types(limits)
    candidates = (gpu("a", committed("a-offer", 1.0), owned), base.candidates[1])
    return PlanSpec(
        workload=base.workload,
        buckets=base.buckets,
        candidates=candidates,
        bucket_capacities=base.bucket_capacities,
        assumptions=CostAssumptionsSpec(
            staff_fte=0.0, ops_overhead_share=0.0, idle_power_share=1.0
        ),
        policy=POLICY,
        limits=limits,
    )


def test_power_cap_counts_gpu_and_server_power_times_pue() -> None:
    unlimited = plan(owned_and_cloud(PlanLimitsSpec()))
    owned_kw = sum(p.power_kw for p in unlimited.pools if p.option.mode is PurchaseMode.OWNED)
    assert owned_kw > 0
    gpus = sum(p.gpus_by_hour[0] for p in unlimited.pools if p.option.mode is PurchaseMode.OWNED)
    assert owned_kw == pytest.approx(gpus * 0.7 * 1.82 * 1.58)
    capped = plan(owned_and_cloud(PlanLimitsSpec(power_cap_kw=2.1)))
    owned = [p for p in capped.pools if p.option.mode is PurchaseMode.OWNED]
    assert sum(p.gpus_by_hour[0] for p in owned) <= 1
    assert capped.monthly_cost_usd > unlimited.monthly_cost_usd
    (binding,) = capped.binding_limits
    assert binding.limit == "power_cap_kw"
    assert binding.saving_usd_per_month == pytest.approx(
        capped.monthly_cost_usd - unlimited.monthly_cost_usd
    )


@settings(max_examples=25, deadline=None)
@given(
    power=st.floats(0.0, 30.0),
    tighter_power=st.floats(0.0, 1.0),
    budget=st.floats(0.0, 200_000.0),
    tighter_budget=st.floats(0.0, 1.0),
    available=st.integers(0, 6),
    fewer=st.integers(0, 6),
)
def test_tighter_limits_never_lower_cost(
    power: float,
    tighter_power: float,
    budget: float,
    tighter_budget: float,
    available: int,
    fewer: int,
) -> None:
    loose = PlanLimitsSpec(
        available_instances=(("b-offer", available),),
        power_cap_kw=power,
        upfront_budget_usd=budget,
    )
    tight = PlanLimitsSpec(
        available_instances=(("b-offer", max(available - fewer, 0)),),
        power_cap_kw=power * tighter_power,
        upfront_budget_usd=budget * tighter_budget,
    )
    loose_cost = plan(owned_and_cloud(loose)).monthly_cost_usd
    try:
        tight_cost = plan(owned_and_cloud(tight)).monthly_cost_usd
    except PlanInfeasibleError:
        return  # tighter limits may admit no plan at all; they never admit a cheaper one
    assert tight_cost >= loose_cost - 1e-6 * loose_cost


def test_spot_share_limit() -> None:
    spot = PurchaseOptionSpec(PurchaseMode.SPOT, label="b-spot", usd_per_gpu_hour=0.5)
    base = two_types()
    candidates = (base.candidates[0], gpu("b", committed("b-offer", 2.0), spot))
    spec = PlanSpec(
        workload=base.workload,
        buckets=base.buckets,
        candidates=candidates,
        bucket_capacities=base.bucket_capacities,
        assumptions=PLAIN,
        policy=POLICY,
    )
    free = plan(spec)
    assert any(p.option.label == "b-spot" for p in free.pools)
    capped = plan(
        PlanSpec(
            **{
                **{f: getattr(spec, f) for f in spec.__dataclass_fields__},
                "limits": PlanLimitsSpec(max_spot_share=0.1),
            }
        )
    )
    spot_requests = sum(
        sum(p.requests_per_day_by_bucket) for p in capped.pools if p.option.label == "b-spot"
    )
    assert spot_requests <= 0.1 * WORKLOAD.requests_per_day + 1e-6
    assert capped.monthly_cost_usd >= free.monthly_cost_usd
    assert [b.limit for b in capped.binding_limits] == ["max_spot_share"]


def test_length_buckets_split_the_lognormal() -> None:
    # Mean 2,000, p95 7,000 input tokens: sigma = 1.645 - sqrt(1.645^2 - 2 ln 3.5) = 1.197.
    w = WorkloadSpec(
        requests_per_day=1000, input_tokens_mean=2000, output_tokens_mean=200, input_tokens_p95=7000
    )
    buckets = length_buckets(w, count=2)
    assert [b.request_share for b in buckets] == pytest.approx([0.5, 0.5])
    # The buckets' means average back to the workload's mean; the cut is at the median
    # exp(mu) = 2,000 exp(-sigma^2 / 2) = 977 tokens.
    assert sum(b.request_share * b.input_tokens_mean for b in buckets) == pytest.approx(2000)
    assert buckets[0].input_tokens_max == pytest.approx(977.0, rel=1e-3)
    assert buckets[0].input_tokens_mean < 977 < buckets[1].input_tokens_mean
    (whole,) = length_buckets(w, count=1)
    assert (whole.input_tokens_mean, whole.input_tokens_sizing) == (2000, 7000)
    at_edges = length_buckets(w, edges_input_tokens=(1000.0, 4000.0))
    assert len(at_edges) == 3
    assert at_edges[1].input_tokens_min == 1000.0
    assert at_edges[2].input_tokens_max == math.inf
    single = WorkloadSpec(requests_per_day=1000, input_tokens_mean=2000, output_tokens_mean=200)
    assert len(length_buckets(single, count=4)) == 1


def test_bucket_edges_must_increase() -> None:
    w = WorkloadSpec(
        requests_per_day=1000, input_tokens_mean=2000, output_tokens_mean=200, input_tokens_p95=7000
    )
    with pytest.raises(InvalidEstimateInputError):
        length_buckets(w, edges_input_tokens=(4000.0, 1000.0))


def test_no_answer_within_the_time_limit_says_so() -> None:
    # A zero time limit stops HiGHS before it has any plan.
    with pytest.raises(PlanTimeoutError) as caught:
        plan(dataclasses.replace(two_types(), time_limit_s=0.0))
    assert caught.value.data["time_limit_s"] == 0.0


def test_redundancy_and_zones_apply_to_every_pool() -> None:
    # Two zones, N+1: a pool serving n replicas holds max(ceil((n + 1) / 2), n) per zone (it
    # must survive losing a zone), so every serving replica costs two instances: $12/h, twice
    # the single-zone optimum, with 2 x 2 instances of each type.
    spec = dataclasses.replace(
        two_types(), workload=dataclasses.replace(WORKLOAD, redundancy_replicas=1, zones=2)
    )
    result = plan(spec)
    assert result.monthly_cost_usd == pytest.approx(12.0 * HOURS_PER_MONTH)
    for pool in result.pools:
        assert pool.replicas_by_hour == (4,) * 24
        assert pool.serving_replicas_by_hour == (2,) * 24


def test_limits_at_their_cap_are_priced_first() -> None:
    # Many listed limits: the one at its cap is lifted (and priced) before the slack ones.
    slack = tuple((f"unused-{n}", 5) for n in range(MAX_RELAXED_SOLVES + 4))
    limits = PlanLimitsSpec(available_instances=(*slack, ("b-offer", 1)))
    result = plan(two_types(limits))
    assert [b.limit for b in result.binding_limits] == ["available_instances:b-offer"]
    assert result.binding_limits[0].saving_usd_per_month == pytest.approx(2.0 * HOURS_PER_MONTH)
