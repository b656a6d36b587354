"""Map the decision core's result into the estimate response's quality, ranges,
sensitivity and routing blocks."""

from __future__ import annotations

import math
from collections.abc import Sequence

from app.core.decision_types import DecisionResult, NamedMix, OptionName
from app.core.quality import QualityBarSpec, QualityVerdict, Scores, quality_threshold
from app.core.routing import MixPart
from app.core.uncertainty import FactorRangeSpec, UncertaintySpec
from app.schemas.decisions import (
    MixPartOut,
    OptionRangeOut,
    PercentilesOut,
    QualityOut,
    QualityVerdictOut,
    RangesOut,
    RoutingMixOut,
    RoutingOut,
    SensitivityOut,
    TierBreakEvenOut,
    TornadoBarOut,
)


def distributions(spec: UncertaintySpec, *, by_regime: bool = False) -> dict[str, str]:
    """Every distribution in words, so a reader can check or change it."""

    def tri(r: FactorRangeSpec) -> str:
        if r.low == r.high:
            return "fixed at the point value"
        return f"triangular multiplier: low {r.low:g}, mode 1, high {r.high:g}"

    return {
        "throughput": (
            "lognormal multiplier per option, median 1, log-sigma from the performance "
            "model's P10-P90 error band of the option's regime (engine, precision class, "
            "unqueued serving; app/core/calibration.py ERROR_BANDS)"
            if by_regime
            else f"lognormal multiplier per option, median 1, log-sigma "
            f"{spec.throughput_log_sigma:g}"
        ),
        "api_price": tri(spec.api_price),
        "gpu_price": tri(spec.gpu_price) + " (cloud hours and owned hardware)",
        "staff_cost": tri(spec.staff_cost),
        "volume": tri(spec.volume) + " (today's requests/day)",
        "peak": tri(spec.peak) + " (peak hour of fleets held 24/7)",
    }


def _percentiles(values: tuple[float, float, float]) -> PercentilesOut:
    p10, p50, p90 = (v if math.isfinite(v) else None for v in values)
    return PercentilesOut(p10=p10, p50=p50, p90=p90)


def _tiers(result: DecisionResult, *, with_ranges: bool) -> list[TierBreakEvenOut]:
    ranges = {r.tier: r for r in result.break_even_ranges}
    out = []
    for tier in result.tiers:
        if tier.break_even is None or result.reference_api_slug is None:
            continue
        r = ranges.get(tier.tier) if with_ranges else None
        out.append(
            TierBreakEvenOut(
                tier=tier.tier.value,
                api_model=result.reference_api_slug,
                requests_per_day=tier.break_even.self_hosting_cheaper_above_requests_per_day,
                range=None if r is None else PercentilesOut(p10=r.p10, p50=r.p50, p90=r.p90),
                share_of_samples_self_hosting_wins=None
                if r is None
                else r.share_of_samples_self_hosting_wins,
            )
        )
    return out


def _volume(value: float | None) -> str:
    return "never within the searched range" if value is None else f"{value:,.0f} requests/day"


def headline(
    bar: QualityBarSpec, threshold: float, tiers: list[TierBreakEvenOut], api_model: str | None
) -> str:
    """The break-even in words, never comparing unequal models without saying so."""
    by_tier = {t.tier: t for t in tiers}
    what = (
        f"at equal quality to {bar.reference_slug} ({bar.measure} >= {threshold:g})"
        if bar.reference_slug
        else f"at {bar.measure} >= {threshold:g}"
    )
    if api_model is None:
        return f"No compared API model qualifies {what}, so there is no break-even to give."
    equal = by_tier.get("equal_quality")
    anyone = by_tier.get("any_model")
    if equal is None:
        first = f"No self-hosted model qualifies {what}."
    else:
        first = (
            f"{what[0].upper()}{what[1:]}, self-hosting is cheaper than {equal.api_model} above "
            f"{_volume(equal.requests_per_day)}"
        )
        if equal.range is not None and equal.range.p10 is not None:
            high = "never" if equal.range.p90 is None else f"{equal.range.p90:,.0f}"
            first += f" (P10-P90 {equal.range.p10:,.0f} to {high})"
        first += "."
    if anyone is None:
        return first
    return f"{first} With any model, regardless of quality: {_volume(anyone.requests_per_day)}."


def quality_out(
    bar: QualityBarSpec,
    scores: Scores,
    verdicts: dict[str, QualityVerdict],
    sources: list[dict[str, object]],
    result: DecisionResult,
) -> QualityOut:
    threshold = quality_threshold(bar, scores)
    tiers = _tiers(result, with_ranges=bool(result.break_even_ranges))
    return QualityOut(
        measure=bar.measure,
        reference=bar.reference_slug,
        threshold=threshold,
        verdicts=[
            QualityVerdictOut(
                model=v.model_slug, score=v.score, meets_bar=v.meets_bar, reason=v.reason
            )
            for v in verdicts.values()
        ],
        break_evens=tiers,
        headline=headline(bar, threshold, tiers, result.reference_api_slug),
        sources=sources,
    )


def ranges_out(
    spec: UncertaintySpec, result: DecisionResult, *, by_regime: bool = False
) -> RangesOut:
    return RangesOut(
        samples=spec.samples,
        seed=spec.seed,
        distributions=distributions(spec, by_regime=by_regime),
        options=[
            OptionRangeOut(
                option_id=r.option.id,
                label=r.option.label,
                monthly_cost_usd=_percentiles(r.monthly_cost_usd),
                usd_per_million_tokens=_percentiles(r.usd_per_million_tokens),
                probability_cheapest=r.probability_cheapest,
            )
            for r in sorted(result.option_ranges, key=lambda r: r.monthly_cost_usd[1])
        ],
        break_evens=_tiers(result, with_ranges=True),
    )


def sensitivity_out(result: DecisionResult) -> SensitivityOut | None:
    if result.answer is None:
        return None
    return SensitivityOut(
        tornado=[
            TornadoBarOut(
                input=b.input,
                low_factor=b.low_factor,
                high_factor=b.high_factor,
                cheapest_monthly_cost_usd_low=b.cheapest_monthly_cost_usd_low,
                cheapest_monthly_cost_usd_high=b.cheapest_monthly_cost_usd_high,
                break_even_requests_per_day_low=b.break_even_requests_per_day_low,
                break_even_requests_per_day_high=b.break_even_requests_per_day_high,
            )
            for b in result.tornado
        ],
        answer=result.answer,
    )


def routing_out(share: float, mixes: Sequence[NamedMix], tokens_per_month: float) -> RoutingOut:
    def part(name: OptionName, p: MixPart) -> MixPartOut:
        return MixPartOut(
            option_id=name.id,
            label=name.label,
            request_share=p.request_share,
            monthly_cost_usd=p.monthly_cost_usd,
        )

    out = []
    for named in mixes:
        small, large = part(named.small, named.mix.small), part(named.large, named.mix.large)
        cost = named.mix.monthly_cost_usd
        out.append(
            RoutingMixOut(
                label=f"{small.label} ({share:.0%}) + {large.label} ({1 - share:.0%})",
                monthly_cost_usd=cost,
                usd_per_million_tokens=cost / tokens_per_month * 1e6
                if tokens_per_month > 0
                else None,
                parts=[small, large],
            )
        )
    return RoutingOut(small_model_share=share, mixes=out)
