"""`POST /v1/plans`: the cheapest executable mix of GPU types, ways of paying and API overflow."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.schemas.common import Slug
from app.schemas.estimate_inputs import CostsIn, SelfHostingIn, SizingIn, WorkloadIn
from app.schemas.estimate_outputs import AssumptionsOut, InfeasibleOut
from app.schemas.plan_settings import (
    LengthBucketsIn,
    OfferingAvailabilityIn,
    PlanLimitsIn,
    PlanSettingsIn,
)

__all__ = [
    "ApiComparisonOut",
    "BindingLimitOut",
    "BucketOut",
    "HourOut",
    "LengthBucketsIn",
    "OfferingAvailabilityIn",
    "PlanLimitsIn",
    "PlanLineOut",
    "PlanRequest",
    "PlanResponse",
    "PlanSettingsIn",
    "SingleTypeOut",
    "SolverOut",
]


class PlanRequest(PlanSettingsIn):
    """A workload, the options to mix and the limits; see docs/plans.md."""

    workload: WorkloadIn = Field(description="The traffic to serve.")
    self_hosting: SelfHostingIn = Field(
        default_factory=SelfHostingIn,
        description="Open models, GPUs, precisions, offerings and ways of paying to mix.",
    )
    costs: CostsIn = Field(default_factory=CostsIn, description="Power, hosting, staff, discounts.")
    sizing: SizingIn = Field(default_factory=SizingIn, description="Replica sizing policy.")
    api_models: list[Slug] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="API models to compare the plan with; default: the estimates' flagship set.",
    )
    api_reasoning_tokens: dict[Slug, Annotated[int, Field(strict=True, ge=0, le=1_000_000)]] = (
        Field(
            default_factory=dict,
            max_length=200,
            description="Hidden reasoning tokens per request billed as output, by API model "
            "(as for /v1/estimates); default: the sourced per-model table.",
        )
    )
    catalog_version: Annotated[int, Field(strict=True, ge=1, le=2_000_000_000)] | None = Field(
        default=None, description="Plan with the catalog as it was at this version."
    )


# --- response -------------------------------------------------------------------------------


class PlanLineOut(BaseModel):
    """One thing to buy, reserve or rent, how many, and what it serves."""

    label: str = Field(description="Human-readable line.")
    open_model: str = Field(description="Open model to run on it.")
    gpu: str = Field(description="GPU type.")
    tensor_parallel: int = Field(description="GPUs per replica.")
    precision: str = Field(description="Weight precision.")
    purchase_mode: str = Field(description="on_demand, committed_1y, committed_3y, spot, owned.")
    offering: str | None = Field(description="Catalog offering (instance type) to rent, if any.")
    provider: str | None = Field(description="Where: the cloud provider (null for owned).")
    region: str | None = Field(description="Where: the offering's region, if the catalog has it.")
    held_all_day: bool = Field(description="True: held 24/7 (committed, owned); False: hourly.")
    gpus_per_instance: int = Field(description="GPUs per instance or owned server.")
    instances: int = Field(description="Instances or servers at the busiest hour.")
    gpus: int = Field(description="GPUs at the busiest hour.")
    average_instances: float = Field(description="Instances held on average over the day.")
    serving_replicas: int = Field(description="Replicas serving traffic at the busiest hour.")
    replicas: int = Field(description="Replicas with spares, spot extra capacity and zones.")
    instances_by_hour: list[int] = Field(description="Instances held in each hour, hour 0 first.")
    requests_per_day_by_bucket: list[float] = Field(
        description="Requests per day of each length bucket this line serves."
    )
    monthly_cost_usd: float = Field(description="USD per month for this line.")
    breakdown: dict[str, float] = Field(description="compute, power, hosting, overhead, USD/month.")
    power_kw: float = Field(description="Owned: (GPU + server) x PUE at full load, kW.")
    upfront_usd: float = Field(description="Owned: purchase of its GPUs and servers, USD.")


class BucketOut(BaseModel):
    index: int = Field(description="Bucket number, shortest first.")
    input_tokens_min: float = Field(description="Lower edge of input length, tokens.")
    input_tokens_max: float | None = Field(description="Upper edge, tokens (null: no limit).")
    input_tokens_mean: float = Field(description="Mean input length in the bucket, tokens.")
    input_tokens_sizing: float = Field(description="The bucket's p95 input length, tokens.")
    request_share: float = Field(description="Share of requests in the bucket.")
    requests_per_day: float = Field(description="Requests per day in the bucket.")
    served_by: dict[str, float] = Field(
        description="Share of the bucket's requests per line label (and 'api')."
    )


class HourOut(BaseModel):
    hour: int = Field(description="Hour of the day, 0-23.")
    requests_per_s: float = Field(description="Interactive demand in that hour, req/s.")
    instances: dict[str, int] = Field(description="Instances held per line label.")
    api_requests_per_s: float = Field(description="Interactive requests/s sent to the API.")


class SingleTypeOut(BaseModel):
    """The cheapest fleet of one configuration and one way of paying (what /v1/estimates
    ranks first among self-hosted options when there is one length bucket)."""

    label: str = Field(description="Human-readable fleet.")
    open_model: str = Field(description="Open model.")
    gpu: str = Field(description="GPU type.")
    purchase_mode: str = Field(description="Way of paying.")
    offering: str | None = Field(description="Catalog offering, if rented.")
    monthly_cost_usd: float = Field(description="USD per month.")
    instances: int = Field(description="Instances at the busiest hour.")
    gpus: int = Field(description="GPUs at the busiest hour.")
    within_limits: bool = Field(description="Whether it would also respect the plan's limits.")
    plan_saving_usd_per_month: float = Field(description="This fleet's cost minus the plan's.")
    plan_saving_share: float = Field(description="That saving over this fleet's cost.")


class ApiComparisonOut(BaseModel):
    api_model: str = Field(description="API model slug.")
    monthly_cost_usd: float = Field(description="The whole workload on this API, USD/month.")
    plan_saving_usd_per_month: float = Field(description="This cost minus the plan's.")


class BindingLimitOut(BaseModel):
    limit: str = Field(
        description="power_cap_kw, upfront_budget_usd, max_spot_share or "
        "available_instances:<offering>."
    )
    used: float = Field(description="How much of it the plan uses (kW, USD, share, instances).")
    allowed: float = Field(description="The limit.")
    saving_usd_per_month: float | None = Field(
        description="What lifting this limit alone would save, USD/month (re-solved); null if "
        "the relaxed programme found no answer within the time limit."
    )


class SolverOut(BaseModel):
    status: str = Field(description="optimal, or time_limit (best plan found; see the gap).")
    optimality_gap: float = Field(description="Relative gap to the solver's lower bound.")
    solve_time_s: float = Field(description="Wall-clock time of the main solve, seconds.")
    time_limit_s: float = Field(description="Limit per solve, seconds.")
    pools: int = Field(description="Configurations x ways of paying the solver chose from.")


class PlanResponse(BaseModel):
    requests_per_day: float = Field(description="Today's volume, requests per day.")
    monthly_cost_usd: float = Field(description="The plan's cost, USD per month.")
    breakdown: dict[str, float] = Field(
        description="compute, power, hosting, staff, overhead and api, USD/month."
    )
    lines: list[PlanLineOut] = Field(description="What to buy, reserve or rent; costliest first.")
    api_overflow_model: str | None = Field(description="API model taking overflow, if allowed.")
    api_requests_per_day: float = Field(description="Requests per day sent to that API.")
    buckets: list[BucketOut] = Field(description="Length buckets and what serves each.")
    hours: list[HourOut] = Field(description="The hour-by-hour mix, hour 0 first.")
    best_single_type: SingleTypeOut | None = Field(
        description="The cheapest single-type fleet, for comparison (null: none serves all)."
    )
    api_comparison: list[ApiComparisonOut] = Field(description="API models, cheapest first.")
    binding_limits: list[BindingLimitOut] = Field(description="Limits the plan runs into.")
    solver: SolverOut = Field(description="How the plan was solved.")
    infeasible: list[InfeasibleOut] = Field(description="Configurations left out, and why.")
    assumptions: AssumptionsOut = Field(description="Every input, default and catalog value used.")
