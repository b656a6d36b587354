"""Quality bars, routing mixes, ranges and sensitivity for an estimate: read the catalog's
quality scores, turn the request's blocks into core specs, and the core's result into the
response blocks. The estimate service calls these; nothing is stored here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from app.core.accuracy import lookup_band
from app.core.api_cost import ApiPriceSpec
from app.core.breakeven_search import EnvelopeWindows
from app.core.calibration import ERROR_BANDS
from app.core.decision import decide
from app.core.decision_types import DecisionSpec
from app.core.economics import SelfHostedCandidateSpec
from app.core.estimate_types import EstimateSpec
from app.core.quality import (
    QualityBarSpec,
    QualityVerdict,
    Scores,
    judge_models,
    merge_scores,
)
from app.core.regimes import precision_class
from app.core.types import Precision
from app.core.uncertainty import FactorRangeSpec, UncertaintySpec, log_sigma_from_band
from app.errors import InvalidInputError
from app.schemas.decisions import (
    BreakEvenRangeChange,
    FactorRangeIn,
    QualityIn,
    RangeChange,
    RangesIn,
    RangesOut,
)
from app.schemas.estimates import EstimateRequest
from app.schemas.quality_scores import QUALITY_MEASURES
from app.services import catalog_cache
from app.services import decision_response as out
from app.services.candidate_memo import MEMO
from app.services.catalog_resources import QUALITY_SCORES
from app.services.estimate_response import catalog_dict


def load_scores(session: Session, version: int) -> list[dict[str, Any]]:
    """Catalog quality-score rows at `version` (column -> value), in the order they were
    added: read through the per-catalog-state cache like the estimate's other catalog rows
    (a query per estimate cost more than the rest of the quality bar)."""
    rows = catalog_cache.entries(session, QUALITY_SCORES, None, version)
    return sorted(rows, key=lambda row: row["id"])


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
        throughput_log_sigma=base.throughput_log_sigma
        if ranges.throughput_log_sigma is None
        else ranges.throughput_log_sigma,
        api_price=_factor(ranges.api_price, base.api_price),
        gpu_price=_factor(ranges.gpu_price, base.gpu_price),
        staff_cost=_factor(ranges.staff_cost, base.staff_cost),
        volume=_factor(ranges.volume, base.volume),
        peak=_factor(ranges.peak, base.peak),
    )


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
    # Given the candidates, what the bar changed determines the marked ones: kept as one
    # object, their option table is the memo's again on the next request.
    changed = tuple(
        None if after is before else after.infeasible_reason
        for after, before in zip(marked, candidates, strict=True)
    )
    marked_candidates = MEMO.derived(candidates, ("quality bar", changed), lambda: tuple(marked))
    sources = [catalog_dict(r) for r in rows if r["slug"] in verdicts]
    chosen = request.break_even_api_model
    if chosen is not None and not verdicts[chosen].meets_bar:
        raise InvalidInputError(
            "break_even_api_model is below the quality bar", break_even_api_model=chosen
        )
    return DecisionPlan(
        kept, marked_candidates, api_prices, candidates, bar, scores, verdicts, uncertainty, sources
    )


def throughput_log_sigmas(
    candidates: Sequence[SelfHostedCandidateSpec], engine: str
) -> tuple[float, ...]:
    """Each candidate's throughput log-sigma: the performance model's P10-P90 band of
    measured / predicted output tokens/s in its regime (engine, precision class, unqueued
    serving at the operating point), falling back to coarser regimes as /v1/performance does."""
    sigmas: dict[str, float] = {}
    out = []
    for candidate in candidates:
        klass = precision_class(Precision(candidate.precision))
        if klass not in sigmas:
            _, band = lookup_band(ERROR_BANDS, "output_tokens_per_s", engine, klass, "unqueued")
            sigmas[klass] = log_sigma_from_band(*band)
        out.append(sigmas[klass])
    return tuple(out)


def decision_blocks(
    plan: DecisionPlan,
    request: EstimateRequest,
    spec: EstimateSpec,
    tokens_per_month: float,
    engine: str,
    envelopes: EnvelopeWindows | None = None,
) -> dict[str, Any]:
    """The response's quality, routing, ranges and sensitivity blocks (empty when none was
    asked for: the plain estimate pays nothing for them). `envelopes`: the estimate's
    break-even envelopes (over `spec`'s candidates, those below the bar infeasible), which
    the equal-quality tier reuses."""
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
            throughput_log_sigma_by_candidate=throughput_log_sigmas(plan.all_candidates, engine)
            if request.ranges is not None and request.ranges.throughput_log_sigma is None
            else (),
            whole=spec.whole,
            equal_quality_envelopes=envelopes,
        )
    )
    blocks: dict[str, Any] = {}
    if plan.bar is not None:
        blocks["quality"] = out.quality_out(
            plan.bar, plan.scores, plan.verdicts, plan.sources, result
        )
    if share is not None:
        blocks["routing"] = out.routing_out(share, result.mixes, tokens_per_month)
    if plan.uncertainty is not None:
        by_regime = request.ranges is not None and request.ranges.throughput_log_sigma is None
        blocks["ranges"] = out.ranges_out(plan.uncertainty, result, by_regime=by_regime)
        blocks["sensitivity"] = out.sensitivity_out(result)
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
