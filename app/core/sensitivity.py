"""What would change the answer: a tornado of the uncertain inputs, and the single-input
conditions under which self-hosting would win.

The tornado moves one input at a time to the low and high end of its range (the 10th and 90th
percentile for throughput) with every other input at its point value, and records the cost of
the cheapest option and the break-even volume. Bars are sorted by how far they move the cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.core.option_table import OptionTable
from app.core.sampled_break_evens import sampled_break_evens
from app.core.uncertainty import (
    Z_P90,
    Factors,
    UncertaintySpec,
    sampled_api_costs,
    sampled_self_hosted_costs,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: The inputs a tornado moves, in the order of `Factors` fields.
INPUTS = ("throughput", "api_price", "gpu_price", "staff_cost", "volume", "peak")
#: Points per lever when searching for the value at which self-hosting wins.
SEARCH_POINTS = 96


@dataclass(frozen=True, slots=True)
class EstimateView:
    """The parts of an estimate the sensitivity analysis re-prices: self-hosted rows of the
    option table, API options' point costs and slope, today's volume and break-even range."""

    table: OptionTable
    self_rows: IntArray  # option-table rows of the self-hosted options compared
    api_monthly_usd: FloatArray  # point monthly cost of each API option compared
    api_slope: float  # USD/month per request/day of the break-even's API model
    requests_per_day: float
    requests_per_day_min: float
    requests_per_day_max: float
    break_even_requests_per_day: float | None  # exact point break-even, if any
    api_fixed_usd_per_month: float = 0.0  # the break-even API model's cost at any volume


@dataclass(frozen=True, slots=True)
class TornadoBar:
    """One input moved to its low and high end, everything else at its point value."""

    input: str
    low_factor: float
    high_factor: float
    cheapest_monthly_cost_usd_low: float
    cheapest_monthly_cost_usd_high: float
    break_even_requests_per_day_low: float | None
    break_even_requests_per_day_high: float | None

    @property
    def swing_usd(self) -> float:
        return abs(self.cheapest_monthly_cost_usd_high - self.cheapest_monthly_cost_usd_low)


def _scenario(view: EstimateView, **values: FloatArray) -> Factors:
    """Factors for a set of scenarios: every field 1 unless given (throughput shared by all
    options)."""
    size = next(iter(values.values())).size
    ones = np.ones(size)
    throughput = values.get("throughput", ones)
    return Factors(
        throughput=np.broadcast_to(throughput, (len(view.self_rows), size)).copy(),
        api_price=values.get("api_price", ones),
        gpu_price=values.get("gpu_price", ones),
        staff_cost=values.get("staff_cost", ones),
        volume=values.get("volume", ones),
        peak=values.get("peak", ones),
    )


def _cheapest(view: EstimateView, factors: Factors) -> FloatArray:
    self_costs = sampled_self_hosted_costs(
        view.table, view.self_rows, view.requests_per_day, factors
    )
    api_costs = sampled_api_costs(view.api_monthly_usd, factors)
    both = np.concatenate([self_costs, api_costs], axis=0)
    return both.min(axis=0) if both.shape[0] else np.full(factors.samples, np.inf)


def _ends(spec: UncertaintySpec) -> dict[str, tuple[float, float]]:
    sigma = spec.throughput_log_sigma
    return {
        # Low throughput first: it is the expensive end, like high prices.
        "throughput": (float(np.exp(-Z_P90 * sigma)), float(np.exp(Z_P90 * sigma))),
        "api_price": (spec.api_price.low, spec.api_price.high),
        "gpu_price": (spec.gpu_price.low, spec.gpu_price.high),
        "staff_cost": (spec.staff_cost.low, spec.staff_cost.high),
        "volume": (spec.volume.low, spec.volume.high),
        "peak": (spec.peak.low, spec.peak.high),
    }


def tornado(view: EstimateView, spec: UncertaintySpec) -> tuple[TornadoBar, ...]:
    """One bar per input, largest cost swing first."""
    ends = _ends(spec)
    # Column 2i is input i at its low end, 2i + 1 at its high end; all in one evaluation.
    columns = {name: np.ones(2 * len(INPUTS)) for name in INPUTS}
    for i, name in enumerate(INPUTS):
        columns[name][2 * i : 2 * i + 2] = ends[name]
    factors = _scenario(view, **columns)
    cheapest = _cheapest(view, factors)
    if view.api_monthly_usd.size and len(view.self_rows):
        be = sampled_break_evens(
            view.table,
            view.self_rows,
            factors,
            view.api_slope,
            view.requests_per_day_min,
            view.requests_per_day_max,
            exact_requests_per_day=view.break_even_requests_per_day,
            api_fixed_usd_per_month=view.api_fixed_usd_per_month,
        )
    else:
        be = np.full(factors.samples, np.inf)
    bars = [
        TornadoBar(
            input=name,
            low_factor=ends[name][0],
            high_factor=ends[name][1],
            cheapest_monthly_cost_usd_low=float(cheapest[2 * i]),
            cheapest_monthly_cost_usd_high=float(cheapest[2 * i + 1]),
            break_even_requests_per_day_low=_finite_or_none(be[2 * i]),
            break_even_requests_per_day_high=_finite_or_none(be[2 * i + 1]),
        )
        for i, name in enumerate(INPUTS)
    ]
    return tuple(sorted(bars, key=lambda bar: -bar.swing_usd))


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _self_min(view: EstimateView, factors: Factors) -> FloatArray:
    costs = sampled_self_hosted_costs(view.table, view.self_rows, view.requests_per_day, factors)
    return costs.min(axis=0) if costs.shape[0] else np.full(factors.samples, np.inf)


#: The levers searched for a win, with the values tried (nearest to 1 first).
LEVERS = {
    "gpu_price": (1.0, 0.02),
    "throughput": (1.0, 20.0),
    "staff_cost": (1.0, 0.01),
}


def _first_wins(view: EstimateView, api_best: float) -> dict[str, float | None]:
    """Per lever, its value nearest to 1 at which self-hosting wins (None: none found).

    Every lever's values are priced in one run, each as a block of samples with the other
    factors at 1 (samples are priced independently: the numbers of one run per lever)."""
    tried = {name: np.geomspace(*ends, SEARCH_POINTS) for name, ends in LEVERS.items()}
    columns = {}
    for i, name in enumerate(tried):
        column = np.ones(len(tried) * SEARCH_POINTS)
        column[i * SEARCH_POINTS : (i + 1) * SEARCH_POINTS] = tried[name]
        columns[name] = column
    wins = (_self_min(view, _scenario(view, **columns)) < api_best).reshape(len(tried), -1)
    return {
        name: float(values[int(np.argmax(won))]) if won.any() else None
        for (name, values), won in zip(tried.items(), wins, strict=True)
    }


def what_would_make_self_hosting_win(view: EstimateView) -> str:
    """One sentence: the single-input changes under which self-hosting becomes cheapest."""
    if not len(view.self_rows):
        return "No self-hosted option can serve this workload, so no single input change helps."
    if not view.api_monthly_usd.size:
        return "No API model is compared, so self-hosting wins by default."
    api_best = float(view.api_monthly_usd.min())
    self_best = float(_self_min(view, _scenario(view, api_price=np.ones(1)))[0])
    if api_best <= 0.0 or view.requests_per_day <= 0.0:
        volume = view.break_even_requests_per_day
        needed = "" if volume is None else f" it needs about {volume:,.0f} requests/day to win"
        api_text = "nothing" if api_best <= 0.0 else f"only its fixed ${api_best:,.0f} a month"
        return (
            f"With no traffic the API costs {api_text} while a fleet costs ${self_best:,.0f} a "
            f"month, so self-hosting cannot win{';' if needed else '.'}{needed}"
            + ("." if needed else "")
        )
    if self_best < api_best:
        return (
            f"Self-hosting already wins (${self_best:,.0f} vs ${api_best:,.0f} a month); it "
            f"would lose if API prices fell by {1 - self_best / api_best:.0%} or more."
        )
    conditions = [f"API prices were {self_best / api_best - 1:.0%} higher"]
    wins = _first_wins(view, api_best)
    gpu, speed, staff = wins["gpu_price"], wins["throughput"], wins["staff_cost"]
    if gpu is not None:
        conditions.append(f"GPU prices were {1 - gpu:.0%} lower")
    if speed is not None:
        conditions.append(f"GPUs served {speed:.2g}x the predicted throughput")
    if staff is not None:
        conditions.append(f"people costs were {1 - staff:.0%} lower")
    volume = view.break_even_requests_per_day
    if volume is not None and view.requests_per_day > 0:
        conditions.append(
            f"traffic reached {volume:,.0f} requests/day "
            f"({volume / view.requests_per_day:.2g}x today)"
        )
    return (
        f"Self-hosting (${self_best:,.0f} a month) would beat the cheapest API "
        f"(${api_best:,.0f}) if any one of these held: " + "; ".join(conditions) + "."
    )
