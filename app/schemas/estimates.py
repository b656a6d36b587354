"""`POST /v1/estimates`: the workload and cost assumptions in, ranked options out.

The request's parts are in app/schemas/estimate_inputs.py and the response's in
app/schemas/estimate_outputs.py; both are re-exported here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.schemas.common import CatalogName, InputModel
from app.schemas.decisions import (
    QualityIn,
    QualityOut,
    RangesIn,
    RangesOut,
    RoutingIn,
    RoutingOut,
    SensitivityOut,
)
from app.schemas.estimate_inputs import (
    Availability,
    CostsIn,
    GpuPriceOverride,
    LatencyTargets,
    OwnedHardwareIn,
    PromptCacheIn,
    SelfHostingIn,
    SizingIn,
    WorkloadIn,
)
from app.schemas.estimate_outputs import (
    AssumptionsOut,
    BreakEvenOut,
    BreakEvenOutcomeName,
    CrossingOut,
    CurveOptionOut,
    CurvePoint,
    FleetOut,
    InfeasibleOut,
    OptionAlternativeOut,
    OptionKeyOut,
    OptionOut,
    ProjectionOut,
    ProjectionSeriesOut,
)
from app.schemas.plan_settings import PlanSettingsIn
from app.schemas.plans import PlanResponse
from app.schemas.whole_cost import (
    AdaptationIn,
    ConstraintsIn,
    InfrastructureIn,
    TeamIn,
    TimeToProductionIn,
    WholeCostOut,
)

__all__ = [
    "AssumptionsOut",
    "Availability",
    "BreakEvenOut",
    "BreakEvenOutcomeName",
    "CostsIn",
    "CrossingOut",
    "CurveOptionOut",
    "CurvePoint",
    "EstimateRequest",
    "EstimateResponse",
    "FleetOut",
    "GpuPriceOverride",
    "InfeasibleOut",
    "LatencyTargets",
    "OptionAlternativeOut",
    "OptionKeyOut",
    "OptionOut",
    "OwnedHardwareIn",
    "ProjectionOut",
    "ProjectionSeriesOut",
    "PromptCacheIn",
    "SelfHostingIn",
    "SizingIn",
    "WorkloadIn",
]


class EstimateRequest(InputModel):
    """A workload, the options to compare and the assumptions to price them with."""

    workload: WorkloadIn = Field(description="The traffic to serve.")
    api_models: list[CatalogName] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Hosted API models (catalog slugs); default: a flagship set.",
    )
    break_even_api_model: CatalogName | None = Field(
        default=None,
        description="API model of the `break_even` object; default: the cheapest API option.",
    )
    self_hosting: SelfHostingIn = Field(
        default_factory=SelfHostingIn,
        description="Open models, GPUs, precisions and ways of paying to consider.",
    )
    costs: CostsIn = Field(
        default_factory=CostsIn, description="Power, hosting, staff and discount assumptions."
    )
    sizing: SizingIn = Field(
        default_factory=SizingIn, description="How replicas are sized against the targets."
    )
    api_reasoning_tokens: dict[
        CatalogName, Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
    ] = Field(
        default_factory=dict,
        max_length=200,
        description="Hidden reasoning tokens per request billed as output, by API model; "
        "default: the sourced per-model table (see defaults_applied).",
    )
    team: TeamIn = Field(
        default_factory=lambda: TeamIn(),
        description="The people self-hosting and API options need.",
    )
    infrastructure: InfrastructureIn = Field(
        default_factory=lambda: InfrastructureIn(), description="Serving stack line items."
    )
    time_to_production: TimeToProductionIn = Field(
        default_factory=lambda: TimeToProductionIn(),
        description="Months before self-hosting serves traffic (in the projection).",
    )
    adaptation: AdaptationIn | None = Field(
        default=None, description="Fine-tuning or training a model of your own."
    )
    constraints: ConstraintsIn = Field(
        default_factory=lambda: ConstraintsIn(),
        description="Privacy and control: where data may go.",
    )
    max_options: Annotated[int, Field(strict=True, ge=1, le=10_000)] = Field(
        default=50, description="Feasible options to return, cheapest first."
    )
    quality: QualityIn | None = Field(
        default=None,
        description="Compare only models good enough: match a reference model or a floor.",
    )
    routing: RoutingIn | None = Field(
        default=None, description="Price blends where a smaller model serves a share."
    )
    ranges: RangesIn | None = Field(
        default=None, description="P10/P50/P90 ranges (Monte Carlo) and the sensitivity."
    )
    catalog_version: Annotated[int, Field(strict=True, ge=1, le=2_000_000_000)] | None = Field(
        default=None, description="Price with the catalog as it was at this version."
    )
    plan: PlanSettingsIn | None = Field(
        default=None,
        description="Also plan the cheapest mix of GPU types for this workload under these "
        "limits (as `POST /v1/plans` with the same input); the response then carries `plan`.",
    )


class EstimateResponse(BaseModel):
    requests_per_day: float = Field(description="Today's volume, requests per day.")
    tokens_per_month: float = Field(description="Input+output tokens per month at that volume.")
    options: list[OptionOut] = Field(
        description="Feasible options, cheapest first (at most `max_options`)."
    )
    options_total: int = Field(description="Feasible options before `max_options` was applied.")
    infeasible: list[InfeasibleOut] = Field(description="What could not be priced, and why.")
    break_even: BreakEvenOut | None = Field(
        description="Against `break_even_api_model` (default: the cheapest API), with curve."
    )
    break_evens: list[BreakEvenOut] = Field(description="Against every API model (no curves).")
    projection: ProjectionOut = Field(description="Monthly cost over the horizon.")
    assumptions: AssumptionsOut = Field(description="Every input, default and catalog value used.")
    quality: QualityOut | None = Field(
        default=None, description="The quality bar, verdicts and break-even per quality tier."
    )
    routing: RoutingOut | None = Field(default=None, description="Routing mixes, if asked for.")
    ranges: RangesOut | None = Field(
        default=None, description="P10/P50/P90 per option and break-even, if asked for."
    )
    sensitivity: SensitivityOut | None = Field(
        default=None, description="Tornado and what would make self-hosting win."
    )
    whole_cost: WholeCostOut | None = Field(
        default=None,
        description="Time to production, adaptation and the cost of constraints.",
    )
    plan: PlanResponse | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The procurement plan (as `POST /v1/plans` answers), when the request asked "
        "for one; absent otherwise.",
    )
