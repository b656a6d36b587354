"""Accuracy of the performance model against measurements, and error bands by regime.

Pure: it takes measured and predicted values with their labels (engine, GPU, precision class,
load regime) and returns error statistics by group, P10/P90 bands of measured/predicted by
regime, and the share of points inside their band (coverage). The accuracy benchmark, the CI
test and `GET /v1/performance/accuracy` all call `accuracy_report`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.core.arrays import FloatArray

METRICS: tuple[str, ...] = ("output_tokens_per_s", "ttft_s", "tpot_s")

#: Load regimes: offline (max throughput), closed-loop sweeps below the KV admission limit,
#: and sweeps with more requests offered than admitted (they queue).
LOAD_REGIMES: tuple[str, ...] = ("offline", "unqueued", "queued")

#: A band is fitted on at least this many residuals; smaller regimes fall back to coarser ones.
MIN_BAND_POINTS = 8
BAND_QUANTILES = (0.10, 0.90)
WILDCARD = "*"


def regime_key(metric: str, engine: str, precision_class: str, load: str) -> str:
    """Key of one regime's error band, e.g. `ttft_s|vllm|16bit|queued`."""
    return f"{metric}|{engine}|{precision_class}|{load}"


def band_keys(metric: str, engine: str, precision_class: str, load: str) -> tuple[str, ...]:
    """Band keys to try, most specific first (the last always exists when any band does)."""
    return (
        regime_key(metric, engine, precision_class, load),
        regime_key(metric, engine, WILDCARD, load),
        regime_key(metric, engine, WILDCARD, WILDCARD),
        regime_key(metric, WILDCARD, WILDCARD, load),
        regime_key(metric, WILDCARD, WILDCARD, WILDCARD),
    )


def lookup_band(
    bands: Mapping[str, tuple[float, float]],
    metric: str,
    engine: str,
    precision_class: str,
    load: str,
) -> tuple[str, tuple[float, float]]:
    """The most specific band that exists for this regime, and its key."""
    for key in band_keys(metric, engine, precision_class, load):
        if key in bands:
            return key, bands[key]
    return regime_key(metric, WILDCARD, WILDCARD, WILDCARD), (1.0, 1.0)


@dataclass(frozen=True, slots=True)
class MetricPoints:
    """Measured and predicted values of one metric, one entry per calibration point."""

    metric: str
    measured: FloatArray
    predicted: FloatArray
    engine: tuple[str, ...]
    gpu: tuple[str, ...]
    precision_class: tuple[str, ...]
    load: tuple[str, ...]
    dataset: tuple[str, ...] = ()

    @property
    def relative_error(self) -> FloatArray:
        """predicted / measured - 1."""
        result: FloatArray = self.predicted / self.measured - 1.0
        return result


@dataclass(frozen=True, slots=True)
class GroupAccuracy:
    """Error statistics of one metric over one group of points."""

    metric: str
    group_by: str  # "all", "dataset", "dataset_engine", "load", "engine", "gpu", "regime"
    group: str
    points: int
    median_abs_error: float
    within_25_percent: float
    mean_error: float
    band_coverage: float  # share of points inside their P10-P90 band


@dataclass(frozen=True, slots=True)
class AccuracyReport:
    metrics: tuple[MetricPoints, ...]
    groups: tuple[GroupAccuracy, ...]

    def group(self, metric: str, group_by: str = "all", group: str = "all") -> GroupAccuracy:
        """Statistics of one group (KeyError when absent)."""
        for g in self.groups:
            if (g.metric, g.group_by, g.group) == (metric, group_by, group):
                return g
        raise KeyError((metric, group_by, group))


def fit_error_bands(metrics: Sequence[MetricPoints]) -> dict[str, tuple[float, float]]:
    """P10 and P90 of measured / predicted for every regime with enough points."""
    bands: dict[str, tuple[float, float]] = {}
    for m in metrics:
        ratio = m.measured / m.predicted
        keys = [
            band_keys(m.metric, e, p, load)
            for e, p, load in zip(m.engine, m.precision_class, m.load, strict=True)
        ]
        for level in range(len(keys[0]) if keys else 0):
            labels = np.asarray([k[level] for k in keys])
            for key in np.unique(labels):
                selected = ratio[(labels == key) & np.isfinite(ratio)]
                if selected.size >= MIN_BAND_POINTS:
                    p10, p90 = np.quantile(selected, BAND_QUANTILES)
                    bands[str(key)] = (float(p10), float(p90))
    return bands


def _coverage(m: MetricPoints, bands: Mapping[str, tuple[float, float]]) -> np.ndarray:
    inside = np.zeros(m.measured.shape, dtype=bool)
    for i, (e, p, load) in enumerate(zip(m.engine, m.precision_class, m.load, strict=True)):
        _, (low, high) = lookup_band(bands, m.metric, e, p, load)
        inside[i] = low * m.predicted[i] <= m.measured[i] <= high * m.predicted[i]
    return inside


def _stats(
    metric: str, group_by: str, group: str, error: FloatArray, inside: np.ndarray
) -> GroupAccuracy:
    return GroupAccuracy(
        metric=metric,
        group_by=group_by,
        group=group,
        points=int(error.size),
        median_abs_error=float(np.median(np.abs(error))),
        within_25_percent=float(np.mean(np.abs(error) <= 0.25)),
        mean_error=float(np.mean(error)),
        band_coverage=float(np.mean(inside)),
    )


def accuracy_report(
    metrics: Sequence[MetricPoints], bands: Mapping[str, tuple[float, float]]
) -> AccuracyReport:
    """Error statistics of every metric: overall, by engine, by GPU and by regime."""
    groups: list[GroupAccuracy] = []
    for m in metrics:
        if m.measured.size == 0:
            continue
        error = m.relative_error
        inside = _coverage(m, bands)
        groups.append(_stats(m.metric, "all", "all", error, inside))
        regime = tuple(
            f"{e}|{p}|{load}"
            for e, p, load in zip(m.engine, m.precision_class, m.load, strict=True)
        )
        datasets = m.dataset or ("all",) * len(m.load)
        dataset_engine = tuple(f"{d}|{e}" for d, e in zip(datasets, m.engine, strict=True))
        for group_by, labels in (
            ("dataset", datasets),
            ("dataset_engine", dataset_engine),
            ("load", m.load),
            ("engine", m.engine),
            ("gpu", m.gpu),
            ("regime", regime),
        ):
            array = np.asarray(labels)
            for value in sorted(set(labels)):
                mask = array == value
                groups.append(_stats(m.metric, group_by, value, error[mask], inside[mask]))
    return AccuracyReport(metrics=tuple(metrics), groups=tuple(groups))


def summary_line(report: AccuracyReport) -> str:
    """One line: median |error| of every metric overall and the band coverage."""
    parts = [
        f"{g.metric} median |error| {g.median_abs_error:.1%} (n={g.points}, "
        f"P10-P90 coverage {g.band_coverage:.0%})"
        for g in report.groups
        if g.group_by == "all"
    ]
    return "; ".join(parts) + "."


@dataclass(frozen=True, slots=True)
class ErrorBand:
    """P10-P90 range of one predicted value, from the residuals of its regime."""

    metric: str
    band_regime: str  # the band key used (may be coarser than the prediction's regime)
    p10: float
    p90: float


def prediction_bands(
    bands: Mapping[str, tuple[float, float]],
    predicted: Mapping[str, float],
    engine: str,
    precision_class: str,
    load: str,
) -> tuple[ErrorBand, ...]:
    """P10-P90 band of every predicted metric: prediction x (P10, P90) of measured/predicted."""
    out = []
    for metric, value in predicted.items():
        key, (low, high) = lookup_band(bands, metric, engine, precision_class, load)
        out.append(ErrorBand(metric, key, value * low, value * high))
    return tuple(out)
