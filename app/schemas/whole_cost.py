"""Request and response blocks of `POST /v1/estimates` for the whole cost of building:
team, serving infrastructure, time to production, adaptation and constraints.

Every number is optional: a missing one takes the sourced default that the response lists
under `assumptions.build_defaults` (app/core/build_defaults.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.adaptation import AdaptationMethod
from app.schemas.common import InputModel, ShortText, Slug


def _opt(lo: float, hi: float, description: str) -> Any:
    return Field(strict=True, ge=lo, le=hi, allow_inf_nan=False, description=description)


UsdYear = Annotated[float | None, _opt(0, 1e8, "USD per FTE-year (loaded).")]
Fte = Annotated[float | None, _opt(0, 10_000, "Full-time equivalents.")]


class TeamIn(InputModel):
    """The people self-hosting needs, by role. Ignored when `costs.staff_fte` is given (then a
    flat staff_fte x staff_usd_per_fte_year applies)."""

    inference_engineer_usd_per_year: UsdYear = None
    sre_usd_per_year: UsdYear = None
    mlops_usd_per_year: UsdYear = None
    datacenter_ops_usd_per_year: UsdYear = None
    integration_engineer_usd_per_year: UsdYear = None
    location_cost_factor: Annotated[float | None, _opt(0, 10, "Ratio to US national means.")] = None
    on_call_positions: Annotated[float | None, _opt(0, 100, "People on call at once.")] = None
    on_call_max_share: Annotated[float | None, _opt(0.01, 1, "Largest share on call.")] = None
    on_call_support_usd_per_year: Annotated[
        float | None, _opt(0, 1e9, "A paid 24/7 support contract instead of a rotation, USD/year.")
    ] = None
    inference_engineers_base: Fte = None
    inference_engineers_per_model: Fte = None
    mlops_per_model: Fte = None
    sre_base: Fte = None
    sre_per_1000_gpus: Fte = None
    datacenter_ops_per_1000_gpus: Fte = None
    api_integration_fte: Fte = None
    models_served: Annotated[int | None, Field(strict=True, ge=1, le=10_000)] = None


class InfrastructureIn(InputModel):
    """Serving stack line items around a self-hosted fleet."""

    itemised: bool = Field(
        default=True,
        description="Price gateway, observability, storage and egress as line items (and "
        "default costs.ops_overhead_share to 0); false keeps the share only.",
    )
    gateway_usd_per_month: Annotated[float | None, _opt(0, 1e7, "USD/month per fleet.")] = None
    gateway_usd_per_million_requests: Annotated[float | None, _opt(0, 1e4, "USD/1M requests.")] = (
        None
    )
    observability_usd_per_host_month: Annotated[float | None, _opt(0, 1e5, "USD/host-month.")] = (
        None
    )
    storage_usd_per_gb_month: Annotated[float | None, _opt(0, 100, "USD/GB-month.")] = None
    checkpoints_kept: Annotated[float | None, _opt(0, 1000, "Copies of the weights.")] = None
    log_bytes_per_token: Annotated[float | None, _opt(0, 1e4, "Bytes per token.")] = None
    log_retention_months: Annotated[float | None, _opt(0, 120, "Months.")] = None
    egress_usd_per_gb: Annotated[float | None, _opt(0, 100, "USD/GB.")] = None
    egress_bytes_per_output_token: Annotated[float | None, _opt(0, 1e5, "Bytes per token.")] = None


class TimeToProductionIn(InputModel):
    """Months before self-hosting serves traffic, and what serves it meanwhile."""

    hiring_lead_months: Annotated[float | None, _opt(0, 60, "Months.")] = None
    build_out_months: Annotated[float | None, _opt(0, 60, "Months.")] = None
    interim: Literal["api", "none"] = Field(
        default="api",
        description="`api`: the workload runs on `interim_api_model` meanwhile; `none`: it is "
        "not served (only the team is paid).",
    )
    interim_api_model: Slug | None = Field(
        default=None, description="API model serving meanwhile; default: the cheapest API."
    )


class AdaptationIn(InputModel):
    """Fine-tune an open model (LoRA or full) or train one from scratch; API models are
    fine-tuned where the catalog lists a hosted fine-tuning price."""

    method: AdaptationMethod = Field(description="lora, full_fine_tune or from_scratch.")
    training_tokens: float = Field(
        strict=True, ge=0, le=1e15, allow_inf_nan=False, description="Tokens per epoch."
    )
    epochs: Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)] = 1.0
    retrains_per_year: Annotated[float, Field(strict=True, ge=0, le=365)] = 0.0
    eval_runs_per_training: Annotated[float, Field(strict=True, ge=0, le=1000)] = 1.0
    eval_tokens_per_run: Annotated[float, Field(strict=True, ge=0, le=1e13)] = 0.0
    data_prep_usd_per_run: Annotated[float, Field(strict=True, ge=0, le=1e10)] = 0.0
    adapters: Annotated[int, Field(strict=True, ge=1, le=10_000)] = Field(
        default=1, description="LoRA adapters trained and served on one base model."
    )
    model_flops_utilisation: Annotated[float | None, _opt(0.01, 1, "Share of peak.")] = None
    lora_compute_share: Annotated[float | None, _opt(0.01, 1, "Share of full fine-tuning.")] = None
    training_gpu: Slug = Field(default="h100-sxm-80gb", description="GPU trained on.")
    training_usd_per_gpu_hour: Annotated[
        float | None, _opt(0, 1e4, "USD per GPU-hour; default: cheapest on-demand offering.")
    ] = None


class ConstraintsIn(InputModel):
    """Privacy and control: what the data may touch. The response reports what this costs."""

    hosted_apis_allowed: bool = Field(
        default=True, description="False: the data may not leave your own infrastructure."
    )
    api_providers: list[ShortText] | None = Field(
        default=None, max_length=100, description="Only these API providers (e.g. openai)."
    )
    gpu_providers: list[ShortText] | None = Field(
        default=None, max_length=100, description="Only offerings of these clouds (e.g. aws)."
    )
    gpu_regions: list[ShortText] | None = Field(
        default=None, max_length=100, description="Only offerings in these regions."
    )


# --- response -------------------------------------------------------------------------------


class TeamLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: str = Field(description="inference_engineer, sre, mlops, datacenter_ops, ...")
    fte: float = Field(description="Full-time equivalents.")
    usd_per_fte_year: float = Field(description="Loaded yearly cost of one FTE, USD.")
    usd_per_month: float = Field(description="fte x usd_per_fte_year / 12.")


class TeamOut(BaseModel):
    """The team an option assumes: roles x FTE x cost."""

    model_config = ConfigDict(from_attributes=True)

    lines: list[TeamLineOut]
    fte: float = Field(description="People in all.")
    support_contract_usd_per_month: float = Field(description="Paid 24/7 support, USD/month.")
    usd_per_month: float = Field(description="People and support contract, USD/month.")


class OptionWholeCostOut(BaseModel):
    """What drives an option's cost, the team it assumes and the cash it needs up front."""

    model_config = ConfigDict(from_attributes=True)

    cost_shares: dict[str, float] = Field(
        description="Share of the monthly cost by component: people, compute, infrastructure, "
        "adaptation, api."
    )
    drivers: str = Field(description="One plain sentence, e.g. 'People are 65% of ...'.")
    up_front_usd: float = Field(
        description="Cash before serving: owned servers with networking, first training run."
    )
    team: TeamOut | None = Field(default=None, description="Null with a flat staff figure.")
    horizon_total_usd: float | None = Field(
        default=None, description="Projected cost over the horizon, time to production included."
    )


class AdaptationCostOut(BaseModel):
    subject: str = Field(description="Open model trained, or API model fine-tuned.")
    kind: Literal["self_hosted", "hosted", "not_available"] = Field(
        description="Trained on rented GPUs, bought as hosted fine-tuning, or not offered."
    )
    training_flops_per_run: float | None = None
    gpu_hours_per_run: float | None = None
    usd_per_run: float | None = None
    usd_per_month: float | None = Field(
        default=None, description="First run over the horizon plus retrains per year / 12."
    )


class ConstraintCostOut(BaseModel):
    cheapest_unconstrained_option: str | None
    cheapest_unconstrained_usd_per_month: float | None
    cheapest_constrained_option: str | None
    cheapest_constrained_usd_per_month: float | None
    usd_per_month: float | None = Field(
        description="What the constraints add to the cheapest option; null if none is left."
    )


class TimeToProductionOut(BaseModel):
    months: float = Field(description="Hiring lead plus build-out months.")
    hiring_lead_months: float
    build_out_months: float
    interim_api_model: str | None = Field(description="What serves meanwhile (null: nothing).")


class WholeCostOut(BaseModel):
    """The whole cost of building, beyond GPUs and tokens."""

    time_to_production: TimeToProductionOut | None
    adaptation: list[AdaptationCostOut] = Field(default_factory=list)
    constraints: ConstraintCostOut | None = None


class SourcedDefaultOut(BaseModel):
    name: str = Field(description="The request field that sets it, e.g. team.sre_usd_per_year.")
    value: float
    unit: str
    source: str
    as_of: str
