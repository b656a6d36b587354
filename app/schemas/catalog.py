"""Request and response bodies of the catalog resources."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from app.schemas.common import (
    AsOf,
    Name,
    Page,
    PatchModel,
    ReadModel,
    ShortText,
    Slug,
    Source,
    UsdPerHour,
    UsdPrice,
    unchanged,
)
from app.schemas.common import InputModel as _Input

# Physical bounds generous enough for any accelerator or model for years to come, and tight
# enough below that no value is absurd (a 1e-300 GB/s GPU would need astronomically many).
MemoryGb = Annotated[
    float, Field(strict=True, ge=0.1, le=10_000, allow_inf_nan=False, description="GB (1e9 B).")
]
BandwidthGbPerS = Annotated[
    float,
    Field(strict=True, ge=1, le=1_000_000, allow_inf_nan=False, description="GB/s (1e9 B/s)."),
]
Tflops = Annotated[
    float,
    Field(
        strict=True, ge=0.1, le=1_000_000, allow_inf_nan=False, description="Dense TFLOPS (1e12/s)."
    ),
]
Watts = Annotated[
    float, Field(strict=True, ge=1, le=100_000, allow_inf_nan=False, description="Watts.")
]
ParamsB = Annotated[
    float,
    Field(
        strict=True,
        ge=0.001,
        le=100_000,
        allow_inf_nan=False,
        description="Billions of parameters.",
    ),
]
Dim = Annotated[int, Field(strict=True, ge=1, le=1_000_000)]
SmallCount = Annotated[int, Field(strict=True, ge=0, le=100_000)]
ContextTokens = Annotated[int, Field(strict=True, ge=1, le=100_000_000, description="Tokens.")]
Interconnect = Literal["nvlink", "pcie", "xgmi"]
AttentionKind = Literal["mha", "gqa", "mla", "sliding_window"]

CATALOG_META_DOC = (
    "Catalog version that wrote this value (`valid_from_version`) and the one that replaced it "
    "(`valid_to_version`, null while current)."
)


class CatalogMeta(ReadModel):
    slug: str
    source: str
    as_of: AsOf
    valid_from_version: int = Field(description=CATALOG_META_DOC)
    valid_to_version: int | None = None


# --- GPUs -----------------------------------------------------------------------------------


class GpuFields(BaseModel):
    name: Name = Field(examples=["NVIDIA H100 SXM5 80GB"])
    vendor: ShortText = Field(examples=["nvidia"])
    memory_gb: MemoryGb = Field(examples=[80])
    memory_bandwidth_gb_per_s: BandwidthGbPerS = Field(examples=[3350])
    bf16_tflops: Tflops = Field(examples=[989])
    fp8_tflops: Tflops | None = Field(default=None, examples=[1979])
    fp4_tflops: Tflops | None = None
    int8_tops: Tflops | None = None
    interconnect: Interconnect = Field(description="Scale-up fabric used for tensor parallelism.")
    interconnect_gb_per_s: BandwidthGbPerS = Field(
        description="Per GPU, per direction, GB/s.", examples=[450]
    )
    max_gpus_per_node: Annotated[int, Field(strict=True, ge=1, le=1024)] = Field(
        description="GPUs reachable over the fabric: the largest tensor-parallel degree."
    )
    tdp_w: Watts = Field(examples=[700])
    list_price_usd: UsdPrice | None = Field(default=None, description="Purchase price, USD.")


class GpuCreate(GpuFields, _Input):
    slug: Slug
    source: Source
    as_of: AsOf


class GpuUpdate(PatchModel):
    name: Name = unchanged()
    vendor: ShortText = unchanged()
    memory_gb: MemoryGb = unchanged()
    memory_bandwidth_gb_per_s: BandwidthGbPerS = unchanged()
    bf16_tflops: Tflops = unchanged()
    fp8_tflops: Tflops | None = None
    fp4_tflops: Tflops | None = None
    int8_tops: Tflops | None = None
    interconnect: Interconnect = unchanged()
    interconnect_gb_per_s: BandwidthGbPerS = unchanged()
    max_gpus_per_node: Annotated[int, Field(strict=True, ge=1, le=1024)] = unchanged()
    tdp_w: Watts = unchanged()
    list_price_usd: UsdPrice | None = None
    source: Source = unchanged()
    as_of: AsOf = unchanged()


class GpuRead(GpuFields, CatalogMeta):
    pass


# --- GPU offerings --------------------------------------------------------------------------


AvailableQuantity = Annotated[int, Field(strict=True, ge=0, le=1_000_000)]


class GpuOfferingFields(BaseModel):
    provider: ShortText = Field(examples=["aws"])
    instance_type: ShortText = Field(examples=["p5.48xlarge"])
    gpu_slug: Slug = Field(description="Slug of a GPU in the catalog.")
    gpu_count: Annotated[int, Field(strict=True, ge=1, le=1024)] = Field(
        description="GPUs per instance."
    )
    region: ShortText | None = Field(default=None, examples=["us-east-1"])
    usd_per_hour_on_demand: UsdPerHour | None = None
    usd_per_hour_committed_1y: UsdPerHour | None = None
    usd_per_hour_committed_3y: UsdPerHour | None = None
    usd_per_hour_spot: UsdPerHour | None = None
    available_quantity: AvailableQuantity | None = Field(
        default=None,
        description="Instances of this offering that can be held at once (a region's capacity "
        "or your quota), across purchase modes; null = unlimited. Read by /v1/plans, which a "
        "request can override per offering.",
    )


class GpuOfferingCreate(GpuOfferingFields, _Input):
    slug: Slug
    source: Source
    as_of: AsOf


class GpuOfferingUpdate(PatchModel):
    provider: ShortText = unchanged()
    instance_type: ShortText = unchanged()
    gpu_slug: Slug = unchanged()
    gpu_count: Annotated[int, Field(strict=True, ge=1, le=1024)] = unchanged()
    region: ShortText | None = None
    usd_per_hour_on_demand: UsdPerHour | None = None
    usd_per_hour_committed_1y: UsdPerHour | None = None
    usd_per_hour_committed_3y: UsdPerHour | None = None
    usd_per_hour_spot: UsdPerHour | None = None
    available_quantity: AvailableQuantity | None = None
    source: Source = unchanged()
    as_of: AsOf = unchanged()


class GpuOfferingRead(GpuOfferingFields, CatalogMeta):
    pass


# --- Open-weights models --------------------------------------------------------------------


class OpenModelFields(BaseModel):
    name: Name = Field(examples=["Llama 3.1 70B Instruct"])
    family: ShortText = Field(examples=["llama"])
    hf_repo: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, examples=["meta-llama/Llama-3.1-70B-Instruct"]
    )
    total_params_b: ParamsB = Field(examples=[70.6])
    active_params_b: ParamsB = Field(
        examples=[70.6], description="Parameters used per token (billions); < total for MoE."
    )
    num_layers: Dim = Field(examples=[80])
    hidden_size: Dim = Field(examples=[8192])
    num_attention_heads: Dim = Field(examples=[64])
    num_kv_heads: Dim = Field(examples=[8])
    head_dim: Dim = Field(examples=[128])
    intermediate_size: Dim = Field(examples=[28672])
    vocab_size: Dim = Field(examples=[128256])
    num_experts: SmallCount = Field(default=0, description="Routed experts; 0 for dense models.")
    num_experts_per_token: SmallCount = 0
    attention_kind: AttentionKind = "gqa"
    kv_lora_rank: SmallCount = Field(default=0, description="MLA latent size cached per layer.")
    qk_rope_head_dim: SmallCount = 0
    sliding_window_tokens: Annotated[int, Field(strict=True, ge=0, le=100_000_000)] = 0
    num_sliding_window_layers: SmallCount = 0
    max_context_tokens: ContextTokens = Field(examples=[131072])
    license: ShortText = Field(examples=["llama3.1"])


def _check_model_shape(model: Any) -> None:
    if model.active_params_b > model.total_params_b:
        raise ValueError("active_params_b cannot exceed total_params_b")
    if model.num_kv_heads > model.num_attention_heads:
        raise ValueError("num_kv_heads cannot exceed num_attention_heads")
    if model.num_experts_per_token > model.num_experts:
        raise ValueError("num_experts_per_token cannot exceed num_experts")
    if model.num_sliding_window_layers > model.num_layers:
        raise ValueError("num_sliding_window_layers cannot exceed num_layers")
    if model.attention_kind == "mla" and model.kv_lora_rank <= 0:
        raise ValueError("attention_kind 'mla' needs kv_lora_rank > 0")


class OpenModelCreate(OpenModelFields, _Input):
    slug: Slug
    source: Source
    as_of: AsOf

    @model_validator(mode="after")
    def _shape(self) -> OpenModelCreate:
        _check_model_shape(self)
        return self


class OpenModelUpdate(PatchModel):
    name: Name = unchanged()
    family: ShortText = unchanged()
    hf_repo: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    total_params_b: ParamsB = unchanged()
    active_params_b: ParamsB = unchanged()
    num_layers: Dim = unchanged()
    hidden_size: Dim = unchanged()
    num_attention_heads: Dim = unchanged()
    num_kv_heads: Dim = unchanged()
    head_dim: Dim = unchanged()
    intermediate_size: Dim = unchanged()
    vocab_size: Dim = unchanged()
    num_experts: SmallCount = unchanged()
    num_experts_per_token: SmallCount = unchanged()
    attention_kind: AttentionKind = unchanged()
    kv_lora_rank: SmallCount = unchanged()
    qk_rope_head_dim: SmallCount = unchanged()
    sliding_window_tokens: Annotated[int, Field(strict=True, ge=0, le=100_000_000)] = unchanged()
    num_sliding_window_layers: SmallCount = unchanged()
    max_context_tokens: ContextTokens = unchanged()
    license: ShortText = unchanged()
    source: Source = unchanged()
    as_of: AsOf = unchanged()


class OpenModelRead(OpenModelFields, CatalogMeta):
    pass


# --- Catalog versions -----------------------------------------------------------------------


class CatalogVersionRead(ReadModel):
    id: int
    created_at: dt.datetime
    action: str = Field(description="seed, refresh, create, update or delete.")
    resource: str | None
    slug: str | None
    note: str
    rows_changed: int


class RefreshResult(BaseModel):
    changed: bool = Field(description="False when the package's prices equal the catalog's.")
    catalog_version: int
    added: int
    updated: int
    removed: int
    source: str


# Named pages, so generated clients get readable class names.


class GpuPage(Page[GpuRead]):
    pass


class GpuOfferingPage(Page[GpuOfferingRead]):
    pass


class OpenModelPage(Page[OpenModelRead]):
    pass


class CatalogVersionPage(Page[CatalogVersionRead]):
    pass
