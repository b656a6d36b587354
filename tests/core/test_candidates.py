"""The candidate grid and capacity curves without a database."""

from __future__ import annotations

import numpy as np

from app.core.candidates import (
    CURVE_LEVELS,
    candidate_grid,
    candidate_label,
    capacity_curves,
)
from app.core.types import Precision
from app.core.workload import WorkloadSpec
from tests.factories import A100, H100, LLAMA_8B, LLAMA_70B

WORKLOAD = WorkloadSpec(requests_per_day=10_000, input_tokens_mean=1000, output_tokens_mean=200)


def _rows(grid: object) -> set[tuple[int, int, int, str]]:
    g = grid  # CandidateGrid
    return {
        (int(m), int(gi), int(tp), g.precision(row).value)  # type: ignore[attr-defined]
        for row, (m, gi, tp) in enumerate(
            zip(g.model_index, g.gpu_index, g.tensor_parallel, strict=True)  # type: ignore[attr-defined]
        )
    }


def test_smallest_fitting_tp_and_the_next_are_kept() -> None:
    grid, infeasible = candidate_grid([LLAMA_8B, LLAMA_70B], [H100], WORKLOAD, [Precision.BF16])
    assert infeasible == ()
    # 8B bf16 (16 GB) fits one 80 GB H100: TP 1 and 2. 70B bf16 (141 GB) needs TP 2: 2 and 4.
    assert _rows(grid) == {
        (0, 0, 1, "bf16"),
        (0, 0, 2, "bf16"),
        (1, 0, 2, "bf16"),
        (1, 0, 4, "bf16"),
    }


def test_explicit_tp_keeps_every_fitting_degree_and_reports_the_rest() -> None:
    grid, infeasible = candidate_grid([LLAMA_70B], [A100], WORKLOAD, [Precision.BF16], [1, 8])
    assert _rows(grid) == {(0, 0, 8, "bf16")}
    assert infeasible == ()  # the group has a fitting degree
    none_fit, why = candidate_grid([LLAMA_70B], [A100], WORKLOAD, [Precision.BF16], [1])
    assert len(none_fit) == 0
    (reason,) = why
    assert (reason.open_model, reason.gpu, reason.tensor_parallel) == (
        "llama-3.1-70b",
        A100.slug,
        1,
    )
    assert reason.precision == "bf16"
    assert reason.purchase_mode is None
    assert reason.reason.startswith("weights and KV cache do not fit even at TP=1")


def test_duplicate_precisions_are_one_group() -> None:
    once, _ = candidate_grid([LLAMA_8B], [H100], WORKLOAD, [Precision.FP8])
    twice, _ = candidate_grid([LLAMA_8B], [H100], WORKLOAD, [Precision.FP8, Precision.FP8])
    assert _rows(once) == _rows(twice)


def test_nothing_to_grid() -> None:
    grid, infeasible = candidate_grid([], [H100], WORKLOAD, [Precision.BF16])
    assert len(grid) == 0
    assert infeasible == ()
    assert capacity_curves([], [H100], grid, WORKLOAD, 0.8) == []


def test_capacity_curves_rise_with_concurrency_and_slow_with_the_derate() -> None:
    grid, _ = candidate_grid([LLAMA_8B], [H100], WORKLOAD, [Precision.FP8], [1])
    (curve,) = capacity_curves([LLAMA_8B], [H100], grid, WORKLOAD, 1.0)
    (derated,) = capacity_curves([LLAMA_8B], [H100], grid, WORKLOAD, 0.5)
    assert curve.concurrency.size == CURVE_LEVELS
    assert curve.concurrency[0] == 1
    assert curve.concurrency[-1] == grid.max_concurrency[0]
    assert np.all(np.diff(curve.requests_per_s) >= 0)
    assert np.all(np.diff(curve.tpot_s) >= 0)
    # Half the benchmark speed: every level serves fewer requests and takes longer per token.
    assert np.all(derated.requests_per_s < curve.requests_per_s)
    assert np.all(derated.tpot_s > curve.tpot_s)
    assert curve.gpus_per_replica == 1


def test_label_names_model_gpu_tp_and_precision() -> None:
    assert candidate_label("m", "g", 2, "fp8") == "m on 2× g (fp8)"
