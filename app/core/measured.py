"""Answers from stored measurements: which points cover a configuration, and interpolation.

A stored point covers a request when engine, GPU, model, TP and precision are equal, its mean
lengths are within LENGTH_TOLERANCE of the request's, and its load is of the same kind
(closed-loop concurrency or open-loop rate). Between two measured loads the answer is linear
in the load; outside the measured range there is no measured answer (no extrapolation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from app.core.arrays import FloatArray

#: Relative difference of mean prompt and output lengths a stored point may have.
LENGTH_TOLERANCE = 0.10


def lengths_match(
    stored_input: int, stored_output: int, input_tokens: int, output_tokens: int
) -> bool:
    """Whether a stored point's lengths are within LENGTH_TOLERANCE of the request's."""
    return (
        abs(stored_input - input_tokens) <= LENGTH_TOLERANCE * input_tokens
        and abs(stored_output - output_tokens) <= LENGTH_TOLERANCE * output_tokens
    )


def interpolate(
    loads: Sequence[float], values: Mapping[str, Sequence[float | None]], load: float
) -> dict[str, float | None] | None:
    """Each metric at `load`, linear between the nearest measured loads; None if not covered.

    A metric missing at either neighbour is None in the answer.
    """
    if not loads:
        return None
    order = np.argsort(np.asarray(loads, dtype=np.float64))
    x = np.asarray(loads, dtype=np.float64)[order]
    if load < x[0] or load > x[-1]:
        return None
    upper = min(int(np.searchsorted(x, load, side="left")), len(x) - 1)
    lower = upper if x[upper] == load else upper - 1
    share = 0.0 if upper == lower else (load - x[lower]) / (x[upper] - x[lower])
    out: dict[str, float | None] = {}
    for name, column in values.items():
        ordered = [column[i] for i in order]
        low, high = ordered[lower], ordered[upper]
        out[name] = None if low is None or high is None else low + share * (high - low)
    return out


#: Stored points of one engine and GPU needed before the model is re-scaled to them.
MIN_REFIT_POINTS = 3


def refit_scales(
    measured: Mapping[str, Sequence[float | None]], predicted: Mapping[str, FloatArray]
) -> dict[str, float]:
    """Per metric, the median of measured / predicted over usable pairs (1.0 with too few).

    The simplest re-fit of the model to a user's deployment: one multiplicative correction
    per metric for an engine and GPU, robust to an odd point (median, not mean).
    """
    scales = {}
    for metric, values in measured.items():
        ratios = [
            float(value) / float(model)
            for value, model in zip(values, predicted[metric], strict=True)
            if value is not None and value > 0 and np.isfinite(model) and model > 0
        ]
        scales[metric] = float(np.median(ratios)) if len(ratios) >= MIN_REFIT_POINTS else 1.0
    return scales
