"""The decision core against the estimate it sits next to: same point values, tiers, ranges."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.core.api_cost import ApiPriceSpec
from app.core.decision import decide
from app.core.decision_types import DecisionSpec
from app.core.economics import (
    CostAssumptionsSpec,
    PurchaseMode,
    PurchaseOptionSpec,
    SelfHostedCandidateSpec,
)
from app.core.estimate import estimate
from app.core.estimate_types import EstimateSpec
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.option_table import OptionTable, build_option_table, with_reasons
from app.core.quality import QualityBarSpec, QualityTier
from app.core.uncertainty import FactorRangeSpec, UncertaintySpec
from app.core.workload import WorkloadSpec

WORKLOAD = WorkloadSpec(
    requests_per_day=120_000,
    input_tokens_mean=1200,
    output_tokens_mean=300,
    peak_to_average=2.5,
    batch_share=0.1,
)
APIS = (
    ApiPriceSpec("ref", usd_per_mtok_input=2.5, usd_per_mtok_output=10.0),
    ApiPriceSpec("mini", usd_per_mtok_input=0.15, usd_per_mtok_output=0.6),
)
SCORES = {"ref": {"q": 70.0}, "mini": {"q": 40.0}, "big": {"q": 71.0}, "small": {"q": 45.0}}
ZERO = UncertaintySpec(
    samples=64,
    throughput_log_sigma=0.0,
    api_price=FactorRangeSpec(),
    gpu_price=FactorRangeSpec(),
    staff_cost=FactorRangeSpec(),
    volume=FactorRangeSpec(),
    peak=FactorRangeSpec(),
)


def _candidate(model: str, rps: float, usd_per_gpu_hour: float) -> SelfHostedCandidateSpec:
    curve = ReplicaCapacitySpec(
        np.array([1.0, 16.0]), np.array([rps / 6, rps]), np.full(2, 0.2), np.full(2, 0.02), 2
    )
    options = (
        PurchaseOptionSpec(PurchaseMode.COMMITTED_1Y, usd_per_gpu_hour=usd_per_gpu_hour),
        PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=usd_per_gpu_hour * 1.5),
        PurchaseOptionSpec(PurchaseMode.OWNED, purchase_usd_per_gpu=25_000.0, gpus_per_instance=8),
    )
    return SelfHostedCandidateSpec(f"{model} on 2x g", model, "g", 2, "fp8", 700.0, curve, options)


CANDIDATES = (_candidate("small", 12.0, 1.5), _candidate("big", 1.5, 2.5))


def _spec(**changes: object) -> DecisionSpec:
    base = DecisionSpec(
        workload=WORKLOAD,
        api_prices=APIS,
        candidates=CANDIDATES,
        quality=QualityBarSpec("q", reference_slug="ref", tolerance=0.5),
        scores=SCORES,
        reference_api_slug="ref",
        uncertainty=ZERO,
        sensitivity=True,
        routing_small_share=0.5,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _marked() -> tuple[SelfHostedCandidateSpec, ...]:
    """The candidates as the estimate sees them: models below the bar are infeasible."""
    return tuple(
        c if c.open_model_slug == "big" else replace(c, infeasible_reason="below_quality")
        for c in CANDIDATES
    )


def _estimate_at_equal_quality() -> dict[str, float]:
    result = estimate(EstimateSpec(workload=WORKLOAD, api_prices=APIS[:1], candidates=_marked()))
    return {o.id: o.monthly_cost_usd for o in result.options if o.monthly_cost_usd is not None}


def test_zero_spreads_reproduce_the_estimates_point_costs_exactly() -> None:
    result = decide(_spec())
    point = _estimate_at_equal_quality()
    assert result.option_ranges
    for r in result.option_ranges:
        assert r.monthly_cost_usd == (point[r.option.id],) * 3, r.option.id
    for be in result.break_even_ranges:
        assert be.p10 == be.p50 == be.p90 == be.requests_per_day


def test_equal_quality_tier_matches_the_estimate_restricted_to_qualifying_models() -> None:
    result = decide(_spec(uncertainty=None, sensitivity=False))
    restricted = estimate(
        EstimateSpec(workload=WORKLOAD, api_prices=APIS[:1], candidates=_marked())
    )
    tiers = {t.tier: t.break_even for t in result.tiers}
    equal = tiers[QualityTier.EQUAL_QUALITY]
    anyone = tiers[QualityTier.ANY_MODEL]
    assert equal is not None
    assert anyone is not None
    assert equal.self_hosting_cheaper_above_requests_per_day == pytest.approx(
        restricted.break_evens[0].result.self_hosting_cheaper_above_requests_per_day
    )
    assert result.verdicts["mini"].meets_bar is False
    assert result.verdicts["big"].meets_bar is True
    # Without the quality bar the cheaper small model lowers the break-even.
    assert anyone.self_hosting_cheaper_above_requests_per_day is not None
    assert equal.self_hosting_cheaper_above_requests_per_day is not None
    assert (
        anyone.self_hosting_cheaper_above_requests_per_day
        < equal.self_hosting_cheaper_above_requests_per_day
    )


def test_same_seed_same_ranges_and_probabilities_sum_to_one() -> None:
    spec = _spec(uncertainty=UncertaintySpec(samples=400, seed=11))
    first, again = decide(spec), decide(spec)
    assert first.option_ranges == again.option_ranges
    assert first.break_even_ranges == again.break_even_ranges
    assert sum(r.probability_cheapest for r in first.option_ranges) == pytest.approx(1.0)
    equal = next(b for b in first.break_even_ranges if b.tier is QualityTier.EQUAL_QUALITY)
    assert equal.p10 is not None
    assert equal.p90 is not None
    assert equal.p10 <= equal.p50 <= equal.p90  # type: ignore[operator]


def test_mixes_and_answer_are_returned() -> None:
    result = decide(_spec())
    assert result.mixes
    assert result.answer is not None
    assert len(result.tornado) == 6


def test_ties_are_ranked_by_id_as_sorting_by_cost_and_id_does() -> None:
    from app.core.decision import _ties_by_id

    rng = np.random.default_rng(3)
    cost = rng.integers(0, 6, 60).astype(float).tolist()  # many equal costs
    ids = [f"option-{rng.integers(0, 1000):03d}" for _ in cost]
    ordered = np.argsort(cost, kind="stable").tolist()
    ranked = _ties_by_id(ordered, cost, lambda i: ids[i])
    assert ranked == sorted(ordered, key=lambda i: (cost[i], ids[i]))
    assert ranked != ordered


def test_equal_quality_tier_reusing_the_estimates_envelopes_equals_recomputing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import app.core.breakeven_search as search

    built: list[float] = []
    real = search.cost_envelope

    def counted(*args: object, **kwargs: object) -> object:
        built.append(1.0)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    spec = _spec(uncertainty=None, sensitivity=False, routing_small_share=None)
    recomputed = decide(spec)
    marked = estimate(EstimateSpec(workload=WORKLOAD, api_prices=APIS[:1], candidates=_marked()))
    assert marked.envelopes is not None
    monkeypatch.setattr(search, "cost_envelope", counted)
    reused = decide(replace(spec, equal_quality_envelopes=marked.envelopes))
    built_when_reused = len(built)
    assert decide(spec).tiers == recomputed.tiers
    assert reused.tiers == recomputed.tiers
    # Only the any-model tier's envelopes were built: the equal tier's came from the estimate.
    assert 0 < built_when_reused < len(built) - built_when_reused
    # Envelopes of another table (every model feasible) are not taken for the equal tier.
    unmarked = estimate(EstimateSpec(workload=WORKLOAD, api_prices=APIS[:1], candidates=CANDIDATES))
    other = decide(replace(spec, equal_quality_envelopes=unmarked.envelopes))
    assert other.tiers == recomputed.tiers


def test_table_from_the_estimates_with_other_reasons_equals_building_it() -> None:
    # The decision's table comes from the estimate's (models below the bar infeasible): every
    # field must be what building it from the unmarked candidates gives.
    no_curve = replace(CANDIDATES[0], open_model_slug="none", capacity=None)
    candidates = (*CANDIDATES, no_curve)
    marked = (*_marked(), replace(no_curve, infeasible_reason="below_quality"))
    a, p = CostAssumptionsSpec(), SizingPolicySpec()
    derived = with_reasons(build_option_table(marked, WORKLOAD, a, p), candidates, WORKLOAD)
    built = build_option_table(candidates, WORKLOAD, a, p)
    assert not np.array_equal(derived.feasible, build_option_table(marked, WORKLOAD, a, p).feasible)
    for name in OptionTable.__dataclass_fields__:
        mine, theirs = getattr(derived, name), getattr(built, name)
        if isinstance(theirs, np.ndarray):
            np.testing.assert_array_equal(mine, theirs, err_msg=name)
        else:
            assert mine == theirs, name


def test_decision_on_the_estimates_table_and_envelopes_equals_building_its_own() -> None:
    spec = _spec(uncertainty=UncertaintySpec(samples=200, seed=5))
    marked = estimate(EstimateSpec(workload=WORKLOAD, api_prices=APIS[:1], candidates=_marked()))
    reused, built = decide(replace(spec, equal_quality_envelopes=marked.envelopes)), decide(spec)
    assert reused == built
