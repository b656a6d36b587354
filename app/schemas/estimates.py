"""`POST /v1/estimates`: the workload and cost assumptions in, ranked options out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from app.schemas.common import InputModel, Slug

PurchaseMode = Literal["on_demand", "committed_1y", "committed_3y", "spot", "owned"]
PrecisionName = Literal["bf16", "fp16", "fp8", "int8", "fp4", "int4"]
ALL_PURCHASE_MODES: tuple[PurchaseMode, ...] = (
    "on_demand",
    "committed_1y",
    "committed_3y",
    "spot",
    "owned",
)


def _num(lo: float, hi: float, description: str, *, gt: bool = False) -> Any:
    if gt:
        return Field(strict=True, gt=lo, le=hi, allow_inf_nan=False, description=description)
    return Field(strict=True, ge=lo, le=hi, allow_inf_nan=False, description=description)


def _default_precisions() -> list[PrecisionName]:
    return ["bf16", "fp8"]


def _all_modes() -> list[PurchaseMode]:
    return list(ALL_PURCHASE_MODES)


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


class WorkloadIn(InputModel):
    """What the traffic looks like. Give `requests_per_day`, or `users` and
    `requests_per_user_per_day`."""

    requests_per_day: Annotated[float, _num(0, 1e11, "Requests per day.")] | None = None
    users: Annotated[float, _num(0, 1e10, "Users.")] | None = None
    requests_per_user_per_day: Annotated[float, _num(0, 1e6, "Requests/user/day.")] | None = None
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
    batch_share: Share = Field(
        default=0.0,
        description="Share of requests that can wait (batch API price, or spare self-hosted "
        "capacity off-peak).",
    )
    peak_to_average: Annotated[float, _num(1, 24, "Peak hour over the average hour.")] | None = None
    hourly_profile: list[Annotated[float, _num(0, 1e6, "Relative weight.")]] | None = Field(
        default=None,
        min_length=24,
        max_length=24,
        description="24 relative hourly weights, hour 0 first (UTC); instead of peak_to_average.",
    )
    growth_per_month: Annotated[float, _num(-0.5, 10, "Monthly growth rate.")] = 0.0
    horizon_months: Annotated[int, Field(strict=True, ge=1, le=120)] = 12
    latency: LatencyTargets = Field(default_factory=LatencyTargets)
    availability: Availability = Field(default_factory=Availability)

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
        default=None, description="Purchase price per GPU; default: the catalog's list price."
    )
    server_usd_per_gpu: Usd = Field(
        default=0.0, description="Server, networking and storage, shared out per GPU."
    )
    amortization_years: Annotated[float, _num(0.25, 15, "Years.")] = 4.0
    gpus_per_server: Annotated[int, Field(strict=True, ge=1, le=72)] = 8


class GpuPriceOverride(InputModel):
    """Your own price for one GPU type (e.g. a negotiated rate)."""

    gpu: Slug
    usd_per_gpu_hour_on_demand: Usd | None = None
    usd_per_gpu_hour_committed_1y: Usd | None = None
    usd_per_gpu_hour_committed_3y: Usd | None = None
    usd_per_gpu_hour_spot: Usd | None = None
    owned_usd_per_gpu: Usd | None = None


class SelfHostingIn(InputModel):
    """Which open models, GPUs and ways of paying to consider. Null lists mean "all"."""

    open_models: list[Slug] | None = Field(default=None, max_length=200)
    gpus: list[Slug] | None = Field(default=None, max_length=200)
    precisions: list[PrecisionName] = Field(
        default_factory=_default_precisions, min_length=1, max_length=6
    )
    tensor_parallel: list[Annotated[int, Field(strict=True, ge=1, le=64)]] | None = Field(
        default=None,
        max_length=8,
        description="TP degrees to try; default: the smallest that fits and the next.",
    )
    purchase_modes: list[PurchaseMode] = Field(
        default_factory=_all_modes, min_length=1, max_length=5
    )
    offerings: list[Slug] | None = Field(
        default=None,
        max_length=500,
        description="Cloud offerings to price from; default: the cheapest per GPU and mode.",
    )
    owned: OwnedHardwareIn = Field(default_factory=OwnedHardwareIn)
    gpu_prices: list[GpuPriceOverride] = Field(default_factory=list, max_length=100)


class CostsIn(InputModel):
    """Site, staff and discount assumptions. Every default is listed in the response."""

    api_discount_share: Annotated[float, _num(0, 0.99, "Negotiated API discount.")] = 0.0
    cloud_discount_share: Annotated[float, _num(0, 0.99, "Negotiated cloud discount.")] = 0.0
    pue: Annotated[float, _num(1, 3, "Power usage effectiveness.")] | None = None
    usd_per_kwh: Annotated[float, _num(0, 10, "USD per kWh.")] | None = None
    hosting_usd_per_kw_month: Annotated[float, _num(0, 10_000, "USD per kW-month.")] | None = None
    staff_fte: Annotated[float, _num(0, 1000, "Full-time engineers.")] | None = None
    staff_usd_per_fte_year: Usd | None = None
    ops_overhead_share: Annotated[float, _num(0, 5, "Share of infrastructure cost.")] | None = None


class SizingIn(InputModel):
    target_utilisation: Annotated[float, _num(0.05, 1, "Share.")] | None = None
    ttft_p95_over_mean: Annotated[float, _num(1, 10, "Ratio.")] | None = None
    tpot_p95_over_mean: Annotated[float, _num(1, 10, "Ratio.")] | None = None
    spot_extra_capacity_share: Annotated[float, _num(0, 5, "Share.")] | None = None
    real_world_derate: Annotated[float, _num(0.05, 1, "Share of benchmark speed.")] | None = None


class EstimateRequest(InputModel):
    """A workload, the options to compare and the assumptions to price them with."""

    workload: WorkloadIn
    api_models: list[Slug] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Hosted API models (catalog slugs); default: a flagship set.",
    )
    break_even_api_model: Slug | None = Field(
        default=None,
        description="API model of the `break_even` object; default: the cheapest API option.",
    )
    self_hosting: SelfHostingIn = Field(default_factory=SelfHostingIn)
    costs: CostsIn = Field(default_factory=CostsIn)
    sizing: SizingIn = Field(default_factory=SizingIn)
    max_options: Annotated[int, Field(strict=True, ge=1, le=10_000)] = Field(
        default=50, description="Feasible options to return, cheapest first."
    )
    catalog_version: Annotated[int, Field(strict=True, ge=1, le=2_000_000_000)] | None = Field(
        default=None, description="Price with the catalog as it was at this version."
    )


# --- response -------------------------------------------------------------------------------


class FleetOut(BaseModel):
    open_model: str
    gpu: str
    tensor_parallel: int
    precision: str
    purchase_mode: str
    offering: str | None = Field(description="Catalog offering priced, if any.")
    serving_replicas: int = Field(description="Replicas peak traffic needs.")
    replicas: int = Field(description="Replicas including redundancy and zones.")
    instances: int
    gpus: int = Field(description="GPUs at peak.")
    gpus_per_replica: int
    gpus_per_instance: int
    average_gpus: float = Field(description="GPUs running on average over the day.")
    average_utilisation: float = Field(description="Mean load over capacity, 0..1.")
    replica_requests_per_s: float = Field(description="Usable interactive requests/s per replica.")
    operating_concurrency: float = Field(description="Requests in flight per replica at peak.")
    ttft_s: float = Field(description="Modelled mean TTFT at the operating point, seconds.")
    tpot_s: float = Field(description="Modelled mean TPOT at the operating point, seconds.")


class OptionOut(BaseModel):
    id: str
    kind: Literal["api", "self_hosted", "hybrid"]
    label: str
    monthly_cost_usd: float = Field(description="USD per month at today's volume.")
    usd_per_million_tokens: float | None = Field(
        description="Monthly cost over input+output tokens, USD per 10^6 tokens."
    )
    breakdown: dict[str, float] = Field(description="Monthly USD by component.")
    api_model: str | None = None
    fleet: FleetOut | None = None
    self_hosted_request_share: float = Field(
        description="Share of requests served on own GPUs (1 self-hosted, 0 API)."
    )


class InfeasibleOut(BaseModel):
    """A self-hosted option that could not be priced. Null fields mean "any": a GPU with no
    price for a purchase mode is listed once, not once per model."""

    label: str
    open_model: str | None
    gpu: str
    tensor_parallel: int | None
    precision: str | None
    purchase_mode: str | None
    reason: str


class CurvePoint(BaseModel):
    requests_per_day: float
    api_usd_per_month: float
    self_hosted_usd_per_month: float
    self_hosted_option: str | None = Field(description="Cheapest self-hosted option there.")


class CrossingOut(BaseModel):
    requests_per_day: float
    self_hosting_cheaper_above: bool


class BreakEvenOut(BaseModel):
    api_model: str
    requests_per_day: float | None = Field(
        description="Volume above which self-hosting stays cheaper (within the searched "
        "range); null when the lines never cross."
    )
    crossings: list[CrossingOut] = Field(description="Every volume where the cheaper side flips.")
    searched_requests_per_day_min: float
    searched_requests_per_day_max: float
    exact: bool
    curve: list[CurvePoint] | None = None


class ProjectionSeriesOut(BaseModel):
    option_id: str
    label: str
    monthly_cost_usd: list[float]


class ProjectionOut(BaseModel):
    months: list[int]
    requests_per_day: list[float]
    series: list[ProjectionSeriesOut]


class AssumptionsOut(BaseModel):
    """Everything the numbers rest on, so any figure can be checked from the response alone."""

    catalog_version: int
    estimator_version: str
    workload: dict[str, object]
    costs: dict[str, object]
    sizing: dict[str, object]
    defaults_applied: list[str]
    api_models: list[dict[str, object]]
    open_models: list[dict[str, object]]
    gpus: list[dict[str, object]]
    offerings: list[dict[str, object]]


class EstimateResponse(BaseModel):
    requests_per_day: float
    tokens_per_month: float
    options: list[OptionOut]
    options_total: int = Field(description="Feasible options before `max_options` was applied.")
    infeasible: list[InfeasibleOut]
    break_even: BreakEvenOut | None
    break_evens: list[BreakEvenOut] = Field(description="Against every API model (no curves).")
    projection: ProjectionOut
    assumptions: AssumptionsOut
