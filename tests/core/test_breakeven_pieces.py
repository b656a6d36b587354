"""The envelope's pieces built for all runs at once equal those built one run at a time."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.array_ops import sorted_unique
from app.core.breakeven_pieces import (
    MAX_CURVE_EDGES,
    curve_edges,
    pieces,
    pieces_by_run,
)
from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.option_table import OptionTable, build_option_table
from app.core.purchasing import PurchaseMode, PurchaseOptionSpec
from app.core.replica_steps import step_edges
from app.core.workload import WorkloadSpec


def _table(min_serving: int = 1) -> OptionTable:
    """Held and autoscaled options of two speeds; hourly weights 1, 2, 3 and 4, so that the
    autoscaled edges of different levels coincide (j / 2r = 2j / 4r)."""
    options = (
        PurchaseOptionSpec(PurchaseMode.COMMITTED_1Y, usd_per_gpu_hour=2.0),
        PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=2.6),
        PurchaseOptionSpec(PurchaseMode.SPOT, usd_per_gpu_hour=1.1),
    )
    cands = tuple(
        SelfHostedCandidateSpec(
            f"m{k}",
            f"m{k}",
            "g",
            1,
            "fp8",
            700.0,
            ReplicaCapacitySpec(
                np.array([1.0, 8.0]), np.array([rps / 4, rps]), np.full(2, 0.1), np.full(2, 0.01), 1
            ),
            options,
        )
        for k, rps in enumerate((1.25, 7.3))
    )
    w = WorkloadSpec(
        requests_per_day=50_000,
        input_tokens_mean=1000,
        output_tokens_mean=200,
        batch_share=0.2,
        hourly_weights=(1.0,) * 6 + (2.0,) * 6 + (4.0,) * 6 + (3.0,) * 6,
    )
    policy = SizingPolicySpec(min_serving_replicas=min_serving)
    return build_option_table(cands, w, CostAssumptionsSpec(), policy)


@pytest.mark.parametrize("seed", range(12))
def test_pieces_of_all_runs_at_once_equal_run_by_run(seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = _table(min_serving=int(rng.integers(1, 4)))
    assert table.autoscaled.any()
    assert not table.autoscaled.all()
    count = int(rng.integers(1, 9))
    option = rng.integers(0, table.size, size=count).astype(np.intp)
    lo = 10.0 ** rng.uniform(1.0, 6.0, size=count)
    hi = lo * 10.0 ** rng.uniform(0.01, 1.5, size=count)
    hi[0] = lo[0] * (1 + 1e-9)  # a run without edges
    runs = (option, lo, hi)
    fast, general = pieces(table, runs), pieces_by_run(table, runs)
    assert fast[3] is general[3] is True
    for a, b in zip(fast[:3], general[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    assert fast[0].size >= count


def test_coinciding_edges_of_several_hourly_levels_appear_once() -> None:
    table = _table()
    row = int(np.flatnonzero(table.autoscaled)[0])
    runs = (np.array([row, 0, row], dtype=np.intp), np.array([1e3, 1e3, 2e4]), np.full(3, 1e7))
    fast, general = pieces(table, runs), pieces_by_run(table, runs)
    for a, b in zip(fast[:3], general[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    assert fast[0].size > 100
    assert np.all(fast[1] > fast[0])  # no empty piece from an edge kept twice


def test_runs_over_the_budget_are_thinned_as_before() -> None:
    table = _table()
    runs = (np.array([1, 0], dtype=np.intp), np.array([1e3, 1e3]), np.array([1e9, 1e4]))
    fast, general = pieces(table, runs), pieces_by_run(table, runs)
    assert fast[3] is general[3] is False
    for a, b in zip(fast[:3], general[:3], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("lo", "hi"), [(10.0, 1e5), (1e3, 1e7), (5e4, 6e4), (1e5, 1e9)])
def test_curve_edges_equal_each_options_step_edges_merged(lo: float, hi: float) -> None:
    table = _table()
    grid_option = np.array([4, 0, 0, 1, 4, 3, 5], dtype=np.intp)
    parts = [
        step_edges(table, i, lo, hi, max_edges=MAX_CURVE_EDGES)
        for i in sorted(set(grid_option.tolist()))
    ]
    expected = sorted_unique(np.concatenate(parts))
    if expected.size > MAX_CURVE_EDGES:
        expected = expected[np.linspace(0, expected.size - 1, MAX_CURVE_EDGES).astype(np.intp)]
    np.testing.assert_array_equal(curve_edges(table, grid_option, lo, hi), expected)
