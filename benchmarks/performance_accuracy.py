"""Accuracy of the performance model on the calibration table, against the issue's targets.

Usage: python -m benchmarks.performance_accuracy [--quiet]

Prints one line per max_throughput row (measured vs predicted output tokens/s), the TTFT/TPOT
comparison on the online `rate=X` rows, and the summary. Exits 1 if a target is missed:
median |error| <= 10% and >= 90% of rows within +-25% on max-throughput output tokens/s.
Predictions use the committed calibration (app/core/calibration.py) and no real-world derate.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from app.core.performance import BOUNDS, DEFAULT_CALIBRATION
from benchmarks.fit_performance import (
    calibration_gpus,
    calibration_models,
    is_unsaturated,
    load_rows,
    load_specs,
    make_batch,
    predict,
    rate_row_predictions,
)

MEDIAN_TARGET = 0.10
WITHIN_25_TARGET = 0.90


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    args = parser.parse_args(argv)

    models, gpus, source = load_specs()
    models, gpus = calibration_models(models), calibration_gpus(gpus)
    rows = load_rows()
    offline = [r for r in rows if r.scenario == "max_throughput"]
    result = predict(make_batch(offline, models, gpus), DEFAULT_CALIBRATION)
    measured = np.asarray([r.output_tokens_per_s for r in offline])
    rel = result.output_tokens_per_s / measured - 1.0

    if not args.quiet:
        print(f"specs: {source}\n")
        print(f"{'model':15s}{'gpu':15s}{'tp':>3s} {'prec':5s}{'isl':>6s}{'osl':>6s}"
              f"{'measured':>10s}{'predicted':>10s}{'error':>8s}{'conc':>6s}  bound")  # fmt: skip
        for i, r in enumerate(offline):
            print(
                f"{r.model:15s}{r.gpu:15s}{r.tp:3d} {r.precision.value:5s}{r.input_tokens:6d}"
                f"{r.output_tokens:6d}{r.output_tokens_per_s:10.0f}"
                f"{result.output_tokens_per_s[i]:10.0f}{rel[i]:+8.1%}"
                f"{result.concurrency[i]:6.0f}  {BOUNDS[int(result.bound[i])]}"
            )

    online = [r for r in rows if r.rate_per_s is not None]
    lat = rate_row_predictions(online, models, gpus, DEFAULT_CALIBRATION)
    ttft_err, tpot_err = [], []
    if not args.quiet:
        print("\nOnline rows (rate=X: open-loop rate mapped to concurrency by Little's law)")
        print(f"{'model':15s}{'isl':>5s}{'osl':>5s} {'scenario':9s}{'conc':>7s}"
              f"{'TTFT ms meas/pred':>20s}{'TPOT ms meas/pred':>20s}  note")  # fmt: skip
    for r, (c, ttft, tpot) in zip(online, lat, strict=True):
        ok = is_unsaturated(r)
        if ok and r.ttft_s and r.tpot_s:
            ttft_err.append(ttft / r.ttft_s - 1.0)
            tpot_err.append(tpot / r.tpot_s - 1.0)
        if not args.quiet:
            note = "" if ok else "saturated (measured req/s < 0.9 x rate): excluded"
            print(
                f"{r.model:15s}{r.input_tokens:5d}{r.output_tokens:5d} {r.scenario:9s}{c:7.1f}"
                f"{(r.ttft_s or 0) * 1e3:10.0f}/{ttft * 1e3:<9.0f}"
                f"{(r.tpot_s or 0) * 1e3:10.0f}/{tpot * 1e3:<9.1f}  {note}"
            )

    median = float(np.median(np.abs(rel)))
    within = float(np.mean(np.abs(rel) <= 0.25))
    print(f"\nSummary (max_throughput output tokens/s, {len(offline)} rows):")
    print(f"  median |error|        {median:6.1%}   (target <= {MEDIAN_TARGET:.0%})")
    print(f"  within +-25%          {within:6.1%}   (target >= {WITHIN_25_TARGET:.0%})")
    print(f"  mean error (bias)     {float(np.mean(rel)):+6.1%}")
    print(f"  worst                 {float(rel[np.argmax(np.abs(rel))]):+6.1%}")
    if ttft_err:
        t, p = np.abs(ttft_err), np.abs(tpot_err)
        print(f"Online rows kept: {len(ttft_err)} of {len(online)}")
        print(
            f"  TTFT median |error|   {np.median(t):6.1%}   (mean error {np.mean(ttft_err):+.1%})"
        )
        print(
            f"  TPOT median |error|   {np.median(p):6.1%}   (mean error {np.mean(tpot_err):+.1%})"
        )
    ok = median <= MEDIAN_TARGET and within >= WITHIN_25_TARGET
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
