"""Sampled monthly totals on (options, samples) arrays are the very numbers of `fleet_total`
on the widened option table (one row per option and sample)."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.economics import BuildCostsSpec, CostAssumptionsSpec
from app.core.fleet import SizingPolicySpec
from app.core.infrastructure import InfrastructureSpec
from app.core.monthly_costs import fleet_total
from app.core.option_table import OptionTable, build_option_table
from app.core.purchasing import PurchaseMode, PurchaseOptionSpec
from app.core.team import TeamSpec
from app.core.uncertainty import (
    Factors,
    UncertaintySpec,
    draw_factors,
    sampled_self_hosted_costs,
    sampled_table,
)
from app.core.workload import WorkloadSpec
from tests.core.test_economics import OPTIONS, candidate

MIXED = (
    *OPTIONS,
    PurchaseOptionSpec(PurchaseMode.SPOT, usd_per_gpu_hour=1.0, gpus_per_instance=2),
    PurchaseOptionSpec(PurchaseMode.COMMITTED_1Y, usd_per_gpu_hour=1.8, gpus_per_instance=1),
)


def _widened(table: OptionTable, rows: np.ndarray, volume: float, factors: Factors) -> np.ndarray:
    """The general path: `fleet_total` on the widened table, reshaped (options, samples)."""
    wide = sampled_table(table, rows, factors)
    k, s = rows.size, factors.samples
    volumes = np.tile(factors.volume * volume, k)
    return fleet_total(wide, np.arange(k * s), volumes).reshape(k, s)


@settings(max_examples=40, deadline=None)
@given(
    volume=st.floats(0.0, 5e7),
    batch=st.floats(0.0, 0.9),
    zones=st.integers(1, 3),
    gpr=st.sampled_from([1, 2, 16]),
    overhead=st.sampled_from([0.0, 0.1]),
    itemised=st.booleans(),
    min_serving=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_sampled_totals_are_the_numbers_of_the_widened_table(
    volume: float,
    batch: float,
    zones: int,
    gpr: int,
    overhead: float,
    itemised: bool,
    min_serving: int,
    seed: int,
) -> None:
    w = WorkloadSpec(
        requests_per_day=max(volume, 1.0),
        input_tokens_mean=1000,
        output_tokens_mean=200,
        batch_share=batch,
        zones=zones,
        peak_to_average=2.0,
    )
    build = (
        BuildCostsSpec(team=TeamSpec(), infrastructure=InfrastructureSpec()) if itemised else None
    )
    table = build_option_table(
        (candidate(*MIXED, rps=3.0, gpr=gpr), candidate(*MIXED, rps=0.0, gpr=gpr)),
        w,
        CostAssumptionsSpec(ops_overhead_share=overhead),
        SizingPolicySpec(min_serving_replicas=min_serving),
        build,
    )
    # Held and autoscaled rows, feasible and not (the second candidate serves nothing).
    assert 0 < table.autoscaled.sum() < table.size
    assert 0 < table.feasible.sum() < table.size
    rows = np.array([3, 0, 7, 1, 2, 5, 4, 6, 8, 9, 11, 10], dtype=np.intp)
    factors = draw_factors(UncertaintySpec(samples=60, seed=seed), rows.size)
    # A few samples at the point values: the widened table keeps the table's own kappa there.
    factors.throughput[:, :3] = 1.0
    factors.peak[:3] = 1.0
    fast = sampled_self_hosted_costs(table, rows, volume, factors)
    np.testing.assert_array_equal(fast, _widened(table, rows, volume, factors))
    # Autoscaled fleets computed directly rather than tabulated: the same numbers.
    with patch("app.core.fleet_lookup.TABULATE_CELLS", 10**12):
        np.testing.assert_array_equal(sampled_self_hosted_costs(table, rows, volume, factors), fast)
