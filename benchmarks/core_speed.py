"""Speed of the performance core: vectorized batch and single evaluations.

Usage: python -m benchmarks.core_speed

Targets (issue): 10,000 configurations (model x GPU x TP x precision x lengths) in <= 1 s on
one core through the vectorized API, and a median single `replica_performance` call well under
the 5 ms HTTP budget. Exits 1 if the batch or single-call target is missed. Run with one BLAS
thread (OMP_NUM_THREADS=1) to measure one core; numpy's elementwise work is single-threaded.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from app.catalog import seed_data
from app.core.engines import ENGINES
from app.core.memory import PRECISIONS
from app.core.performance import (
    ReplicaBatch,
    evaluate_replicas,
    replica_curve,
    replica_performance,
)
from app.core.types import GpuSpec, OpenModelSpec, Precision
from app.services import catalog_specs


def load_specs() -> tuple[dict[str, OpenModelSpec], dict[str, GpuSpec], str]:
    """Every open model and GPU of the seed catalog, by slug."""
    models = {
        m.slug: m for m in map(catalog_specs.open_model_spec_from_row, seed_data.load_open_models())
    }
    gpus = {g.slug: g for g in map(catalog_specs.gpu_spec_from_row, seed_data.load_gpus())}
    return models, gpus, "seed catalog"


N_CONFIGS = 10_000
BATCH_TARGET_S = 1.0
SINGLE_TARGET_S = 0.005


def random_batch(n: int, seed: int = 0) -> ReplicaBatch:
    """n random configurations over the catalog (feasible or not, as a fleet search sees them)."""
    models, gpus, _ = load_specs()
    rng = np.random.default_rng(seed)
    load = rng.random(n)
    model_list, gpu_list = list(models.values()), list(gpus.values())
    return ReplicaBatch(
        models=tuple(model_list),
        gpus=tuple(gpu_list),
        model_index=rng.integers(0, len(model_list), n),
        gpu_index=rng.integers(0, len(gpu_list), n),
        tensor_parallel=rng.choice(np.asarray([1, 2, 4, 8]), n),
        precision_index=rng.integers(0, len(PRECISIONS), n),
        input_tokens=rng.integers(64, 32_000, n),
        output_tokens=rng.integers(16, 4_000, n),
        concurrency=np.where(load < 0.4, 0, np.where(load < 0.8, rng.integers(1, 512, n), 0)),
        engine_index=rng.integers(0, len(ENGINES), n),
        # A fifth of the configurations are open-loop Poisson loads (solved by bisection).
        request_rate_per_s=np.where(load >= 0.8, rng.uniform(0.01, 20.0, n), 0.0),
    )


def best_of(repeats: int, fn: object) -> float:
    assert callable(fn)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    batch = random_batch(N_CONFIGS)
    batch_s = best_of(5, lambda: evaluate_replicas(batch))
    feasible = int(evaluate_replicas(batch).feasible.sum())
    print(f"vectorized: {N_CONFIGS} configurations in {batch_s * 1e3:.1f} ms "
          f"({feasible} feasible; target <= {BATCH_TARGET_S * 1e3:.0f} ms)")  # fmt: skip

    models, gpus, _ = load_specs()
    model, gpu = models["llama-3.1-70b"], gpus["h100-sxm-80gb"]
    singles = []
    for _ in range(300):
        t0 = time.perf_counter()
        replica_performance(model, gpu, 4, Precision.FP8, 1000, 300)
        singles.append(time.perf_counter() - t0)
    single_s = statistics.median(singles)
    print(f"single replica_performance: median {single_s * 1e6:.0f} us "
          f"(target <= {SINGLE_TARGET_S * 1e3:.0f} ms)")  # fmt: skip
    curve_s = statistics.median(
        best_of(1, lambda: replica_curve(model, gpu, 4, Precision.FP8, 1000, 300))
        for _ in range(50)
    )
    print(f"replica_curve (up to 256 concurrency levels): median {curve_s * 1e3:.2f} ms")
    ok = batch_s <= BATCH_TARGET_S and single_s <= SINGLE_TARGET_S
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
