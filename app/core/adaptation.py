"""Model adaptation: LoRA, full fine-tuning or a model trained from scratch, self-hosted or
bought as a provider's hosted fine-tuning.

Training compute is C = 6 N D FLOPs for N (active) parameters and D tokens (Kaplan et al.
2020), times a sourced share for LoRA, which skips most weight gradients. GPU-hours are
C / (peak dense BF16 FLOP/s x model-FLOPs utilisation) / 3600, priced per GPU-hour from the
catalog's offerings. Evaluation runs are forward passes, 2 N FLOPs per token. The first run
is paid up front and spread over the projection horizon; retrains recur every year. Sources:
app/core/build_defaults.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from app.core.api_cost import ApiPriceSpec
from app.core.build_defaults import default
from app.core.errors import InvalidEstimateInputError
from app.core.workload import HOURS_PER_MONTH, SECONDS_PER_HOUR, TOKENS_PER_MTOK

MONTHS_PER_YEAR = 12.0
#: FLOPs per parameter per token of a forward pass (evaluation, no gradients).
FORWARD_FLOPS_PER_PARAM_TOKEN = 2.0


class AdaptationMethod(StrEnum):
    LORA = "lora"
    FULL_FINE_TUNE = "full_fine_tune"
    FROM_SCRATCH = "from_scratch"


@dataclass(frozen=True, slots=True)
class AdaptationSpec:
    """What is trained, how often, and the assumptions that turn it into GPU-hours."""

    method: AdaptationMethod
    training_tokens: float  # tokens in the training set (one epoch)
    epochs: float = 1.0
    retrains_per_year: float = 0.0  # runs after the first one
    eval_runs_per_training: float = 1.0
    eval_tokens_per_run: float = 0.0
    data_prep_usd_per_run: float = 0.0
    # Many LoRA adapters can share one base model's fleet; each is trained separately.
    adapters: int = 1
    model_flops_utilisation: float = default("adaptation.model_flops_utilisation")
    lora_compute_share: float = default("adaptation.lora_compute_share")
    training_flops_per_param_token: float = default("adaptation.training_flops_per_param_token")

    def __post_init__(self) -> None:
        for name in (
            "training_tokens",
            "epochs",
            "retrains_per_year",
            "eval_runs_per_training",
            "eval_tokens_per_run",
            "data_prep_usd_per_run",
            "training_flops_per_param_token",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidEstimateInputError(f"adaptation.{name} must be >= 0", value=value)
        for name in ("model_flops_utilisation", "lora_compute_share"):
            value = getattr(self, name)
            if not (0 < value <= 1):
                raise InvalidEstimateInputError(
                    f"adaptation.{name} must be within (0, 1]", value=value
                )
        if self.adapters < 1:
            raise InvalidEstimateInputError("adaptation.adapters must be >= 1")
        if self.adapters > 1 and self.method is not AdaptationMethod.LORA:
            raise InvalidEstimateInputError(
                "only LoRA adapters share one base model's fleet; estimate one model at a time",
                method=str(self.method),
                adapters=self.adapters,
            )


@dataclass(frozen=True, slots=True)
class AdaptationCost:
    """One training run's compute and dollars, and what adaptation adds per month (USD)."""

    training_flops_per_run: float
    gpu_hours_per_run: float
    usd_per_run: float  # all adapters: training + evaluation compute + data preparation
    up_front_usd: float  # the first run
    usd_per_month: float  # first run over the horizon + retrains per year / 12


def training_flops(spec: AdaptationSpec, params: float) -> float:
    """FLOPs of one training run of one adapter or model: 6 N D x epochs (x LoRA share)."""
    flops = spec.training_flops_per_param_token * params * spec.training_tokens * spec.epochs
    if spec.method is AdaptationMethod.LORA:
        flops *= spec.lora_compute_share
    return flops


def eval_flops(spec: AdaptationSpec, params: float) -> float:
    """FLOPs of the evaluation after one training run: 2 N per evaluated token."""
    return (
        FORWARD_FLOPS_PER_PARAM_TOKEN
        * params
        * spec.eval_tokens_per_run
        * spec.eval_runs_per_training
    )


def gpu_hours(flops: float, peak_flops_per_s: float, utilisation: float) -> float:
    """GPU-hours to execute `flops` at `utilisation` of a GPU's dense peak (h)."""
    if not (peak_flops_per_s > 0):
        raise InvalidEstimateInputError("GPU peak FLOP/s must be > 0", value=peak_flops_per_s)
    return flops / (peak_flops_per_s * utilisation) / SECONDS_PER_HOUR


def _spread(run_usd: float, spec: AdaptationSpec, horizon_months: int) -> float:
    if horizon_months < 1:
        raise InvalidEstimateInputError("horizon_months must be >= 1", value=horizon_months)
    return run_usd / horizon_months + run_usd * spec.retrains_per_year / MONTHS_PER_YEAR


def self_hosted_adaptation(
    spec: AdaptationSpec,
    *,
    params: float,
    peak_flops_per_s: float,
    usd_per_gpu_hour: float,
    horizon_months: int,
) -> AdaptationCost:
    """Training an open model of `params` (active) parameters on rented GPUs (USD)."""
    if not (params > 0 and usd_per_gpu_hour >= 0):
        raise InvalidEstimateInputError(
            "params must be > 0 and usd_per_gpu_hour >= 0",
            params=params,
            usd_per_gpu_hour=usd_per_gpu_hour,
        )
    flops = training_flops(spec, params)
    hours = gpu_hours(flops, peak_flops_per_s, spec.model_flops_utilisation)
    eval_hours = gpu_hours(eval_flops(spec, params), peak_flops_per_s, spec.model_flops_utilisation)
    per_adapter = (hours + eval_hours) * usd_per_gpu_hour + spec.data_prep_usd_per_run
    run_usd = per_adapter * spec.adapters
    return AdaptationCost(
        training_flops_per_run=flops * spec.adapters,
        gpu_hours_per_run=(hours + eval_hours) * spec.adapters,
        usd_per_run=run_usd,
        up_front_usd=run_usd,
        usd_per_month=_spread(run_usd, spec, horizon_months),
    )


@dataclass(frozen=True, slots=True)
class HostedFineTuningSpec:
    """A provider's fine-tuning price for one API model, and its fine-tuned model's prices."""

    api_slug: str
    usd_per_mtok_training: float
    usd_per_mtok_input: float
    usd_per_mtok_output: float
    usd_per_mtok_cached_input: float | None = None
    usd_per_hour_hosting: float = 0.0  # some providers bill a deployed fine-tuned model hourly

    def __post_init__(self) -> None:
        for name in (
            "usd_per_mtok_training",
            "usd_per_mtok_input",
            "usd_per_mtok_output",
            "usd_per_hour_hosting",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidEstimateInputError(f"{name} must be >= 0", value=value)


def hosted_adaptation(
    spec: AdaptationSpec, tuning: HostedFineTuningSpec, *, horizon_months: int
) -> AdaptationCost:
    """Fine-tuning bought from the API provider: trained tokens x price, plus hosting (USD)."""
    if spec.method is AdaptationMethod.FROM_SCRATCH:
        raise InvalidEstimateInputError("a hosted API cannot train a model from scratch")
    trained_mtok = spec.training_tokens * spec.epochs / TOKENS_PER_MTOK
    run_usd = (trained_mtok * tuning.usd_per_mtok_training + spec.data_prep_usd_per_run) * (
        spec.adapters
    )
    hosting = tuning.usd_per_hour_hosting * HOURS_PER_MONTH * spec.adapters
    return AdaptationCost(
        training_flops_per_run=math.nan,
        gpu_hours_per_run=math.nan,
        usd_per_run=run_usd,
        up_front_usd=run_usd,
        usd_per_month=_spread(run_usd, spec, horizon_months) + hosting,
    )


def fine_tuned_price(price: ApiPriceSpec, tuning: HostedFineTuningSpec) -> ApiPriceSpec:
    """The API model's prices after fine-tuning (the fine-tuned model's per-token prices)."""
    return replace(
        price,
        usd_per_mtok_input=tuning.usd_per_mtok_input,
        usd_per_mtok_output=tuning.usd_per_mtok_output,
        usd_per_mtok_cached_input=tuning.usd_per_mtok_cached_input,
        long_context_tiers=(),
    )
