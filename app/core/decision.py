"""A decision a manager can defend: quality tiers, routing mixes, ranges and what would change
the answer, for one estimate's inputs.

Runs next to `estimate.estimate` on the same specs. The estimate itself prices only options
that meet the quality bar (the service marks the others infeasible with `below_quality`); this
module takes the unrestricted option table (the estimate's with the reasons of the unmarked
candidates, or built), so that break-evens can be given per quality tier ("at equal quality",
on the estimate's own envelopes when given, and "any model") and mixes may route to a
smaller model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from app.core.api_cost import api_cost
from app.core.arrays import BoolArray, IntArray
from app.core.breakeven import default_search_range
from app.core.breakeven_search import SEARCH_FLOOR_REQUESTS_PER_DAY, search_ceiling
from app.core.decision_ranges import row_sigmas, with_ranges
from app.core.decision_types import (
    DecisionResult,
    DecisionSpec,
    NamedMix,
    OptionName,
    api_name,
    row_name,
)
from app.core.errors import InvalidEstimateInputError
from app.core.monthly_costs import fleet_costs
from app.core.option_builder import row_key
from app.core.option_table import OptionTable, build_option_table, with_reasons
from app.core.quality import (
    QualityVerdict,
    TierBreakEven,
    judge_models,
    restrict_table,
    tier_break_evens,
)
from app.core.routing import MixPart, routing_mixes
from app.core.sensitivity import EstimateView, tornado, what_would_make_self_hosting_win
from app.core.uncertainty import UncertaintySpec

#: Self-hosted options given ranges: the cheapest this many in the compared tier.
RANGED_SELF_HOSTED = 20
#: Rows ranked per ranged option, so that folding equivalents still fills the list.
EQUIVALENTS_PER_OPTION = 4


def _api_slopes(spec: DecisionSpec) -> dict[str, float]:
    """USD/month per request/day of each API model the estimate prices (models whose context
    window the workload overflows too often are left out, as in the estimate)."""
    discount = spec.assumptions.api_discount_share
    limit = spec.policy.max_context_overflow_share
    return {
        p.slug: api_cost(
            p, spec.workload, requests_per_day=1.0, discount_share=discount
        ).monthly_cost_usd
        for p in spec.api_prices
        if api_cost(p, spec.workload, discount_share=discount).context_overflow_share <= limit
    }


def _quality_masks(
    spec: DecisionSpec,
) -> tuple[dict[str, QualityVerdict], BoolArray, set[str]]:
    """Verdicts by model, a keep-flag per candidate, and the API models that qualify."""
    api_slugs = tuple(p.slug for p in spec.api_prices)
    if spec.quality is None:
        return {}, np.ones(len(spec.candidates), dtype=np.bool_), set(api_slugs)
    models = tuple(dict.fromkeys((*api_slugs, *(c.open_model_slug for c in spec.candidates))))
    verdicts = judge_models(spec.quality, spec.scores, models)
    keep = np.array(
        [verdicts[c.open_model_slug].meets_bar for c in spec.candidates], dtype=np.bool_
    )
    return verdicts, keep, {s for s in api_slugs if verdicts[s].meets_bar}


def _reference(spec: DecisionSpec, slopes: dict[str, float], qualifying: set[str]) -> str | None:
    if spec.reference_api_slug is not None:
        if spec.reference_api_slug not in slopes:
            raise InvalidEstimateInputError(
                "the break-even API model must be one of the compared API models",
                api_model=spec.reference_api_slug,
            )
        return spec.reference_api_slug
    # Never an API model below the bar: with none qualifying there is no break-even to give.
    pool = [s for s in slopes if s in qualifying]
    return min(pool, key=lambda s: (slopes[s], s)) if pool else None


def _search_tiers(
    spec: DecisionSpec,
    table: OptionTable,
    keep: BoolArray,
    reference: str | None,
    slopes: dict[str, float],
) -> tuple[tuple[TierBreakEven, ...], float, float]:
    """Per-tier break-evens searched like the estimate's, and the volume range searched."""
    w = spec.workload
    lo, hi = default_search_range(w.requests_per_day)
    fixed = spec.requests_per_day_min is not None or spec.requests_per_day_max is not None
    lo = spec.requests_per_day_min or lo
    hi = spec.requests_per_day_max or hi
    if reference is None or not table.size:
        return (), lo, hi
    tiers = tier_break_evens(
        table,
        keep,
        reference,
        slopes[reference],
        lo,
        hi,
        floor=lo if fixed else min(SEARCH_FLOOR_REQUESTS_PER_DAY, lo),
        ceiling=hi if fixed else search_ceiling(w.requests_per_day),
        api_fixed_usd_per_month=_api_fixed(spec, reference),
        equal_windows=spec.equal_quality_envelopes,
    )
    # Ranges and the tornado search where the point break-even was searched.
    searched = tiers[0].break_even
    if searched is not None:
        lo, hi = searched.searched_requests_per_day_min, searched.searched_requests_per_day_max
    return tiers, lo, hi


def _api_fixed(spec: DecisionSpec, slug: str | None) -> float:
    """An API option's cost at any volume: its people and adaptation (USD/month)."""
    extras = None if spec.whole is None or slug is None else spec.whole.api_extras.get(slug)
    return 0.0 if extras is None else extras.usd_per_month


def _option_table(spec: DecisionSpec) -> OptionTable:
    """Every candidate's options, unfiltered by quality: from the estimate's table when the
    spec carries it (`equal_quality_envelopes`, built from these candidates with those below
    the bar infeasible, so only the reasons differ), else built."""
    known = spec.equal_quality_envelopes
    rows = sum(len(c.purchase_options) for c in spec.candidates)
    if known is not None and known.table.size == rows:
        return with_reasons(known.table, spec.candidates, spec.workload)
    build = None if spec.whole is None else spec.whole.build
    return build_option_table(spec.candidates, spec.workload, spec.assumptions, spec.policy, build)


def decide(spec: DecisionSpec) -> DecisionResult:
    """Quality tiers, ranges, tornado, answer sentence and routing mixes for one estimate."""
    w = spec.workload
    table = _option_table(spec)
    verdicts, keep, qualifying = _quality_masks(spec)
    slopes = _api_slopes(spec)
    reference = _reference(spec, slopes, qualifying)
    tiers, lo, hi = _search_tiers(spec, table, keep, reference, slopes)
    result = DecisionResult(verdicts, reference, tiers)
    if spec.routing_small_share is not None:
        result = _with_mixes(result, spec, table, keep, slopes, qualifying)
    if (spec.uncertainty is None and not spec.sensitivity) or reference is None:
        return result
    equal = restrict_table(table, keep)
    uncertainty = spec.uncertainty or UncertaintySpec()
    rows = _cheapest_rows(spec, equal, w.requests_per_day, RANGED_SELF_HOSTED)
    api_names = [s for s in slopes if s in qualifying]
    # The estimate's own point costs, so that zero spreads reproduce them exactly.
    discount = spec.assumptions.api_discount_share
    prices = {p.slug: p for p in spec.api_prices}
    api_point = np.array(
        [
            api_cost(prices[s], w, discount_share=discount).monthly_cost_usd + _api_fixed(spec, s)
            for s in api_names
        ]
    )
    exact = tiers[0].break_even if tiers else None
    view = EstimateView(
        table=equal,
        self_rows=rows,
        api_monthly_usd=api_point,
        api_slope=slopes[reference],
        requests_per_day=w.requests_per_day,
        requests_per_day_min=lo,
        requests_per_day_max=hi,
        break_even_requests_per_day=None
        if exact is None
        else exact.self_hosting_cheaper_above_requests_per_day,
        api_fixed_usd_per_month=_api_fixed(spec, reference),
    )
    if spec.uncertainty is not None:
        result = with_ranges(result, spec, uncertainty, table, rows, api_names, api_point, view)
    if spec.sensitivity:
        sigmas = row_sigmas(spec, table, rows)
        if sigmas is not None and sigmas.size:
            # The tornado moves every option's throughput together: by their mean sigma.
            uncertainty = replace(uncertainty, throughput_log_sigma=float(sigmas.mean()))
        result = replace(
            result,
            tornado=tornado(view, uncertainty),
            answer=what_would_make_self_hosting_win(view),
        )
    return result


def _cheapest_rows(
    spec: DecisionSpec, table: OptionTable, requests_per_day: float, count: int
) -> IntArray:
    """The `count` cheapest feasible rows, ranked and folded like the estimate's options
    (cost, then id; equivalents, `options.fold_equivalent`, appear once, as the first)."""
    feasible = np.flatnonzero(table.feasible)
    if feasible.size == 0:
        return feasible.astype(np.intp)
    costs = fleet_costs(table, feasible, np.full(feasible.size, requests_per_day))
    total, gpus, instances = (
        costs.total.tolist(),
        costs.peak_gpus.tolist(),
        costs.peak_instances.tolist(),
    )
    # A group of equivalents is rarely larger than a few rows: rank a few times `count`.
    shortlist = np.argsort(costs.total, kind="stable")[: count * EQUIVALENTS_PER_OPTION].tolist()
    ranked = _ties_by_id(
        shortlist, total, lambda i: row_key(spec.candidates, table, int(feasible[i])).id
    )
    seen: set[tuple[object, ...]] = set()
    rows: list[int] = []
    for i in ranked:
        row = int(feasible[i])
        candidate = spec.candidates[int(table.candidate_index[row])]
        group = (
            candidate.open_model_slug,
            candidate.gpu_slug,
            table.options[row].mode,
            gpus[i],
            instances[i],
            round(total[i], 2),
        )
        if group not in seen:
            seen.add(group)
            rows.append(row)
        if len(rows) == count:
            break
    return np.asarray(rows, dtype=np.intp)


def _ties_by_id(
    ordered: list[int], cost: list[float], option_id: Callable[[int], str]
) -> list[int]:
    """`ordered` (positions sorted by `cost`, stably) sorted by (cost, option id): only runs
    of equal cost need the ids, which are slow to build for every position."""
    out: list[int] = []
    start = 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and cost[ordered[end]] == cost[ordered[start]]:
            end += 1
        run = ordered[start:end]
        out.extend(run if len(run) == 1 else sorted(run, key=option_id))
        start = end
    return out


def _part_name(spec: DecisionSpec, table: OptionTable, part: MixPart) -> OptionName:
    if part.api_slug is not None:
        return api_name(part.api_slug)
    return row_name(spec, table, part.table_row or 0)


def _with_mixes(
    result: DecisionResult,
    spec: DecisionSpec,
    table: OptionTable,
    keep: BoolArray,
    slopes: dict[str, float],
    qualifying: set[str],
) -> DecisionResult:
    share = spec.routing_small_share or 0.0
    all_rows = np.flatnonzero(table.feasible).astype(np.intp)
    mixes = routing_mixes(
        table,
        spec.workload.requests_per_day,
        share,
        small_rows=all_rows,
        large_rows=all_rows[keep[table.candidate_index[all_rows]]],
        small_api_slopes=slopes,
        large_api_slopes={s: v for s, v in slopes.items() if s in qualifying},
    )
    named = tuple(
        NamedMix(_part_name(spec, table, m.small), _part_name(spec, table, m.large), m)
        for m in mixes
    )
    return replace(result, mixes=named)
