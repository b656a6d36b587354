"""Quality-matched comparison: which models are good enough for the job.

A request sets a bar on one quality measure (a benchmark score such as MMLU-Pro, or the
user's own evaluation): either "match a reference model within a tolerance" or "at least this
floor". Models below the bar, or with no score on that measure, cannot serve the workload at
equal quality; their options become infeasible with reason `below_quality`, and break-evens
are reported per quality tier so that a headline never compares unequal models silently.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from app.core.breakeven import BreakEven
from app.core.breakeven_search import EnvelopeWindows, search_break_even
from app.core.errors import InvalidEstimateInputError
from app.core.option_table import OptionTable

BoolArray = npt.NDArray[np.bool_]

#: Reason code of options whose model is below the quality bar.
BELOW_QUALITY = "below_quality"

#: Scores by model slug, then by measure name (e.g. {"llama-3.1-70b": {"mmlu_pro": 66.4}}).
Scores = Mapping[str, Mapping[str, float]]


class QualityTier(StrEnum):
    """Which models a break-even or a ranking may use."""

    EQUAL_QUALITY = "equal_quality"  # only models that meet the bar
    ANY_MODEL = "any_model"  # every model, whatever its quality


@dataclass(frozen=True, slots=True)
class QualityBarSpec:
    """The bar: a reference model's score minus `tolerance`, or a fixed `floor` (same units
    as the measure, e.g. percentage points of accuracy)."""

    measure: str
    reference_slug: str | None = None
    tolerance: float = 0.0
    floor: float | None = None

    def __post_init__(self) -> None:
        if (self.reference_slug is None) == (self.floor is None):
            raise InvalidEstimateInputError(
                "a quality bar needs exactly one of a reference model or a floor",
                measure=self.measure,
            )
        if not (math.isfinite(self.tolerance) and self.tolerance >= 0):
            raise InvalidEstimateInputError("quality tolerance must be >= 0", value=self.tolerance)
        if self.floor is not None and not math.isfinite(self.floor):
            raise InvalidEstimateInputError("quality floor must be finite", value=self.floor)


@dataclass(frozen=True, slots=True)
class QualityVerdict:
    """Whether one model meets the bar, and why not."""

    model_slug: str
    score: float | None
    meets_bar: bool
    reason: str | None


def merge_scores(catalog: Scores, own: Scores) -> dict[str, dict[str, float]]:
    """Catalog scores with the user's own scores laid over them (own wins per measure)."""
    merged = {slug: dict(measures) for slug, measures in catalog.items()}
    for slug, measures in own.items():
        merged.setdefault(slug, {}).update(measures)
    return merged


def quality_threshold(bar: QualityBarSpec, scores: Scores) -> float:
    """The lowest acceptable score on `bar.measure` (reference score - tolerance, or floor)."""
    if bar.floor is not None:
        return bar.floor
    reference_slug = bar.reference_slug or ""
    reference = scores.get(reference_slug, {}).get(bar.measure)
    if reference is None:
        raise InvalidEstimateInputError(
            f"the reference model {bar.reference_slug!r} has no {bar.measure!r} score: "
            "give one in quality.scores or choose another measure",
            reference=bar.reference_slug,
            measure=bar.measure,
        )
    return reference - bar.tolerance


def judge_models(
    bar: QualityBarSpec, scores: Scores, model_slugs: tuple[str, ...]
) -> dict[str, QualityVerdict]:
    """Each model's verdict against the bar; a model without a score does not meet it."""
    threshold = quality_threshold(bar, scores)
    verdicts: dict[str, QualityVerdict] = {}
    for slug in model_slugs:
        score = scores.get(slug, {}).get(bar.measure)
        if score is None:
            verdicts[slug] = QualityVerdict(
                slug, None, False, f"{BELOW_QUALITY}: no {bar.measure} score for {slug}"
            )
        elif score < threshold:
            verdicts[slug] = QualityVerdict(
                slug,
                score,
                False,
                f"{BELOW_QUALITY}: {bar.measure} {score:g} < {threshold:g} required",
            )
        else:
            verdicts[slug] = QualityVerdict(slug, score, True, None)
    return verdicts


def restrict_table(table: OptionTable, keep_candidates: BoolArray) -> OptionTable:
    """The option table with only the rows of `keep_candidates` (a flag per candidate) left
    feasible: the input of a break-even "at equal quality"."""
    keep_rows = np.asarray(keep_candidates, dtype=np.bool_)[table.candidate_index]
    return replace(table, feasible=table.feasible & keep_rows)


@dataclass(frozen=True, slots=True)
class TierBreakEven:
    """A break-even against one API model, restricted to one quality tier."""

    tier: QualityTier
    break_even: BreakEven | None  # None: no self-hosted option in this tier


def tier_break_evens(
    table: OptionTable,
    keep_candidates: BoolArray,
    api_slug: str,
    usd_per_month_per_request_per_day: float,
    requests_per_day_min: float,
    requests_per_day_max: float,
    *,
    floor: float,
    ceiling: float,
    grid_points: int = 100,
    api_fixed_usd_per_month: float = 0.0,
    equal_windows: EnvelopeWindows | None = None,
) -> tuple[TierBreakEven, ...]:
    """Break-even of one API model against self-hosting at equal quality and with any model,
    searched like the estimate's own (`breakeven_search`: the window widens from
    [min, max] down to `floor` and up to `ceiling` until the cheaper side flips).

    `equal_windows`: envelopes already built over a table whose feasible rows are exactly the
    equal-quality rows of `table`, with the same values (the estimate's, on the same
    candidates with those below the bar marked infeasible); used when its grid and feasible
    rows agree. An envelope reads only feasible rows, so it is the one built here. When every
    feasible row qualifies, both tiers search the same envelopes."""
    equal = restrict_table(table, keep_candidates)
    if equal_windows is None or not _serves(equal_windows, equal, grid_points):
        equal_windows = EnvelopeWindows(equal, grid_points)
    same = bool(np.array_equal(equal.feasible, table.feasible))
    out = []
    for tier, view, windows in (
        (QualityTier.EQUAL_QUALITY, equal, equal_windows),
        (QualityTier.ANY_MODEL, table, equal_windows if same else None),
    ):
        if not view.feasible.any():
            out.append(TierBreakEven(tier, None))
            continue
        found = search_break_even(
            windows or EnvelopeWindows(view, grid_points),
            api_slug,
            usd_per_month_per_request_per_day,
            requests_per_day_min,
            requests_per_day_max,
            ceiling=ceiling,
            floor=floor,
            api_fixed_usd_per_month=api_fixed_usd_per_month,
        )
        out.append(TierBreakEven(tier, found.result))
    return tuple(out)


def _serves(windows: EnvelopeWindows, table: OptionTable, grid_points: int) -> bool:
    """Whether `windows` can stand for envelopes of `table`: same grid, same feasible rows."""
    return (
        windows.grid_points == grid_points
        and windows.table.size == table.size
        and bool(np.array_equal(windows.table.feasible, table.feasible))
    )
