"""Fit the performance model's free parameters to the calibration data (app/calibration_data/).

Usage: python -m benchmarks.fit_performance [--write] [--engine ENGINE] [--cross-validate]

Residuals: log(predicted / measured) of output tokens/s on the offline max-throughput rows of
throughput.csv (TensorRT-LLM), and of TTFT and TPOT on every point of the H100 load sweeps
(vLLM, SGLang, TensorRT-LLM; their throughput is derived from TTFT and TPOT, so it follows).
Shared physical efficiencies plus one EngineCalibration per engine, fitted together with
scipy's least_squares (soft-L1 loss, log-parameter space, physical bounds). With --write, the
result and the error bands (P10/P90 of measured/predicted by regime) go to
app/core/calibration.py, a generated module.

With --engine, only that engine's constants are refitted; the shared efficiencies and the other
engines keep their committed values. A change to one engine's physics then moves only that
engine's predictions: the joint fit has a nearly flat valley (the shared memory-bandwidth
efficiency against each engine's kernel efficiency) along which a full refit shifts the other
engines' medians by a few tenths of a point without any change in their physics.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares  # type: ignore[import-untyped]

from app.core.accuracy import fit_error_bands, summary_line
from app.core.arrays import FloatArray
from app.core.engines import ENGINES, EngineCalibration
from app.core.performance import PerformanceCalibration, evaluate_with_reference_build
from app.core.types import Engine
from app.services.calibration_rows import (
    ACCURACY_TARGETS,
    CalibrationRow,
    evaluate_accuracy,
    load_rows,
    make_batch,
)

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION_MODULE = ROOT / "app" / "core" / "calibration.py"

#: Shared fields: start value and bounds (physically plausible ranges).
GLOBAL_FIELDS: tuple[tuple[str, float, float, float], ...] = (
    ("compute_efficiency_16bit", 0.7, 0.2, 1.0),
    ("compute_efficiency_low_precision", 0.6, 0.2, 1.0),
    ("memory_bandwidth_efficiency", 0.8, 0.3, 0.9),
    ("allreduce_latency_s", 3e-5, 1e-7, 5e-4),
    ("allreduce_bandwidth_efficiency", 0.45, 0.1, 1.0),
    ("moe_compute_efficiency", 0.65, 0.2, 1.0),
    ("attention_compute_efficiency", 0.5, 0.1, 1.0),
    ("kv_read_bandwidth_efficiency", 0.7, 0.2, 1.0),
    ("kernel_launch_s", 2e-6, 1e-8, 2e-5),
)
#: Per-engine fields (EngineCalibration order): start value and bounds.
ENGINE_FIELDS: tuple[tuple[str, float, float, float], ...] = (
    ("kernel_efficiency", 0.9, 0.3, 1.2),
    ("step_overhead_s", 2e-3, 1e-5, 0.05),
    ("step_overhead_per_sequence_s", 2e-5, 1e-8, 1e-3),
    ("request_overhead_s", 0.01, 1e-4, 0.2),
    ("kv_cache_memory_fraction", 0.85, 0.4, 0.98),
    ("prefill_wait_steps_per_request", 0.1, 1e-4, 3.0),
    ("prefill_wait_prompts_per_request", 0.4, 1e-4, 3.0),
    # Bounded so that the engine's FP8 GEMMs stay below the GPU's peak with the shared efficiency.
    ("low_precision_efficiency", 1.0, 0.5, 1.5),
    ("prefill_cluster_requests", 8.0, 1.0, 1024.0),
)
#: Weight of an offline max-throughput residual relative to a TTFT or TPOT residual: there are
#: 176 offline rows against 2 x 579 sweep residuals, and the max-throughput figure is what
#: sizing a fleet depends on most.
OFFLINE_WEIGHT = 3.0
#: Scale of the soft-L1 loss: log errors beyond ~30% count linearly, not quadratically.
F_SCALE = 0.3
#: KV-cache memory fractions tried per engine after the gradient fit.
KV_FRACTION_GRID = tuple(float(f) for f in np.round(np.arange(0.50, 0.981, 0.005), 3))
#: Engines without low-precision rows in the calibration data keep low_precision_efficiency 1.
NO_LOW_PRECISION_DATA = frozenset({Engine.SGLANG})
KERNEL_FIELD = 0
KV_FRACTION_FIELD = 4
LOW_PRECISION_FIELD = 7
#: The reference build (TensorRT-LLM 0.17 engines, throughput.csv) defines the shared
#: efficiencies (kernel and low-precision efficiency 1); offline rows see only its step costs
#: and KV share, so its scheduling fields keep their start values.
REFERENCE_FREE_FIELDS = (1, 2, KV_FRACTION_FIELD)


def _free_engine_fields(engine: Engine) -> list[int]:
    skip = {LOW_PRECISION_FIELD} if engine in NO_LOW_PRECISION_DATA else set()
    return [i for i in range(len(ENGINE_FIELDS)) if i not in skip]


def _start_params() -> list[float]:
    return [f[1] for f in ENGINE_FIELDS]


def unpack(x: FloatArray) -> PerformanceCalibration:
    """Calibration from the parameter vector (values, not logs)."""
    values = iter(x.tolist())
    shared = {f[0]: next(values) for f in GLOBAL_FIELDS}
    engines = []
    for engine in ENGINES:
        params = _start_params()
        params[LOW_PRECISION_FIELD] = 1.0
        for i in _free_engine_fields(engine):
            params[i] = next(values)
        engines.append(EngineCalibration(*params))
    reference = _start_params()
    reference[KERNEL_FIELD] = reference[LOW_PRECISION_FIELD] = 1.0
    for i in REFERENCE_FREE_FIELDS:
        reference[i] = next(values)
    return PerformanceCalibration(
        **shared, engines=tuple(engines), reference_build=EngineCalibration(*reference)
    )


def _bounds() -> tuple[FloatArray, FloatArray, FloatArray]:
    fields = list(GLOBAL_FIELDS)
    for engine in ENGINES:
        fields += [ENGINE_FIELDS[i] for i in _free_engine_fields(engine)]
    fields += [ENGINE_FIELDS[i] for i in REFERENCE_FREE_FIELDS]
    return tuple(np.asarray([f[k] for f in fields]) for k in (1, 2, 3))  # type: ignore[return-value]


def residuals(rows: Sequence[CalibrationRow], cal: PerformanceCalibration) -> FloatArray:
    """Log errors: throughput of offline rows, TTFT and TPOT of sweep rows."""
    offline = np.asarray([r.concurrency == 0 for r in rows])
    result = evaluate_with_reference_build(make_batch(rows), offline, cal)
    measured = np.asarray([r.output_tokens_per_s for r in rows])
    ttft = np.asarray([r.ttft_s or np.nan for r in rows])
    tpot = np.asarray([r.tpot_s or np.nan for r in rows])
    floor = 1e-9
    out: FloatArray = np.concatenate(
        [
            OFFLINE_WEIGHT
            * np.log(np.maximum(result.output_tokens_per_s[offline], floor) / measured[offline]),
            np.log(np.minimum(result.ttft_s[~offline], 1e6) / ttft[~offline]),
            np.log(np.minimum(result.tpot_s[~offline], 1e6) / tpot[~offline]),
        ]
    )
    return out


def fit(rows: Sequence[CalibrationRow]) -> PerformanceCalibration:
    """Least squares on log errors over all calibration rows."""
    x0, lo, hi = _bounds()
    start = x0

    def fun(z: FloatArray) -> FloatArray:
        return residuals(rows, unpack(np.exp(z)))

    sol = least_squares(
        fun, np.log(start), bounds=(np.log(lo), np.log(hi)), loss="soft_l1", f_scale=F_SCALE,
        max_nfev=400, diff_step=1e-2, x_scale="jac", xtol=1e-10, ftol=1e-10,
    )  # fmt: skip
    print(f"least_squares: {sol.message} ({sol.nfev} evaluations, cost {sol.cost:.3f})")
    return polish_kv_fractions(rows, unpack(np.exp(sol.x)))


def fit_engine(rows: Sequence[CalibrationRow], engine: Engine) -> PerformanceCalibration:
    """Least squares on the same residuals over `engine`'s constants only (staged fit)."""
    _, lo, hi = _bounds()
    current = np.clip(np.asarray(current_vector()), lo, hi)
    start = len(GLOBAL_FIELDS)
    for other in ENGINES[: ENGINES.index(engine)]:
        start += len(_free_engine_fields(other))
    free = np.arange(start, start + len(_free_engine_fields(engine)))

    def vector(z: FloatArray) -> FloatArray:
        x = current.copy()
        x[free] = np.exp(z)
        return x

    sol = least_squares(
        lambda z: residuals(rows, unpack(vector(z))), np.log(current[free]),
        bounds=(np.log(lo[free]), np.log(hi[free])), loss="soft_l1", f_scale=F_SCALE,
        max_nfev=400, diff_step=1e-2, x_scale="jac", xtol=1e-10, ftol=1e-10,
    )  # fmt: skip
    print(f"least_squares ({engine.value} only): {sol.message} ({sol.nfev} evaluations)")
    cal = unpack(vector(sol.x))
    index = ENGINES.index(engine)
    best = (robust_cost(rows, cal), cal)
    for fraction in KV_FRACTION_GRID:
        trial = _with_kv_fraction(cal, index, fraction)
        cost = robust_cost(rows, trial)
        if cost < best[0]:
            best = (cost, trial)
    return best[1]


def robust_cost(rows: Sequence[CalibrationRow], cal: PerformanceCalibration) -> float:
    """The fit's soft-L1 cost."""
    z = (residuals(rows, cal) / F_SCALE) ** 2
    return float(np.sum(2.0 * (np.sqrt(1.0 + z) - 1.0)))


def polish_kv_fractions(
    rows: Sequence[CalibrationRow], cal: PerformanceCalibration
) -> PerformanceCalibration:
    """Grid search of each engine's KV-cache memory fraction.

    Admission limits are whole sequences (a floor), so the cost is piecewise constant in the
    fraction and finite-difference gradients do not see it; a grid does.
    """
    for index in range(len(ENGINES) + 1):
        best = (robust_cost(rows, cal), cal)
        for fraction in KV_FRACTION_GRID:
            trial = _with_kv_fraction(cal, index, fraction)
            cost = robust_cost(rows, trial)
            if cost < best[0]:
                best = (cost, trial)
        cal = best[1]
    return cal


def _with_kv_fraction(
    cal: PerformanceCalibration, index: int, fraction: float
) -> PerformanceCalibration:
    """`cal` with engine `index`'s KV share set (index len(ENGINES): the reference build)."""
    if index == len(ENGINES):
        build = dataclasses.replace(cal.reference_build, kv_cache_memory_fraction=fraction)
        return dataclasses.replace(cal, reference_build=build)
    engines = list(cal.engines)
    engines[index] = dataclasses.replace(engines[index], kv_cache_memory_fraction=fraction)
    return dataclasses.replace(cal, engines=tuple(engines))


def current_vector() -> list[float]:
    """The committed calibration as a parameter vector (the fit's starting point)."""
    cal = PerformanceCalibration()
    values = [getattr(cal, f[0]) for f in GLOBAL_FIELDS]
    for engine in ENGINES:
        params = dataclasses.astuple(cal.engine(engine))
        values += [params[i] for i in _free_engine_fields(engine)]
    values += [dataclasses.astuple(cal.reference_build)[i] for i in REFERENCE_FREE_FIELDS]
    return values


def write_module(
    cal: PerformanceCalibration,
    bands: dict[str, tuple[float, float]],
    summary: str,
    engine: Engine | None = None,
) -> None:
    """Write app/core/calibration.py with the fitted values and error bands."""
    lines = [
        '"""Fitted constants of the performance model (generated; do not edit by hand).',
        "",
        "Generated by `python -m benchmarks.fit_performance --write` from app/calibration_data/",
        "(throughput.csv: NVIDIA TensorRT-LLM 0.17 perf-overview max-throughput rows, the",
        "reference build; latency_sweeps_h100.csv: NVIDIA AIConfigurator H100 silicon samples,",
        "vLLM/SGLang/TensorRT-LLM 1.0 concurrency sweeps). Method: docs/performance-model.md.",
        *(
            [f"Last run: `--engine {engine.value}` (only its constants refitted; the rest kept)."]
            if engine
            else []
        ),
        "",
        *textwrap.wrap(summary, 96),
        '"""',
        "",
    ]
    for name, *_ in GLOBAL_FIELDS:
        lines.append(f"{name.upper()} = {getattr(cal, name)!r}")
    lines += [
        "#: Per engine, in app.core.engines.EngineCalibration field order.",
        "ENGINE_PARAMETERS = {",
    ]
    for engine in ENGINES:
        lines.append(f'    "{engine.value}": (')
        lines += [f"        {value!r}," for value in dataclasses.astuple(cal.engine(engine))]
        lines.append("    ),")
    lines += [
        "}",
        "#: TensorRT-LLM 0.17 compiled engines under trtllm-bench (throughput.csv), same order.",
        "REFERENCE_BUILD_PARAMETERS = (",
        *(f"    {value!r}," for value in dataclasses.astuple(cal.reference_build)),
        ")",
        "#: Regime -> (P10, P90) of measured / predicted on the calibration rows of that regime.",
        "ERROR_BANDS = {",
    ]
    for key, (p10, p90) in sorted(bands.items()):
        lines.append(f'    "{key}": ({p10:.4f}, {p90:.4f}),')
    lines.append("}")
    CALIBRATION_MODULE.write_text("\n".join(lines) + "\n")


def cross_validate(rows: Sequence[CalibrationRow]) -> None:
    """Held-out check: refit without each model's max-throughput rows, predict them.

    The offline target's rows come from five models; each is left out of the fit in turn (the
    sweeps stay in), and its rows are predicted by the model fitted on the others. Prints the
    held-out median |error| per model and over all held-out rows, next to the in-sample one.
    """
    held_out: list[float] = []
    in_sample: list[float] = []
    for model in sorted({r.model for r in rows if r.dataset == "throughput"}):
        test = [r for r in rows if r.dataset == "throughput" and r.model == model]
        train = [r for r in rows if r not in test]
        cal = fit(train)
        errors = evaluate_accuracy(test, cal, {}).metrics[0].relative_error
        held_out += list(np.abs(errors))
        full = evaluate_accuracy(test, PerformanceCalibration(), {}).metrics[0].relative_error
        in_sample += list(np.abs(full))
        print(
            f"  held out {model:16s} n={len(test):3d} median |error| "
            f"{np.median(np.abs(errors)):6.1%} (in sample {np.median(np.abs(full)):6.1%})"
        )
    print(
        f"max-throughput rows, held out by model: median |error| {np.median(held_out):.1%} "
        f"(in sample {np.median(in_sample):.1%})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write app/core/calibration.py")
    parser.add_argument(
        "--cross-validate", action="store_true", help="held-out check: leave one model out"
    )
    parser.add_argument(
        "--engine", choices=[e.value for e in ENGINES], help="refit only this engine's constants"
    )
    args = parser.parse_args(argv)
    rows = load_rows()
    if args.cross_validate:
        cross_validate(rows)
        return 0
    cal = fit_engine(rows, Engine(args.engine)) if args.engine else fit(rows)
    bands = fit_error_bands(evaluate_accuracy(rows, cal).metrics)
    report = evaluate_accuracy(rows, cal, bands)
    summary = summary_line(report)
    print(summary)
    for target in ACCURACY_TARGETS:
        print(f"  {target.label:34s} {target.achieved(report):6.1%} (target {target.target:.0%})")
    for name, *_ in GLOBAL_FIELDS:
        print(f"  {name:34s} {getattr(cal, name):.6g}")
    for engine in ENGINES:
        print(f"  {engine.value:8s} {cal.engine(engine)}")
    print(f"  reference build {cal.reference_build}")
    if args.write:
        write_module(cal, bands, summary, Engine(args.engine) if args.engine else None)
        print(f"wrote {CALIBRATION_MODULE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
