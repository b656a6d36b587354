"""Fleet sizing: operating point under latency targets, replicas for a peak, zones, packing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.economics import (
    CostAssumptionsSpec,
    PurchaseMode,
    PurchaseOptionSpec,
    SelfHostedCandidateSpec,
)
from app.core.fleet import (
    ReplicaCapacitySpec,
    SizingPolicySpec,
    instances_for_replicas,
    replica_capacities,
    replica_capacity,
    replicas_per_zone,
)
from app.core.monthly_costs import fleet_costs
from app.core.option_table import build_option_table
from app.core.workload import WorkloadSpec


def linear_curve(gpus_per_replica: int = 1) -> ReplicaCapacitySpec:
    """Synthetic replica: at concurrency c, TTFT = 0.1 c s, TPOT = 0.02 c s, c/2 requests/s."""
    c = np.arange(1, 9, dtype=np.float64)
    return ReplicaCapacitySpec(c, c / 2.0, 0.1 * c, 0.02 * c, gpus_per_replica)


def workload(**kw: object) -> WorkloadSpec:
    base: dict[str, object] = {
        "requests_per_day": 1_000_000,
        "input_tokens_mean": 1000,
        "output_tokens_mean": 200,
    }
    base.update(kw)
    return WorkloadSpec(**base)  # type: ignore[arg-type]


#: A curve of means only, sized with p95/mean margins of 1.5 (TTFT) and 1.2 (TPOT).
MEAN_MARGINS = SizingPolicySpec(ttft_p95_over_mean=1.5, tpot_p95_over_mean=1.2)


def test_operating_point_is_highest_concurrency_meeting_targets() -> None:
    # TPOT p95 = 0.02 c x 1.2 <= 0.1 s  ->  c <= 4.17; TTFT p95 = 0.1 c x 1.5 <= 1 s -> c <= 6.67.
    # So c = 4, 2 requests/s, x 0.8 headroom = 1.6 usable requests/s.
    cap = replica_capacity(linear_curve(), workload(ttft_p95_s=1.0, tpot_p95_s=0.1), MEAN_MARGINS)
    assert cap.feasible
    assert cap.operating_concurrency == 4
    assert cap.operating_requests_per_s == pytest.approx(2.0)
    assert cap.interactive_requests_per_s == pytest.approx(1.6)
    # Batch runs at the best throughput on the curve (c = 8: 4 req/s) x 0.95.
    assert cap.batch_requests_per_s == pytest.approx(3.8)


def test_modelled_p95s_bound_the_targets_when_the_curve_has_them() -> None:
    # Same means, p95s from a scheduler model: TPOT p95 = 0.025 c <= 0.1 s -> c <= 4, and
    # TTFT p95 = 0.3 c <= 1 s -> c <= 3.33: c = 3 with no extra margin (factors 1).
    c = np.arange(1, 9, dtype=np.float64)
    curve = ReplicaCapacitySpec(c, c / 2.0, 0.1 * c, 0.02 * c, 1, 0.3 * c, 0.025 * c)
    cap = replica_capacity(curve, workload(ttft_p95_s=1.0, tpot_p95_s=0.1), SizingPolicySpec())
    assert cap.operating_concurrency == 3
    assert cap.ttft_s == pytest.approx(0.3)  # the mean at the operating point
    assert replica_capacities(
        [curve], workload(ttft_p95_s=1.0, tpot_p95_s=0.1), SizingPolicySpec()
    ) == [cap]


def test_unreachable_targets_give_a_reason_not_an_error() -> None:
    cap = replica_capacity(linear_curve(), workload(tpot_p95_s=0.01), SizingPolicySpec())
    assert not cap.feasible
    assert cap.reason is not None
    assert "unreachable" in cap.reason


def test_vectorised_capacities_match_scalar() -> None:
    rng = np.random.default_rng(1)
    specs = []
    for _ in range(20):
        c = np.arange(1, 17, dtype=np.float64)
        specs.append(ReplicaCapacitySpec(c, c * rng.random(), 0.1 * c * rng.random(), 0.01 * c, 2))
    w = workload(ttft_p95_s=0.5, tpot_p95_s=0.08)
    policy = SizingPolicySpec()
    assert replica_capacities(specs, w, policy) == [replica_capacity(s, w, policy) for s in specs]


def test_replicas_for_a_known_peak() -> None:
    # By hand: 1,000,000 req/day with peak/average 2 -> the peak hour carries 2/24 of the day:
    # 1e6 x 2/24 / 3600 s = 23.15 req/s. One replica serves 1.6 req/s (see above), so
    # ceil(23.15 / 1.6) = ceil(14.47) = 15 serving replicas; with N+1 redundancy, 16 replicas.
    w = workload(peak_to_average=2.0, ttft_p95_s=1.0, tpot_p95_s=0.1, redundancy_replicas=1)
    cand = SelfHostedCandidateSpec(
        "c",
        "m",
        "g",
        1,
        "fp8",
        700.0,
        linear_curve(),
        (PurchaseOptionSpec(PurchaseMode.COMMITTED_1Y, usd_per_gpu_hour=2.0),),
    )
    table = build_option_table((cand,), w, CostAssumptionsSpec(), MEAN_MARGINS)
    costs = fleet_costs(table, np.array([0]), np.array([1e6]))
    assert costs.peak_serving_replicas[0] == 15
    assert costs.peak_replicas[0] == 16
    assert costs.peak_gpus[0] == 16


def test_zone_rule_survives_losing_a_zone() -> None:
    # 6 serving replicas over 3 zones: losing one zone leaves 2 zones that must hold 6, so
    # 3 per zone, 9 in all; with k = 4 spares, ceil(10 / 3) = 4 per zone, 12 in all.
    assert replicas_per_zone(np.array([6.0]), 0, 3)[0] == 3
    assert replicas_per_zone(np.array([6.0]), 4, 3)[0] == 4
    # One zone: plain N + k.
    assert replicas_per_zone(np.array([6.0]), 2, 1)[0] == 8
    # Nothing to serve, nothing to keep spare.
    assert replicas_per_zone(np.array([0.0]), 2, 3)[0] == 0


def test_instance_packing() -> None:
    # 7 replicas of 2 GPUs in 8-GPU instances: 4 replicas per instance -> 2 instances.
    assert instances_for_replicas(np.array([7.0]), 2, 8)[0] == 2
    # A 16-GPU replica spans two 8-GPU instances: 3 replicas -> 6 instances.
    assert instances_for_replicas(np.array([3.0]), 16, 8)[0] == 6
    # A 3-GPU replica wastes GPUs: 2 per 8-GPU instance -> 5 replicas need 3 instances.
    assert instances_for_replicas(np.array([5.0]), 3, 8)[0] == 3


@given(
    ttft=st.floats(0.05, 5.0),
    tpot=st.floats(0.005, 0.5),
    tighten=st.floats(0.1, 1.0),
    volume=st.floats(1e3, 1e8),
)
def test_tighter_latency_targets_never_need_fewer_gpus(
    ttft: float, tpot: float, tighten: float, volume: float
) -> None:
    cand = SelfHostedCandidateSpec(
        "c",
        "m",
        "g",
        2,
        "fp8",
        700.0,
        linear_curve(2),
        (
            PurchaseOptionSpec(PurchaseMode.OWNED, purchase_usd_per_gpu=1.0, gpus_per_instance=8),
            PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=1.0, gpus_per_instance=8),
        ),
    )
    gpus = []
    for factor in (1.0, tighten):
        w = workload(requests_per_day=volume, ttft_p95_s=ttft * factor, tpot_p95_s=tpot * factor)
        table = build_option_table((cand,), w, CostAssumptionsSpec(), SizingPolicySpec())
        if not table.feasible.all():
            gpus.append(np.array([np.inf, np.inf]))
            continue
        gpus.append(fleet_costs(table, np.array([0, 1]), np.full(2, volume)).peak_gpus)
    assert np.all(gpus[1] >= gpus[0])


def _replicas_per_zone_every_branch(n: np.ndarray, k: object, z: object) -> np.ndarray:
    """The rules with both branches computed for every row (the general path)."""
    zs = np.asarray(z, dtype=np.float64)
    spread = np.ceil((n + k) / zs)
    zone_loss = np.ceil(n / np.maximum(zs - 1.0, 1.0))
    return np.where(n > 0, np.where(zs >= 2, np.maximum(spread, zone_loss), n + k), 0.0)


@pytest.mark.parametrize("zones", [1, 2, 3, 1.0, np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0])])
@pytest.mark.parametrize("spares", [0, 2, np.array([0.0, 1.0, 2.0, 0.0, 1.0, 3.0])])
def test_replicas_per_zone_branches_skipped_give_the_same_numbers(
    zones: object, spares: object
) -> None:
    n = np.array([0.0, 1.0, 2.0, 5.0, 6.0, 13.0])
    np.testing.assert_array_equal(
        replicas_per_zone(n, spares, zones), _replicas_per_zone_every_branch(n, spares, zones)
    )


@pytest.mark.parametrize(
    ("gpr", "gpi"),
    [(1, 8), (2, 8), (8, 8), (16, 8), (np.array([[1.0], [16.0]]), np.array([[8.0], [8.0]]))],
)
def test_instances_without_spanning_replicas_are_the_same_numbers(gpr: object, gpi: object) -> None:
    r = np.array([[0.0, 1.0, 3.0, 7.0, 9.0]] * 2)
    g, i = np.asarray(gpr, dtype=np.float64), np.asarray(gpi, dtype=np.float64)
    every_branch = np.where(
        g <= i, np.ceil(r / np.maximum(np.floor(i / g), 1.0)), r * np.ceil(g / i)
    )
    found = instances_for_replicas(r, gpr, gpi)
    assert found.shape == every_branch.shape
    np.testing.assert_array_equal(found, every_branch)
