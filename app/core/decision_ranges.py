"""P10/P50/P90 ranges of a decision: each ranked option's monthly cost and how often it is
the cheapest, and each quality tier's break-even volume.

One throughput draw per option row is shared by its cost range and the break-evens, so the
two stay consistent. Sampling itself lives in `uncertainty.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.core.arrays import FloatArray, IntArray
from app.core.breakeven import BreakEven
from app.core.decision_types import (
    BreakEvenRange,
    DecisionResult,
    DecisionSpec,
    OptionRange,
    api_name,
    row_name,
)
from app.core.option_table import OptionTable
from app.core.quality import QualityTier, TierBreakEven
from app.core.sampled_break_evens import sampled_break_evens
from app.core.sensitivity import EstimateView
from app.core.uncertainty import (
    Factors,
    UncertaintySpec,
    draw_factors,
    percentiles,
    sampled_api_costs,
    sampled_self_hosted_costs,
    summarise,
    take_options,
)
from app.core.workload import DAYS_PER_MONTH

#: Options of the point envelope re-priced per sample for the break-even range.
ENVELOPE_OPTIONS = 6


@dataclass(frozen=True, slots=True, eq=False)
class _Draws:
    """One throughput draw per row of `union`, shared by cost ranges and break-evens."""

    factors: Factors
    union: IntArray

    def for_rows(self, rows: IntArray) -> Factors:
        return take_options(self.factors, np.searchsorted(self.union, rows))


def with_ranges(
    result: DecisionResult,
    spec: DecisionSpec,
    uncertainty: UncertaintySpec,
    table: OptionTable,
    rows: IntArray,
    api_names: list[str],
    api_point: FloatArray,
    view: EstimateView,
) -> DecisionResult:
    """`result` with the P10/P50/P90 of the ranked `rows` and API models and of each tier's
    break-even (`table` is unrestricted; `view.table` is the equal-quality tier)."""
    env_rows = {t.tier: _envelope_rows(t.break_even) for t in result.tiers if t.break_even}
    union = np.unique(np.concatenate([rows, *env_rows.values()])).astype(np.intp)
    draws = _Draws(draw_factors(uncertainty, union.size, row_sigmas(spec, table, union)), union)
    return replace(
        result,
        option_ranges=_option_ranges(spec, table, rows, api_names, api_point, view, draws),
        break_even_ranges=_break_even_ranges(result, table, view, env_rows, draws),
        samples=uncertainty.samples,
    )


def _option_ranges(
    spec: DecisionSpec,
    table: OptionTable,
    rows: IntArray,
    api_names: list[str],
    api_point: FloatArray,
    view: EstimateView,
    draws: _Draws,
) -> tuple[OptionRange, ...]:
    self_costs = sampled_self_hosted_costs(
        view.table, rows, view.requests_per_day, draws.for_rows(rows)
    )
    api_costs = sampled_api_costs(api_point, draws.factors)
    tokens = (
        view.requests_per_day
        * DAYS_PER_MONTH
        * spec.workload.tokens_per_request
        * draws.factors.volume
    )
    ranges = summarise(np.concatenate([api_costs, self_costs], axis=0), tokens)
    names = [api_name(s) for s in api_names] + [row_name(spec, table, int(r)) for r in rows]
    return tuple(
        OptionRange(
            option=name,
            monthly_cost_usd=_triple(ranges.monthly_cost_usd[i]),
            usd_per_million_tokens=_triple(ranges.usd_per_million_tokens[i]),
            probability_cheapest=float(ranges.probability_cheapest[i]),
        )
        for i, name in enumerate(names)
    )


def _break_even_ranges(
    result: DecisionResult,
    table: OptionTable,
    view: EstimateView,
    env_rows: dict[QualityTier, IntArray],
    draws: _Draws,
) -> tuple[BreakEvenRange, ...]:
    be_ranges = []
    for tier_result in result.tiers:
        be = tier_result.break_even
        if be is None or result.reference_api_slug is None:
            continue
        tier_rows = env_rows[tier_result.tier]
        samples = sampled_break_evens(
            view.table if tier_result.tier is QualityTier.EQUAL_QUALITY else table,
            tier_rows,
            draws.for_rows(tier_rows),
            view.api_slope,
            view.requests_per_day_min,
            view.requests_per_day_max,
            exact_requests_per_day=be.self_hosting_cheaper_above_requests_per_day,
            api_fixed_usd_per_month=view.api_fixed_usd_per_month,
        )
        be_ranges.append(_break_even_range(tier_result, result.reference_api_slug, samples))
    return tuple(be_ranges)


def _break_even_range(tier: TierBreakEven, api_slug: str, samples: FloatArray) -> BreakEvenRange:
    p10, p50, p90 = percentiles(samples)
    exact = tier.break_even
    return BreakEvenRange(
        tier=tier.tier,
        api_slug=api_slug,
        requests_per_day=None
        if exact is None
        else exact.self_hosting_cheaper_above_requests_per_day,
        p10=_finite(p10),
        p50=_finite(p50),
        p90=_finite(p90),
        share_of_samples_self_hosting_wins=float(np.isfinite(samples).mean()),
    )


def row_sigmas(spec: DecisionSpec, table: OptionTable, rows: IntArray) -> FloatArray | None:
    """Each row's throughput log-sigma from its candidate's regime band, if given."""
    if not spec.throughput_log_sigma_by_candidate:
        return None
    by_candidate = np.asarray(spec.throughput_log_sigma_by_candidate, dtype=np.float64)
    return by_candidate[table.candidate_index[rows]]


def _triple(values: FloatArray) -> tuple[float, float, float]:
    return float(values[0]), float(values[1]), float(values[2])


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _envelope_rows(be: BreakEven) -> IntArray:
    """The options most often cheapest along the point envelope (at most ENVELOPE_OPTIONS)."""
    curve = np.asarray(be.curve_self_hosted_option, dtype=np.intp)
    options, counts = np.unique(curve[curve >= 0], return_counts=True)
    return options[np.argsort(-counts, kind="stable")[:ENVELOPE_OPTIONS]].astype(np.intp)
