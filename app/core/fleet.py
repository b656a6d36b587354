"""Fleet sizing: one replica's usable capacity under latency targets, and replicas/instances
for a demand with redundancy and zones.

The replica's capacity comes in as plain arrays (`ReplicaCapacitySpec`), so this module does
not depend on the performance model; the service layer converts a performance curve into it.
Rules (documented with sources in docs/economics.md):

* Operating point: among the curve's concurrency levels whose p95 TTFT and TPOT meet the
  workload's p95 targets, the one with the most requests/s. The p95s are the performance
  model's (its scheduler model: app/core/scheduler.py) times `ttft_p95_over_mean` and
  `tpot_p95_over_mean` (default 1: no extra margin); a curve without p95s (measured means
  only) uses its means times those factors.
* Headroom: interactive capacity = operating requests/s x `target_utilisation`, an explicit,
  overridable margin for what the model leaves out (bursts within the hour, uneven lengths).
* Redundancy and zones: `n` serving replicas become `q` per zone in `z` zones with
  q = max(ceil((n + k) / z), ceil(n / (z - 1))) for z >= 2 (the fleet survives k replica
  failures, or the loss of one whole zone), and q = n + k for z = 1.
* Packing: replicas never straddle instances unless a replica needs more GPUs than one
  instance has; instances never straddle zones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.core.arrays import FloatArray
from app.core.errors import InvalidEstimateInputError
from app.core.workload import WorkloadSpec


@dataclass(frozen=True, slots=True, eq=False)
class ReplicaCapacitySpec:
    """One replica's measured or modelled behaviour, one entry per concurrency level.

    `requests_per_s` should be evaluated at the workload's mean lengths (what the fleet
    serves on average) and `ttft_s`/`tpot_s` at its p95 lengths (what the targets bound).
    """

    concurrency: FloatArray
    requests_per_s: FloatArray
    ttft_s: FloatArray
    tpot_s: FloatArray
    gpus_per_replica: int
    # p95 latencies at the same levels (from the scheduler model); None: use the means.
    ttft_p95_s: FloatArray | None = None
    tpot_p95_s: FloatArray | None = None

    @property
    def ttft_bound_s(self) -> FloatArray:
        """The TTFT that the workload's p95 target bounds (p95 when known, else the mean)."""
        return self.ttft_s if self.ttft_p95_s is None else self.ttft_p95_s

    @property
    def tpot_bound_s(self) -> FloatArray:
        """The TPOT that the workload's p95 target bounds (p95 when known, else the mean)."""
        return self.tpot_s if self.tpot_p95_s is None else self.tpot_p95_s

    def __post_init__(self) -> None:
        n = len(self.concurrency)
        if any(len(a) != n for a in (self.requests_per_s, self.ttft_s, self.tpot_s)):
            raise InvalidEstimateInputError("capacity arrays must have equal lengths")
        if self.gpus_per_replica < 1:
            raise InvalidEstimateInputError(
                "gpus_per_replica must be >= 1", gpus_per_replica=self.gpus_per_replica
            )


@dataclass(frozen=True, slots=True)
class SizingPolicySpec:
    """Sizing assumptions the user can override (defaults: see docs/economics.md)."""

    # Highest mean load per replica relative to its operating throughput (queueing headroom).
    target_utilisation: float = 0.8
    # Extra margin on the model's p95 latencies (on the means for curves without p95s).
    ttft_p95_over_mean: float = 1.0
    tpot_p95_over_mean: float = 1.0
    # Batch traffic runs at the curve's best throughput, with this much of it usable.
    batch_utilisation: float = 0.95
    # Spot fleets carry this much extra capacity to ride out interruptions.
    spot_extra_capacity_share: float = 0.25
    # Autoscaled fleets never go below this many serving replicas.
    min_serving_replicas: int = 1
    # A model whose context window cannot hold more than this share of the requests (input +
    # output, from the fitted length distribution) cannot serve the workload. 1% keeps the
    # far tail of a log-normal fit from ruling out every model; set 0 to allow no overflow.
    max_context_overflow_share: float = 0.01

    def __post_init__(self) -> None:
        if not (0.0 <= self.max_context_overflow_share <= 1.0):
            raise InvalidEstimateInputError(
                "max_context_overflow_share must be within [0, 1]",
                value=self.max_context_overflow_share,
            )
        if not (0.0 < self.target_utilisation <= 1.0):
            raise InvalidEstimateInputError(
                "target_utilisation must be within (0, 1]", value=self.target_utilisation
            )
        if not (0.0 < self.batch_utilisation <= 1.0):
            raise InvalidEstimateInputError(
                "batch_utilisation must be within (0, 1]", value=self.batch_utilisation
            )
        if self.ttft_p95_over_mean < 1.0 or self.tpot_p95_over_mean < 1.0:
            raise InvalidEstimateInputError("a p95 is never below the mean: factors must be >= 1")
        if self.spot_extra_capacity_share < 0:
            raise InvalidEstimateInputError("spot_extra_capacity_share must be >= 0")
        if self.min_serving_replicas < 1:
            raise InvalidEstimateInputError("min_serving_replicas must be >= 1")


@dataclass(frozen=True, slots=True)
class ReplicaCapacity:
    """A replica's usable capacity for one workload; `reason` says why when it has none."""

    feasible: bool
    reason: str | None
    gpus_per_replica: int
    operating_concurrency: float
    operating_requests_per_s: float  # at the operating point, before headroom
    interactive_requests_per_s: float  # after the utilisation headroom
    batch_requests_per_s: float  # best throughput x batch_utilisation
    ttft_s: float  # curve value at the operating point (before the p95 factor)
    tpot_s: float


def replica_capacity(
    spec: ReplicaCapacitySpec, workload: WorkloadSpec, policy: SizingPolicySpec
) -> ReplicaCapacity:
    """Usable requests/s of one replica under the workload's p95 latency targets (req/s)."""
    rps = np.asarray(spec.requests_per_s, dtype=np.float64)
    ok = np.isfinite(rps) & (rps > 0)
    if not ok.any():
        return _infeasible(spec, "the replica has no throughput at any concurrency")
    best_rps = float(rps[ok].max())
    if workload.ttft_p95_s is not None:
        ok &= np.asarray(spec.ttft_bound_s) * policy.ttft_p95_over_mean <= workload.ttft_p95_s
    if workload.tpot_p95_s is not None:
        ok &= np.asarray(spec.tpot_bound_s) * policy.tpot_p95_over_mean <= workload.tpot_p95_s
    if not ok.any():
        i = int(np.argmin(np.asarray(spec.concurrency)))
        return _infeasible(
            spec,
            "latency targets unreachable even at the lowest concurrency "
            f"(p95 TTFT ~{spec.ttft_bound_s[i] * policy.ttft_p95_over_mean:.3g} s, "
            f"p95 TPOT ~{spec.tpot_bound_s[i] * policy.tpot_p95_over_mean:.3g} s)",
        )
    candidates = np.where(ok, rps, -np.inf)
    i = int(np.argmax(candidates))
    op = float(rps[i])
    return ReplicaCapacity(
        feasible=True,
        reason=None,
        gpus_per_replica=spec.gpus_per_replica,
        operating_concurrency=float(spec.concurrency[i]),
        operating_requests_per_s=op,
        interactive_requests_per_s=op * policy.target_utilisation,
        batch_requests_per_s=best_rps * policy.batch_utilisation,
        ttft_s=float(spec.ttft_s[i]),
        tpot_s=float(spec.tpot_s[i]),
    )


def replica_capacities(
    specs: list[ReplicaCapacitySpec], workload: WorkloadSpec, policy: SizingPolicySpec
) -> list[ReplicaCapacity]:
    """`replica_capacity` for many curves at once; curves of equal length are stacked (req/s)."""
    out: list[ReplicaCapacity | None] = [None] * len(specs)
    groups: dict[int, list[int]] = {}
    for k, spec in enumerate(specs):
        groups.setdefault(len(spec.concurrency), []).append(k)
    for length, members in groups.items():
        if length == 0:
            for k in members:
                out[k] = _infeasible(specs[k], "the replica has no throughput at any concurrency")
            continue
        conc = np.stack([specs[k].concurrency for k in members]).astype(np.float64)
        rps = np.stack([specs[k].requests_per_s for k in members]).astype(np.float64)
        ttft = np.stack([specs[k].ttft_bound_s for k in members]).astype(np.float64)
        tpot = np.stack([specs[k].tpot_bound_s for k in members]).astype(np.float64)
        usable = np.isfinite(rps) & (rps > 0)
        best_rps = np.where(usable, rps, -np.inf).max(axis=1)
        ok: npt.NDArray[np.bool_] = usable.copy()
        if workload.ttft_p95_s is not None:
            ok = ok & np.asarray(ttft * policy.ttft_p95_over_mean <= workload.ttft_p95_s)
        if workload.tpot_p95_s is not None:
            ok = ok & np.asarray(tpot * policy.tpot_p95_over_mean <= workload.tpot_p95_s)
        pick = np.argmax(np.where(ok, rps, -np.inf), axis=1)
        rows = np.arange(len(members))
        fine_rows: npt.NDArray[np.bool_] = np.logical_and(usable.any(axis=1), ok.any(axis=1))
        fine = [bool(x) for x in fine_rows]
        op = rps[rows, pick].tolist()
        for r, k in enumerate(members):
            if not fine[r]:
                # Rare path: let the scalar version word the reason.
                out[k] = replica_capacity(specs[k], workload, policy)
                continue
            out[k] = ReplicaCapacity(
                feasible=True,
                reason=None,
                gpus_per_replica=specs[k].gpus_per_replica,
                operating_concurrency=float(conc[r, pick[r]]),
                operating_requests_per_s=op[r],
                interactive_requests_per_s=op[r] * policy.target_utilisation,
                batch_requests_per_s=float(best_rps[r]) * policy.batch_utilisation,
                ttft_s=float(specs[k].ttft_s[pick[r]]),
                tpot_s=float(specs[k].tpot_s[pick[r]]),
            )
    return [c for c in out if c is not None]


def _infeasible(spec: ReplicaCapacitySpec, reason: str) -> ReplicaCapacity:
    return ReplicaCapacity(
        False, reason, spec.gpus_per_replica, 0.0, 0.0, 0.0, 0.0, math.nan, math.nan
    )


def replicas_per_zone(
    serving: FloatArray, redundancy_replicas: FloatArray | float, zones: FloatArray | float
) -> FloatArray:
    """Replicas in each zone for `serving` needed replicas, N+k and one-zone-loss rules (count)."""
    n = np.asarray(serving, dtype=np.float64)
    k = np.asarray(redundancy_replicas, dtype=np.float64)
    z = np.asarray(zones, dtype=np.float64)
    if z.ndim == 0 and z < 2:
        # One zone for every row (the usual case): the other branch is not computed.
        per_zone = n + k
    else:
        spread = np.ceil((n + k) / z)
        # With z >= 2 zones, the z - 1 zones left after losing one must still hold n replicas.
        zone_loss = np.ceil(n / np.maximum(z - 1.0, 1.0))
        per_zone = np.where(z >= 2, np.maximum(spread, zone_loss), n + k)
    # No serving replica means no fleet at all: spares protect something that exists.
    return np.where(n > 0, per_zone, 0.0)


def instances_for_replicas(
    replicas: FloatArray,
    gpus_per_replica: FloatArray | float,
    gpus_per_instance: FloatArray | float,
) -> FloatArray:
    """Whole instances (or servers) that hold `replicas` replicas in one zone (count)."""
    r = np.asarray(replicas, dtype=np.float64)
    gpr = np.asarray(gpus_per_replica, dtype=np.float64)
    gpi = np.asarray(gpus_per_instance, dtype=np.float64)
    per_instance = np.floor(gpi / gpr)
    packed = np.ceil(r / np.maximum(per_instance, 1.0))
    fits = gpr <= gpi
    if fits.all():
        # Every replica fits on one instance (the usual case): spanning is not computed.
        return packed
    spanning = r * np.ceil(gpr / gpi)
    return np.where(fits, packed, spanning)
