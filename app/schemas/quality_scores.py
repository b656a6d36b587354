"""Request and response bodies of model quality scores."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.schemas.catalog import CatalogMeta
from app.schemas.common import (
    AsOf,
    Name,
    Page,
    PatchModel,
    Slug,
    Source,
    unchanged,
)
from app.schemas.common import InputModel as _Input

# --- Model quality scores ---------------------------------------------------------------------

Percent = Annotated[
    float, Field(strict=True, ge=0, le=100, allow_inf_nan=False, description="Percent, 0-100.")
]
ArenaScore = Annotated[
    float,
    Field(strict=True, ge=0, le=5000, allow_inf_nan=False, description="Arena (Elo-style) rating."),
]
ModelKind = Literal["api", "open"]
#: Quality measures the catalog holds, as named in requests (`quality.measure`).
QUALITY_MEASURES: tuple[str, ...] = ("arena_score", "mmlu_pro", "gpqa_diamond", "livecodebench")


class QualityScoreFields(BaseModel):
    name: Name = Field(examples=["GPT-4o"])
    model_kind: ModelKind = Field(
        description="`api`: the slug is an API model; `open`: an open model.", examples=["api"]
    )
    arena_score: ArenaScore | None = Field(default=None, description="Arena rating, if known.")
    mmlu_pro: Percent | None = Field(default=None, description="MMLU-Pro accuracy, %.")
    gpqa_diamond: Percent | None = Field(default=None, description="GPQA Diamond accuracy, %.")
    livecodebench: Percent | None = Field(default=None, description="LiveCodeBench pass@1, %.")


class QualityScoreCreate(QualityScoreFields, _Input):
    slug: Slug = Field(description="The API model's or open model's catalog slug.")
    source: Source
    as_of: AsOf


class QualityScoreUpdate(PatchModel):
    name: Name = unchanged()
    model_kind: ModelKind = unchanged()
    arena_score: ArenaScore | None = None
    mmlu_pro: Percent | None = None
    gpqa_diamond: Percent | None = None
    livecodebench: Percent | None = None
    source: Source = unchanged()
    as_of: AsOf = unchanged()


class QualityScoreRead(QualityScoreFields, CatalogMeta):
    pass


class QualityScorePage(Page[QualityScoreRead]):
    pass
