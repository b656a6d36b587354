"""Where the break-even lies when it is not near today's volume: the search window widens, a
hundredfold at a time, until the cheaper side flips or a stated limit is reached.

Each window is solved exactly (`breakeven.cost_envelope` and `break_even`); windows are shared
by every API model, so each is built at most once per estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from app.core.breakeven import BreakEven, CostEnvelope, Crossing, break_even, cost_envelope
from app.core.option_table import OptionTable

#: Each widening step multiplies (upwards) or divides (downwards) the window by this.
WINDOW_FACTOR = 100.0
#: The search never goes below this volume (requests/day) ...
SEARCH_FLOOR_REQUESTS_PER_DAY = 1.0
#: ... nor above this multiple of today's volume, nor above the absolute ceiling.
SEARCH_CEILING_OVER_VOLUME = 10_000.0
SEARCH_CEILING_REQUESTS_PER_DAY = 1e12
_EDGE_TOLERANCE = 1e-12


class BreakEvenOutcome(StrEnum):
    """What the search found within its limits."""

    SELF_HOSTING_CHEAPER_ABOVE = "self_hosting_cheaper_above"  # a last crossing up to the top
    API_CHEAPER_THROUGHOUT = "api_cheaper_throughout"  # self-hosting never cheaper up to the top
    SELF_HOSTING_CHEAPER_THROUGHOUT = "self_hosting_cheaper_throughout"  # down to the floor too
    API_CHEAPER_AT_THE_TOP = "api_cheaper_at_the_top"  # cheaper somewhere, not at the top


@dataclass(frozen=True, slots=True)
class BreakEvenSearch:
    """One API model's break-even over the searched range, and what it concluded."""

    result: BreakEven
    outcome: BreakEvenOutcome


def search_ceiling(requests_per_day: float) -> float:
    return min(
        max(requests_per_day, 1.0) * SEARCH_CEILING_OVER_VOLUME, SEARCH_CEILING_REQUESTS_PER_DAY
    )


class EnvelopeWindows:
    """Cost envelopes of one option table over windows of volume, built once each."""

    def __init__(self, table: OptionTable, grid_points: int) -> None:
        self.table, self.grid_points = table, grid_points
        self._cache: dict[tuple[float, float], CostEnvelope] = {}

    def get(self, lo: float, hi: float) -> CostEnvelope:
        if (lo, hi) not in self._cache:
            self._cache[lo, hi] = cost_envelope(self.table, lo, hi, self.grid_points)
        return self._cache[lo, hi]


def _cheaper_at_top(result: BreakEven) -> bool:
    return result.self_hosting_cheaper_above_requests_per_day is not None


def _cheaper_at_bottom(result: BreakEven) -> bool:
    """Self-hosting cheaper just above the window's lower end."""
    if not result.crossings:
        return _cheaper_at_top(result)
    return not result.crossings[0].self_hosting_cheaper_above


def _join(lower: BreakEven, upper: BreakEven) -> BreakEven:
    """Two adjacent windows as one: crossings of both (plus one at the seam when the cheaper
    side differs across it), the curve of both."""
    crossings = list(lower.crossings)
    if _cheaper_at_top(lower) != _cheaper_at_bottom(upper):
        seam = lower.searched_requests_per_day_max
        crossings.append(Crossing(seam, _cheaper_at_bottom(upper)))
    crossings += upper.crossings
    above = upper.self_hosting_cheaper_above_requests_per_day
    if above is not None and above <= upper.searched_requests_per_day_min * (1 + _EDGE_TOLERANCE):
        # Cheaper from the seam on: the run may have started in the lower window.
        above = lower.self_hosting_cheaper_above_requests_per_day or above
    return BreakEven(
        api_slug=lower.api_slug,
        crossings=tuple(crossings),
        self_hosting_cheaper_above_requests_per_day=above,
        searched_requests_per_day_min=lower.searched_requests_per_day_min,
        searched_requests_per_day_max=upper.searched_requests_per_day_max,
        exact=lower.exact and upper.exact,
        curve_requests_per_day=lower.curve_requests_per_day + upper.curve_requests_per_day,
        curve_api_usd_per_month=lower.curve_api_usd_per_month + upper.curve_api_usd_per_month,
        curve_self_hosted_usd_per_month=(
            lower.curve_self_hosted_usd_per_month + upper.curve_self_hosted_usd_per_month
        ),
        curve_self_hosted_option=lower.curve_self_hosted_option + upper.curve_self_hosted_option,
    )


def _outcome(result: BreakEven) -> BreakEvenOutcome:
    if _cheaper_at_top(result):
        if result.crossings:
            return BreakEvenOutcome.SELF_HOSTING_CHEAPER_ABOVE
        return BreakEvenOutcome.SELF_HOSTING_CHEAPER_THROUGHOUT
    if result.crossings:
        return BreakEvenOutcome.API_CHEAPER_AT_THE_TOP
    return BreakEvenOutcome.API_CHEAPER_THROUGHOUT


def search_break_even(
    windows: EnvelopeWindows,
    api_slug: str,
    usd_per_month_per_request_per_day: float,
    lo: float,
    hi: float,
    *,
    ceiling: float,
    floor: float = SEARCH_FLOOR_REQUESTS_PER_DAY,
    api_fixed_usd_per_month: float = 0.0,
) -> BreakEvenSearch:
    """Break-even on [lo, hi], widened upwards while the API stays cheaper at the top (up to
    `ceiling`) and downwards while self-hosting is cheaper at the bottom (down to `floor`).
    The API line is F + p V with F = `api_fixed_usd_per_month` (people, adaptation)."""

    def solve(low: float, high: float) -> BreakEven:
        return break_even(
            windows.get(low, high),
            api_slug,
            usd_per_month_per_request_per_day,
            api_fixed_usd_per_month,
        )

    result = solve(lo, hi)
    result = _widen(result, solve, up=True, limit=ceiling)
    result = _widen(result, solve, up=False, limit=floor)
    return BreakEvenSearch(result, _outcome(result))


def _widen(
    result: BreakEven, solve: Callable[[float, float], BreakEven], *, up: bool, limit: float
) -> BreakEven:
    while True:
        if up:
            top = result.searched_requests_per_day_max
            if _cheaper_at_top(result) or top >= limit:
                return result
            result = _join(result, solve(top, min(top * WINDOW_FACTOR, limit)))
        else:
            bottom = result.searched_requests_per_day_min
            if not _cheaper_at_bottom(result) or bottom <= limit:
                return result
            result = _join(solve(max(bottom / WINDOW_FACTOR, limit), bottom), result)
