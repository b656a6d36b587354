"""The candidate grid and capacity curves without a database."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.core.candidates import (
    CURVE_LEVELS,
    MAX_PIPELINE_STAGES,
    candidate_grid,
    candidate_label,
    capacity_curves,
)
from app.core.performance import replica_performance
from app.core.types import AttentionKind, Interconnect, OpenModelSpec, Precision
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


# huggingface.co/deepseek-ai/DeepSeek-V3 config.json (as app/catalog_data/open_models.csv):
# 61 layers, hidden 7168, 128 heads, MLA with kv_lora_rank 512 + rope 64, 256 routed experts,
# top-8, vocab 129280; 671B total / 37B active (model card).
DEEPSEEK_V3 = OpenModelSpec(
    slug="deepseek-v3", total_params=671e9, active_params=37e9, num_layers=61,
    hidden_size=7168, num_attention_heads=128, num_kv_heads=128, head_dim=128,
    intermediate_size=2048, vocab_size=129280, attention_kind=AttentionKind.MLA,
    max_context_tokens=163840, num_experts=256, num_experts_per_token=8, kv_lora_rank=512,
    qk_rope_head_dim=64,
)  # fmt: skip
# The catalog's H100 SXM memory (app/catalog_data/gpus.csv: driver-reported 81559 MiB =
# 85.52 GB), a little under the 80 GiB of tests.factories.H100.
H100_SXM = dataclasses.replace(H100, memory_bytes=85.52e9)
H100_PCIE = dataclasses.replace(H100_SXM, slug="h100-pcie", interconnect=Interconnect.PCIE)


def test_a_model_too_big_for_one_server_spans_the_fewest_servers_that_hold_it() -> None:
    # 671B at FP8 is ~0.68 TB of weights: more than 8 x 80 GB, so no TP fits one server; two
    # 8-GPU servers (PP 2, 16 GPUs) hold it.
    grid, infeasible = candidate_grid([DEEPSEEK_V3], [H100_SXM], WORKLOAD, [Precision.FP8])
    assert infeasible == ()
    assert len(grid) == 1
    assert (int(grid.tensor_parallel[0]), int(grid.pipeline_parallel[0])) == (8, 2)
    assert grid.gpus_per_replica[0] == 16
    assert grid.max_concurrency[0] >= 1
    (curve,) = capacity_curves([DEEPSEEK_V3], [H100_SXM], grid, WORKLOAD, 0.8)
    assert curve.gpus_per_replica == 16
    assert np.all(curve.requests_per_s > 0)


def test_multi_server_curves_are_the_pipeline_replicas_performance() -> None:
    grid, _ = candidate_grid([DEEPSEEK_V3], [H100_SXM], WORKLOAD, [Precision.FP8])
    (curve,) = capacity_curves([DEEPSEEK_V3], [H100_SXM], grid, WORKLOAD, 0.8)
    level = int(curve.concurrency[5])
    alone = replica_performance(
        DEEPSEEK_V3, H100_SXM, 8, Precision.FP8, 1000, 200, concurrency=level,
        real_world_derate=0.8, pipeline_parallel=2,
    )  # fmt: skip
    assert curve.requests_per_s[5] == pytest.approx(alone.requests_per_s, rel=1e-12)


def test_single_server_models_never_get_pipeline_stages() -> None:
    grid, _ = candidate_grid([LLAMA_8B, LLAMA_70B], [H100], WORKLOAD, [Precision.BF16])
    assert np.all(grid.pipeline_parallel == 1)
    assert np.array_equal(grid.gpus_per_replica, grid.tensor_parallel)


def test_multi_server_needs_a_server_fabric_and_stops_at_the_cap() -> None:
    # PCIe cards are not pipelined across servers: the reason stays.
    none, why = candidate_grid([DEEPSEEK_V3], [H100_PCIE], WORKLOAD, [Precision.FP8])
    assert len(none) == 0
    assert why[0].reason.startswith("weights and KV cache do not fit even at TP=8")
    # 671B in BF16 is ~1.34 TB: more than MAX_PIPELINE_STAGES servers of 8 x 40 GB hold
    # (NVIDIA A100 SXM4 40GB datasheet: 40 GB HBM2, NVLink, 8 per HGX board).
    small = dataclasses.replace(H100_SXM, slug="a100-sxm-40gb", memory_bytes=40e9)
    assert MAX_PIPELINE_STAGES * 8 * small.memory_bytes < 671e9 * 2
    none, why = candidate_grid([DEEPSEEK_V3], [small], WORKLOAD, [Precision.BF16])
    assert len(none) == 0
    (reason,) = why
    assert reason.reason.startswith("weights and KV cache do not fit even at TP=8")
    assert f"nor across {MAX_PIPELINE_STAGES} servers" in reason.reason


def test_label_names_the_servers_of_a_multi_server_replica() -> None:
    assert candidate_label("m", "g", 8, "fp8", 2) == "m on 2×8× g (fp8, PP 2)"
