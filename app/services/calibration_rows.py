"""The performance model's calibration data (app/calibration_data/), as rows and batches.

Two files: NVIDIA's TensorRT-LLM perf-overview (`throughput.csv`: offline max-throughput
rows) and AIConfigurator's H100 silicon samples (`latency_sweeps_h100.csv`: closed-loop
concurrency sweeps of vLLM, SGLang and TensorRT-LLM with measured TTFT and TPOT). The fit
(benchmarks/fit_performance.py), the accuracy benchmark and `GET /v1/performance/accuracy` all
read them through this module, so they see the same rows and the same specs.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np

from app.catalog import seed_data
from app.core import calibration as calibration_module
from app.core.accuracy import AccuracyReport, MetricPoints, accuracy_report, fit_error_bands
from app.core.performance import (
    DEFAULT_CALIBRATION,
    PerformanceCalibration,
    ReplicaBatch,
    ReplicaBatchResult,
    evaluate_with_reference_build,
)
from app.core.regimes import load_regime, precision_class
from app.core.types import AttentionKind, Engine, GpuSpec, OpenModelSpec, Precision
from app.services import catalog_specs

THROUGHPUT_FILE = "throughput.csv"
SWEEPS_FILE = "latency_sweeps_h100.csv"

#: Calibration-table names -> catalog slugs.
MODEL_SLUGS = {
    "Llama-3.1-8B": "llama-3.1-8b",
    "Llama-3.1-70B": "llama-3.1-70b",
    "Llama-3.1-405B": "llama-3.1-405b",
    "Llama-3.3-70B": "llama-3.3-70b",
    "Mistral-7B": "mistral-7b",
    "Mixtral-8x7B": "mixtral-8x7b",
    "Mixtral-8x22B": "mixtral-8x22b",
    "Qwen3-32B": "qwen3-32b",
}
GPU_SLUGS = {"H100-SXM-80GB": "h100-sxm-80gb", "A100-SXM4-80GB": "a100-sxm-80gb"}

#: Memory the calibration GPUs really have: "80GB" HBM parts carry 80 GiB (nvidia-smi reports
#: 81559 MiB on H100 SXM5 80GB and 81920 MiB on A100 SXM4 80GB). The model is checked against
#: the hardware the measurements ran on, whatever the catalog's rounding.
CALIBRATION_GPU_MEMORY_BYTES = {"h100-sxm-80gb": 81559 * 2**20, "a100-sxm-80gb": 81920 * 2**20}


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """One measured operating point. `concurrency` 0 is the offline max-throughput point."""

    dataset: str  # "throughput" or "sweeps"
    engine: Engine
    engine_version: str
    model: str
    gpu: str
    tp: int
    precision: Precision
    input_tokens: int
    output_tokens: int
    concurrency: int
    output_tokens_per_s: float
    ttft_s: float | None
    tpot_s: float | None
    source: str


def _precision(text: str) -> Precision:
    return Precision(text.split(" ")[0].lower())


def _read(name: str) -> list[dict[str, str]]:
    text = (files("app") / "calibration_data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def load_rows() -> tuple[CalibrationRow, ...]:
    """Offline rows of throughput.csv and every row of the sweeps (online rate rows left out)."""
    rows: list[CalibrationRow] = []
    for r in _read(THROUGHPUT_FILE):
        if r["scenario"] != "max_throughput":
            continue
        rows.append(
            CalibrationRow(
                "throughput", Engine.TRTLLM, "TensorRT-LLM perf-overview",
                MODEL_SLUGS[r["model"]], GPU_SLUGS[r["gpu"]], int(r["tp"]),
                _precision(r["precision"]), int(r["isl"]), int(r["osl"]), 0,
                float(r["output_tokens_per_s_total"]), None, None, r["source"],
            )
        )  # fmt: skip
    for r in _read(SWEEPS_FILE):
        engine_text = r["engine"]
        rows.append(
            CalibrationRow(
                "sweeps", Engine(engine_text.split(" ")[0]), engine_text,
                MODEL_SLUGS[r["model"]], GPU_SLUGS[r["gpu"]], int(r["tp"]),
                _precision(r["precision"]), int(r["isl"]), int(r["osl"]),
                int(r["scenario"].removeprefix("concurrency=")),
                float(r["output_tokens_per_s_total"]), float(r["ttft_ms"]) / 1e3,
                float(r["tpot_ms"]) / 1e3, r["source"],
            )
        )  # fmt: skip
    return tuple(rows)


def sources() -> dict[str, str]:
    """Calibration file -> its source (publisher and file at a commit)."""
    out = {}
    for name in (THROUGHPUT_FILE, SWEEPS_FILE):
        first = _read(name)[0]
        out[name] = f"{first['source']}: {first['source_ref']}"
    return out


@cache
def calibration_specs() -> tuple[dict[str, OpenModelSpec], dict[str, GpuSpec]]:
    """Catalog specs of the calibration models and GPUs, as the measured engines ran them."""
    models = {
        m.slug: m for m in map(catalog_specs.open_model_spec_from_row, seed_data.load_open_models())
    }
    gpus = {
        g.slug: dataclasses.replace(g, memory_bytes=float(CALIBRATION_GPU_MEMORY_BYTES[g.slug]))
        for g in map(catalog_specs.gpu_spec_from_row, seed_data.load_gpus())
        if g.slug in CALIBRATION_GPU_MEMORY_BYTES
    }
    # Mistral-7B-v0.1 declares a 4096-token sliding window, but TensorRT-LLM only uses it when
    # the engine is built with max_attention_window; the table's long-context rows match full
    # attention (Mistral-7B and Llama-3.1-8B have nearly equal 20000/2000 throughput).
    models["mistral-7b"] = dataclasses.replace(
        models["mistral-7b"],
        attention_kind=AttentionKind.GQA,
        sliding_window_tokens=0,
        num_sliding_window_layers=0,
    )
    return models, gpus


def make_batch(rows: Sequence[CalibrationRow]) -> ReplicaBatch:
    """One configuration per row, at the row's engine and load."""
    models, gpus = calibration_specs()
    model_list = sorted({r.model for r in rows})
    gpu_list = sorted({r.gpu for r in rows})
    return ReplicaBatch.build(
        [models[s] for s in model_list],
        [gpus[s] for s in gpu_list],
        model_index=[model_list.index(r.model) for r in rows],
        gpu_index=[gpu_list.index(r.gpu) for r in rows],
        tensor_parallel=[r.tp for r in rows],
        precision=[r.precision for r in rows],
        input_tokens=[r.input_tokens for r in rows],
        output_tokens=[r.output_tokens for r in rows],
        concurrency=[r.concurrency for r in rows],
        engine=[r.engine for r in rows],
    )


def metric_points(
    rows: Sequence[CalibrationRow], result: ReplicaBatchResult
) -> tuple[MetricPoints, ...]:
    """Measured vs predicted throughput (all rows), TTFT and TPOT (sweep rows)."""
    load = tuple(
        load_regime(r.concurrency, float(cap))
        for r, cap in zip(rows, result.max_concurrency, strict=True)
    )
    timed = np.asarray([r.ttft_s is not None for r in rows])

    def points(
        metric: str, measured: list[float], predicted: np.ndarray, mask: np.ndarray
    ) -> MetricPoints:
        pick = [i for i in range(len(rows)) if mask[i]]
        return MetricPoints(
            metric=metric,
            measured=np.asarray(measured, dtype=np.float64)[mask],
            predicted=predicted[mask],
            engine=tuple(rows[i].engine.value for i in pick),
            gpu=tuple(rows[i].gpu for i in pick),
            precision_class=tuple(precision_class(rows[i].precision) for i in pick),
            load=tuple(load[i] for i in pick),
            dataset=tuple(rows[i].dataset for i in pick),
        )

    everything = np.ones(len(rows), dtype=bool)
    return (
        points("output_tokens_per_s", [r.output_tokens_per_s for r in rows],
               result.output_tokens_per_s, everything),
        points("ttft_s", [r.ttft_s or 0.0 for r in rows], result.ttft_s, timed),
        points("tpot_s", [r.tpot_s or 0.0 for r in rows], result.tpot_s, timed),
    )  # fmt: skip


def evaluate_accuracy(
    rows: Sequence[CalibrationRow] | None = None,
    calibration: PerformanceCalibration = DEFAULT_CALIBRATION,
    bands: Mapping[str, tuple[float, float]] | None = None,
) -> AccuracyReport:
    """The model's accuracy on the calibration rows (at benchmark level: no derate).

    `bands` None: the committed bands (app/core/calibration.py), or bands fitted on these rows'
    residuals when `calibration` is not the committed one.
    """
    rows = load_rows() if rows is None else rows
    reference = [r.dataset == "throughput" for r in rows]
    result = evaluate_with_reference_build(make_batch(rows), reference, calibration)
    metrics = metric_points(rows, result)
    if bands is None:
        bands = (
            calibration_module.ERROR_BANDS
            if calibration is DEFAULT_CALIBRATION
            else fit_error_bands(metrics)
        )
    return accuracy_report(metrics, bands)


@dataclass(frozen=True, slots=True)
class AccuracyTarget:
    """A median-|error| target of issue 10 on one metric and load."""

    label: str
    metric: str
    group_by: str
    group: str
    target: float

    def achieved(self, report: AccuracyReport) -> float:
        """The report's median |error| for this target's group."""
        return report.group(self.metric, self.group_by, self.group).median_abs_error


#: The targets: max-throughput tokens/s on the offline rows, and TTFT, TPOT and throughput on
#: the load sweeps.
ACCURACY_TARGETS: tuple[AccuracyTarget, ...] = (
    AccuracyTarget(
        "max-throughput output tokens/s", "output_tokens_per_s", "load", "offline", 0.07
    ),
    AccuracyTarget("sweeps TTFT", "ttft_s", "all", "all", 0.20),
    AccuracyTarget("sweeps TPOT", "tpot_s", "all", "all", 0.10),
    AccuracyTarget("sweeps output tokens/s", "output_tokens_per_s", "dataset", "sweeps", 0.10),
)
