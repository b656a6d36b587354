"""`POST /v1/estimates`: the workload and cost assumptions in, ranked options out."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.purchasing import PurchaseMode
from app.core.types import Engine, Precision
from app.schemas.common import AliasResolvedOut, CatalogName, InputModel


def _num(lo: float, hi: float, description: str, *, gt: bool = False) -> Any:
    if gt:
        return Field(strict=True, gt=lo, le=hi, allow_inf_nan=False, description=description)
    return Field(strict=True, ge=lo, le=hi, allow_inf_nan=False, description=description)


def _default_precisions() -> list[Precision]:
    return [Precision.BF16, Precision.FP8]


def _all_modes() -> list[PurchaseMode]:
    return list(PurchaseMode)


Share = Annotated[float, _num(0, 1, "A share between 0 and 1.")]
Seconds = Annotated[float, _num(0, 3600, "Seconds.", gt=True)]
Tokens = Annotated[int, Field(strict=True, ge=1, le=10_000_000, description="Tokens.")]
Usd = Annotated[float, _num(0, 1e9, "USD.")]


class LatencyTargets(InputModel):
    ttft_p95_s: Seconds | None = Field(
        default=None, description="95th-percentile time to first token, seconds."
    )
    tpot_p95_s: Seconds | None = Field(
        default=None, description="95th-percentile time per output token, seconds."
    )


class Availability(InputModel):
    redundancy_replicas: Annotated[int, Field(strict=True, ge=0, le=1000)] = Field(
        default=1, description="Spare replicas beyond what peak traffic needs (N+k)."
    )
    zones: Annotated[int, Field(strict=True, ge=1, le=16)] = Field(
        default=1,
        description="Spread replicas over this many zones; with 2 or more, losing one zone "
        "still leaves peak capacity.",
    )


class PromptCacheIn(InputModel):
    """How the cached share of prompts is written: each distinct prefix (system prompt, shared
    document) is written once per cache lifetime and read by every other request."""

    distinct_prefixes: Annotated[int, Field(strict=True, ge=1, le=10_000_000)] = Field(
        default=1, description="Distinct cached prefixes in use (e.g. one system prompt)."
    )
    ttl_minutes: Annotated[float, _num(0.5, 1440, "Minutes.")] = Field(
        default=5.0,
        description="Cache lifetime, minutes (Anthropic and OpenAI: 5, refreshed on use).",
    )
    write_share: Share | None = Field(
        default=None,
        description="Share of cached prompt tokens billed as cache writes; default: "
        "distinct_prefixes x (1,440 / ttl_minutes) writes a day over today's requests.",
    )


class WorkloadIn(InputModel):
    """What the traffic looks like. Give `requests_per_day`, or `users` and
    `requests_per_user_per_day`."""

    requests_per_day: Annotated[float, _num(0, 1e11, "Requests per day.")] | None = Field(
        default=None, description="Requests per day (today's volume)."
    )
    users: Annotated[float, _num(0, 1e10, "Users.")] | None = Field(
        default=None, description="Active users; with requests_per_user_per_day."
    )
    requests_per_user_per_day: Annotated[float, _num(0, 1e6, "Requests/user/day.")] | None = Field(
        default=None, description="Requests per user per day."
    )
    input_tokens: Tokens = Field(description="Mean input (prompt) tokens per request.")
    output_tokens: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = Field(
        description="Mean output tokens per request."
    )
    input_tokens_p95: Tokens | None = Field(
        default=None, description="95th-percentile input tokens (sizing); default: the mean."
    )
    output_tokens_p95: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] | None = Field(
        default=None, description="95th-percentile output tokens (sizing); default: the mean."
    )
    cached_input_share: Share = Field(
        default=0.0, description="Share of input tokens served from a prompt cache."
    )
    prompt_cache: PromptCacheIn = Field(
        default_factory=PromptCacheIn,
        description="How often the cached prefix is written (priced at the cache-write price).",
    )
    batch_share: Share = Field(
        default=0.0,
        description="Share of requests that can wait (batch API price, or spare self-hosted "
        "capacity off-peak).",
    )
    peak_to_average: Annotated[float, _num(1, 24, "Peak hour over the average hour.")] | None = (
        Field(default=None, description="Busiest hour's traffic over the mean hour (ratio).")
    )
    hourly_profile: list[Annotated[float, _num(0, 1e6, "Relative weight.")]] | None = Field(
        default=None,
        min_length=24,
        max_length=24,
        description="24 relative hourly weights, hour 0 first (UTC); instead of peak_to_average.",
    )
    growth_per_month: Annotated[float, _num(-0.5, 10, "Monthly growth rate.")] = Field(
        default=0.0, description="Volume growth per month as a fraction (0.05 = +5 %/month)."
    )
    horizon_months: Annotated[int, Field(strict=True, ge=1, le=120)] = Field(
        default=12, description="Months in the cost projection."
    )
    latency: LatencyTargets = Field(
        default_factory=LatencyTargets, description="p95 latency targets for self-hosting."
    )
    availability: Availability = Field(
        default_factory=Availability, description="Spare replicas and zones."
    )

    @model_validator(mode="after")
    def _volume_and_shape(self) -> WorkloadIn:
        by_users = self.users is not None or self.requests_per_user_per_day is not None
        if self.requests_per_day is None and not by_users:
            raise ValueError("give requests_per_day, or users and requests_per_user_per_day")
        if self.requests_per_day is not None and by_users:
            raise ValueError("give requests_per_day or users x requests_per_user_per_day, not both")
        if by_users and (self.users is None or self.requests_per_user_per_day is None):
            raise ValueError("users and requests_per_user_per_day go together")
        if self.peak_to_average is not None and self.hourly_profile is not None:
            raise ValueError("give peak_to_average or hourly_profile, not both")
        if self.hourly_profile is not None and sum(self.hourly_profile) <= 0:
            raise ValueError("hourly_profile needs at least one positive weight")
        if self.input_tokens_p95 is not None and self.input_tokens_p95 < self.input_tokens:
            raise ValueError("input_tokens_p95 cannot be below the mean input_tokens")
        if self.output_tokens_p95 is not None and self.output_tokens_p95 < self.output_tokens:
            raise ValueError("output_tokens_p95 cannot be below the mean output_tokens")
        return self


class OwnedHardwareIn(InputModel):
    """Buying GPUs instead of renting them."""

    usd_per_gpu: Usd | None = Field(
        default=None,
        description="Purchase price per GPU for every GPU type; a GPU's own "
        "`gpu_prices[].owned_usd_per_gpu` takes precedence. Default: the catalog's list price.",
    )
    server_usd_per_gpu: Usd = Field(
        default=0.0, description="Server, networking and storage, shared out per GPU."
    )
    amortization_years: Annotated[float, _num(0.25, 15, "Years.")] = 4.0
    gpus_per_server: Annotated[int, Field(strict=True, ge=1, le=72)] = Field(
        default=8, description="GPUs per owned server (a replica must fit in one)."
    )


class GpuPriceOverride(InputModel):
    """Your own price for one GPU type (e.g. a negotiated rate)."""

    gpu: CatalogName
    usd_per_gpu_hour_on_demand: Usd | None = Field(
        default=None, description="Your on-demand price, USD per GPU-hour."
    )
    usd_per_gpu_hour_committed_1y: Usd | None = Field(
        default=None, description="Your 1-year committed price, USD per GPU-hour."
    )
    usd_per_gpu_hour_committed_3y: Usd | None = Field(
        default=None, description="Your 3-year committed price, USD per GPU-hour."
    )
    usd_per_gpu_hour_spot: Usd | None = Field(
        default=None, description="Your spot price, USD per GPU-hour."
    )
    owned_usd_per_gpu: Usd | None = Field(
        default=None, description="Your purchase price, USD per GPU."
    )


class SelfHostingIn(InputModel):
    """Which open models, GPUs and ways of paying to consider. Null lists mean "all"."""

    open_models: list[CatalogName] | None = Field(
        default=None, max_length=200, description="Open-model slugs; default: all."
    )
    gpus: list[CatalogName] | None = Field(
        default=None, max_length=200, description="GPU slugs; default: all."
    )
    precisions: list[Precision] = Field(
        default_factory=_default_precisions,
        min_length=1,
        max_length=6,
        description="Weight precisions to try (formats a GPU lacks run weight-only).",
    )
    engine: Engine | None = Field(
        default=None,
        description="Inference engine the replicas run (vllm, sglang, trtllm). Default: see "
        "defaults_applied.",
    )
    tensor_parallel: list[Annotated[int, Field(strict=True, ge=1, le=64)]] | None = Field(
        default=None,
        max_length=8,
        description="TP degrees to try; default: the smallest that fits and the next.",
    )
    purchase_modes: list[PurchaseMode] = Field(
        default_factory=_all_modes,
        min_length=1,
        max_length=5,
        description="Ways of paying for GPUs to compare.",
    )
    offerings: list[CatalogName] | None = Field(
        default=None,
        max_length=500,
        description="Cloud offerings to price from; default: the cheapest per GPU and mode.",
    )
    owned: OwnedHardwareIn = Field(
        default_factory=OwnedHardwareIn, description="Terms for owned hardware."
    )
    gpu_prices: list[GpuPriceOverride] = Field(
        default_factory=list, max_length=100, description="Your own prices per GPU type."
    )


class CostsIn(InputModel):
    """Site, staff and discount assumptions. Every default is listed in the response."""

    api_discount_share: Annotated[float, _num(0, 0.99, "Negotiated API discount.")] = 0.0
    cloud_discount_share: Annotated[float, _num(0, 0.99, "Negotiated cloud discount.")] = 0.0
    pue: Annotated[float, _num(1, 3, "Power usage effectiveness.")] | None = Field(
        default=None, description="Power usage effectiveness. Default: see defaults_applied."
    )
    usd_per_kwh: Annotated[float, _num(0, 10, "USD per kWh.")] | None = Field(
        default=None, description="USD per kWh. Default: see defaults_applied."
    )
    hosting_usd_per_kw_month: Annotated[float, _num(0, 10_000, "USD per kW-month.")] | None = Field(
        default=None, description="USD per kW-month. Default: see defaults_applied."
    )
    staff_fte: Annotated[float, _num(0, 1000, "Full-time engineers.")] | None = Field(
        default=None, description="Full-time engineers. Default: see defaults_applied."
    )
    staff_usd_per_fte_year: Usd | None = Field(
        default=None, description="Loaded yearly cost of one engineer, USD."
    )
    cost_of_capital_per_year: Annotated[float, _num(0, 1, "Annual rate.")] | None = Field(
        default=None,
        description="Annual cost of capital for owned hardware (0 = straight-line). Default: "
        "see defaults_applied.",
    )
    idle_power_share: Annotated[float, _num(0, 1, "Share of peak power.")] | None = Field(
        default=None,
        description="Power an idle server draws, share of its peak. Default: see defaults_applied.",
    )
    host_power_overhead_share: Annotated[float, _num(0, 5, "Share of GPU TDP.")] | None = Field(
        default=None,
        description="Server power beyond the GPUs, share of GPU TDP. Default: see "
        "defaults_applied.",
    )
    ops_overhead_share: Annotated[float, _num(0, 5, "Share of infrastructure cost.")] | None = (
        Field(
            default=None, description="Share of infrastructure cost. Default: see defaults_applied."
        )
    )


class SizingIn(InputModel):
    target_utilisation: Annotated[float, _num(0.05, 1, "Share.")] | None = Field(
        default=None,
        description="Headroom: share of the load per replica that meets the p95 targets (from "
        "the performance model) that a replica is planned to carry. Default: see "
        "defaults_applied.",
    )
    ttft_p95_over_mean: Annotated[float, _num(1, 10, "Ratio.")] | None = Field(
        default=None,
        description="Extra margin on the performance model's p95 TTFT (1 = none). Default: "
        "see defaults_applied.",
    )
    tpot_p95_over_mean: Annotated[float, _num(1, 10, "Ratio.")] | None = Field(
        default=None,
        description="Extra margin on the performance model's p95 TPOT (1 = none). Default: "
        "see defaults_applied.",
    )
    spot_extra_capacity_share: Annotated[float, _num(0, 5, "Share.")] | None = Field(
        default=None, description="Share. Default: see defaults_applied."
    )
    real_world_derate: Annotated[float, _num(0.05, 1, "Share of benchmark speed.")] | None = Field(
        default=None, description="Share of benchmark speed. Default: see defaults_applied."
    )
    batch_utilisation: Annotated[float, _num(0.05, 1, "Share.")] | None = Field(
        default=None,
        description="Usable share of a replica's best throughput for batch traffic. Default: "
        "see defaults_applied.",
    )
    min_serving_replicas: Annotated[int, Field(strict=True, ge=1, le=10_000)] | None = Field(
        default=None,
        description="Fewest serving replicas an autoscaled fleet keeps. Default: see "
        "defaults_applied.",
    )
    max_context_overflow_share: Annotated[float, _num(0, 1, "Share.")] | None = Field(
        default=None,
        description="Largest share of requests a model's context window may fail to hold "
        "before the model cannot serve the workload. Default: see defaults_applied.",
    )


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
    max_options: Annotated[int, Field(strict=True, ge=1, le=10_000)] = Field(
        default=50, description="Feasible options to return, cheapest first."
    )
    catalog_version: Annotated[int, Field(strict=True, ge=1, le=2_000_000_000)] | None = Field(
        default=None, description="Price with the catalog as it was at this version."
    )


# --- response -------------------------------------------------------------------------------


class FleetOut(BaseModel):
    """The self-hosted fleet of an option at today's volume (peak figures for fleets that
    follow the daily curve)."""

    model_config = ConfigDict(from_attributes=True)

    open_model: str = Field(description="Open-model catalog slug.")
    gpu: str = Field(description="GPU catalog slug.")
    tensor_parallel: int = Field(description="GPUs per replica (tensor-parallel degree).")
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
    tensor_parallel: int | None = Field(default=None, description="GPUs per replica.")
    precision: str | None = Field(default=None, description="Weight precision.")
    purchase_mode: str | None = Field(default=None, description="How the GPUs are paid for.")
    offering: str | None = Field(
        default=None, description="Catalog offering priced, if any (informative, not identity)."
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
        ", hybrid:<self-hosted part>:<api model>."
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
    aliases_resolved: list[AliasResolvedOut] = Field(
        default_factory=list,
        description="Names in the request that were not catalog slugs, and what each became.",
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
