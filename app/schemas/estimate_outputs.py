"""The response parts of `POST /v1/estimates` (and of `/v1/plans`, which repeats the same
assumptions and infeasible list): options, fleets, break-evens, the projection and the
assumptions. `EstimateResponse` itself is in app/schemas/estimates.py."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.schemas.common import AliasResolvedOut
from app.schemas.whole_cost import OptionWholeCostOut, SourcedDefaultOut


class FleetOut(BaseModel):
    """The self-hosted fleet of an option at today's volume (peak figures for fleets that
    follow the daily curve)."""

    model_config = ConfigDict(from_attributes=True)

    open_model: str = Field(description="Open-model catalog slug.")
    gpu: str = Field(description="GPU catalog slug.")
    tensor_parallel: int = Field(
        description="GPUs per server of a replica (tensor-parallel degree); all of the replica's "
        "GPUs when it fits one server."
    )
    pipeline_parallel: int = Field(
        default=1,
        description="Servers per replica (pipeline stages over the inter-node network); 1 "
        "unless the model fits no single server. gpus_per_replica = tensor_parallel x this.",
    )
    precision: str = Field(description="Weight precision (bf16, fp8, int8, fp4, int4).")
    purchase_mode: str = Field(description="on_demand, committed_1y, committed_3y, spot or owned.")
    offering: str | None = Field(description="Catalog offering priced, if any.")
    serving_replicas: int = Field(description="Replicas peak traffic needs.")
    replicas: int = Field(description="Replicas including redundancy and zones.")
    instances: int = Field(description="Cloud instances or owned servers at peak.")
    gpus: int = Field(description="GPUs at peak.")
    gpus_per_replica: int = Field(description="GPUs in one replica.")
    gpus_per_instance: int = Field(description="GPUs in one instance or server.")
    average_gpus: float = Field(description="GPUs running on average over the day.")
    average_utilisation: float = Field(
        description="Replica utilisation: busy replica-time over replica-time held, 0..1."
    )
    gpu_utilisation: float | None = Field(
        default=None,
        description="GPU utilisation: busy GPU-time over GPU-time bought or rented, 0..1 "
        "(below replica utilisation when instances or servers hold GPUs no replica uses).",
    )
    unused_gpus: int | None = Field(
        default=None,
        description="GPUs bought at peak that hold no replica (whole instances or servers).",
    )
    replica_requests_per_s: float = Field(description="Usable interactive requests/s per replica.")
    operating_concurrency: float = Field(description="Requests in flight per replica at peak.")
    ttft_s: float = Field(description="Modelled mean TTFT at the operating point, seconds.")
    tpot_s: float = Field(description="Modelled mean TPOT at the operating point, seconds.")

    @field_validator("ttft_s", "tpot_s", mode="before")
    @classmethod
    def _unreachable_as_minus_one(cls, value: float) -> float:
        return value if math.isfinite(value) else -1.0


class OptionKeyOut(BaseModel):
    """What identifies an option across runs and re-runs (labels are for people)."""

    model_config = ConfigDict(from_attributes=True)

    kind: Literal["api", "self_hosted", "hybrid"] = Field(description="Kind of option.")
    api_model: str | None = Field(default=None, description="API model (api and hybrid).")
    open_model: str | None = Field(default=None, description="Open model (self-hosted, hybrid).")
    gpu: str | None = Field(default=None, description="GPU slug (self-hosted, hybrid).")
    tensor_parallel: int | None = Field(default=None, description="GPUs per replica server.")
    precision: str | None = Field(default=None, description="Weight precision.")
    purchase_mode: str | None = Field(default=None, description="How the GPUs are paid for.")
    offering: str | None = Field(
        default=None, description="Catalog offering priced, if any (informative, not identity)."
    )
    pipeline_parallel: int = Field(
        default=1,
        description="Servers per replica (pipeline stages); 1: one server (and for API options).",
    )

    def identity(self) -> tuple[object, ...]:
        """The fields that tell options apart (the offering does not)."""
        return (
            self.kind,
            self.api_model,
            self.open_model,
            self.gpu,
            self.tensor_parallel,
            self.precision,
            self.purchase_mode,
            self.pipeline_parallel,
        )


class OptionAlternativeOut(BaseModel):
    """An equivalent option folded into this one: same fleet size and cost, to the cent."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="The folded option's id.")
    label: str = Field(description="The folded option's label.")
    precision: str | None = Field(description="Its weight precision.")
    tensor_parallel: int | None = Field(description="Its GPUs per replica.")
    offering: str | None = Field(description="Its catalog offering, if any.")


class OptionOut(BaseModel):
    """One way to serve the workload, priced per month."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(
        description="Derived from `key`: api:<model>, self:<model>:<gpu>:tp<n>:<precision>:<mode>"
        " (tp<n>pp<m> for a replica spanning m servers), hybrid:<self-hosted part>:<api model>."
    )
    key: OptionKeyOut | None = Field(
        default=None,
        description="Structured identity of the option (absent only in analyses saved before "
        "keys existed).",
    )
    kind: Literal["api", "self_hosted", "hybrid"] = Field(
        description="Hosted API, own fleet, or own fleet with API overflow."
    )
    label: str = Field(description="Human-readable name of the option.")
    monthly_cost_usd: float = Field(description="USD per month at today's volume.")
    usd_per_million_tokens: float | None = Field(
        description="Monthly cost over input+output tokens, USD per 10^6 tokens."
    )
    breakdown: dict[str, float] = Field(
        description="Monthly USD by component (api_input, api_output, compute, power, hosting, "
        "staff, overhead, api ...); sums to monthly_cost_usd."
    )
    api_model: str | None = Field(default=None, description="API model slug (api and hybrid).")
    fleet: FleetOut | None = Field(default=None, description="The fleet (self_hosted, hybrid).")
    self_hosted_request_share: float = Field(
        description="Share of requests served on own GPUs (1 self-hosted, 0 API)."
    )
    alternatives: list[OptionAlternativeOut] = Field(
        default_factory=list,
        description="Options with the same fleet size and monthly cost (other precisions, "
        "replica sizes or offerings), folded into this row.",
    )
    included_because: str | None = Field(
        default=None,
        description="Why an option beyond `max_options` is listed: a requested API model, or "
        "the cheapest option of a requested open model.",
    )
    whole_cost: OptionWholeCostOut | None = Field(
        default=None, description="Team, cost shares, drivers sentence and cash up front."
    )


class InfeasibleOut(BaseModel):
    """A self-hosted option that could not be priced. Null fields mean "any": a GPU with no
    price for a purchase mode is listed once, not once per model."""

    model_config = ConfigDict(from_attributes=True)

    label: str = Field(description="What could not be priced.")
    api_model: str | None = Field(default=None, description="API model slug, if an API model.")
    open_model: str | None = Field(description="Open-model slug, or null for any.")
    gpu: str | None = Field(description="GPU slug, or null for any.")
    tensor_parallel: int | None = Field(description="GPUs per replica, or null for any.")
    precision: str | None = Field(description="Precision, or null for any.")
    purchase_mode: str | None = Field(description="Purchase mode, or null for any.")
    reason: str = Field(description="Why: does not fit, latency unreachable, no price, ...")


class CurvePoint(BaseModel):
    requests_per_day: float = Field(description="Volume, requests per day.")
    api_usd_per_month: float = Field(description="The API model's monthly cost there, USD.")
    self_hosted_usd_per_month: float | None = Field(
        description="The cheapest self-hosted option's monthly cost there, USD; null when no "
        "self-hosted option can serve that volume."
    )
    self_hosted_option: str | None = Field(
        description="Id of the cheapest self-hosted option there (see `curve_options`)."
    )


class CurveOptionOut(BaseModel):
    """A self-hosted option a break-even curve names (it need not be among `options`)."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Option id, derived from `key`.")
    label: str = Field(description="Human-readable name of the option.")
    key: OptionKeyOut = Field(description="Structured identity of the option.")


class CrossingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    requests_per_day: float = Field(description="Volume where the cheaper side flips, req/day.")
    self_hosting_cheaper_above: bool = Field(
        description="True when self-hosting is the cheaper side just above this volume."
    )


BreakEvenOutcomeName = Literal[
    "self_hosting_cheaper_above",
    "api_cheaper_throughout",
    "self_hosting_cheaper_throughout",
    "api_cheaper_at_the_top",
]


class BreakEvenOut(BaseModel):
    """Where the cheapest self-hosted option and one API model cost the same (other workload
    dimensions held fixed), found exactly on the step-shaped self-hosted cost curve. The
    search starts at 1/100 to 100x today's volume and widens (a hundredfold at a time, down to
    1 request/day and up to 10,000x today's volume) until the cheaper side flips."""

    api_model: str = Field(description="API model slug.")
    requests_per_day: float | None = Field(
        description="Volume above which self-hosting stays cheaper, up to the top of the "
        "searched range; null when there is no such crossing in the range (see `outcome`)."
    )
    outcome: BreakEvenOutcomeName | None = Field(
        default=None,
        description="self_hosting_cheaper_above: a crossing, cheaper above it up to the top; "
        "api_cheaper_throughout: no crossing in the range; self_hosting_cheaper_throughout: "
        "cheaper at every volume searched; api_cheaper_at_the_top: self-hosting is cheaper "
        "only in a middle band (see `crossings`).",
    )
    conclusion: str | None = Field(
        default=None, description="The outcome in one sentence, with the range searched."
    )
    crossings: list[CrossingOut] = Field(description="Every volume where the cheaper side flips.")
    searched_requests_per_day_min: float = Field(description="Search range start, req/day.")
    searched_requests_per_day_max: float = Field(description="Search range end, req/day.")
    exact: bool = Field(
        description="False when very large fleets made the search coarsen the step curve."
    )
    curve: list[CurvePoint] | None = Field(
        default=None, description="Cost versus volume (the `break_even` object only)."
    )
    curve_options: list[CurveOptionOut] | None = Field(
        default=None, description="The self-hosted options the curve names (`break_even` only)."
    )


class ProjectionSeriesOut(BaseModel):
    option_id: str = Field(description="Option id (see `options`).")
    label: str = Field(description="Option label.")
    monthly_cost_usd: list[float] = Field(description="USD per month, one value per month.")
    stranded_usd: list[float] | None = Field(
        default=None,
        description="Committed or owned capacity is kept for its term (1 or 3 years; owned: "
        "the amortisation period): of each month's cost, what pays for capacity that month's "
        "volume does not need, USD. Zero for fleets that follow the volume.",
    )
    cash_usd: list[float] | None = Field(
        default=None,
        description="Owned hardware only: cash out each month, USD: GPUs and servers when "
        "bought (month 0 and whenever growth adds servers), then power, hosting, staff and "
        "overhead. `monthly_cost_usd` is the amortised view.",
    )


class ProjectionOut(BaseModel):
    """Monthly cost over the horizon with growth. Fleets that follow the volume are resized
    every month; committed and owned capacity is kept for its term."""

    months: list[int] = Field(description="Month index, 0 = today.")
    requests_per_day: list[float] = Field(description="Volume in each month, req/day.")
    series: list[ProjectionSeriesOut] = Field(
        description="API models, hybrids and the cheapest self-hosted options."
    )


class AssumptionsOut(BaseModel):
    """Everything the numbers rest on, so any figure can be checked from the response alone."""

    catalog_version: int = Field(description="Catalog version every price and spec came from.")
    estimator_version: str = Field(description="Version of the estimation formulas.")
    workload: dict[str, object] = Field(description="The workload as the core used it.")
    costs: dict[str, object] = Field(description="Cost assumptions used (defaults filled in).")
    sizing: dict[str, object] = Field(description="Sizing policy used (defaults filled in).")
    defaults_applied: list[str] = Field(description="Every default the request did not set.")
    api_models: list[dict[str, object]] = Field(
        description="API catalog entries used, with prices, source and as_of."
    )
    open_models: list[dict[str, object]] = Field(description="Open-model entries used.")
    gpus: list[dict[str, object]] = Field(description="GPU entries used, with sources.")
    offerings: list[dict[str, object]] = Field(description="Cloud offerings priced.")
    build_defaults: list[SourcedDefaultOut] = Field(
        default_factory=list,
        description="Defaults of the whole cost of building that applied, with sources.",
    )
    aliases_resolved: list[AliasResolvedOut] = Field(
        default_factory=list,
        description="Names in the request that were not catalog slugs, and what each became.",
    )
