"""Plan settings: what a procurement plan adds to an estimate's input (length buckets, limits,
API overflow, solver). Used by `POST /v1/plans`, by `POST /v1/estimates` when it is asked for
a plan, and by saved analyses."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated

from pydantic import Field, model_validator

from app.schemas.common import InputModel, Slug

Share = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]


class LengthBucketsIn(InputModel):
    """How requests are split by input length. The split follows the log-normal fitted to the
    workload's mean and p95 input lengths; a workload without an input p95 has one bucket."""

    count: Annotated[int, Field(strict=True, ge=1, le=8)] = Field(
        default=3, description="Buckets of equal request share (ignored when edges are given)."
    )
    edges_input_tokens: list[Annotated[int, Field(strict=True, ge=1, le=10_000_000)]] | None = (
        Field(
            default=None,
            min_length=1,
            max_length=7,
            description="Input lengths (tokens) where one bucket ends and the next begins.",
        )
    )

    @model_validator(mode="after")
    def _increasing(self) -> LengthBucketsIn:
        edges = self.edges_input_tokens
        if edges is not None and any(b <= a for a, b in pairwise(edges)):
            raise ValueError("edges_input_tokens must be strictly increasing")
        return self


class OfferingAvailabilityIn(InputModel):
    offering: Slug = Field(description="GPU offering slug.")
    instances: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = Field(
        description="Instances of it that can be held at once (overrides the catalog)."
    )


class PlanLimitsIn(InputModel):
    """Limits the plan must respect. Omitted limits are unlimited."""

    available_instances: list[OfferingAvailabilityIn] = Field(
        default_factory=list,
        max_length=500,
        description="Per offering: instances that can be held at once. Offerings not listed use "
        "the catalog's available_quantity (null there = unlimited).",
    )
    power_cap_kw: Annotated[float, Field(strict=True, ge=0, le=1e7, allow_inf_nan=False)] | None = (
        Field(
            default=None,
            description="Power envelope for owned hardware, kW: GPUs and their servers at full "
            "load times PUE.",
        )
    )
    upfront_budget_usd: (
        Annotated[float, Field(strict=True, ge=0, le=1e12, allow_inf_nan=False)] | None
    ) = Field(
        default=None, description="Most that may be spent up front on owned GPUs and servers."
    )
    max_spot_share: Share | None = Field(
        default=None, description="Largest share of all requests served on spot capacity."
    )


class PlanSettingsIn(InputModel):
    """What a plan adds to an estimate's input: length buckets, limits, API overflow, solver."""

    length_buckets: LengthBucketsIn = Field(
        default_factory=LengthBucketsIn, description="How requests are split by length."
    )
    limits: PlanLimitsIn = Field(default_factory=PlanLimitsIn, description="Limits to respect.")
    api_overflow_model: Slug | None = Field(
        default=None,
        description="API model that may take any share of any bucket; null: no API overflow.",
    )
    time_limit_s: Annotated[float, Field(strict=True, ge=0.05, le=10, allow_inf_nan=False)] = Field(
        default=1.0,
        description="Solver wall-clock limit per solve, seconds; past it the best plan found "
        "is returned with its optimality gap.",
    )
