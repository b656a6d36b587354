"""Quality bars, routing mixes, ranges and sensitivity for an estimate: read the catalog's
quality scores, turn the request's blocks into core specs, and the core's result into the
response blocks. The estimate service calls these; nothing is stored here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.api_cost import ApiPriceSpec
from app.core.decision import DecisionResult, DecisionSpec, NamedMix, OptionName, decide
from app.core.economics import SelfHostedCandidateSpec
from app.core.estimate import EstimateSpec
from app.core.quality import (
    QualityBarSpec,
    QualityVerdict,
    Scores,
    judge_models,
    merge_scores,
    quality_threshold,
)
from app.core.routing import MixPart
from app.core.uncertainty import FactorRangeSpec, UncertaintySpec
from app.db.orm import QualityScore
from app.errors import InvalidInputError
from app.schemas.catalog import QUALITY_MEASURES
from app.schemas.decisions import (
    BreakEvenRangeChange,
    FactorRangeIn,
    MixPartOut,
    OptionRangeOut,
    PercentilesOut,
    QualityIn,
    QualityOut,
    QualityVerdictOut,
    RangeChange,
    RangesIn,
    RangesOut,
    RoutingMixOut,
    RoutingOut,
    SensitivityOut,
    TierBreakEvenOut,
    TornadoBarOut,
)
from app.schemas.estimates import EstimateRequest
from app.services import catalog as catalog_service
from app.services.estimate_response import catalog_dict


def load_scores(session: Session, version: int) -> list[dict[str, Any]]:
    """Catalog quality-score rows at `version` (column -> value)."""
    rows = session.scalars(
        select(QualityScore).where(catalog_service.visible_at(QualityScore, version))
    ).all()
    return [catalog_service.entry_row(row) for row in rows]


def scores_by_model(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Known scores by model slug and measure."""
    return {
        row["slug"]: {m: float(row[m]) for m in QUALITY_MEASURES if row[m] is not None}
        for row in rows
    }


def quality_bar(quality: QualityIn) -> QualityBarSpec:
    return QualityBarSpec(
        measure=quality.measure,
        reference_slug=quality.match,
        tolerance=quality.tolerance,
        floor=quality.floor,
    )


def apply_quality_bar(
    bar: QualityBarSpec,
    scores: Scores,
    api_prices: tuple[ApiPriceSpec, ...],
    candidates: Sequence[SelfHostedCandidateSpec],
) -> tuple[tuple[ApiPriceSpec, ...], list[SelfHostedCandidateSpec], dict[str, QualityVerdict]]:
    """API models that meet the bar, and candidates with those below it marked infeasible
    (`below_quality: ...`), plus every model's verdict."""
    models = tuple(
        dict.fromkeys((*(p.slug for p in api_prices), *(c.open_model_slug for c in candidates)))
    )
    verdicts = judge_models(bar, scores, models)
    kept = tuple(p for p in api_prices if verdicts[p.slug].meets_bar)
    marked = [
        c
        if verdicts[c.open_model_slug].meets_bar or c.infeasible_reason is not None
        else replace(c, infeasible_reason=verdicts[c.open_model_slug].reason)
        for c in candidates
    ]
    return kept, marked, verdicts


def _factor(given: FactorRangeIn | None, default: FactorRangeSpec) -> FactorRangeSpec:
    return default if given is None else FactorRangeSpec(given.low, given.high)


def uncertainty_spec(ranges: RangesIn) -> UncertaintySpec:
    base = UncertaintySpec()
    return UncertaintySpec(
        samples=ranges.samples,
        seed=ranges.seed,
        throughput_log_sigma=ranges.throughput_log_sigma,
        api_price=_factor(ranges.api_price, base.api_price),
        gpu_price=_factor(ranges.gpu_price, base.gpu_price),
        staff_cost=_factor(ranges.staff_cost, base.staff_cost),
        volume=_factor(ranges.volume, base.volume),
        peak=_factor(ranges.peak, base.peak),
    )


def distributions(spec: UncertaintySpec) -> dict[str, str]:
    """Every distribution in words, so a reader can check or change it."""

    def tri(r: FactorRangeSpec) -> str:
        if r.low == r.high:
            return "fixed at the point value"
        return f"triangular multiplier: low {r.low:g}, mode 1, high {r.high:g}"

    return {
        "throughput": (
            f"lognormal multiplier per option, median 1, log-sigma {spec.throughput_log_sigma:g} "
            "(performance model's RMS log error on its calibration table)"
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


def headline(bar: QualityBarSpec, threshold: float, tiers: list[TierBreakEvenOut]) -> str:
    """The break-even in words, never comparing unequal models without saying so."""
    by_tier = {t.tier: t for t in tiers}
    what = (
        f"at equal quality to {bar.reference_slug} ({bar.measure} >= {threshold:g})"
        if bar.reference_slug
        else f"at {bar.measure} >= {threshold:g}"
    )
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


def quality_out(plan: DecisionPlan, result: DecisionResult) -> QualityOut:
    bar = plan.bar or QualityBarSpec("none", floor=0.0)
    threshold = quality_threshold(bar, plan.scores)
    tiers = _tiers(result, with_ranges=bool(result.break_even_ranges))
    return QualityOut(
        measure=bar.measure,
        reference=bar.reference_slug,
        threshold=threshold,
        verdicts=[
            QualityVerdictOut(
                model=v.model_slug, score=v.score, meets_bar=v.meets_bar, reason=v.reason
            )
            for v in plan.verdicts.values()
        ],
        break_evens=tiers,
        headline=headline(bar, threshold, tiers),
        sources=plan.sources,
    )


def ranges_out(spec: UncertaintySpec, result: DecisionResult) -> RangesOut:
    return RangesOut(
        samples=spec.samples,
        seed=spec.seed,
        distributions=distributions(spec),
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


# --- estimate wiring -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionPlan:
    """What the estimate prices (only models meeting the quality bar) and what the decision
    analysis needs besides (everything, unfiltered)."""

    api_prices: tuple[ApiPriceSpec, ...]  # for the estimate
    candidates: tuple[SelfHostedCandidateSpec, ...]  # for the estimate (below bar: infeasible)
    all_api_prices: tuple[ApiPriceSpec, ...]
    all_candidates: tuple[SelfHostedCandidateSpec, ...]
    bar: QualityBarSpec | None = None
    scores: Scores = field(default_factory=dict)
    verdicts: dict[str, QualityVerdict] = field(default_factory=dict)
    uncertainty: UncertaintySpec | None = None
    # Catalog score entries of the judged models, with source and as_of.
    sources: list[dict[str, object]] = field(default_factory=list)

    @property
    def wanted(self) -> bool:
        return self.bar is not None or self.uncertainty is not None


def plan_decision(
    session: Session,
    request: EstimateRequest,
    version: int,
    api_prices: tuple[ApiPriceSpec, ...],
    candidates: tuple[SelfHostedCandidateSpec, ...],
) -> DecisionPlan:
    """Apply the request's quality bar to the options the estimate will price."""
    uncertainty = None if request.ranges is None else uncertainty_spec(request.ranges)
    if request.quality is None:
        return DecisionPlan(api_prices, candidates, api_prices, candidates, uncertainty=uncertainty)
    bar = quality_bar(request.quality)
    rows = load_scores(session, version)
    scores = merge_scores(scores_by_model(rows), request.quality.scores)
    kept, marked, verdicts = apply_quality_bar(bar, scores, api_prices, candidates)
    sources = [catalog_dict(r) for r in rows if r["slug"] in verdicts]
    chosen = request.break_even_api_model
    if chosen is not None and not verdicts[chosen].meets_bar:
        raise InvalidInputError(
            "break_even_api_model is below the quality bar", break_even_api_model=chosen
        )
    return DecisionPlan(
        kept, tuple(marked), api_prices, candidates, bar, scores, verdicts, uncertainty, sources
    )


def decision_blocks(
    plan: DecisionPlan,
    request: EstimateRequest,
    spec: EstimateSpec,
    tokens_per_month: float,
) -> dict[str, Any]:
    """The response's quality, routing, ranges and sensitivity blocks (empty when none was
    asked for: the plain estimate pays nothing for them)."""
    share = None if request.routing is None else request.routing.small_model_share
    if not plan.wanted and share is None:
        return {}
    reference = request.break_even_api_model
    compared = {p.slug for p in plan.api_prices}
    if reference is None and plan.bar is not None and plan.bar.reference_slug in compared:
        reference = plan.bar.reference_slug
    sensitivity = request.ranges is not None and request.ranges.sensitivity
    result = decide(
        DecisionSpec(
            workload=spec.workload,
            api_prices=plan.all_api_prices,
            candidates=plan.all_candidates,
            assumptions=spec.assumptions,
            policy=spec.policy,
            quality=plan.bar,
            scores=plan.scores,
            reference_api_slug=reference,
            routing_small_share=share,
            uncertainty=plan.uncertainty,
            sensitivity=sensitivity,
        )
    )
    blocks: dict[str, Any] = {}
    if plan.bar is not None:
        blocks["quality"] = quality_out(plan, result)
    if share is not None:
        blocks["routing"] = routing_out(share, result.mixes, tokens_per_month)
    if plan.uncertainty is not None:
        blocks["ranges"] = ranges_out(plan.uncertainty, result)
        blocks["sensitivity"] = sensitivity_out(result)
    return blocks


# --- re-run diffs ----------------------------------------------------------------------------


def range_changes(before: RangesOut | None, after: RangesOut | None) -> list[RangeChange]:
    """Every ranged option's percentiles and probability of being cheapest, before and after."""
    old = {o.option_id: o for o in (before.options if before else [])}
    new = {o.option_id: o for o in (after.options if after else [])}
    changes = []
    for option_id in [*new, *(i for i in old if i not in new)]:
        b, a = old.get(option_id), new.get(option_id)
        p_before = None if b is None else b.probability_cheapest
        p_after = None if a is None else a.probability_cheapest
        changes.append(
            RangeChange(
                option_id=option_id,
                label=a.label if a is not None else b.label if b is not None else option_id,
                monthly_cost_usd_before=None if b is None else b.monthly_cost_usd,
                monthly_cost_usd_after=None if a is None else a.monthly_cost_usd,
                probability_cheapest_before=p_before,
                probability_cheapest_after=p_after,
                probability_cheapest_change=None
                if p_before is None or p_after is None
                else p_after - p_before,
            )
        )
    return changes


def break_even_range_changes(
    before: RangesOut | None, after: RangesOut | None
) -> list[BreakEvenRangeChange]:
    old = {(b.tier, b.api_model): b.range for b in (before.break_evens if before else [])}
    new = {(b.tier, b.api_model): b.range for b in (after.break_evens if after else [])}
    return [
        BreakEvenRangeChange(tier=tier, api_model=model, before=old.get(key), after=new.get(key))
        for key in sorted(old.keys() | new.keys())
        for tier, model in [key]
    ]
