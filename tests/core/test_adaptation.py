"""Adaptation: LoRA on 8B and full fine-tuning of 70B by hand, hosted fine-tuning, properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.adaptation import (
    AdaptationMethod,
    AdaptationSpec,
    HostedFineTuningSpec,
    fine_tuned_price,
    hosted_adaptation,
    self_hosted_adaptation,
    training_flops,
)
from app.core.api_cost import ApiPriceSpec
from app.core.errors import InvalidEstimateInputError

H100_BF16_FLOPS = 989e12  # dense BF16 peak, gpus.csv
USD_PER_GPU_HOUR = 3.0


def test_lora_fine_tune_of_an_8b_model_by_hand() -> None:
    # 100M tokens x 3 epochs on an 8B model: 6 x 8e9 x 3e8 = 1.44e19 FLOPs for full
    # fine-tuning; LoRA's share 0.8 -> 1.152e19 FLOPs.
    # At 40% MFU of 989 TFLOP/s = 3.956e14 FLOP/s: 1.152e19 / 3.956e14 = 29,120 s = 8.09 h.
    # At $3.00 per GPU-hour: $24.27 per run. Spread over 12 months plus 4 retrains a year:
    # 24.27 / 12 + 24.27 x 4 / 12 = $10.11 per month.
    spec = AdaptationSpec(
        AdaptationMethod.LORA, training_tokens=100e6, epochs=3, retrains_per_year=4
    )
    assert training_flops(spec, 8e9) == pytest.approx(1.152e19)
    cost = self_hosted_adaptation(
        spec,
        params=8e9,
        peak_flops_per_s=H100_BF16_FLOPS,
        usd_per_gpu_hour=USD_PER_GPU_HOUR,
        horizon_months=12,
    )
    hours = 1.152e19 / (0.4 * 989e12) / 3600
    assert cost.gpu_hours_per_run == pytest.approx(hours)
    assert hours == pytest.approx(8.089, abs=0.001)
    assert cost.usd_per_run == pytest.approx(hours * 3.0)
    assert cost.usd_per_month == pytest.approx(hours * 3.0 * (1 / 12 + 4 / 12))


def test_full_fine_tune_of_a_70b_model_by_hand() -> None:
    # 1B tokens x 2 epochs on 70B: 6 x 70e9 x 2e9 = 8.4e20 FLOPs.
    # 8.4e20 / 3.956e14 = 2,123,357 s = 589.8 GPU-hours; x $3.00 = $1,769.46.
    # Evaluation: 50M tokens x 2 runs x 2 x 70e9 = 1.4e19 FLOPs = 9.83 GPU-hours = $29.49.
    # Data preparation $5,000. One run: $6,798.95, paid up front.
    spec = AdaptationSpec(
        AdaptationMethod.FULL_FINE_TUNE,
        training_tokens=1e9,
        epochs=2,
        eval_runs_per_training=2,
        eval_tokens_per_run=50e6,
        data_prep_usd_per_run=5_000,
    )
    cost = self_hosted_adaptation(
        spec, params=70e9, peak_flops_per_s=H100_BF16_FLOPS, usd_per_gpu_hour=3.0, horizon_months=24
    )
    assert cost.training_flops_per_run == pytest.approx(8.4e20)
    train_h = 8.4e20 / 3.956e14 / 3600
    eval_h = 1.4e19 / 3.956e14 / 3600
    assert train_h == pytest.approx(589.82, abs=0.01)
    assert cost.gpu_hours_per_run == pytest.approx(train_h + eval_h)
    assert cost.usd_per_run == pytest.approx((train_h + eval_h) * 3.0 + 5_000)
    assert cost.usd_per_run == pytest.approx(6_798.95, abs=0.01)
    assert cost.up_front_usd == cost.usd_per_run
    # No retrains: the one run spread over the 24-month horizon.
    assert cost.usd_per_month == pytest.approx(cost.usd_per_run / 24)


def test_hosted_fine_tuning_prices_training_tokens_and_swaps_inference_prices() -> None:
    # gpt-4o-mini fine-tuning: $3.00 per 1M training tokens; 10M tokens x 3 epochs = $90.
    tuning = HostedFineTuningSpec("openai--gpt-4o-mini", 3.0, 0.30, 1.20)
    spec = AdaptationSpec(AdaptationMethod.LORA, training_tokens=10e6, epochs=3)
    cost = hosted_adaptation(spec, tuning, horizon_months=12)
    assert cost.usd_per_run == pytest.approx(90.0)
    assert cost.usd_per_month == pytest.approx(7.5)
    assert math.isnan(cost.gpu_hours_per_run)
    base = ApiPriceSpec("openai--gpt-4o-mini", 0.15, 0.60, 0.075, batch_discount=0.5)
    tuned = fine_tuned_price(base, tuning)
    assert (tuned.usd_per_mtok_input, tuned.usd_per_mtok_output) == (0.30, 1.20)
    assert tuned.batch_discount == 0.5
    with pytest.raises(InvalidEstimateInputError):
        hosted_adaptation(
            AdaptationSpec(AdaptationMethod.FROM_SCRATCH, training_tokens=1e9),
            tuning,
            horizon_months=12,
        )


def test_many_adapters_only_with_lora() -> None:
    spec = AdaptationSpec(AdaptationMethod.LORA, training_tokens=1e6, adapters=10)
    one = AdaptationSpec(AdaptationMethod.LORA, training_tokens=1e6)
    args = {"params": 8e9, "peak_flops_per_s": 989e12, "usd_per_gpu_hour": 2.0}
    ten = self_hosted_adaptation(spec, horizon_months=12, **args)
    single = self_hosted_adaptation(one, horizon_months=12, **args)
    assert ten.usd_per_run == pytest.approx(10 * single.usd_per_run)
    with pytest.raises(InvalidEstimateInputError):
        AdaptationSpec(AdaptationMethod.FULL_FINE_TUNE, training_tokens=1e6, adapters=2)
    with pytest.raises(InvalidEstimateInputError):
        AdaptationSpec(AdaptationMethod.LORA, training_tokens=-1)


@settings(max_examples=200, deadline=None)
@given(
    method=st.sampled_from(list(AdaptationMethod)),
    tokens=st.floats(0, 1e13),
    epochs=st.floats(0, 10),
    retrains=st.floats(0, 52),
    extra_tokens=st.floats(0, 1e12),
    params=st.floats(1e8, 1e12),
)
def test_more_training_never_costs_less(
    method: AdaptationMethod,
    tokens: float,
    epochs: float,
    retrains: float,
    extra_tokens: float,
    params: float,
) -> None:
    args = {"params": params, "peak_flops_per_s": 989e12, "usd_per_gpu_hour": 2.5}
    base = AdaptationSpec(method, tokens, epochs, retrains)
    more = AdaptationSpec(method, tokens + extra_tokens, epochs, retrains + 1)
    a = self_hosted_adaptation(base, horizon_months=12, **args)
    b = self_hosted_adaptation(more, horizon_months=12, **args)
    assert a.usd_per_month >= 0
    assert b.usd_per_month >= a.usd_per_month
