"""The request parts of `POST /v1/estimates` (and of `/v1/plans`, which prices the same inputs):
workload, self-hosting options, costs and sizing. `EstimateRequest` itself is in
app/schemas/estimates.py."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from app.core.purchasing import PurchaseMode
from app.core.types import Engine, Precision
from app.schemas.common import CatalogName, InputModel


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
    server_usd_per_gpu: Usd | None = Field(
        default=None,
        description="The rest of the server (CPUs, memory, NICs, chassis), shared out per GPU. "
        "Default: see assumptions.build_defaults.",
    )
    networking_share: Annotated[float, _num(0, 0.9, "Share.")] | None = Field(
        default=None, description="Cluster networking as a share of all owned capital."
    )
    support_usd_per_gpu_year: Usd | None = Field(
        default=None, description="Support contracts, USD per GPU-year."
    )
    residual_value_share: Annotated[float, _num(0, 0.99, "Share.")] | None = Field(
        default=None, description="Share of the capital left after the amortisation period."
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
        "see assumptions.build_defaults.",
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
