"""Accuracy of the performance model on its calibration data, against issue 10's targets.

Usage: python -m benchmarks.performance_accuracy [--by regime]

Prints median |error|, share within +-25%, bias and P10-P90 band coverage of output tokens/s,
TTFT and TPOT: overall, by dataset, by engine within each dataset and by load (and by engine,
GPU or regime on request), then the targets. The numbers come from
app.services.calibration_rows.evaluate_accuracy, the same code as
`GET /v1/performance/accuracy` and tests/core/test_performance_accuracy.py. Exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.services.calibration_rows import ACCURACY_TARGETS, evaluate_accuracy, sources


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--by", action="append", default=[], choices=["engine", "gpu", "regime"])
    args = parser.parse_args(argv)
    report = evaluate_accuracy()
    shown = {"all", "dataset", "dataset_engine", "load", *args.by}
    print(
        f"{'metric':20s}{'group':>34s}{'n':>5s}{'median':>8s}{'<=25%':>7s}{'bias':>8s}{'cover':>7s}"
    )
    for g in report.groups:
        if g.group_by in shown:
            print(
                f"{g.metric:20s}{g.group_by + '=' + g.group:>34s}{g.points:5d}"
                f"{g.median_abs_error:8.1%}{g.within_25_percent:7.0%}{g.mean_error:+8.1%}"
                f"{g.band_coverage:7.0%}"
            )
    print("\nTargets (median |error|):")
    ok = True
    for t in ACCURACY_TARGETS:
        achieved = t.achieved(report)
        met = achieved <= t.target
        ok &= met
        print(
            f"  {t.label:34s}{achieved:7.1%}  (target <= {t.target:.0%})  "
            + ("met" if met else "MISSED")
        )
    print("\nSources:")
    for name, source in sources().items():
        print(f"  {name}: {source}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
