"""Performance use case: resolve model and GPU (slug or inline) and call the core."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TypeVar

from sqlalchemy.orm import Session

from app.core import calibration
from app.core.accuracy import prediction_bands
from app.core.aliases import NameKind
from app.core.memory_breakdown import MemoryBreakdown
from app.core.performance import ReplicaPerformance, replica_performance
from app.core.regimes import load_regime, precision_class
from app.core.types import Engine, GpuSpec, OpenModelSpec, Precision
from app.errors import InvalidInputError
from app.metrics import timed
from app.schemas.common import AliasResolvedOut
from app.schemas.performance import (
    AccuracyGroupOut,
    AccuracyResponse,
    AccuracyTarget,
    ErrorBandOut,
    MemoryOut,
    PerformanceRequest,
    PerformanceResponse,
)
from app.services import calibration_rows, catalog_cache
from app.services.benchmarks import find_measured, refit_to_stored
from app.services.calibration_rows import ACCURACY_TARGETS
from app.services.catalog_resources import GPUS, OPEN_MODELS, CatalogResource
from app.services.catalog_specs import gpu_spec_from_row, open_model_spec_from_row
from app.services.response_cache import ResponseCache, cached_answer
from app.services.slug_resolution import NameResolver

_S = TypeVar("_S")
_NATIVE_FLOPS = {
    Precision.FP8: "fp8_flops_per_s",
    Precision.INT8: "int8_ops_per_s",
    Precision.FP4: "fp4_flops_per_s",
}


def _catalog_spec(
    session: Session, resource: CatalogResource, slug: str, version: int, build: Callable[..., _S]
) -> _S:
    """The spec of a catalog entry at `version`, built once per catalog state."""

    def spec() -> _S:
        row = catalog_cache.find_row(session, resource, slug, version)
        if row is None:
            # An unknown slug in a body is invalid input (422), not a missing resource (404).
            raise InvalidInputError(
                f"no {resource.label} with slug {slug!r} at catalog version {version}",
                resource=resource.collection,
                slug=slug,
            )
        return build(row)

    return catalog_cache.derived(session, version, ("spec", resource.collection, slug), spec)


def _resolve_names(
    session: Session, request: PerformanceRequest
) -> tuple[PerformanceRequest, int | None, list[AliasResolvedOut]]:
    """The request with catalog names as slugs, the catalog version read (None when the model
    and GPU are both inline) and the aliases that were resolved."""
    if not (isinstance(request.model, str) or isinstance(request.gpu, str)):
        return request, None, []
    version = catalog_cache.resolve_version(session, request.catalog_version)
    names = NameResolver(session, version)
    update: dict[str, object] = {}
    if isinstance(request.model, str):
        update["model"] = names.name(NameKind.OPEN_MODEL, "model", request.model)
    if isinstance(request.gpu, str):
        update["gpu"] = names.name(NameKind.GPU, "gpu", request.gpu)
    names.check()
    if names.resolved:
        request = request.model_copy(update=update)
    return request, version, names.resolved


def _specs(
    session: Session, request: PerformanceRequest, version: int | None
) -> tuple[OpenModelSpec, GpuSpec]:
    if isinstance(request.model, str):
        assert version is not None
        model = _catalog_spec(
            session, OPEN_MODELS, request.model, version, open_model_spec_from_row
        )
    else:
        model = open_model_spec_from_row(request.model.model_dump())
    if isinstance(request.gpu, str):
        assert version is not None
        gpu = _catalog_spec(session, GPUS, request.gpu, version, gpu_spec_from_row)
    else:
        gpu = gpu_spec_from_row(request.gpu.model_dump())
    context_tokens = request.input_tokens + request.output_tokens
    if context_tokens > model.max_context_tokens:
        raise InvalidInputError(
            f"{model.slug} holds at most {model.max_context_tokens:,} tokens of context; "
            f"input_tokens + output_tokens is {context_tokens:,}",
            max_context_tokens=model.max_context_tokens,
            requested_tokens=context_tokens,
        )
    return model, gpu


def performance_json(
    session: Session, request: PerformanceRequest, answers: ResponseCache | None = None
) -> tuple[bytes, bool]:
    """The answer's JSON body, and whether it came from the `answers` cache
    (response_cache.py)."""

    def compute() -> PerformanceResponse:
        with timed("performance"):
            return evaluate_performance(session, request)

    return cached_answer("performance", answers, session, request, compute)


def evaluate_performance(session: Session, request: PerformanceRequest) -> PerformanceResponse:
    """One replica's throughput, latency and memory at one operating point."""
    request, version, aliases = _resolve_names(session, request)
    model, gpu = _specs(session, request, version)
    precision = Precision(request.precision)
    engine = Engine(request.engine)
    # The replica model answers at benchmark level unless asked; fleet planning derates.
    derate = request.real_world_derate or 1.0
    result = replica_performance(
        model,
        gpu,
        request.tensor_parallel,
        precision,
        request.input_tokens,
        request.output_tokens,
        request.concurrency,
        real_world_derate=derate,
        engine=engine,
        request_rate_per_s=request.request_rate_per_s,
        pipeline_parallel=request.pipeline_parallel,
    )
    if result.saturated:
        raise InvalidInputError(
            "The request rate is at or beyond what one replica serves; lower it or add replicas.",
            request_rate_per_s=request.request_rate_per_s,
            max_requests_per_s=result.requests_per_s,
        )
    response = _response(request, model, gpu, result, derate, version, aliases)
    # Stored benchmarks describe single-server replicas.
    if (
        isinstance(request.model, str)
        and isinstance(request.gpu, str)
        and (request.pipeline_parallel == 1)
    ):
        measured = _with_measured(session, request, response)
        if measured.source == "measured":
            return measured
        return _with_refit(session, response, gpu, engine, derate)
    return response


def _load(request: PerformanceRequest, result: ReplicaPerformance) -> tuple[bool, str, str]:
    """(open loop?, the load regime of the error bands, the load label of the answer)."""
    open_loop = request.request_rate_per_s is not None
    offered = float(request.concurrency or 0) if not open_loop else float(result.concurrency)
    regime = load_regime(offered, float(result.max_concurrency), open_loop=open_loop)
    label = "open_loop" if open_loop else "closed_loop" if request.concurrency else "offline"
    return open_loop, regime, label


def _memory_out(m: MemoryBreakdown) -> MemoryOut:
    return MemoryOut(
        weights_bytes=m.weights_bytes,
        kv_cache_bytes_per_token=m.kv_cache_bytes_per_token,
        kv_cache_bytes_per_sequence=m.kv_cache_bytes_per_sequence,
        kv_cache_precision=m.kv_cache_precision.value,
        kv_replication_factor=m.kv_replication_factor,
        overhead_bytes=m.overhead_bytes,
        kv_cache_capacity_bytes=m.kv_cache_capacity_bytes,
        total_memory_bytes=m.total_memory_bytes,
        max_concurrency=m.max_concurrency,
    )


def _response(
    request: PerformanceRequest,
    model: OpenModelSpec,
    gpu: GpuSpec,
    result: ReplicaPerformance,
    derate: float,
    version: int | None,
    aliases: list[AliasResolvedOut],
) -> PerformanceResponse:
    """The model's answer, before any stored benchmark is consulted."""
    precision = Precision(request.precision)
    engine = Engine(request.engine)
    _, load, load_label = _load(request, result)
    predicted = {
        "output_tokens_per_s": result.output_tokens_per_s,
        "ttft_s": result.ttft_s,
        "tpot_s": result.tpot_s,
    }
    bands = prediction_bands(
        calibration.ERROR_BANDS, predicted, engine.value, precision_class(precision), load
    )
    native = _NATIVE_FLOPS.get(precision)
    weight_only = precision is Precision.INT4 or (
        native is not None and getattr(gpu, native) is None
    )
    return PerformanceResponse(
        model=model.slug,
        gpu=gpu.slug,
        tensor_parallel=request.tensor_parallel,
        pipeline_parallel=request.pipeline_parallel,
        precision=precision.value,
        input_tokens=request.input_tokens,
        output_tokens=request.output_tokens,
        concurrency=result.concurrency,
        output_tokens_per_s=result.output_tokens_per_s,
        output_tokens_per_s_per_gpu=result.output_tokens_per_s_per_gpu,
        requests_per_s=result.requests_per_s,
        ttft_s=result.ttft_s,
        tpot_s=result.tpot_s,
        e2e_latency_s=result.e2e_latency_s,
        bound=result.bound,
        memory=_memory_out(result.memory),
        weight_only_quantization=weight_only,
        real_world_derate=derate,
        catalog_version=version,
        aliases_resolved=aliases,
        engine=engine.value,
        load=load_label,
        request_rate_per_s_offered=request.request_rate_per_s,
        ttft_p95_s=result.ttft_p95_s,
        tpot_p95_s=result.tpot_p95_s,
        queue_s=result.queue_s,
        regime=f"{engine.value}|{precision_class(precision)}|{load}",
        error_bands=[
            ErrorBandOut(metric=b.metric, p10=b.p10, p90=b.p90, band_regime=b.band_regime)
            for b in bands
        ],
        source="model",
    )


def _with_refit(
    session: Session,
    response: PerformanceResponse,
    gpu: GpuSpec,
    engine: Engine,
    derate: float,
) -> PerformanceResponse:
    """The model's answer scaled to this engine and GPU's stored points, where there are enough."""
    found = refit_to_stored(session, engine=engine, gpu=gpu, real_world_derate=derate)
    if found is None:
        return response
    scales, slugs = found
    tokens, ttft, tpot = (scales[m] for m in ("output_tokens_per_s", "ttft_s", "tpot_s"))
    return response.model_copy(
        update={
            "output_tokens_per_s": response.output_tokens_per_s * tokens,
            "output_tokens_per_s_per_gpu": response.output_tokens_per_s_per_gpu * tokens,
            "requests_per_s": response.requests_per_s * tokens,
            "ttft_s": response.ttft_s * ttft,
            "ttft_p95_s": response.ttft_p95_s * ttft,
            "tpot_s": response.tpot_s * tpot,
            "tpot_p95_s": response.tpot_p95_s * tpot,
            "e2e_latency_s": response.ttft_s * ttft
            + (response.output_tokens - 1) * response.tpot_s * tpot,
            "error_bands": [
                band.model_copy(update={"p10": band.p10 * scales[band.metric],
                                        "p90": band.p90 * scales[band.metric]})
                for band in response.error_bands
            ],
            "source": "model_refit",
            "measured_benchmarks": slugs,
        }
    )  # fmt: skip


def _with_measured(
    session: Session, request: PerformanceRequest, response: PerformanceResponse
) -> PerformanceResponse:
    """The model's answer replaced by stored measurements where they cover this configuration."""
    found = find_measured(
        session,
        engine=response.engine,
        gpu_slug=response.gpu,
        open_model_slug=response.model,
        tensor_parallel=response.tensor_parallel,
        precision=response.precision,
        input_tokens=response.input_tokens,
        output_tokens=response.output_tokens,
        concurrency=request.concurrency,
        request_rate_per_s=request.request_rate_per_s,
    )
    if found is None:
        return response
    values, slugs = found
    tokens_per_s = values["output_tokens_per_s"] or response.output_tokens_per_s
    ttft = values["ttft_s"] or response.ttft_s
    tpot = values["tpot_s"] or response.tpot_s
    # A missing p95 keeps the model's p95-to-mean ratio around the measured mean.
    ttft_p95 = values["ttft_p95_s"] or response.ttft_p95_s * ttft / response.ttft_s
    tpot_p95 = values["tpot_p95_s"] or response.tpot_p95_s * tpot / response.tpot_s
    measured = {"output_tokens_per_s": tokens_per_s, "ttft_s": ttft, "tpot_s": tpot}
    return response.model_copy(
        update={
            **measured,
            "output_tokens_per_s_per_gpu": tokens_per_s / response.tensor_parallel,
            "requests_per_s": values["requests_per_s"] or tokens_per_s / response.output_tokens,
            "e2e_latency_s": ttft + (response.output_tokens - 1) * tpot,
            "ttft_p95_s": ttft_p95,
            "tpot_p95_s": tpot_p95,
            "source": "measured",
            "measured_benchmarks": slugs,
            "regime": "measured",
            "error_bands": [
                ErrorBandOut(metric=metric, p10=value, p90=value, band_regime="measured")
                for metric, value in measured.items()
            ],
        }
    )


@cache
def performance_accuracy() -> AccuracyResponse:
    """The model's accuracy on its calibration data (same code as the accuracy benchmark)."""
    report = calibration_rows.evaluate_accuracy()
    return AccuracyResponse(
        groups=[AccuracyGroupOut.model_validate(g, from_attributes=True) for g in report.groups],
        targets=[
            AccuracyTarget(
                metric=t.label,
                median_abs_error_target=t.target,
                median_abs_error=t.achieved(report),
                met=t.achieved(report) <= t.target,
            )
            for t in ACCURACY_TARGETS
        ],
        sources=calibration_rows.sources(),
        method="Benchmark-level predictions (no real-world derate) of app.core.performance with "
        "the committed calibration, against every offline row of throughput.csv and every "
        "point of latency_sweeps_h100.csv; the same code runs `python -m "
        "benchmarks.performance_accuracy` and tests/core/test_performance_accuracy.py.",
    )
