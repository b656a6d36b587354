"""Fit the performance model's free parameters to benchmarks/calibration/throughput.csv.

Usage: python -m benchmarks.fit_performance [--write]

Least squares on log(predicted / measured) output tokens/s over the `max_throughput` rows, with a
handful of global, physically meaningful parameters (efficiencies, overheads, memory share); the
per-request overhead is then the median TTFT residual on the unsaturated `rate=X` rows. With
--write, the result is written to app/core/calibration.py (a generated module).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares  # type: ignore[import-untyped]

from app.core.memory import FloatArray
from app.core.performance import (
    PerformanceCalibration,
    ReplicaBatch,
    ReplicaBatchResult,
    evaluate_replicas,
)
from app.core.types import AttentionKind, GpuSpec, Interconnect, OpenModelSpec, Precision

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "calibration" / "throughput.csv"
CALIBRATION_MODULE = ROOT / "app" / "core" / "calibration.py"

#: Calibration-table names -> catalog slugs.
MODEL_SLUGS = {
    "Llama-3.1-8B": "llama-3.1-8b",
    "Llama-3.1-70B": "llama-3.1-70b",
    "Llama-3.1-405B": "llama-3.1-405b",
    "Llama-3.3-70B": "llama-3.3-70b",
    "Mistral-7B": "mistral-7b",
    "Mixtral-8x7B": "mixtral-8x7b",
    "Mixtral-8x22B": "mixtral-8x22b",
}
GPU_SLUGS = {"H100-SXM-80GB": "h100-sxm-80gb", "A100-SXM4-80GB": "a100-sxm-80gb"}
PRECISIONS = {"FP8": Precision.FP8, "FP16": Precision.FP16, "BF16": Precision.BF16}


def _dense(slug: str, params: float, layers: int, hidden: int, heads: int, inter: int, vocab: int,
           **kw: int) -> OpenModelSpec:  # fmt: skip
    kind = AttentionKind.SLIDING_WINDOW if kw.get("sliding_window_tokens") else AttentionKind.GQA
    return OpenModelSpec(
        slug=slug, total_params=params, active_params=kw.pop("active", 0) or params,
        num_layers=layers, hidden_size=hidden, num_attention_heads=heads, num_kv_heads=8,
        head_dim=hidden // heads, intermediate_size=inter, vocab_size=vocab,
        attention_kind=kind, max_context_tokens=kw.pop("ctx", 131072), **kw,
    )  # fmt: skip


#: Fallback specs, used only while app.catalog.seed_data does not exist yet. Sources: the
#: models' Hugging Face config.json files (meta-llama/Llama-3.1-8B and -70B, mistralai/
#: Mistral-7B-v0.1, Mixtral-8x7B-v0.1, Mixtral-8x22B-v0.1); parameter counts from the model cards.
FALLBACK_MODELS = {
    "llama-3.1-8b": _dense("llama-3.1-8b", 8.03e9, 32, 4096, 32, 14336, 128256),
    "llama-3.1-70b": _dense("llama-3.1-70b", 70.6e9, 80, 8192, 64, 28672, 128256),
    "mistral-7b": _dense("mistral-7b", 7.24e9, 32, 4096, 32, 14336, 32000, ctx=32768),
    "mixtral-8x7b": _dense("mixtral-8x7b", 46.7e9, 32, 4096, 32, 14336, 32000, active=int(12.9e9),
                           num_experts=8, num_experts_per_token=2, ctx=32768),
    "mixtral-8x22b": _dense("mixtral-8x22b", 140.6e9, 56, 6144, 48, 16384, 32000,
                            active=int(39.2e9), num_experts=8, num_experts_per_token=2, ctx=65536),
}  # fmt: skip
#: From app/catalog_data/gpus.csv (NVIDIA datasheets; per-direction NVLink bandwidth).
FALLBACK_GPUS = {
    "h100-sxm-80gb": GpuSpec("h100-sxm-80gb", 80e9, 3.35e12, 989e12, 1979e12, None, 1979e12,
                             450e9, Interconnect.NVLINK, 8, 700.0),
    "a100-sxm-80gb": GpuSpec("a100-sxm-80gb", 80e9, 2.039e12, 312e12, None, None, 624e12,
                             300e9, Interconnect.NVLINK, 8, 400.0),
}  # fmt: skip


def load_specs() -> tuple[dict[str, OpenModelSpec], dict[str, GpuSpec], str]:
    """Catalog specs by slug (from app.catalog.seed_data when present), and where they came from."""
    try:
        from app.catalog import seed_data
        from app.services import catalog_specs
    except ImportError:
        return dict(FALLBACK_MODELS), dict(FALLBACK_GPUS), "inline fallback specs"
    models = {
        m.slug: m for m in map(catalog_specs.open_model_spec_from_row, seed_data.load_open_models())
    }
    gpus = {g.slug: g for g in map(catalog_specs.gpu_spec_from_row, seed_data.load_gpus())}
    for slug, spec in FALLBACK_MODELS.items():
        models.setdefault(slug, spec)
    return models, gpus, "app.catalog.seed_data"


@dataclass(frozen=True)
class Row:
    model: str
    gpu: str
    tp: int
    precision: Precision
    input_tokens: int
    output_tokens: int
    scenario: str
    output_tokens_per_s: float
    ttft_s: float | None
    tpot_s: float | None
    rate_per_s: float | None  # offered request rate (None: max_throughput, inf: rate=inf)
    measured_requests_per_s: float | None


def load_rows(path: Path = DATA) -> list[Row]:
    """All rows of the calibration table."""
    rows = []
    with path.open(newline="") as f:
        for r in csv.DictReader(f):
            scenario = r["scenario"]
            rate = None
            if scenario.startswith("rate="):
                rate = float("inf") if scenario == "rate=inf" else float(scenario[5:])
            measured = re.search(r"measured req/s=([\d.]+)", r["notes"])
            rows.append(
                Row(
                    model=MODEL_SLUGS[r["model"]],
                    gpu=GPU_SLUGS[r["gpu"]],
                    tp=int(r["tp"]),
                    precision=PRECISIONS[r["precision"]],
                    input_tokens=int(r["isl"]),
                    output_tokens=int(r["osl"]),
                    scenario=scenario,
                    output_tokens_per_s=float(r["output_tokens_per_s_total"]),
                    ttft_s=float(r["ttft_ms"]) / 1e3 if r["ttft_ms"] else None,
                    tpot_s=float(r["tpot_ms"]) / 1e3 if r["tpot_ms"] else None,
                    rate_per_s=rate,
                    measured_requests_per_s=float(measured.group(1)) if measured else None,
                )
            )
    return rows


#: Memory the calibration GPUs really have: "80GB" HBM parts carry 80 GiB (nvidia-smi reports
#: 81559 MiB on H100 SXM5 80GB and 81920 MiB on A100 SXM4 80GB). The fit uses the hardware the
#: measurements ran on, whatever the catalog's rounding.
CALIBRATION_GPU_MEMORY_BYTES = {"h100-sxm-80gb": 81559 * 2**20, "a100-sxm-80gb": 81920 * 2**20}


def calibration_gpus(gpus: dict[str, GpuSpec]) -> dict[str, GpuSpec]:
    """GPU specs as the calibration hardware was (physical memory size)."""
    return {
        slug: dataclasses.replace(g, memory_bytes=CALIBRATION_GPU_MEMORY_BYTES[slug])
        if slug in CALIBRATION_GPU_MEMORY_BYTES
        else g
        for slug, g in gpus.items()
    }


def calibration_models(models: dict[str, OpenModelSpec]) -> dict[str, OpenModelSpec]:
    """Specs as the calibration engine ran them."""
    out = dict(models)
    # Mistral-7B-v0.1 declares a 4096-token sliding window, but TensorRT-LLM only uses it when
    # the engine is built with max_attention_window; the table's long-context rows match full
    # attention (Mistral-7B and Llama-3.1-8B have nearly equal 20000/2000 throughput).
    if "mistral-7b" in out:
        out["mistral-7b"] = dataclasses.replace(
            out["mistral-7b"],
            attention_kind=AttentionKind.GQA,
            sliding_window_tokens=0,
            num_sliding_window_layers=0,
        )
    return out


def make_batch(
    rows: Sequence[Row],
    models: dict[str, OpenModelSpec],
    gpus: dict[str, GpuSpec],
    concurrency: Sequence[int] | None = None,
) -> ReplicaBatch:
    """One configuration per row (at max throughput unless `concurrency` is given)."""
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
        concurrency=concurrency,
    )


#: Fitted fields, their start values and bounds (physically plausible ranges).
FIT_FIELDS: tuple[tuple[str, float, float, float], ...] = (
    ("compute_efficiency_16bit", 0.7, 0.2, 1.0),
    ("compute_efficiency_low_precision", 0.5, 0.2, 1.0),
    ("memory_bandwidth_efficiency", 0.8, 0.3, 1.0),
    ("step_overhead_s", 2e-3, 1e-5, 0.05),
    ("allreduce_latency_s", 2e-5, 1e-7, 5e-4),
    ("allreduce_bandwidth_efficiency", 0.7, 0.1, 1.0),
    ("kv_cache_memory_fraction", 0.9, 0.5, 0.98),
    ("moe_compute_efficiency", 0.8, 0.2, 1.0),
    ("request_overhead_s", 5e-3, 1e-4, 0.05),
)

#: Weight of each TTFT/TPOT residual relative to a throughput residual.
LATENCY_WEIGHT = 1.0
#: Concurrency levels searched when mapping an offered request rate to a concurrency.
RATE_LEVELS = 512


def with_params(
    base: PerformanceCalibration, x: Sequence[float] | FloatArray
) -> PerformanceCalibration:
    """`base` with the fitted fields replaced by `x`."""
    return dataclasses.replace(base, **{f[0]: float(v) for f, v in zip(FIT_FIELDS, x, strict=True)})


def predict(batch: ReplicaBatch, cal: PerformanceCalibration) -> ReplicaBatchResult:
    """Model results at the vendor's best case (no real-world derate)."""
    return evaluate_replicas(batch, cal, real_world_derate=1.0)


def rate_row_predictions(
    rows: Sequence[Row],
    models: dict[str, OpenModelSpec],
    gpus: dict[str, GpuSpec],
    cal: PerformanceCalibration,
) -> FloatArray:
    """(concurrency, TTFT s, TPOT s) per row at which the model serves the row's offered rate.

    The open-loop request rate is mapped to the closed-loop concurrency with the same request
    throughput (Little's law), interpolating the model's curve over concurrency levels.
    """
    levels = np.arange(1, RATE_LEVELS + 1)
    batch = make_batch(
        [r for r in rows for _ in levels], models, gpus, [int(c) for c in levels] * len(rows)
    )
    res = predict(batch, cal)
    out = np.empty((len(rows), 3))
    for i, row in enumerate(rows):
        part = slice(i * RATE_LEVELS, (i + 1) * RATE_LEVELS)
        held = res.concurrency[part] >= levels  # levels the engine can run at once
        rps = res.requests_per_s[part][held]
        rate = row.rate_per_s if row.rate_per_s is not None else np.inf
        c = float(np.interp(min(rate, float(rps[-1])), rps, levels[held]))
        out[i] = (
            c,
            np.interp(c, levels[held], res.ttft_s[part][held]),
            np.interp(c, levels[held], res.tpot_s[part][held]),
        )
    return out


def is_unsaturated(row: Row) -> bool:
    """A finite-rate row where the engine kept up (measured req/s within 10% of the offer)."""
    return (
        row.rate_per_s is not None
        and np.isfinite(row.rate_per_s)
        and row.measured_requests_per_s is not None
        and row.measured_requests_per_s >= 0.9 * row.rate_per_s
    )


def fit(
    rows: Sequence[Row],
    models: dict[str, OpenModelSpec],
    gpus: dict[str, GpuSpec],
    base: PerformanceCalibration,
) -> tuple[PerformanceCalibration, FloatArray]:
    """Least squares on log errors; returns the calibration and the throughput log errors.

    Residuals: output tokens/s of every max_throughput row, plus TTFT and TPOT of the
    unsaturated rate rows (weighted LATENCY_WEIGHT), which pin the fixed overheads at low batch.
    """
    offline = [r for r in rows if r.scenario == "max_throughput"]
    online = [r for r in rows if is_unsaturated(r)]
    batch = make_batch(offline, models, gpus)
    measured = np.asarray([r.output_tokens_per_s for r in offline])
    ttft = np.asarray([r.ttft_s for r in online], dtype=float)
    tpot = np.asarray([r.tpot_s for r in online], dtype=float)

    def throughput_errors(cal: PerformanceCalibration) -> FloatArray:
        pred = predict(batch, cal).output_tokens_per_s
        errors: FloatArray = np.log(np.maximum(pred, 1e-9) / measured)
        return errors

    def residuals(z: FloatArray) -> FloatArray:
        cal = with_params(base, np.exp(z))
        lat = rate_row_predictions(online, models, gpus, cal)
        return np.concatenate(
            [
                throughput_errors(cal),
                LATENCY_WEIGHT * np.log(lat[:, 1] / ttft),
                LATENCY_WEIGHT * np.log(lat[:, 2] / tpot),
            ]
        )

    x0 = np.asarray([f[1] for f in FIT_FIELDS])
    lo = np.asarray([f[2] for f in FIT_FIELDS])
    hi = np.asarray([f[3] for f in FIT_FIELDS])
    # Optimize log(parameters), so that latencies (1e-5 s) and efficiencies (0.5) are on an
    # equal footing; soft_l1 keeps a few odd rows from dominating.
    sol = least_squares(
        residuals, np.log(x0), bounds=(np.log(lo), np.log(hi)), loss="soft_l1", f_scale=0.1
    )
    cal = with_params(base, np.exp(sol.x))
    return cal, throughput_errors(cal)


def write_module(cal: PerformanceCalibration, summary: str) -> None:
    """Write app/core/calibration.py with the fitted values."""
    lines = [
        '"""Fitted constants of the performance model (generated; do not edit by hand).',
        "",
        "Generated by benchmarks/fit_performance.py --write from",
        "benchmarks/calibration/throughput.csv (NVIDIA TensorRT-LLM perf-overview: H100-SXM FP8",
        "and A100-SXM FP16 max_throughput rows, plus TTFT/TPOT of the unsaturated rate=X rows).",
        "Method and limits: docs/performance-model.md.",
        "",
        *textwrap.wrap(summary, 96),
        '"""',
        "",
    ]
    for field in dataclasses.fields(cal):
        lines.append(f"{field.name.upper()} = {getattr(cal, field.name)!r}")
    CALIBRATION_MODULE.write_text("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write app/core/calibration.py")
    args = parser.parse_args(argv)

    models, gpus, source = load_specs()
    models, gpus = calibration_models(models), calibration_gpus(gpus)
    rows = load_rows()
    offline = [r for r in rows if r.scenario == "max_throughput"]
    cal, log_err = fit(rows, models, gpus, PerformanceCalibration())

    rel = np.exp(log_err) - 1.0
    summary = (
        f"Fit on {len(offline)} max_throughput rows (specs: {source}): median |error| "
        f"{np.median(np.abs(rel)):.1%}, within +-25%: {np.mean(np.abs(rel) <= 0.25):.1%}, "
        f"RMS log error {np.sqrt(np.mean(log_err**2)):.3f}."
    )
    print(summary)
    for field in dataclasses.fields(cal):
        print(f"  {field.name:34s} {getattr(cal, field.name):.6g}")
    if args.write:
        write_module(cal, summary)
        print(f"wrote {CALIBRATION_MODULE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
