"""`POST /v1/performance`: what one replica (a model on N GPUs) serves."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.types import Engine, Precision
from app.schemas.catalog import GpuFields, OpenModelFields, _check_model_shape
from app.schemas.common import AliasResolvedOut, CatalogName, InputModel, Slug


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
    model: CatalogName | InlineOpenModel = Field(
        description="Open-model catalog slug, or an inline object with the catalog's fields."
    )
    gpu: CatalogName | InlineGpu = Field(
        description="GPU catalog slug, or an inline object with the catalog's fields."
    )
    tensor_parallel: Annotated[int, Field(strict=True, ge=1, le=1024)] = Field(
        default=1, description="GPUs per replica (tensor-parallel degree), within one node."
    )
    pipeline_parallel: Annotated[int, Field(strict=True, ge=1, le=64)] = Field(
        default=1,
        description="Servers per replica (pipeline stages over the inter-node network, "
        "`tensor_parallel` GPUs each), for models that do not fit one server.",
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
    engine: Engine = Field(
        default=Engine.VLLM,
        description="Inference engine. Default vllm: the engine most self-hosters run, and of the "
        "three the one a plan can count on without a tuned TensorRT-LLM build.",
    )
    request_rate_per_s: (
        Annotated[float, Field(strict=False, gt=0, le=1e6, allow_inf_nan=False)] | None
    ) = Field(
        default=None,
        description="Open-loop Poisson arrivals at this many requests/s (production traffic). "
        "Give this or `concurrency`, not both; neither = the maximum-throughput point. A rate "
        "the replica cannot serve is a 422 problem with its maximum.",
    )
    real_world_derate: (
        Annotated[float, Field(strict=True, ge=0.05, le=1, allow_inf_nan=False)] | None
    ) = Field(
        default=None,
        description="Share of the calibrated (vendor-benchmark) speed to expect. Default 1: "
        "what an optimised engine measured on a benchmark. `/v1/estimates` plans fleets at 0.8 "
        "by default (`sizing.real_world_derate`) to allow for real traffic and engines.",
    )
    catalog_version: Annotated[int, Field(strict=True, ge=1, le=2_000_000_000)] | None = Field(
        default=None, description="Resolve slugs in this catalog version (default: latest)."
    )


class ErrorBandOut(BaseModel):
    metric: Literal["output_tokens_per_s", "ttft_s", "tpot_s"] = Field(
        description="Predicted value the band is for."
    )
    p10: float = Field(description="10th percentile: the prediction times the regime's P10 of "
                       "measured/predicted on the calibration data.")  # fmt: skip
    p90: float = Field(description="90th percentile, likewise.")
    band_regime: str = Field(
        description="Residual group the band comes from: metric|engine|precision|load "
        "(`*` where the regime had too few calibration points and a coarser one was used)."
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
    tensor_parallel: int = Field(description="GPUs per pipeline stage (tensor parallelism).")
    pipeline_parallel: int = Field(description="Pipeline stages (servers) of the replica.")
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
    engine: Engine = Field(description="Inference engine modelled.")
    load: Literal["offline", "closed_loop", "open_loop"] = Field(
        description="offline: maximum throughput; closed_loop: `concurrency` requests kept in "
        "flight; open_loop: Poisson arrivals at `request_rate_per_s`."
    )
    request_rate_per_s_offered: float | None = Field(
        description="Open loop: the offered request rate."
    )
    ttft_p95_s: float = Field(description="95th-percentile time to first token, seconds.")
    tpot_p95_s: float = Field(description="95th-percentile time per output token, seconds.")
    queue_s: float = Field(
        description="Mean wait for admission when the KV cache is full (included in TTFT)."
    )
    regime: str = Field(
        description="Calibration regime of this answer: engine|precision class|load "
        "(offline, unqueued or queued)."
    )
    error_bands: list[ErrorBandOut] = Field(
        description="P10-P90 band of each predicted value from the model's residuals on the "
        "calibration data in this regime (GET /v1/performance/accuracy)."
    )
    measured_benchmarks: list[str] = Field(
        default_factory=list,
        description="Slugs of the stored benchmarks a measured answer interpolates between, or "
        "that a model_refit answer was scaled to.",
    )
    source: Literal["model", "measured", "model_refit"] = Field(
        description="model: the performance model; measured: interpolated from stored "
        "benchmarks (POST /v1/benchmarks) that cover this configuration; model_refit: the model "
        "scaled by the median measured/predicted ratio of at least 3 stored points of this "
        "engine and GPU (listed in measured_benchmarks)."
    )
    catalog_version: int | None = Field(description="Catalog version of slugs resolved.")
    aliases_resolved: list[AliasResolvedOut] = Field(
        default_factory=list,
        description="Names in the request that were not catalog slugs, and what each became.",
    )


class AccuracyGroupOut(BaseModel):
    metric: Literal["output_tokens_per_s", "ttft_s", "tpot_s"] = Field(
        description="Predicted quantity compared with the measurement."
    )
    group_by: Literal["all", "dataset", "dataset_engine", "load", "engine", "gpu", "regime"] = (
        Field(description="How the calibration points are grouped.")
    )
    group: str = Field(description="The group's value (regime: engine|precision|load).")
    points: int = Field(description="Calibration points in the group.")
    median_abs_error: float = Field(description="Median |predicted/measured - 1|.")
    within_25_percent: float = Field(description="Share of points within +-25%.")
    mean_error: float = Field(description="Mean of predicted/measured - 1 (bias).")
    band_coverage: float = Field(
        description="Share of points whose measurement lies inside the P10-P90 band "
        "(in-sample: the bands are fitted on these residuals)."
    )


class AccuracyTarget(BaseModel):
    metric: str = Field(description="Metric and load the target is for.")
    median_abs_error_target: float = Field(description="Target median |error|.")
    median_abs_error: float = Field(description="Achieved median |error|.")
    met: bool = Field(description="Whether the target is met.")


class AccuracyResponse(BaseModel):
    groups: list[AccuracyGroupOut] = Field(description="Error statistics by group.")
    targets: list[AccuracyTarget] = Field(description="Accuracy targets and where we stand.")
    sources: dict[str, str] = Field(description="Calibration file -> publisher and commit.")
    method: str = Field(description="How the numbers were computed.")
