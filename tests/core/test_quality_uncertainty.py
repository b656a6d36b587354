"""Quality bars, routing mixes, Monte Carlo ranges and the tornado on hand-built catalogs."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.breakeven import break_even, cost_envelope
from app.core.economics import (
    CostAssumptionsSpec,
    PurchaseMode,
    PurchaseOptionSpec,
    SelfHostedCandidateSpec,
)
from app.core.errors import InvalidEstimateInputError
from app.core.fleet import ReplicaCapacitySpec, SizingPolicySpec
from app.core.monthly_costs import fleet_costs
from app.core.option_table import OptionTable, build_option_table
from app.core.quality import (
    BELOW_QUALITY,
    QualityBarSpec,
    QualityTier,
    judge_models,
    merge_scores,
    tier_break_evens,
)
from app.core.routing import routing_mixes
from app.core.sampled_break_evens import sampled_break_evens
from app.core.sensitivity import EstimateView, tornado, what_would_make_self_hosting_win
from app.core.uncertainty import (
    FactorRangeSpec,
    UncertaintySpec,
    draw_factors,
    sampled_api_costs,
    sampled_self_hosted_costs,
    summarise,
)
from app.core.workload import WorkloadSpec

SCORES = {
    "ref-api": {"mmlu_pro": 72.6},
    "big": {"mmlu_pro": 73.4},
    "small": {"mmlu_pro": 48.3},
}
VOLUME = 200_000.0
API_SLOPE = 0.01 * 30.4375  # $0.01 per request, monthly USD per request/day
ZERO = UncertaintySpec(
    samples=50,
    throughput_log_sigma=0.0,
    api_price=FactorRangeSpec(),
    gpu_price=FactorRangeSpec(),
    staff_cost=FactorRangeSpec(),
    volume=FactorRangeSpec(),
    peak=FactorRangeSpec(),
)


def _candidate(model: str, rps: float, usd_per_gpu_hour: float) -> SelfHostedCandidateSpec:
    curve = ReplicaCapacitySpec(
        np.array([1.0, 8.0]), np.array([rps / 4, rps]), np.full(2, 0.1), np.full(2, 0.01), 1
    )
    options = (
        PurchaseOptionSpec(PurchaseMode.COMMITTED_1Y, usd_per_gpu_hour=usd_per_gpu_hour),
        PurchaseOptionSpec(PurchaseMode.ON_DEMAND, usd_per_gpu_hour=usd_per_gpu_hour * 1.6),
    )
    return SelfHostedCandidateSpec(f"{model} on g", model, "g", 1, "fp8", 700.0, curve, options)


def _table(peak_to_average: float | None = 2.0) -> OptionTable:
    # "small" is fast and cheap, "big" slow: the any-model break-even is far lower.
    cands = (_candidate("small", 8.0, 1.0), _candidate("big", 0.8, 4.0))
    w = WorkloadSpec(
        requests_per_day=VOLUME,
        input_tokens_mean=1000,
        output_tokens_mean=200,
        peak_to_average=peak_to_average,
        batch_share=0.1,
    )
    return build_option_table(cands, w, CostAssumptionsSpec(), SizingPolicySpec())


def _view(table: OptionTable, rows: np.ndarray, exact: float | None) -> EstimateView:
    return EstimateView(
        table=table,
        self_rows=rows,
        api_monthly_usd=np.array([API_SLOPE * VOLUME, 2 * API_SLOPE * VOLUME]),
        api_slope=API_SLOPE,
        requests_per_day=VOLUME,
        requests_per_day_min=VOLUME / 100,
        requests_per_day_max=VOLUME * 100,
        break_even_requests_per_day=exact,
    )


# --- quality ---------------------------------------------------------------------------------


def test_match_with_tolerance_keeps_models_at_or_above_the_reference_minus_tolerance() -> None:
    bar = QualityBarSpec("mmlu_pro", reference_slug="ref-api", tolerance=1.0)
    verdicts = judge_models(bar, SCORES, ("big", "small", "unscored"))
    assert verdicts["big"].meets_bar
    assert not verdicts["small"].meets_bar
    assert verdicts["small"].reason is not None
    assert verdicts["small"].reason.startswith(BELOW_QUALITY)
    assert not verdicts["unscored"].meets_bar  # no score is not a pass


def test_floor_and_own_scores_override_the_catalog() -> None:
    merged = merge_scores(SCORES, {"small": {"mmlu_pro": 75.0}, "mine": {"my_eval": 0.9}})
    verdicts = judge_models(QualityBarSpec("mmlu_pro", floor=74.0), merged, ("big", "small"))
    assert verdicts["small"].meets_bar
    assert not verdicts["big"].meets_bar
    assert merged["mine"] == {"my_eval": 0.9}


def test_bar_needs_a_reference_score_and_exactly_one_kind() -> None:
    with pytest.raises(InvalidEstimateInputError):
        QualityBarSpec("mmlu_pro")
    with pytest.raises(InvalidEstimateInputError):
        QualityBarSpec("mmlu_pro", reference_slug="ref-api", floor=50.0)
    with pytest.raises(InvalidEstimateInputError):
        judge_models(QualityBarSpec("gpqa", reference_slug="ref-api"), SCORES, ("big",))


def test_break_even_at_equal_quality_uses_only_qualifying_models() -> None:
    table = _table()
    keep = np.array([False, True])  # candidate 0 = small (below the bar), 1 = big
    tiers = tier_break_evens(
        table, keep, "api", API_SLOPE, VOLUME / 100, VOLUME * 100, floor=1.0, ceiling=VOLUME * 1e4
    )
    by_tier = {t.tier: t.break_even for t in tiers}
    equal, anyone = by_tier[QualityTier.EQUAL_QUALITY], by_tier[QualityTier.ANY_MODEL]
    assert equal is not None
    assert anyone is not None
    only_big = table.candidate_index == 1
    for be, rows in ((equal, only_big), (anyone, np.ones_like(only_big))):
        options = {int(o) for o in be.curve_self_hosted_option if o >= 0}
        assert options <= set(np.flatnonzero(rows).tolist())
    v_equal = equal.self_hosting_cheaper_above_requests_per_day
    v_any = anyone.self_hosting_cheaper_above_requests_per_day
    assert v_any is not None
    assert v_equal is not None
    assert v_any < v_equal
    # The restricted tier equals an envelope built without the small model.
    alone = build_option_table(
        (_candidate("big", 0.8, 4.0),),
        WorkloadSpec(
            requests_per_day=VOLUME,
            input_tokens_mean=1000,
            output_tokens_mean=200,
            peak_to_average=2.0,
            batch_share=0.1,
        ),
        CostAssumptionsSpec(),
        SizingPolicySpec(),
    )
    direct = break_even(cost_envelope(alone, VOLUME / 100, VOLUME * 100), "api", API_SLOPE)
    assert v_equal == pytest.approx(direct.self_hosting_cheaper_above_requests_per_day)


def test_no_qualifying_model_gives_no_equal_quality_break_even() -> None:
    tiers = tier_break_evens(
        _table(),
        np.array([False, False]),
        "api",
        API_SLOPE,
        VOLUME / 100,
        VOLUME * 100,
        floor=1.0,
        ceiling=VOLUME * 1e4,
    )
    assert tiers[0].tier is QualityTier.EQUAL_QUALITY
    assert tiers[0].break_even is None
    assert tiers[1].break_even is not None


# --- routing -----------------------------------------------------------------------------------


def test_api_mix_costs_between_its_pure_parts() -> None:
    table = _table()
    none = np.empty(0, dtype=np.intp)
    for share in (0.1, 0.5, 0.9):
        (mix,) = routing_mixes(
            table,
            VOLUME,
            share,
            small_rows=none,
            large_rows=none,
            small_api_slopes={"cheap": API_SLOPE},
            large_api_slopes={"dear": 3 * API_SLOPE},
        )
        cheap, dear = API_SLOPE * VOLUME, 3 * API_SLOPE * VOLUME
        assert cheap < mix.monthly_cost_usd < dear
        assert mix.monthly_cost_usd == pytest.approx(share * cheap + (1 - share) * dear)


def test_fleet_mix_is_priced_part_by_part_with_one_team() -> None:
    table = _table()
    small_rows = np.flatnonzero(table.candidate_index == 0)
    large_rows = np.flatnonzero(table.candidate_index == 1)
    mixes = routing_mixes(
        table,
        VOLUME,
        0.6,
        small_rows=small_rows,
        large_rows=large_rows,
        small_api_slopes={},
        large_api_slopes={"dear": 3 * API_SLOPE},
    )
    both = next(m for m in mixes if m.large.table_row is not None)
    small_cost = fleet_costs(table, np.array([both.small.table_row]), np.array([0.6 * VOLUME]))
    large_cost = fleet_costs(table, np.array([both.large.table_row]), np.array([0.4 * VOLUME]))
    expected = (
        small_cost.total[0] + large_cost.total[0] - min(small_cost.staff[0], large_cost.staff[0])
    )
    assert both.monthly_cost_usd == pytest.approx(expected)
    pure_large = fleet_costs(table, large_rows, np.full(large_rows.size, VOLUME)).total.min()
    assert both.monthly_cost_usd < pure_large  # the small model takes load off the big fleet
    with pytest.raises(InvalidEstimateInputError):
        routing_mixes(
            table,
            VOLUME,
            1.0,
            small_rows=small_rows,
            large_rows=large_rows,
            small_api_slopes={},
            large_api_slopes={},
        )


# --- ranges ----------------------------------------------------------------------------------


def test_zero_spreads_collapse_to_the_point_values_exactly() -> None:
    table = _table()
    rows = np.arange(table.size, dtype=np.intp)
    factors = draw_factors(ZERO, rows.size)
    point = fleet_costs(table, rows, np.full(rows.size, VOLUME)).total
    sampled = sampled_self_hosted_costs(table, rows, VOLUME, factors)
    assert np.array_equal(sampled, np.repeat(point[:, None], ZERO.samples, axis=1))
    api_point = np.array([123.4, 5678.9])
    assert np.array_equal(sampled_api_costs(api_point, factors)[:, 7], api_point)
    ranges = summarise(sampled, np.full(ZERO.samples, 3e9))
    assert np.array_equal(ranges.monthly_cost_usd, np.repeat(point[:, None], 3, axis=1))
    # Break-even: the exact point value in every sample.
    exact = break_even(
        cost_envelope(table, VOLUME / 100, VOLUME * 100), "api", API_SLOPE
    ).self_hosting_cheaper_above_requests_per_day
    assert exact is not None
    be = sampled_break_evens(
        table, rows, factors, API_SLOPE, VOLUME / 100, VOLUME * 100, exact_requests_per_day=exact
    )
    assert np.all(be == exact)


def test_grid_break_even_is_close_to_the_exact_one() -> None:
    table = _table()
    rows = np.arange(table.size, dtype=np.intp)
    exact = break_even(
        cost_envelope(table, VOLUME / 100, VOLUME * 100), "api", API_SLOPE
    ).self_hosting_cheaper_above_requests_per_day
    assert exact is not None
    grid = sampled_break_evens(
        table, rows, draw_factors(ZERO, rows.size), API_SLOPE, VOLUME / 100, VOLUME * 100
    )
    assert grid[0] == pytest.approx(exact, rel=0.35)


def test_a_fixed_seed_reproduces_the_ranges_and_another_seed_does_not() -> None:
    table = _table()
    rows = np.arange(table.size, dtype=np.intp)
    spec = UncertaintySpec(samples=300, seed=7)
    first = sampled_self_hosted_costs(table, rows, VOLUME, draw_factors(spec, rows.size))
    again = sampled_self_hosted_costs(table, rows, VOLUME, draw_factors(spec, rows.size))
    other = UncertaintySpec(samples=300, seed=8)
    third = sampled_self_hosted_costs(table, rows, VOLUME, draw_factors(other, rows.size))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, third)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_wider_price_spread_never_narrows_the_cost_range(seed: int) -> None:
    api_point = np.array([1000.0])
    widths = []
    for low, high in ((0.95, 1.0), (0.8, 1.1), (0.5, 1.5)):
        spec = UncertaintySpec(
            samples=2000,
            seed=seed,
            api_price=FactorRangeSpec(low, high),
            volume=FactorRangeSpec(),
        )
        p10, _, p90 = summarise(
            sampled_api_costs(api_point, draw_factors(spec, 0)), np.ones(2000)
        ).monthly_cost_usd[0]
        widths.append(p90 - p10)
    assert widths == sorted(widths)
    table = _table()
    rows = np.arange(table.size, dtype=np.intp)
    gpu_widths = []
    for low, high in ((0.95, 1.0), (0.8, 1.1), (0.5, 1.5)):
        spec = UncertaintySpec(
            samples=2000,
            seed=seed,
            throughput_log_sigma=0.0,
            gpu_price=FactorRangeSpec(low, high),
            staff_cost=FactorRangeSpec(),
            volume=FactorRangeSpec(),
            peak=FactorRangeSpec(),
        )
        costs = sampled_self_hosted_costs(table, rows, VOLUME, draw_factors(spec, rows.size))
        ranges = summarise(costs, np.ones(2000)).monthly_cost_usd
        gpu_widths.append(ranges[:, 2] - ranges[:, 0])
    assert np.all(np.diff(np.array(gpu_widths), axis=0) >= 0)


def test_probability_cheapest_sums_to_one_and_follows_the_point_winner() -> None:
    table = _table()
    rows = np.arange(table.size, dtype=np.intp)
    factors = draw_factors(UncertaintySpec(samples=500, seed=3), rows.size)
    costs = sampled_self_hosted_costs(table, rows, VOLUME, factors)
    ranges = summarise(costs, np.full(500, 1e9))
    assert ranges.probability_cheapest.sum() == pytest.approx(1.0)
    point = fleet_costs(table, rows, np.full(rows.size, VOLUME)).total
    assert int(np.argmax(ranges.probability_cheapest)) == int(np.argmin(point))


def test_factor_ranges_are_validated() -> None:
    with pytest.raises(InvalidEstimateInputError):
        FactorRangeSpec(1.1, 1.2)
    with pytest.raises(InvalidEstimateInputError):
        UncertaintySpec(samples=0)


# --- sensitivity -----------------------------------------------------------------------------


def test_tornado_moves_each_input_alone_and_sorts_by_swing() -> None:
    table = _table()
    rows = np.flatnonzero(table.candidate_index == 1)  # the slow model: volume needs replicas
    bars = tornado(_view(table, rows, None), UncertaintySpec())
    assert len(bars) == 6
    swings = [b.swing_usd for b in bars]
    assert swings == sorted(swings, reverse=True)
    volume = next(b for b in bars if b.input == "volume")
    assert volume.cheapest_monthly_cost_usd_high > volume.cheapest_monthly_cost_usd_low


def test_answer_names_the_conditions_for_self_hosting_to_win() -> None:
    table = _table()
    big_rows = np.flatnonzero(table.candidate_index == 1)
    # Tiny volume: the API is cheaper, so the sentence lists conditions.
    view = EstimateView(
        table=table,
        self_rows=big_rows,
        api_monthly_usd=np.array([API_SLOPE * 1000.0]),
        api_slope=API_SLOPE,
        requests_per_day=1000.0,
        requests_per_day_min=10.0,
        requests_per_day_max=1e5,
        break_even_requests_per_day=None,
    )
    answer = what_would_make_self_hosting_win(view)
    assert answer.startswith("Self-hosting ($")
    assert "API prices were" in answer
    rich = EstimateView(
        table=table,
        self_rows=big_rows,
        api_monthly_usd=np.array([API_SLOPE * 1e9]),
        api_slope=API_SLOPE,
        requests_per_day=VOLUME,
        requests_per_day_min=VOLUME / 100,
        requests_per_day_max=VOLUME * 100,
        break_even_requests_per_day=None,
    )
    assert what_would_make_self_hosting_win(rich).startswith("Self-hosting already wins")


def test_throughput_sigma_comes_from_the_performance_models_error_bands() -> None:
    from app.core.calibration import ERROR_BANDS
    from app.core.uncertainty import (
        DEFAULT_THROUGHPUT_LOG_SIGMA,
        THROUGHPUT_BAND_ALL_REGIMES,
        log_sigma_from_band,
    )

    p10, p90 = ERROR_BANDS[THROUGHPUT_BAND_ALL_REGIMES]
    assert log_sigma_from_band(p10, p90) == DEFAULT_THROUGHPUT_LOG_SIGMA
    # A lognormal with that sigma (and the band's own centre) has the band's P10 and P90.
    centre = (np.log(p10) + np.log(p90)) / 2
    draws = np.exp(
        centre + DEFAULT_THROUGHPUT_LOG_SIGMA * np.random.default_rng(0).standard_normal(200_000)
    )
    assert np.percentile(draws, 10) == pytest.approx(p10, rel=0.01)
    assert np.percentile(draws, 90) == pytest.approx(p90, rel=0.01)
    # Per-option sigmas replace the single one, option by option.
    spec = UncertaintySpec(samples=2000, seed=1)
    factors = draw_factors(spec, 2, np.array([0.0, 0.5]))
    assert np.all(factors.throughput[0] == 1.0)
    assert np.std(np.log(factors.throughput[1])) == pytest.approx(0.5, rel=0.05)


def test_chunked_evaluation_matches_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.core.uncertainty as uncertainty

    table = _table()
    rows = np.arange(table.size, dtype=np.intp)
    factors = draw_factors(UncertaintySpec(samples=300, seed=5), rows.size)
    whole = sampled_self_hosted_costs(table, rows, VOLUME, factors)
    be_whole = sampled_break_evens(table, rows, factors, API_SLOPE, VOLUME / 100, VOLUME * 100)
    monkeypatch.setattr(uncertainty, "CHUNK_ROWS", 64)
    assert np.array_equal(sampled_self_hosted_costs(table, rows, VOLUME, factors), whole)
    chunked = sampled_break_evens(table, rows, factors, API_SLOPE, VOLUME / 100, VOLUME * 100)
    assert np.array_equal(chunked, be_whole)


def test_the_point_riding_along_as_a_sample_rescales_like_a_run_of_its_own() -> None:
    # sampled_break_evens solves the point (every factor 1) as one more sample of the same
    # run; samples are solved independently, so it matches the point solved alone.
    table = _table()
    rows = np.arange(table.size, dtype=np.intp)
    factors = draw_factors(UncertaintySpec(samples=40, seed=3), rows.size)
    span = (API_SLOPE, VOLUME / 100, VOLUME * 100)
    raw = sampled_break_evens(table, rows, factors, *span)
    point = sampled_break_evens(table, rows, draw_factors(ZERO, rows.size), *span)[0]
    rescaled = sampled_break_evens(table, rows, factors, *span, exact_requests_per_day=1234.5)
    finite = np.isfinite(raw)
    assert finite.any()
    assert np.array_equal(rescaled[finite], raw[finite] / point * 1234.5)
    assert np.array_equal(rescaled[~finite], raw[~finite])


def test_levers_priced_in_one_run_match_one_run_per_lever() -> None:
    from app.core.sensitivity import LEVERS, SEARCH_POINTS, _first_wins, _scenario, _self_min

    table = _table()
    view = _view(table, np.flatnonzero(table.candidate_index == 1), None)
    api_best = float(_self_min(view, _scenario(view, api_price=np.ones(1)))[0]) * 0.6
    wins = _first_wins(view, api_best)
    assert any(v is not None for v in wins.values())
    for name, ends in LEVERS.items():
        values = np.geomspace(*ends, SEARCH_POINTS)
        won = _self_min(view, _scenario(view, **{name: values})) < api_best
        assert wins[name] == (float(values[int(np.argmax(won))]) if won.any() else None)
