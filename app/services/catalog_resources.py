"""The catalog tables as resources: how each is listed, searched, validated and named.

One `CatalogResource` per versioned table; reads and writes (`catalog.py`) and seeding
(`catalog_sync.py`) take a resource instead of a table-specific code path.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from app.db.orm import (
    ApiModel,
    Benchmark,
    FineTuningPrice,
    Gpu,
    GpuOffering,
    OpenModel,
    QualityScore,
    VersionedEntry,
)
from app.schemas.benchmarks import BenchmarkCreate
from app.schemas.catalog import GpuCreate, GpuOfferingCreate, OpenModelCreate
from app.schemas.catalog_api import ApiModelCreate, FineTuningPriceCreate
from app.schemas.quality_scores import QualityScoreCreate


@dataclass(frozen=True, slots=True)
class CatalogResource:
    """How one catalog table is listed, searched, validated and named."""

    collection: str
    label: str
    orm: type[VersionedEntry]
    create_schema: type[BaseModel]
    filters: tuple[str, ...]
    search_columns: tuple[str, ...]
    sort_fields: tuple[str, ...]


GPUS = CatalogResource(
    collection="gpus",
    label="GPU",
    orm=Gpu,
    create_schema=GpuCreate,
    filters=("vendor", "interconnect"),
    search_columns=("slug", "name", "vendor"),
    sort_fields=(
        "slug",
        "name",
        "vendor",
        "memory_gb",
        "memory_bandwidth_gb_per_s",
        "bf16_tflops",
        "fp8_tflops",
        "tdp_w",
        "list_price_usd",
        "as_of",
    ),
)
GPU_OFFERINGS = CatalogResource(
    collection="gpu-offerings",
    label="GPU offering",
    orm=GpuOffering,
    create_schema=GpuOfferingCreate,
    filters=("provider", "gpu_slug", "region"),
    search_columns=("slug", "provider", "instance_type", "gpu_slug"),
    sort_fields=(
        "slug",
        "provider",
        "instance_type",
        "gpu_slug",
        "gpu_count",
        "usd_per_hour_on_demand",
        "usd_per_hour_committed_1y",
        "usd_per_hour_committed_3y",
        "usd_per_hour_spot",
        "as_of",
    ),
)
OPEN_MODELS = CatalogResource(
    collection="open-models",
    label="open model",
    orm=OpenModel,
    create_schema=OpenModelCreate,
    filters=("family", "attention_kind", "license"),
    search_columns=("slug", "name", "family", "hf_repo"),
    sort_fields=(
        "slug",
        "name",
        "family",
        "total_params_b",
        "active_params_b",
        "max_context_tokens",
        "as_of",
    ),
)
API_MODELS = CatalogResource(
    collection="api-models",
    label="API model",
    orm=ApiModel,
    create_schema=ApiModelCreate,
    filters=("provider", "model_id"),
    search_columns=("slug", "name", "model_id", "provider", "provider_name"),
    sort_fields=(
        "slug",
        "name",
        "provider",
        "model_id",
        "context_window_tokens",
        "usd_per_mtok_input",
        "usd_per_mtok_output",
        "usd_per_mtok_cached_input",
        "as_of",
    ),
)
QUALITY_SCORES = CatalogResource(
    collection="quality-scores",
    label="quality score",
    orm=QualityScore,
    create_schema=QualityScoreCreate,
    filters=("model_kind",),
    search_columns=("slug", "name"),
    sort_fields=(
        "slug",
        "name",
        "model_kind",
        "arena_score",
        "mmlu_pro",
        "gpqa_diamond",
        "livecodebench",
        "as_of",
    ),
)
FINE_TUNING_PRICES = CatalogResource(
    collection="fine-tuning-prices",
    label="fine-tuning price",
    orm=FineTuningPrice,
    create_schema=FineTuningPriceCreate,
    filters=("api_model_slug",),
    search_columns=("slug", "api_model_slug"),
    sort_fields=(
        "slug",
        "api_model_slug",
        "usd_per_mtok_training",
        "usd_per_mtok_input",
        "usd_per_mtok_output",
        "as_of",
    ),
)
BENCHMARKS = CatalogResource(
    collection="benchmarks",
    label="benchmark",
    orm=Benchmark,
    create_schema=BenchmarkCreate,
    filters=("engine", "gpu_slug", "open_model_slug", "precision", "tool"),
    search_columns=("slug", "engine_version", "gpu_slug", "open_model_slug", "notes"),
    sort_fields=(
        "slug",
        "engine",
        "gpu_slug",
        "open_model_slug",
        "concurrency",
        "request_rate_per_s",
        "output_tokens_per_s",
        "as_of",
    ),
)
