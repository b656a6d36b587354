"""Performance use case: resolve model and GPU (slug or inline) and call the core."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.core.performance import replica_performance
from app.core.types import GpuSpec, OpenModelSpec, Precision
from app.errors import InvalidInputError, NotFoundError
from app.schemas.performance import MemoryOut, PerformanceRequest, PerformanceResponse
from app.services import catalog as catalog_service
from app.services.catalog import GPUS, OPEN_MODELS, CatalogResource
from app.services.catalog_specs import gpu_spec_from_row, open_model_spec_from_row

_NATIVE_FLOPS = {
    Precision.FP8: "fp8_flops_per_s",
    Precision.INT8: "int8_ops_per_s",
    Precision.FP4: "fp4_flops_per_s",
}


def _catalog_row(
    session: Session, resource: CatalogResource, slug: str, version: int
) -> dict[str, object]:
    try:
        entry = catalog_service.get_entry(session, resource, slug, version=version)
    except NotFoundError as exc:
        # An unknown slug in a body is invalid input (422), not a missing resource (404).
        raise InvalidInputError(exc.detail, **exc.extra) from exc
    return catalog_service.entry_row(entry)


def evaluate_performance(session: Session, request: PerformanceRequest) -> PerformanceResponse:
    """One replica's throughput, latency and memory at one operating point."""
    version: int | None = None
    if isinstance(request.model, str) or isinstance(request.gpu, str):
        version = catalog_service.resolve_version(session, version=request.catalog_version)
    if isinstance(request.model, str):
        assert version is not None
        model: OpenModelSpec = open_model_spec_from_row(
            _catalog_row(session, OPEN_MODELS, request.model, version)
        )
    else:
        model = open_model_spec_from_row(request.model.model_dump())
    if isinstance(request.gpu, str):
        assert version is not None
        gpu: GpuSpec = gpu_spec_from_row(_catalog_row(session, GPUS, request.gpu, version))
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
    precision = Precision(request.precision)
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
    )
    native = _NATIVE_FLOPS.get(precision)
    weight_only = precision is Precision.INT4 or (
        native is not None and getattr(gpu, native) is None
    )
    m = result.memory
    return PerformanceResponse(
        model=model.slug,
        gpu=gpu.slug,
        tensor_parallel=request.tensor_parallel,
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
        memory=MemoryOut(
            weights_bytes=m.weights_bytes,
            kv_cache_bytes_per_token=m.kv_cache_bytes_per_token,
            kv_cache_bytes_per_sequence=m.kv_cache_bytes_per_sequence,
            kv_cache_precision=m.kv_cache_precision.value,
            kv_replication_factor=m.kv_replication_factor,
            overhead_bytes=m.overhead_bytes,
            kv_cache_capacity_bytes=m.kv_cache_capacity_bytes,
            total_memory_bytes=m.total_memory_bytes,
            max_concurrency=m.max_concurrency,
        ),
        weight_only_quantization=weight_only,
        real_world_derate=derate,
        catalog_version=version,
    )
