"""Prometheus metrics beyond the per-route HTTP ones that prometheus-fastapi-instrumentator
records. Defined once per process; with several workers, prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, set by `serve`) merges them at scrape time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Gauge, Histogram

COMPUTE_SECONDS = Histogram(
    "estimator_compute_seconds",
    "Time spent computing, by kind: `estimate` (a whole estimate), `performance` (one replica).",
    ["kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CATALOG_VERSION = Gauge(
    "estimator_catalog_version",
    "Newest catalog version in the database, read at scrape time.",
    multiprocess_mode="max",
)


@contextmanager
def timed(kind: str) -> Iterator[None]:
    """Record the time the block takes in `estimator_compute_seconds{kind=...}`."""
    started = time.perf_counter()
    try:
        yield
    finally:
        COMPUTE_SECONDS.labels(kind=kind).observe(time.perf_counter() - started)
