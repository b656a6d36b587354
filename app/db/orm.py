"""ORM classes. Catalog tables keep history: every row is one version of one entry.

A catalog entry (a GPU, an offering, an open model, an API model) is the set of rows sharing a
`slug`. Each row is valid from the catalog version that wrote it (`valid_from_version`) until the
version that replaced or deleted it (`valid_to_version`, NULL while current). Reading the catalog
"as of" version v selects rows with valid_from <= v and (valid_to is NULL or valid_to > v), so old
values are never lost and every analysis can name the exact prices it used.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.db.base import Base
from app.db.types import ExactDecimal, Money, UtcDateTime


class CatalogVersion(Base):
    """One change to the catalogs: a seed, a refresh, or one create/update/delete."""

    __tablename__ = "catalog_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(32))
    resource: Mapped[str | None] = mapped_column(String(64))
    slug: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)


class VersionedEntry(Base):
    """Columns every catalog table shares."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    as_of: Mapped[dt.date] = mapped_column(Date)

    @declared_attr
    def valid_from_version(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy's declared_attr
        return mapped_column(ForeignKey("catalog_versions.id"), index=True)

    @declared_attr
    def valid_to_version(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("catalog_versions.id"), index=True, nullable=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        # At most one current row per slug; history rows may repeat it.
        where = text("valid_to_version IS NULL")
        return (
            Index(
                f"uq_{cls.__tablename__}_current_slug",
                "slug",
                unique=True,
                sqlite_where=where,
                postgresql_where=where,
            ),
            Index(f"ix_{cls.__tablename__}_slug", "slug"),
        )


class Gpu(VersionedEntry):
    __tablename__ = "gpus"

    name: Mapped[str] = mapped_column(String(200))
    vendor: Mapped[str] = mapped_column(String(64))
    memory_gb: Mapped[float] = mapped_column(Float)
    memory_bandwidth_gb_per_s: Mapped[float] = mapped_column(Float)
    bf16_tflops: Mapped[float] = mapped_column(Float)
    fp8_tflops: Mapped[float | None] = mapped_column(Float)
    fp4_tflops: Mapped[float | None] = mapped_column(Float)
    int8_tops: Mapped[float | None] = mapped_column(Float)
    interconnect: Mapped[str] = mapped_column(String(16))
    interconnect_gb_per_s: Mapped[float] = mapped_column(Float)
    max_gpus_per_node: Mapped[int] = mapped_column(Integer)
    tdp_w: Mapped[float] = mapped_column(Float)
    list_price_usd: Mapped[Decimal | None] = mapped_column(Money)


class GpuOffering(VersionedEntry):
    __tablename__ = "gpu_offerings"

    provider: Mapped[str] = mapped_column(String(64))
    instance_type: Mapped[str] = mapped_column(String(128))
    gpu_slug: Mapped[str] = mapped_column(String(200))
    gpu_count: Mapped[int] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(64))
    usd_per_hour_on_demand: Mapped[Decimal | None] = mapped_column(Money)
    usd_per_hour_committed_1y: Mapped[Decimal | None] = mapped_column(Money)
    usd_per_hour_committed_3y: Mapped[Decimal | None] = mapped_column(Money)
    usd_per_hour_spot: Mapped[Decimal | None] = mapped_column(Money)
    #: Instances that can be held at once (a region's capacity, a quota); NULL = unlimited.
    available_quantity: Mapped[int | None] = mapped_column(Integer)


class OpenModel(VersionedEntry):
    __tablename__ = "open_models"

    name: Mapped[str] = mapped_column(String(200))
    family: Mapped[str] = mapped_column(String(64))
    hf_repo: Mapped[str | None] = mapped_column(String(200))
    total_params_b: Mapped[float] = mapped_column(Float)
    active_params_b: Mapped[float] = mapped_column(Float)
    num_layers: Mapped[int] = mapped_column(Integer)
    hidden_size: Mapped[int] = mapped_column(Integer)
    num_attention_heads: Mapped[int] = mapped_column(Integer)
    num_kv_heads: Mapped[int] = mapped_column(Integer)
    head_dim: Mapped[int] = mapped_column(Integer)
    intermediate_size: Mapped[int] = mapped_column(Integer)
    vocab_size: Mapped[int] = mapped_column(Integer)
    num_experts: Mapped[int] = mapped_column(Integer)
    num_experts_per_token: Mapped[int] = mapped_column(Integer)
    attention_kind: Mapped[str] = mapped_column(String(32))
    kv_lora_rank: Mapped[int] = mapped_column(Integer)
    qk_rope_head_dim: Mapped[int] = mapped_column(Integer)
    sliding_window_tokens: Mapped[int] = mapped_column(Integer)
    num_sliding_window_layers: Mapped[int] = mapped_column(Integer)
    max_context_tokens: Mapped[int] = mapped_column(Integer)
    license: Mapped[str] = mapped_column(String(128))


class ApiModel(VersionedEntry):
    __tablename__ = "api_models"

    provider: Mapped[str] = mapped_column(String(64))
    provider_name: Mapped[str] = mapped_column(String(128))
    model_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    context_window_tokens: Mapped[int | None] = mapped_column(Integer)
    usd_per_mtok_input: Mapped[Decimal] = mapped_column(Money)
    usd_per_mtok_output: Mapped[Decimal] = mapped_column(Money)
    usd_per_mtok_cached_input: Mapped[Decimal | None] = mapped_column(Money)
    usd_per_mtok_cache_write: Mapped[Decimal | None] = mapped_column(Money)
    batch_discount: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    batch_discount_source: Mapped[str | None] = mapped_column(Text)
    long_context_tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class QualityScore(VersionedEntry):
    """Public quality measures of one model (API model or open model, by its catalog slug).

    Scores are percentages (0-100) except `arena_score` (an LMArena-style rating); a NULL is a
    measure that was not found, never a guess. Scores from different publishers use different
    harnesses, so `source` names the table each row was taken from.
    """

    __tablename__ = "quality_scores"

    name: Mapped[str] = mapped_column(String(200))
    model_kind: Mapped[str] = mapped_column(String(16))
    arena_score: Mapped[float | None] = mapped_column(Float)
    mmlu_pro: Mapped[float | None] = mapped_column(Float)
    gpqa_diamond: Mapped[float | None] = mapped_column(Float)
    livecodebench: Mapped[float | None] = mapped_column(Float)


class FineTuningPrice(VersionedEntry):
    """A provider's hosted fine-tuning of one API model: training price and the fine-tuned
    model's inference prices."""

    __tablename__ = "fine_tuning_prices"

    api_model_slug: Mapped[str] = mapped_column(String(200))
    usd_per_mtok_training: Mapped[Decimal] = mapped_column(Money)
    usd_per_mtok_input: Mapped[Decimal] = mapped_column(Money)
    usd_per_mtok_output: Mapped[Decimal] = mapped_column(Money)
    usd_per_mtok_cached_input: Mapped[Decimal | None] = mapped_column(Money)
    usd_per_hour_hosting: Mapped[Decimal | None] = mapped_column(Money)


class Benchmark(VersionedEntry):
    """One measured operating point of one deployment (POST /v1/benchmarks), with provenance."""

    __tablename__ = "benchmarks"

    engine: Mapped[str] = mapped_column(String(16))
    engine_version: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(32))
    gpu_slug: Mapped[str] = mapped_column(String(200))
    open_model_slug: Mapped[str] = mapped_column(String(200))
    tensor_parallel: Mapped[int] = mapped_column(Integer)
    precision: Mapped[str] = mapped_column(String(8))
    input_tokens: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(Integer)
    concurrency: Mapped[int | None] = mapped_column(Integer)
    request_rate_per_s: Mapped[float | None] = mapped_column(Float)
    output_tokens_per_s: Mapped[float] = mapped_column(Float)
    requests_per_s: Mapped[float | None] = mapped_column(Float)
    ttft_s: Mapped[float | None] = mapped_column(Float)
    tpot_s: Mapped[float | None] = mapped_column(Float)
    ttft_p95_s: Mapped[float | None] = mapped_column(Float)
    tpot_p95_s: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")


class Analysis(Base):
    """A saved estimate: its input, the catalog values it used, and its result.

    `input`, `catalog_snapshot` and `result` are stored as JSON exactly as first computed, so a
    saved analysis reads the same after the catalog has moved on. `api_models`, `open_models`
    and the cheapest option are copied out of the result so lists can filter and sort on them.
    Deleting is a real delete; revisions of a deleted analysis keep their data and lose the link.
    """

    __tablename__ = "analyses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    catalog_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    catalog_version: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"))
    estimator_version: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("analyses.id", ondelete="SET NULL"), index=True
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: SHA-256 of the canonical create body: a retry with the same key must send the same body.
    request_sha256: Mapped[str] = mapped_column(String(64), server_default="")
    api_models: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    open_models: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    cheapest_option: Mapped[str | None] = mapped_column(Text)
    cheapest_monthly_cost_usd: Mapped[float | None] = mapped_column(Float)
    #: Plan settings (POST /v1/plans fields beyond the estimate's input) and the plan solved
    #: for the same input, when the analysis asked for one; NULL otherwise.
    plan_input: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    plan_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    #: The principal (and team) whose key created it; NULL for analyses saved before owners
    #: existed, which only an `analyses:admin` key may change.
    owner: Mapped[str | None] = mapped_column(String(200), index=True)
    team: Mapped[str | None] = mapped_column(String(200))


class ApiKey(Base):
    """An API key, stored as the SHA-256 of its secret: the secret itself is shown only once.

    Keys are 256-bit random tokens, so a fast hash suffices (no password stretching needed).
    """

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    principal: Mapped[str] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the secret, to tell keys apart in lists.
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
