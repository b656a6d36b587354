"""Stored benchmarks: import tool result files, and answer from measurements where they cover."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.catalog.benchmark_import import IMPORTERS
from app.core.measured import MIN_REFIT_POINTS, interpolate, lengths_match, refit_scales
from app.core.performance import ReplicaBatch, evaluate_replicas
from app.core.types import Engine, GpuSpec, OpenModelSpec, Precision
from app.db.orm import Benchmark
from app.schemas.benchmarks import BenchmarkCreate, BenchmarkImport
from app.services import catalog as catalog_service
from app.services import catalog_cache
from app.services.catalog_resources import BENCHMARKS, OPEN_MODELS
from app.services.catalog_specs import open_model_spec_from_row

#: Metrics the model is re-scaled on when stored points do not cover a configuration.
REFIT_METRICS = ("output_tokens_per_s", "ttft_s", "tpot_s")
#: Values a measured answer carries.
MEASURED_METRICS = ("output_tokens_per_s", "requests_per_s", "ttft_s", "tpot_s", "ttft_p95_s",
                    "tpot_p95_s")  # fmt: skip


def import_benchmarks(session: Session, body: BenchmarkImport) -> list[Benchmark]:
    """Store every fixed-load run of a tool's result file as one benchmark entry."""
    points = IMPORTERS[body.format](body.report)
    common = body.model_dump(exclude={"format", "slug_prefix", "report"})
    entries = []
    for number, point in enumerate(points, start=1):
        values = {**common, **point, "slug": f"{body.slug_prefix}-{number}", "tool": body.format}
        create = catalog_service.validate_entry(BENCHMARKS, values)
        entry = catalog_service.create_entry(session, BENCHMARKS, create)
        assert isinstance(entry, Benchmark)
        entries.append(entry)
    return entries


def create_benchmark(session: Session, body: BenchmarkCreate) -> Benchmark:
    """Store one measured point (a new catalog version)."""
    entry = catalog_service.create_entry(session, BENCHMARKS, body)
    assert isinstance(entry, Benchmark)
    return entry


def find_measured(
    session: Session,
    *,
    engine: str,
    gpu_slug: str,
    open_model_slug: str,
    tensor_parallel: int,
    precision: str,
    input_tokens: int,
    output_tokens: int,
    concurrency: int | None,
    request_rate_per_s: float | None,
) -> tuple[dict[str, float | None], list[str]] | None:
    """Measured values at this load, interpolated between stored points, and their slugs."""
    if concurrency is None and request_rate_per_s is None:
        return None
    rows = [
        r
        for r in _points(session, engine, gpu_slug)
        if r["open_model_slug"] == open_model_slug
        and r["tensor_parallel"] == tensor_parallel
        and r["precision"] == precision
    ]
    closed = concurrency is not None
    matching = [
        r
        for r in rows
        if lengths_match(r["input_tokens"], r["output_tokens"], input_tokens, output_tokens)
        and (r["concurrency"] is not None) == closed
    ]
    loads: list[float] = [
        float(r["concurrency"] if closed else r["request_rate_per_s"] or 0.0) for r in matching
    ]
    values: dict[str, Any] = {m: [r[m] for r in matching] for m in MEASURED_METRICS}
    target = float(concurrency if closed else request_rate_per_s)  # type: ignore[arg-type]
    answer = interpolate(loads, values, target)
    if answer is None or answer["output_tokens_per_s"] is None:
        return None
    return answer, sorted(r["slug"] for r in matching)


def _points(session: Session, engine: str, gpu_slug: str) -> tuple[dict[str, Any], ...]:
    """The current stored points of one engine and GPU (shared rows: read only)."""
    rows = catalog_cache.shared_current_rows(session, BENCHMARKS)
    return tuple(r for r in rows if r["engine"] == engine and r["gpu_slug"] == gpu_slug)


def refit_to_stored(
    session: Session, *, engine: Engine, gpu: GpuSpec, real_world_derate: float
) -> tuple[dict[str, float], list[str]] | None:
    """Corrections of the model to this engine and GPU's stored points, and their slugs.

    None with fewer than MIN_REFIT_POINTS points whose model is in the catalog. Computed once
    per catalog state (stored points are catalog entries) for each engine, GPU and derate.
    """
    latest = catalog_cache.catalog_state(session).latest
    if latest is None:
        return None
    found = catalog_cache.derived(
        session,
        latest,
        ("refit", engine, gpu, real_world_derate),
        lambda: _refit(session, engine, gpu, real_world_derate),
    )
    return None if found is None else (dict(found[0]), list(found[1]))


def _refit(
    session: Session, engine: Engine, gpu: GpuSpec, real_world_derate: float
) -> tuple[dict[str, float], list[str]] | None:
    rows = _points(session, engine.value, gpu.slug)
    if len(rows) < MIN_REFIT_POINTS:
        return None
    models: dict[str, OpenModelSpec] = {}
    latest = catalog_cache.resolve_version(session)
    for slug in {r["open_model_slug"] for r in rows}:
        row = catalog_cache.find_row(session, OPEN_MODELS, slug, latest)
        if row is not None:
            models[slug] = open_model_spec_from_row(row)
    rows = tuple(r for r in rows if r["open_model_slug"] in models)
    if len(rows) < MIN_REFIT_POINTS:
        return None
    order = sorted(models)
    batch = ReplicaBatch.build(
        [models[s] for s in order],
        [gpu],
        model_index=[order.index(r["open_model_slug"]) for r in rows],
        gpu_index=[0] * len(rows),
        tensor_parallel=[r["tensor_parallel"] for r in rows],
        precision=[Precision(r["precision"]) for r in rows],
        input_tokens=[r["input_tokens"] for r in rows],
        output_tokens=[r["output_tokens"] for r in rows],
        concurrency=[r["concurrency"] or 0 for r in rows],
        engine=[engine] * len(rows),
        request_rate_per_s=[r["request_rate_per_s"] or 0.0 for r in rows],
    )
    result = evaluate_replicas(batch, real_world_derate=real_world_derate)
    scales = refit_scales(
        {metric: [r[metric] for r in rows] for metric in REFIT_METRICS},
        {metric: getattr(result, metric) for metric in REFIT_METRICS},
    )
    return scales, sorted(r["slug"] for r in rows)
