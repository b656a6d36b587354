"""`POST /v1/performance`: what one replica (a model on N GPUs) serves."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.types import Precision
from app.schemas.catalog import GpuFields, OpenModelFields, _check_model_shape
from app.schemas.common import InputModel, Slug


class InlineOpenModel(OpenModelFields, InputModel):
    """A model not in the catalog, described with the catalog's fields."""

    slug: Slug = "custom-model"
    source: str | None = Field(default=None, max_length=4000)
    as_of: str | None = Field(default=None, max_length=32)

    def model_post_init(self, context: object, /) -> None:
        _check_model_shape(self)


class InlineGpu(GpuFields, InputModel):
    """A GPU not in the catalog, described with the catalog's fields."""

    slug: Slug = "custom-gpu"
    source: str | None = Field(default=None, max_length=4000)
    as_of: str | None = Field(default=None, max_length=32)


class PerformanceRequest(InputModel):
    model: Slug | InlineOpenModel = Field(
        description="Open-model catalog slug, or an inline object with the catalog's fields."
    )
    gpu: Slug | InlineGpu = Field(
        description="GPU catalog slug, or an inline object with the catalog's fields."
    )
    tensor_parallel: Annotated[int, Field(strict=True, ge=1, le=1024)] = Field(
        default=1, description="GPUs per replica (tensor-parallel degree), within one node."
    )
    precision: Precision = Field(
        default=Precision.BF16,
        description="Weights (and by default KV cache) format. Formats without native tensor "
        "cores on the GPU (fp8 on A100, fp4 before Blackwell, int4 everywhere) are modelled as "
        "weight-only quantization: stored low, computed at 16 bits.",
    )
    input_tokens: Annotated[int, Field(strict=True, ge=1, le=10_000_000)] = Field(
        default=1000, description="Prompt tokens per request."
    )
    output_tokens: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = Field(
        default=1000, description="Generated tokens per request."
    )
    concurrency: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] | None = Field(
        default=None,
        description="Requests in flight (closed loop); null = the maximum-throughput point.",
    )
    real_world_derate: (
        Annotated[float, Field(strict=True, gt=0, le=1, allow_inf_nan=False)] | None
    ) = Field(
        default=None,
        description="Share of the calibrated (vendor-benchmark) speed to expect. Default 1: "
        "what an optimised engine measured on a benchmark. `/v1/estimates` plans fleets at 0.8 "
        "by default (`sizing.real_world_derate`) to allow for real traffic and engines.",
    )
    catalog_version: Annotated[int, Field(strict=True, ge=1, le=2_000_000_000)] | None = Field(
        default=None, description="Resolve slugs in this catalog version (default: latest)."
    )


class MemoryOut(BaseModel):
    weights_bytes: float = Field(description="All weights of the replica, bytes.")
    kv_cache_bytes_per_token: float = Field(
        description="KV cache per token over all layers, bytes (no TP replication)."
    )
    kv_cache_bytes_per_sequence: float = Field(
        description="KV cache of one input+output sequence, bytes (windows, replication incl.)."
    )
    kv_cache_precision: str = Field(description="KV cache element format.")
    kv_replication_factor: float = Field(
        description="KV copies across TP ranks (>1 when KV heads < TP, or for MLA)."
    )
    overhead_bytes: float = Field(description="Activations, workspace and CUDA context, bytes.")
    kv_cache_capacity_bytes: float = Field(description="Memory given to the KV cache, bytes.")
    total_memory_bytes: float = Field(description="Device memory of the replica, bytes.")
    max_concurrency: int = Field(description="Sequences of this length that fit at once.")


class PerformanceResponse(BaseModel):
    model: str = Field(description="Open-model slug (or the inline object's slug).")
    gpu: str = Field(description="GPU slug (or the inline object's slug).")
    tensor_parallel: int = Field(description="GPUs in the replica.")
    precision: str = Field(description="Weight precision.")
    input_tokens: int = Field(description="Prompt tokens per request.")
    output_tokens: int = Field(description="Generated tokens per request.")
    concurrency: int = Field(description="Requests in flight at this operating point.")
    output_tokens_per_s: float = Field(description="Generated tokens/s of the whole replica.")
    output_tokens_per_s_per_gpu: float = Field(description="Generated tokens/s per GPU.")
    requests_per_s: float = Field(description="Completed requests per second.")
    ttft_s: float = Field(description="Mean time to first token, seconds.")
    tpot_s: float = Field(description="Mean time per output token, seconds.")
    e2e_latency_s: float = Field(description="Mean request latency, first byte to last token.")
    bound: Literal["compute", "memory_bandwidth", "kv_capacity"] = Field(
        description="What limits this operating point."
    )
    memory: MemoryOut = Field(description="Memory of the whole replica.")
    weight_only_quantization: bool = Field(
        description="True when the GPU lacks tensor cores for the precision (see `precision`)."
    )
    real_world_derate: float = Field(description="Share of calibrated speed applied.")
    catalog_version: int | None = Field(description="Catalog version of slugs resolved.")
