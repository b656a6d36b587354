"""`/v1/benchmarks`: your own measured operating points, with provenance."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.types import Engine, Precision
from app.schemas.catalog import CatalogMeta
from app.schemas.common import (
    AsOf,
    InputModel,
    Page,
    PatchModel,
    ShortText,
    Slug,
    Source,
    unchanged,
)

Tokens = Annotated[int, Field(strict=True, ge=1, le=10_000_000)]
Positive = Annotated[float, Field(strict=False, gt=0, le=1e9, allow_inf_nan=False)]
Seconds = Annotated[float, Field(strict=False, gt=0, le=1e6, allow_inf_nan=False)]
Tool = Literal["manual", "vllm-bench-serve", "guidellm"]


class BenchmarkFields(BaseModel):
    # Engine and precision are stored as their values ("vllm", "fp8").
    model_config = ConfigDict(use_enum_values=True)

    engine: Engine = Field(description="Inference engine measured.")
    engine_version: ShortText = Field(examples=["vllm 0.12.0"])
    tool: Tool = Field(default="manual", description="Tool that produced the measurement.")
    gpu_slug: Slug = Field(description="Slug of a GPU in the catalog.")
    open_model_slug: Slug = Field(description="Slug of an open model in the catalog.")
    tensor_parallel: Annotated[int, Field(strict=True, ge=1, le=1024)] = Field(
        description="GPUs per replica."
    )
    precision: Precision = Field(description="Weight precision served.")
    input_tokens: Tokens = Field(description="Mean prompt tokens per request.")
    output_tokens: Tokens = Field(description="Mean generated tokens per request.")
    concurrency: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] | None = Field(
        default=None, description="Requests kept in flight (closed loop)."
    )
    request_rate_per_s: Positive | None = Field(
        default=None, description="Offered Poisson request rate (open loop)."
    )
    output_tokens_per_s: Positive = Field(description="Generated tokens/s of the replica.")
    requests_per_s: Positive | None = Field(default=None, description="Completed requests/s.")
    ttft_s: Seconds | None = Field(default=None, description="Mean time to first token, s.")
    tpot_s: Seconds | None = Field(default=None, description="Mean time per output token, s.")
    ttft_p95_s: Seconds | None = Field(default=None, description="p95 time to first token, s.")
    tpot_p95_s: Seconds | None = Field(default=None, description="p95 time per output token, s.")
    notes: Annotated[str, Field(max_length=4000)] = ""


def _one_load(fields: Any) -> Any:
    if (fields.concurrency is None) == (fields.request_rate_per_s is None):
        raise ValueError("give exactly one of concurrency (closed loop) or request_rate_per_s")
    return fields


class BenchmarkCreate(BenchmarkFields, InputModel):
    slug: Slug
    source: Source = Field(description="Where the measurement comes from (who, what, where).")
    as_of: AsOf

    @model_validator(mode="after")
    def _check_load(self) -> BenchmarkCreate:
        return _one_load(self)  # type: ignore[no-any-return]


class BenchmarkUpdate(PatchModel):
    engine_version: ShortText = unchanged()
    ttft_s: Seconds | None = None
    tpot_s: Seconds | None = None
    ttft_p95_s: Seconds | None = None
    tpot_p95_s: Seconds | None = None
    output_tokens_per_s: Positive = unchanged()
    notes: Annotated[str, Field(max_length=4000)] = unchanged()
    source: Source = unchanged()
    as_of: AsOf = unchanged()


class BenchmarkRead(BenchmarkFields, CatalogMeta):
    pass


class BenchmarkPage(Page[BenchmarkRead]):
    pass


class BenchmarkImport(InputModel):
    """A result file of `vllm bench serve` (--save-result JSON) or GuideLLM (report JSON)."""

    format: Literal["vllm-bench-serve", "guidellm"] = Field(description="Result file format.")
    slug_prefix: Slug = Field(description="Each imported point gets `<prefix>-<n>` as slug.")
    engine: Engine
    engine_version: ShortText
    gpu_slug: Slug
    open_model_slug: Slug
    tensor_parallel: Annotated[int, Field(strict=True, ge=1, le=1024)]
    precision: Precision
    source: Source
    as_of: AsOf
    report: dict[str, Any] = Field(description="The tool's JSON result, as written.")


class BenchmarkImportResult(BaseModel):
    items: list[BenchmarkRead] = Field(description="Points stored, one per benchmark run.")
