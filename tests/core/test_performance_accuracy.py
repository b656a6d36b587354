"""The performance model's accuracy on its calibration data stays within bounds (issue 10).

Same code as `python -m benchmarks.performance_accuracy` and GET /v1/performance/accuracy.
"""

from __future__ import annotations

import pytest

from app.core import calibration
from app.core.accuracy import AccuracyReport, fit_error_bands
from app.core.performance import PerformanceCalibration
from app.core.types import Engine
from app.services.calibration_rows import ACCURACY_TARGETS, evaluate_accuracy, load_rows


@pytest.fixture(scope="module")
def report() -> AccuracyReport:
    return evaluate_accuracy()


#: Issue 10's targets are 7%, 20%, 10% and 10%; the model reaches 5.6%, 14.9%, 4.8% and 4.7%
#: (fit of 2026-12-02, SGLang's prefill batches apart), and these bounds hold it there so that
#: it cannot get worse unnoticed.
BOUNDS = {
    "max-throughput output tokens/s": 0.06,
    "sweeps TTFT": 0.15,
    "sweeps TPOT": 0.05,
    "sweeps output tokens/s": 0.05,
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


#: Per engine and metric: TTFT, TPOT and output tokens/s on the sweeps. Reached (2026-12-02):
#: vLLM 15.8%, 2.0%, 1.9%; SGLang 8.1%, 3.4%, 3.5%; TensorRT-LLM 17.3%, 6.9%, 6.8%.
ENGINE_BOUNDS = {
    Engine.VLLM: (0.165, 0.025, 0.025),
    Engine.SGLANG: (0.09, 0.04, 0.04),
    Engine.TRTLLM: (0.18, 0.075, 0.075),
}


@pytest.mark.parametrize("engine", list(Engine))
@pytest.mark.parametrize("metric", ["ttft_s", "tpot_s", "output_tokens_per_s"])
def test_every_engine_is_within_bounds_on_the_sweeps(
    report: AccuracyReport, engine: Engine, metric: str
) -> None:
    bound = ENGINE_BOUNDS[engine][("ttft_s", "tpot_s", "output_tokens_per_s").index(metric)]
    group = f"sweeps|{engine.value}"
    assert report.group(metric, "dataset_engine", group).median_abs_error <= bound


def test_open_source_engines_do_not_outrun_the_reference_kernels() -> None:
    # vLLM's and SGLang's kernels are fitted relative to the TensorRT-LLM reference build; an
    # efficiency above 1 would mean the model misses something physical about the engine (as
    # SGLang's 1.18 did before its prefill batches were modelled apart from its decodes).
    for engine in (Engine.VLLM, Engine.SGLANG):
        assert PerformanceCalibration().engine(engine).kernel_efficiency <= 1.0


def test_error_bands_cover_about_80_percent(report: AccuracyReport) -> None:
    for metric in ("output_tokens_per_s", "ttft_s", "tpot_s"):
        assert 0.74 <= report.group(metric).band_coverage <= 0.86


def test_committed_bands_are_the_ones_the_committed_model_produces(report: AccuracyReport) -> None:
    # app/core/calibration.py is generated; a model change without re-running the fit shows here.
    fresh = fit_error_bands(report.metrics)
    assert fresh.keys() == calibration.ERROR_BANDS.keys()
    for key, (p10, p90) in fresh.items():
        assert calibration.ERROR_BANDS[key] == pytest.approx((p10, p90), abs=1e-4)
