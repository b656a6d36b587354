"""Self-hosted monthly cost: owned hardware by hand, cloud modes, autoscaling, properties."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec, owned_usd_per_gpu_month
from app.core.errors import InvalidEstimateInputError
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.fleet_totals import fleet_totals_on_grid
from app.core.monthly_costs import fleet_costs, fleet_total
from app.core.option_table import build_option_table
from app.core.purchasing import PurchaseMode, PurchaseOptionSpec
from app.core.workload import WorkloadSpec


def flat_curve(requests_per_s: float, gpus_per_replica: int = 1) -> ReplicaCapacitySpec:
    """A replica that serves `requests_per_s` at every concurrency, latency well inside targets."""
    c = np.array([1.0, 2.0])
    return ReplicaCapacitySpec(
        c, np.full(2, requests_per_s), np.full(2, 0.1), np.full(2, 0.01), gpus_per_replica
    )


def candidate(
    *options: PurchaseOptionSpec, rps: float = 1.25, gpr: int = 1
) -> SelfHostedCandidateSpec:
    return SelfHostedCandidateSpec("c", "m", "g", gpr, "fp8", 700.0, flat_curve(rps, gpr), options)


def test_owned_hardware_monthly_cost_by_hand() -> None:
    # One 8-GPU server, one replica per GPU, flat traffic: 1 serving replica needed.
    # Capex: ($25,000 GPU + $5,000 server share) / 36 months = $833.33 per GPU-month, x 8.
    # Power with idle_power_share = 1 (always at full draw): 700 W x (1 + 0.82) = 1.274 kW per
    # GPU, x PUE 1.58 x 730.5 h x $0.13/kWh = $191.16 per GPU-month, x 8.
    # Hosting: 1.274 kW x $163.44/kW-month = $208.22 per GPU-month, x 8.
    # Staff: 0.5 FTE x $200,000 / 12 = $8,333.33. Overhead: 10% of capex + power + hosting.
    opt = PurchaseOptionSpec(
        PurchaseMode.OWNED,
        purchase_usd_per_gpu=25_000,
        server_usd_per_gpu=5_000,
        gpus_per_instance=8,
    )
    a = CostAssumptionsSpec(idle_power_share=1.0)
    w = WorkloadSpec(requests_per_day=10_000, input_tokens_mean=1000, output_tokens_mean=200)
    table = build_option_table((candidate(opt),), w, a, SizingPolicySpec())
    costs = fleet_costs(table, np.array([0]), np.array([10_000.0]))
    capex = 30_000 / 36 * 8
    power = 0.7 * 1.82 * 1.58 * 730.5 * 0.13 * 8
    hosting = 0.7 * 1.82 * 163.44 * 8
    staff = 0.5 * 200_000 / 12
    overhead = 0.1 * (capex + power + hosting)
    assert costs.compute[0] == pytest.approx(capex)
    assert costs.power[0] == pytest.approx(power)
    assert costs.hosting[0] == pytest.approx(hosting)
    assert costs.staff[0] == pytest.approx(staff)
    assert costs.total[0] == pytest.approx(capex + power + hosting + staff + overhead)
    assert costs.total[0] == pytest.approx(19_181.2, abs=0.1)


def test_annuity_matches_a_loan_table() -> None:
    # A $36,000 loan at 12%/year (1%/month) over 36 months pays $1,195.71 a month (standard
    # level-payment formula P r / (1 - (1 + r)^-n), as in any amortisation table).
    opt = PurchaseOptionSpec(PurchaseMode.OWNED, purchase_usd_per_gpu=36_000, amortization_years=3)
    assert owned_usd_per_gpu_month(opt, 0.12) == pytest.approx(1195.71, abs=0.01)
    assert owned_usd_per_gpu_month(opt, 0.0) == pytest.approx(1000.0)


def test_committed_cloud_pays_peak_around_the_clock_with_discount() -> None:
    # Peak/average 3 over 240,000 req/day: peak hour 240,000 x 3/24 / 3600 = 8.33 req/s; a
    # replica serves 1.25 x 0.8 = 1 req/s -> 9 replicas x 1 GPU x $2/h x 0.9 x 730.5 h.
    opt = PurchaseOptionSpec(PurchaseMode.COMMITTED_3Y, usd_per_gpu_hour=2.0)
    w = WorkloadSpec(
        requests_per_day=240_000, input_tokens_mean=1000, output_tokens_mean=200, peak_to_average=3
    )
    a = CostAssumptionsSpec(cloud_discount_share=0.1, staff_fte=0.0, ops_overhead_share=0.0)
    table = build_option_table((candidate(opt),), w, a, SizingPolicySpec())
    costs = fleet_costs(table, np.array([0]), np.array([240_000.0]))
    assert costs.peak_replicas[0] == 9
    assert costs.total[0] == pytest.approx(9 * 2.0 * 0.9 * 730.5)


def test_on_demand_follows_the_daily_profile() -> None:
    # Same workload: the peak hour needs 9 replicas, the 23 others (240,000 - 30,000) / 23 /
    # 3600 = 2.54 req/s -> 3 replicas. Paid: (9 + 23 x 3) replica-hours a day x 30.4375 days.
    opt = PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=2.0)
    w = WorkloadSpec(
        requests_per_day=240_000, input_tokens_mean=1000, output_tokens_mean=200, peak_to_average=3
    )
    a = CostAssumptionsSpec(staff_fte=0.0, ops_overhead_share=0.0)
    table = build_option_table((candidate(opt),), w, a, SizingPolicySpec())
    costs = fleet_costs(table, np.array([0]), np.array([240_000.0]))
    assert costs.total[0] == pytest.approx((9 + 23 * 3) * 2.0 * 30.4375)
    assert costs.peak_replicas[0] == 9


def test_spot_carries_extra_capacity() -> None:
    # Flat 86,400 req/day = 1 req/s -> 1 replica; spot adds 25%: ceil(1 x 1.25) = 2 replicas.
    opt = PurchaseOptionSpec(PurchaseMode.SPOT, usd_per_gpu_hour=1.0)
    w = WorkloadSpec(requests_per_day=86_400, input_tokens_mean=1000, output_tokens_mean=200)
    a = CostAssumptionsSpec(staff_fte=0.0, ops_overhead_share=0.0)
    table = build_option_table((candidate(opt),), w, a, SizingPolicySpec())
    costs = fleet_costs(table, np.array([0]), np.array([86_400.0]))
    assert costs.peak_replicas[0] == 2
    assert costs.total[0] == pytest.approx(2 * 24 * 30.4375)


def test_invalid_purchase_options_are_refused() -> None:
    with pytest.raises(InvalidEstimateInputError):
        PurchaseOptionSpec(PurchaseMode.OWNED)
    with pytest.raises(InvalidEstimateInputError):
        PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=1.0, usd_per_instance_hour=8.0)
    with pytest.raises(InvalidEstimateInputError):
        CostAssumptionsSpec(pue=0.9)


OPTIONS = (
    PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_instance_hour=20.0, gpus_per_instance=8),
    PurchaseOptionSpec(PurchaseMode.COMMITTED_1Y, usd_per_gpu_hour=1.8, gpus_per_instance=8),
    PurchaseOptionSpec(PurchaseMode.SPOT, usd_per_gpu_hour=1.0, gpus_per_instance=8),
    PurchaseOptionSpec(PurchaseMode.OWNED, purchase_usd_per_gpu=25_000, gpus_per_instance=8),
)
shape = st.one_of(
    st.none(), st.lists(st.floats(0.0, 10.0), min_size=24, max_size=24).filter(lambda x: sum(x) > 0)
)


@settings(max_examples=60)
@given(
    volume=st.floats(1.0, 5e7),
    more=st.floats(0.0, 5e7),
    weights=shape,
    batch=st.floats(0.0, 1.0),
    zones=st.integers(1, 4),
    gpr=st.sampled_from([1, 2, 4, 8, 16]),
)
def test_more_traffic_never_costs_less(
    volume: float, more: float, weights: list[float] | None, batch: float, zones: int, gpr: int
) -> None:
    w = WorkloadSpec(
        requests_per_day=volume,
        input_tokens_mean=1000,
        output_tokens_mean=200,
        hourly_weights=None if weights is None else tuple(weights),
        batch_share=batch,
        zones=zones,
    )
    table = build_option_table(
        (candidate(*OPTIONS, rps=3.0, gpr=gpr),), w, CostAssumptionsSpec(), SizingPolicySpec()
    )
    idx = np.arange(len(OPTIONS))
    low = fleet_costs(table, idx, np.full(idx.size, volume)).total
    high = fleet_costs(table, idx, np.full(idx.size, volume + more)).total
    assert np.all(high >= low - 1e-9 * low)


@settings(max_examples=60)
@given(
    volume=st.floats(1.0, 5e7),
    k=st.integers(0, 3),
    extra=st.integers(1, 3),
    zones=st.integers(1, 4),
)
def test_redundancy_never_lowers_cost(volume: float, k: int, extra: int, zones: int) -> None:
    totals = []
    for spares in (k, k + extra):
        w = WorkloadSpec(
            requests_per_day=volume,
            input_tokens_mean=1000,
            output_tokens_mean=200,
            redundancy_replicas=spares,
            zones=zones,
            peak_to_average=2.0,
        )
        table = build_option_table(
            (candidate(*OPTIONS, rps=3.0, gpr=2),), w, CostAssumptionsSpec(), SizingPolicySpec()
        )
        idx = np.arange(len(OPTIONS))
        totals.append(fleet_costs(table, idx, np.full(idx.size, volume)).total)
    assert np.all(totals[1] >= totals[0])


@settings(max_examples=40)
@given(
    volume=st.floats(1.0, 5e7),
    weights=shape,
    batch=st.floats(0.0, 1.0),
    zones=st.integers(1, 4),
    gpr=st.sampled_from([1, 2, 16]),
    staff=st.floats(0.0, 2.0),
)
def test_totals_on_a_grid_equal_the_paired_fleet_costs(
    volume: float, weights: list[float] | None, batch: float, zones: int, gpr: int, staff: float
) -> None:
    # The broadcast grid path must give the numbers of the paired (option, volume) rows, to
    # rounding (it sums each row's rates before they meet the grid).
    w = WorkloadSpec(
        requests_per_day=volume,
        input_tokens_mean=1000,
        output_tokens_mean=200,
        hourly_weights=None if weights is None else tuple(weights),
        batch_share=batch,
        zones=zones,
    )
    table = build_option_table(
        (candidate(*OPTIONS, rps=3.0, gpr=gpr),),
        w,
        CostAssumptionsSpec(staff_fte=staff),
        SizingPolicySpec(),
    )
    # Enough (option, volume, hour) cells that autoscaled fleets are tabulated per distinct
    # option and whole-replica level when the levels are low.
    idx = np.tile(np.array([3, 0, 1, 2, 0]), 20)
    grid = np.geomspace(volume / 100.0, volume * 100.0, 41)
    # The oracle: paired rows with every fleet computed directly, never tabulated.
    with patch("app.core.fleet_lookup.TABULATE_CELLS", 10**12):
        paired = fleet_costs(table, np.repeat(idx, grid.size), np.tile(grid, idx.size)).total
    on_grid = fleet_totals_on_grid(table, idx, grid)
    np.testing.assert_allclose(on_grid, paired.reshape(idx.size, grid.size), rtol=1e-13)
    # Looked up one hourly level at a time, or computed for every cell: the very same numbers.
    with patch("app.core.fleet_lookup.TABULATE_CELLS", 10**12):
        np.testing.assert_array_equal(fleet_totals_on_grid(table, idx, grid), on_grid)
    # Computed a few rows at a time (blocks that stay in cache), with one lookup table for all
    # of them: the very same numbers again.
    with patch("app.core.fleet_totals.BLOCK_CELLS", 3 * grid.size):
        np.testing.assert_array_equal(fleet_totals_on_grid(table, idx, grid), on_grid)
    # The paired totals alone are the very numbers of the full costs.
    with patch("app.core.fleet_lookup.TABULATE_CELLS", 1):
        alone = fleet_total(table, np.repeat(idx, grid.size), np.tile(grid, idx.size))
    np.testing.assert_array_equal(alone, paired)


def test_totals_in_blocks_of_rows_are_the_numbers_of_one_pass() -> None:
    # Rows of different fleet shapes (GPUs per replica and per instance) sit at different
    # offsets of the tabulated levels; each block must read its own rows' offsets and rates.
    mixed = (
        PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_instance_hour=20.0, gpus_per_instance=8),
        PurchaseOptionSpec(PurchaseMode.SPOT, usd_per_gpu_hour=1.0, gpus_per_instance=4),
        PurchaseOptionSpec(PurchaseMode.COMMITTED_1Y, usd_per_gpu_hour=1.8, gpus_per_instance=2),
    )
    w = WorkloadSpec(requests_per_day=2e5, input_tokens_mean=1000, output_tokens_mean=200)
    table = build_option_table(
        (candidate(*mixed, rps=3.0, gpr=1), candidate(*mixed, rps=9.0, gpr=2)),
        w,
        CostAssumptionsSpec(staff_fte=0.5),
        SizingPolicySpec(),
    )
    idx = np.tile(np.array([5, 0, 3, 1, 4, 2]), 30)
    grid = np.geomspace(1e3, 1e7, 33)
    whole = fleet_totals_on_grid(table, idx, grid)
    assert np.unique(whole[:6, -1]).size == 6  # the six rows differ
    with patch("app.core.fleet_totals.BLOCK_CELLS", 3 * grid.size):
        np.testing.assert_array_equal(fleet_totals_on_grid(table, idx, grid), whole)
    with patch("app.core.fleet_lookup.TABULATE_CELLS", 10**12):
        np.testing.assert_array_equal(fleet_totals_on_grid(table, idx, grid), whole)
