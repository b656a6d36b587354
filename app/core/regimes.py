"""Regimes the model's error bands are fitted in: engine, precision class and load."""

from __future__ import annotations

from app.core.types import Precision

LOW_PRECISIONS = frozenset({Precision.FP8, Precision.INT8, Precision.FP4, Precision.INT4})


def precision_class(precision: Precision) -> str:
    """`16bit` or `low_precision` (8- and 4-bit weights)."""
    return "low_precision" if precision in LOW_PRECISIONS else "16bit"


def load_regime(offered_concurrency: float, max_concurrency: float, open_loop: bool = False) -> str:
    """`offline` (max throughput), `unqueued` or `queued` (more offered than admitted)."""
    if offered_concurrency <= 0 and not open_loop:
        return "offline"
    return "queued" if offered_concurrency > max_concurrency else "unqueued"
