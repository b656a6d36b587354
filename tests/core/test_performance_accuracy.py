"""The performance model's accuracy on its calibration data stays within bounds (issue 10).

Same code as `python -m benchmarks.performance_accuracy` and GET /v1/performance/accuracy.
"""

from __future__ import annotations

import pytest

from app.core import calibration
from app.core.accuracy import AccuracyReport, fit_error_bands
from app.core.types import Engine
from app.services.calibration_rows import ACCURACY_TARGETS, evaluate_accuracy, load_rows


@pytest.fixture(scope="module")
def report() -> AccuracyReport:
    return evaluate_accuracy()


#: Issue 10's targets are 7%, 20%, 10% and 10%; the model reaches 5.6%, 15.1%, 6.0% and 5.5%
#: (fit of 2026-12-02), and these bounds hold it there so that it cannot get worse unnoticed.
BOUNDS = {
    "max-throughput output tokens/s": 0.06,
    "sweeps TTFT": 0.155,
    "sweeps TPOT": 0.065,
    "sweeps output tokens/s": 0.06,
}


def test_calibration_data_is_complete() -> None:
    rows = load_rows()
    assert sum(r.dataset == "throughput" for r in rows) == 176
    assert sum(r.dataset == "sweeps" for r in rows) == 579
    assert {r.engine for r in rows if r.dataset == "sweeps"} == set(Engine)


@pytest.mark.parametrize("label", list(BOUNDS))
def test_median_error_stays_within_bounds(report: AccuracyReport, label: str) -> None:
    target = next(t for t in ACCURACY_TARGETS if t.label == label)
    assert target.achieved(report) <= BOUNDS[label]


@pytest.mark.parametrize("engine", [e.value for e in Engine])
@pytest.mark.parametrize(
    ("metric", "bound"), [("ttft_s", 0.18), ("tpot_s", 0.11), ("output_tokens_per_s", 0.09)]
)
def test_every_engine_is_within_bounds_on_the_sweeps(
    report: AccuracyReport, engine: str, metric: str, bound: float
) -> None:
    # TTFT meets the 20% target per engine (vLLM 15.8%, SGLang 9.9%, TensorRT-LLM 17.3%);
    # throughput meets 10% on every engine (1.9%, 8.2%, 6.8%: held at 9%) and TPOT on vLLM
    # (2.0%) and TensorRT-LLM (6.9%); SGLang's TPOT sits at 10.02% (held at 11%).
    assert report.group(metric, "dataset_engine", f"sweeps|{engine}").median_abs_error <= bound


def test_error_bands_cover_about_80_percent(report: AccuracyReport) -> None:
    for metric in ("output_tokens_per_s", "ttft_s", "tpot_s"):
        assert 0.74 <= report.group(metric).band_coverage <= 0.86


def test_committed_bands_are_the_ones_the_committed_model_produces(report: AccuracyReport) -> None:
    # app/core/calibration.py is generated; a model change without re-running the fit shows here.
    fresh = fit_error_bands(report.metrics)
    assert fresh.keys() == calibration.ERROR_BANDS.keys()
    for key, (p10, p90) in fresh.items():
        assert calibration.ERROR_BANDS[key] == pytest.approx((p10, p90), abs=1e-4)
