"""Time to production, what drives an option's cost, and what a constraint costs.

Time to production: self-hosting serves no traffic for `hiring_lead_months` (people are being
hired) plus `build_out_months` (the hired team builds the serving stack). Meanwhile the workload
runs on an interim API, or is not served at all. During the build-out the team is already paid.
A fractional month is split pro rata.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.core.build_defaults import default
from app.core.errors import InvalidEstimateInputError

FloatArray = npt.NDArray[np.float64]

#: How breakdown keys group into the components a reader decides on.
COMPONENT_OF = {
    "staff": "people",
    "people": "people",
    "compute": "compute",
    "power": "compute",
    "hosting": "compute",
    "overhead": "compute",
    "support": "infrastructure",
    "gateway": "infrastructure",
    "observability": "infrastructure",
    "storage": "infrastructure",
    "egress": "infrastructure",
    "adaptation": "adaptation",
}
COMPONENTS = ("people", "compute", "infrastructure", "adaptation", "api")


@dataclass(frozen=True, slots=True)
class TimeToProductionSpec:
    hiring_lead_months: float = default("time_to_production.hiring_lead_months")
    build_out_months: float = default("time_to_production.build_out_months")
    # True: the workload runs on the interim API until self-hosting is live; False: not served.
    interim_api: bool = True

    def __post_init__(self) -> None:
        for name in ("hiring_lead_months", "build_out_months"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= 120):
                raise InvalidEstimateInputError(f"{name} must be within [0, 120]", value=value)

    @property
    def months(self) -> float:
        return self.hiring_lead_months + self.build_out_months


def _share_before(months: int, boundary: float) -> FloatArray:
    """Share of each month m (0-based) that falls before `boundary` months."""
    return np.clip(boundary - np.arange(months, dtype=np.float64), 0.0, 1.0)


def projection_with_build_out(
    spec: TimeToProductionSpec,
    *,
    self_hosted_usd: Sequence[float],
    interim_api_usd: Sequence[float],
    team_usd_per_month: float,
) -> FloatArray:
    """Monthly cost of a self-hosted (or hybrid) option once the build-out is counted (USD).

    Before `spec.months` the option costs the interim API (or nothing) plus, from the end of
    hiring, the team; afterwards it costs its own monthly figure.
    """
    own = np.asarray(self_hosted_usd, dtype=np.float64)
    api = np.asarray(interim_api_usd, dtype=np.float64)
    if own.shape != api.shape:
        raise InvalidEstimateInputError("projection series must have the same length")
    months = own.size
    building = _share_before(months, spec.months)
    hiring = _share_before(months, spec.hiring_lead_months)
    team = (building - hiring) * team_usd_per_month
    interim = api if spec.interim_api else np.zeros_like(api)
    return building * interim + team + (1.0 - building) * own


def cost_shares(breakdown: Mapping[str, float]) -> dict[str, float]:
    """Share of the total by component (people, compute, infrastructure, adaptation, api)."""
    totals = dict.fromkeys(COMPONENTS, 0.0)
    for key, usd in breakdown.items():
        # The fallback only for keys not listed (API token lines): this runs for every item of
        # every option, and str.startswith's argument parsing was a tenth of it.
        component = COMPONENT_OF.get(key)
        if component is None:
            component = "api" if key.startswith("api") else "compute"
        totals[component] += usd
    whole = sum(totals.values())
    if whole <= 0:
        return dict.fromkeys(COMPONENTS, 0.0)
    return {name: usd / whole for name, usd in totals.items()}


_DRIVER_WORDS = {"api": "API calls", "people": "People"}


def drivers_sentence(shares: Mapping[str, float]) -> str:
    """One plain sentence naming the largest components, e.g. 'People are 65% of ...'."""
    ranked = sorted([(s, n) for n, s in shares.items() if s >= 0.005], reverse=True)
    if not ranked:
        return "This option costs nothing at this volume."
    first_share, first = ranked[0]
    words = _DRIVER_WORDS
    name = words.get(first, first.capitalize())
    verb = "are" if first in ("people", "api") else "is"
    sentence = f"{name} {verb} {first_share:.0%} of this option's cost"
    rest = [f"{words.get(n, n).replace('People', 'people')} {s:.0%}" for s, n in ranked[1:3]]
    if rest:
        sentence += "; " + " and ".join(rest)
    return sentence + "."


@dataclass(frozen=True, slots=True)
class ConstraintCost:
    """The cheapest option with and without the constraints (USD/month)."""

    cheapest_unconstrained_usd_per_month: float | None
    cheapest_constrained_usd_per_month: float | None

    @property
    def usd_per_month(self) -> float | None:
        """What the constraints add to the cheapest monthly cost; None when nothing is left."""
        low, high = (
            self.cheapest_unconstrained_usd_per_month,
            self.cheapest_constrained_usd_per_month,
        )
        if low is None or high is None:
            return None
        return max(high - low, 0.0)


def constraint_cost(unconstrained_usd: Sequence[float], allowed: Sequence[bool]) -> ConstraintCost:
    """Cheapest monthly cost over all options and over the allowed ones (USD/month)."""
    costs = np.asarray(unconstrained_usd, dtype=np.float64)
    mask = np.asarray(allowed, dtype=np.bool_)
    finite = np.isfinite(costs)
    low = float(costs[finite].min()) if finite.any() else None
    kept = finite & mask
    high = float(costs[kept].min()) if kept.any() else None
    return ConstraintCost(low, high)
