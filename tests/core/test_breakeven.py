"""Break-even search on the exact step-shaped self-hosted cost."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.breakeven import (
    CostEnvelope,
    _surviving_runs,
    break_even,
    cost_envelope,
    envelope_at,
)
from app.core.economics import CostAssumptionsSpec, SelfHostedCandidateSpec
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.monthly_costs import fleet_costs
from app.core.option_table import OptionTable, build_option_table
from app.core.purchasing import PurchaseMode, PurchaseOptionSpec
from app.core.replica_steps import step_edges
from app.core.workload import WorkloadSpec

# One committed replica (1 GPU at $2/h) held all month costs 2 x 730.5 = $1,461.
REPLICA_USD_MONTH = 2.0 * 730.5
# A replica serving 1.25 req/s at its operating point x 0.8 headroom = 1 req/s, so under flat
# traffic it carries 86,400 requests/day.
REPLICA_REQ_PER_DAY = 86_400.0


def committed_table(*extra: PurchaseOptionSpec) -> OptionTable:
    curve = ReplicaCapacitySpec(
        np.array([1.0, 2.0]), np.full(2, 1.25), np.full(2, 0.1), np.full(2, 0.01), 1
    )
    options = (PurchaseOptionSpec(PurchaseMode.COMMITTED_1Y, usd_per_gpu_hour=2.0), *extra)
    cand = SelfHostedCandidateSpec("c", "m", "g", 1, "fp8", 700.0, curve, options)
    w = WorkloadSpec(requests_per_day=10_000, input_tokens_mean=1000, output_tokens_mean=200)
    a = CostAssumptionsSpec(staff_fte=0.0, ops_overhead_share=0.0)
    return build_option_table((cand,), w, a, SizingPolicySpec())


def test_worked_break_even_single_crossing() -> None:
    # API at $0.01 per request: $0.304375 a month per request/day. One replica ($1,461) costs
    # the same as the API at 1,461 / 0.304375 = 4,800 requests/day, inside the first step
    # (up to 86,400/day); beyond, each replica costs $1,461 for 86,400 more requests/day, far
    # below the API's $26,298 for them, so self-hosting stays cheaper.
    env = cost_envelope(committed_table(), 100.0, 1e7)
    result = break_even(env, "api", 0.01 * 30.4375)
    assert len(result.crossings) == 1
    assert result.crossings[0].requests_per_day == pytest.approx(4800.0)
    assert result.crossings[0].self_hosting_cheaper_above
    assert result.self_hosting_cheaper_above_requests_per_day == pytest.approx(4800.0)
    assert result.exact


def expected_crossings(p: float, lo: float, hi: float) -> list[tuple[float, bool]]:
    """Independent oracle: on step j (volume in ((j-1)E, jE]) the fleet costs jC; it is
    cheaper than the API pV exactly for V > jC/p."""
    out: list[tuple[float, bool]] = []
    j = 1
    while (j - 1) * REPLICA_REQ_PER_DAY < hi:
        step_lo, step_hi = (j - 1) * REPLICA_REQ_PER_DAY, j * REPLICA_REQ_PER_DAY
        root = j * REPLICA_USD_MONTH / p
        if step_lo < root < step_hi and lo < root < hi:
            out.append((root, True))  # line rises through the flat step
        # At the edge the cost jumps from jC to (j+1)C: API cheaper again if p x edge < (j+1)C.
        edge_api = p * step_hi
        if lo < step_hi < hi and j * REPLICA_USD_MONTH < edge_api < (j + 1) * REPLICA_USD_MONTH:
            out.append((step_hi, False))
        j += 1
    return out


def test_many_crossings_on_the_staircase_are_all_found() -> None:
    # Slightly above one replica's cost per request: the API line crosses many steps before
    # the fixed part of each step is outgrown (about 28 times here).
    p = 1.035 * REPLICA_USD_MONTH / REPLICA_REQ_PER_DAY
    lo, hi = 1_000.0, 5e6
    result = break_even(cost_envelope(committed_table(), lo, hi), "api", p)
    expected = expected_crossings(p, lo, hi)
    assert len(expected) > 20
    assert [c.self_hosting_cheaper_above for c in result.crossings] == [e[1] for e in expected]
    got = [c.requests_per_day for c in result.crossings]
    assert got == pytest.approx([e[0] for e in expected], rel=1e-9)
    assert result.self_hosting_cheaper_above_requests_per_day == pytest.approx(expected[-1][0])


def test_envelope_matches_direct_evaluation_between_edges() -> None:
    table = committed_table(
        PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=2.6),
        PurchaseOptionSpec(PurchaseMode.OWNED, purchase_usd_per_gpu=30_000),
    )
    env = cost_envelope(table, 1e3, 1e7)
    rng = np.random.default_rng(3)
    volumes = np.sort(np.exp(rng.uniform(math.log(1e3), math.log(1e7), 300)))
    values, _ = envelope_at(env, volumes)
    direct = np.min(
        [fleet_costs(table, np.full(volumes.size, i), volumes).total for i in range(3)], axis=0
    )
    assert values == pytest.approx(direct, rel=1e-9)


def test_never_cheaper_returns_none() -> None:
    # The API at a tiny price is always cheaper than one replica in the searched range.
    result = break_even(cost_envelope(committed_table(), 1e3, 1e6), "api", 1e-6)
    assert result.crossings == ()
    assert result.self_hosting_cheaper_above_requests_per_day is None


def test_curve_points_cover_the_range_and_include_crossings() -> None:
    result = break_even(cost_envelope(committed_table(), 100.0, 1e7), "api", 0.304375)
    points = result.curve_requests_per_day
    assert points[0] == pytest.approx(100.0)
    assert points[-1] == pytest.approx(1e7)
    assert 50 <= len(points) <= 600
    assert list(points) == sorted(points)
    assert any(p == pytest.approx(4800.0) for p in points)
    assert result.curve_api_usd_per_month[0] == pytest.approx(100.0 * 0.304375)


@settings(max_examples=40, deadline=None)
@given(p_low=st.floats(1e-4, 1.0), factor=st.floats(1.0, 10.0))
def test_higher_api_price_never_raises_break_even(p_low: float, factor: float) -> None:
    table = committed_table(
        PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=2.6),
        PurchaseOptionSpec(PurchaseMode.OWNED, purchase_usd_per_gpu=30_000, gpus_per_instance=8),
    )
    env = cost_envelope(table, 100.0, 1e7)
    low = break_even(env, "a", p_low).self_hosting_cheaper_above_requests_per_day
    high = break_even(env, "a", p_low * factor).self_hosting_cheaper_above_requests_per_day
    as_number = [math.inf if v is None else v for v in (low, high)]
    assert as_number[1] <= as_number[0]


def test_envelope_in_slices_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # Volumes are compared with the pieces in slices; slicing must not change any answer,
    # edges, volumes outside the range and the cheapest option included.
    table = committed_table(
        PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=2.6),
        PurchaseOptionSpec(PurchaseMode.OWNED, purchase_usd_per_gpu=30_000),
    )
    env = cost_envelope(table, 1e3, 1e7)
    volumes = np.concatenate([[10.0, 1e3, 2e7], env.lo, env.hi, np.geomspace(1e3, 1e7, 101)])
    whole = envelope_at(env, volumes)
    monkeypatch.setattr("app.core.breakeven._ENVELOPE_CELLS", 1)
    sliced = envelope_at(env, volumes)
    np.testing.assert_array_equal(sliced[0], whole[0])
    np.testing.assert_array_equal(sliced[1], whole[1])
    assert np.isinf(whole[0][0])
    assert whole[1][0] == -1


def _dense_envelope_at(env: CostEnvelope, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference: every volume against every piece (what `envelope_at` narrows to windows)."""
    order = np.argsort(env.lo, kind="stable")
    lo, hi = env.lo[order], env.hi[order]
    x = v[:, None]
    inside = (lo <= x) & (x <= hi)
    cost = np.where(inside, env.intercept[order] + env.slope[order] * x, np.inf)
    rows = np.arange(v.size)
    best = np.argmin(cost, axis=1)
    best = np.where(inside[rows, best], best, np.argmax(inside, axis=1))
    hit = inside.any(axis=1)
    return (
        np.where(hit, cost[rows, best], np.inf),
        np.where(hit, env.option[order][best], -1),
    )


@pytest.mark.parametrize("seed", range(30))
def test_envelope_windows_equal_every_piece(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Overlapping runs of touching pieces per option, one long piece spanning many short ones,
    # ties in cost and start, infinite costs, volumes on edges and outside: the windowed search
    # must pick exactly the piece (and value) the all-pieces comparison picks.
    rng = np.random.default_rng(seed)
    los, his, opts = [], [], []
    for option in range(int(rng.integers(1, 5))):
        for _ in range(int(rng.integers(1, 4))):
            bounds = np.unique(rng.integers(0, 60, size=int(rng.integers(2, 30)))).astype(float)
            if bounds.size < 2:
                continue
            los.append(bounds[:-1])
            his.append(bounds[1:])
            opts.append(np.full(bounds.size - 1, option, dtype=np.intp))
    lo, hi, opt = np.concatenate(los), np.concatenate(his), np.concatenate(opts)
    shuffle = rng.permutation(lo.size)
    lo, hi, opt = lo[shuffle], hi[shuffle], opt[shuffle]
    intercept = rng.integers(0, 4, size=lo.size).astype(float)
    slope = rng.integers(0, 3, size=lo.size) / 4.0
    intercept[rng.random(lo.size) < 0.05] = np.inf
    empty = np.empty(0)
    env = CostEnvelope(
        lo, hi, intercept, slope, opt, empty, empty, opt[:0], empty, empty, empty, opt[:0],
        True, 0.0, 60.0,
    )  # fmt: skip
    volumes = np.concatenate([lo, hi, rng.uniform(-5.0, 65.0, size=200), [np.nan]])
    expected = _dense_envelope_at(env, volumes)
    for cells in (1 << 18, 3):
        monkeypatch.setattr("app.core.breakeven._ENVELOPE_CELLS", cells)
        values, options = envelope_at(env, volumes)
        np.testing.assert_array_equal(values, expected[0])
        np.testing.assert_array_equal(options, expected[1])


def test_step_edges_are_each_rates_steps_sorted_once() -> None:
    # Held fleets step at one rate, autoscaled ones at one per hourly level; either way the
    # edges are every j / rate strictly inside (lo, hi), sorted, each once.
    table = committed_table(PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=2.6))
    assert not table.autoscaled.all()
    assert table.autoscaled.any()
    for i in range(table.size):
        lo, hi = 3_000.0, 2_000_000.0
        edges = step_edges(table, i, lo, hi)
        rates = (
            table.kappa_hour[i] * table.unique_shares
            if table.autoscaled[i]
            else np.array([table.kappa_held[i]])
        )
        expected = np.unique(
            np.concatenate([np.arange(1.0, math.ceil(hi * r) + 1) / r for r in rates if r > 0])
        )
        np.testing.assert_array_equal(edges, expected[(expected > lo) & (expected < hi)])
        assert np.all(np.diff(edges) > 0)


@pytest.mark.parametrize("seed", range(10))
def test_surviving_runs_are_each_options_runs_of_consecutive_cells(seed: int) -> None:
    # All rows at once give what splitting each row's alive cells into runs gives, in order.
    rng = np.random.default_rng(seed)
    alive = rng.random((7, 12)) < rng.uniform(0.1, 0.9)
    alive[2] = False
    feasible = rng.permutation(40)[:7].astype(np.intp)
    grid = np.geomspace(1.0, 1e4, 13)
    expected = []
    for row in range(alive.shape[0]):
        cell = 0
        while cell < alive.shape[1]:
            if not alive[row, cell]:
                cell += 1
                continue
            end = cell
            while end < alive.shape[1] and alive[row, end]:
                end += 1
            expected.append((int(feasible[row]), float(grid[cell]), float(grid[end])))
            cell = end
    assert _surviving_runs(feasible, alive, grid) == expected


def test_sorted_pieces_and_curve_shortcut_change_nothing() -> None:
    # `cost_envelope` sorts its pieces once for `envelope_at`; an envelope without them sorts
    # on each call. A break-even without crossings returns the envelope's curve as is: what
    # merging no crossing into it would give.
    table = committed_table(
        PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=2.6),
        PurchaseOptionSpec(PurchaseMode.OWNED, purchase_usd_per_gpu=30_000),
    )
    env = cost_envelope(table, 1e3, 1e7)
    assert env.sorted_pieces is not None
    unsorted = replace(env, sorted_pieces=None)
    volumes = np.concatenate([[10.0, 1e3, 2e7], env.lo, env.hi, np.geomspace(1e3, 1e7, 101)])
    for got, want in zip(envelope_at(env, volumes), envelope_at(unsorted, volumes), strict=True):
        np.testing.assert_array_equal(got, want)
    for p in (1e-9, 0.3, 1e3):
        result = break_even(env, "api", p)
        merged = np.concatenate([env.curve_points, [c.requests_per_day for c in result.crossings]])
        order = np.argsort(merged, kind="stable")
        assert result.curve_requests_per_day == tuple(merged[order].tolist())
        values, options = envelope_at(unsorted, merged[order])
        assert result.curve_self_hosted_usd_per_month == tuple(values.tolist())
        assert result.curve_self_hosted_option == tuple(options.tolist())
    assert not break_even(env, "api", 1e-9).crossings
    assert break_even(env, "api", 0.3).crossings
