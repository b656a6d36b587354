"""Ranges instead of single numbers: Monte Carlo over the uncertain inputs of an estimate.

Every uncertain input is a multiplicative factor on its point value (1 = the point value):

* throughput of each self-hosted option (the performance model's own error): lognormal,
  median 1, drawn independently per option and sample, with a log-sigma per option (from the
  model's error band of its regime) or `throughput_log_sigma` for all;
* API prices, GPU prices (cloud hours and owned capex), people (staff) costs, today's traffic
  volume and its peak-to-average ratio: triangular between `low` and `high` with mode 1.

All draws come from one seeded `numpy.random.Generator`, so the same spec gives the same
ranges. With every spread at zero (sigma 0, low = high = 1) each sample equals the point
estimate exactly. Sampled self-hosted costs are the numbers of `monthly_costs.fleet_total` on a
widened option table (one row per option and sample; `sampled_costs.py` computes them without
widening it), so fleets are re-sized in whole replicas per sample.

Approximations (documented in docs/economics.md): the peak factor scales the peak-hour load
of fleets held 24/7 only (autoscaled fleets pay per hour and follow the curve); hybrid splits
are not re-optimised per sample and carry no range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from app.core.calibration import ERROR_BANDS
from app.core.errors import InvalidEstimateInputError
from app.core.option_table import OptionTable
from app.core.sampled_costs import held_kappa, sampled_totals

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: z of the 10th/90th percentile of a standard normal.
Z_P90 = 1.2815515655446004


def log_sigma_from_band(p10: float, p90: float) -> float:
    """Log-sigma of a lognormal whose P10 and P90 (of measured / predicted) are given."""
    return (math.log(p90) - math.log(p10)) / (2.0 * Z_P90)


#: Band of the performance model's throughput error over all its calibration regimes.
THROUGHPUT_BAND_ALL_REGIMES = "output_tokens_per_s|*|*|*"
#: Throughput log-sigma when no regime is known: from the P10-P90 band of measured/predicted
#: output tokens/s over every calibration regime (app/core/calibration.py ERROR_BANDS, issue 10).
#: Estimates use each option's own regime band (engine | precision class | unqueued) instead.
DEFAULT_THROUGHPUT_LOG_SIGMA = log_sigma_from_band(*ERROR_BANDS[THROUGHPUT_BAND_ALL_REGIMES])
#: Widened option-table rows evaluated at once (bounds memory for large sample counts).
CHUNK_ROWS = 100_000
#: Percentiles reported for every range.
PERCENTILES = (10.0, 50.0, 90.0)


@dataclass(frozen=True, slots=True)
class FactorRangeSpec:
    """A triangular factor on a point value: lowest, most likely (1) and highest multiple."""

    low: float = 1.0
    high: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise InvalidEstimateInputError("factor range must be finite", low=self.low)
        if not (0.0 < self.low <= 1.0 <= self.high):
            raise InvalidEstimateInputError(
                "a factor range needs 0 < low <= 1 <= high", low=self.low, high=self.high
            )

    def draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        """`size` factors; exactly 1.0 everywhere when the range is empty."""
        if self.low == self.high:
            return np.ones(size)
        return rng.triangular(self.low, 1.0, self.high, size)


@dataclass(frozen=True, slots=True)
class UncertaintySpec:
    """What is uncertain and by how much. Defaults are planning assumptions, not
    measurements (except the throughput sigma): override them with your own ranges."""

    samples: int = 1000
    seed: int = 0
    throughput_log_sigma: float = DEFAULT_THROUGHPUT_LOG_SIGMA
    # Negotiated API discounts: up to 20% off list; list prices rarely rise within a year.
    api_price: FactorRangeSpec = FactorRangeSpec(0.8, 1.0)
    # GPU-hour and hardware prices: 20% below (negotiation, price cuts) to 10% above list.
    gpu_price: FactorRangeSpec = FactorRangeSpec(0.8, 1.1)
    # Loaded engineer cost and effort: 25% either way.
    staff_cost: FactorRangeSpec = FactorRangeSpec(0.75, 1.25)
    # Today's traffic forecast: from two thirds to 1.5 x the stated volume.
    volume: FactorRangeSpec = FactorRangeSpec(2.0 / 3.0, 1.5)
    # Peak-to-average ratio: 20% below to 25% above the stated profile.
    peak: FactorRangeSpec = FactorRangeSpec(0.8, 1.25)

    def __post_init__(self) -> None:
        if not (1 <= self.samples <= 100_000):
            raise InvalidEstimateInputError("samples must be within [1, 100000]", n=self.samples)
        if not (math.isfinite(self.throughput_log_sigma) and self.throughput_log_sigma >= 0):
            raise InvalidEstimateInputError(
                "throughput_log_sigma must be >= 0", value=self.throughput_log_sigma
            )


@dataclass(frozen=True, slots=True, eq=False)
class Factors:
    """Sampled factors: `throughput` per (option, sample), the rest per sample."""

    throughput: FloatArray  # (options, samples)
    api_price: FloatArray
    gpu_price: FloatArray
    staff_cost: FloatArray
    volume: FloatArray
    peak: FloatArray

    @property
    def samples(self) -> int:
        return int(self.api_price.size)


def draw_factors(
    spec: UncertaintySpec, self_hosted_options: int, throughput_log_sigmas: FloatArray | None = None
) -> Factors:
    """One seeded set of factors for `self_hosted_options` options and `spec.samples` samples;
    `throughput_log_sigmas` (one per option) replaces `spec.throughput_log_sigma` when given."""
    rng = np.random.default_rng(spec.seed)
    n = spec.samples
    # Fixed draw order so that adding a spread elsewhere never reshuffles this one.
    api_price = spec.api_price.draw(rng, n)
    gpu_price = spec.gpu_price.draw(rng, n)
    staff_cost = spec.staff_cost.draw(rng, n)
    volume = spec.volume.draw(rng, n)
    peak = spec.peak.draw(rng, n)
    sigmas = (
        np.full(self_hosted_options, spec.throughput_log_sigma)
        if throughput_log_sigmas is None
        else np.asarray(throughput_log_sigmas, dtype=np.float64)
    )
    if not sigmas.any():
        throughput = np.ones((self_hosted_options, n))
    else:
        normal = rng.standard_normal((self_hosted_options, n))
        throughput = np.exp(sigmas[:, None] * normal)
    return Factors(throughput, api_price, gpu_price, staff_cost, volume, peak)


def scenario_table(
    table: OptionTable,
    rows: IntArray,
    throughput: FloatArray,
    gpu_price: FloatArray,
    staff_cost: FloatArray,
    peak: FloatArray,
    *,
    repeats: int = 1,
) -> OptionTable:
    """A widened option table: entry j is option `rows[j // repeats]` with its throughput,
    prices, staff cost and peak scaled by the j-th factors. Only the arrays `fleet_total`
    reads are set."""
    r = np.asarray(rows, dtype=np.intp)

    def pick(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        # Each option's values gathered once and repeated: cheaper than gathering them per
        # entry (and `take` along rows: fancy indexing of a 2-D array is far slower).
        picked = values.take(r, axis=0)
        return picked if repeats == 1 else np.repeat(picked, repeats, axis=0)

    irps = pick(table.interactive_rps) * throughput
    orps = pick(table.operating_rps) * throughput
    brps = pick(table.batch_rps) * throughput
    feasible = pick(table.feasible)
    unchanged = (throughput == 1.0) & (peak == 1.0)
    kappa_held = np.where(unchanged, pick(table.kappa_held), held_kappa(table, irps, brps, peak))
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa_hour = pick(table.kappa_hour) / throughput
    return replace(
        table,
        candidate_index=pick(table.candidate_index),
        feasible=feasible,
        autoscaled=pick(table.autoscaled),
        owned=pick(table.owned),
        interactive_rps=irps,
        operating_rps=orps,
        batch_rps=brps,
        gpus_per_replica=pick(table.gpus_per_replica),
        gpus_per_instance=pick(table.gpus_per_instance),
        capacity_factor=pick(table.capacity_factor),
        usd_per_instance_hour=pick(table.usd_per_instance_hour) * gpu_price,
        usd_per_instance_month_fixed=pick(table.usd_per_instance_month_fixed) * gpu_price,
        usd_per_gpu_month_idle_power=pick(table.usd_per_gpu_month_idle_power),
        usd_per_busy_gpu_s_power=pick(table.usd_per_busy_gpu_s_power),
        usd_per_gpu_month_hosting=pick(table.usd_per_gpu_month_hosting),
        usd_per_month_staff=pick(table.usd_per_month_staff) * staff_cost,
        usd_per_gpu_month_staff=pick(table.usd_per_gpu_month_staff) * staff_cost,
        usd_per_gpu_month_support=pick(table.usd_per_gpu_month_support),
        infra_fixed=pick(table.infra_fixed),
        infra_per_instance=pick(table.infra_per_instance),
        infra_per_request_day=pick(table.infra_per_request_day),
        usd_per_month_adaptation=pick(table.usd_per_month_adaptation),
        kappa_held=np.where(feasible, kappa_held, 0.0),
        kappa_hour=np.where(feasible, kappa_hour, 0.0),
    )


def sampled_table(table: OptionTable, rows: IntArray, factors: Factors) -> OptionTable:
    """`scenario_table` for every option of `rows` in every sample: entry j * samples + i is
    option `rows[j]` under the i-th sample's factors."""
    k, s = len(rows), factors.samples
    return scenario_table(
        table,
        rows,
        factors.throughput.reshape(-1),
        np.tile(factors.gpu_price, k),
        np.tile(factors.staff_cost, k),
        np.tile(factors.peak, k),
        repeats=s,
    )


def sample_chunks(factors: Factors, rows_per_sample: int) -> list[Factors]:
    """The samples in slices small enough that one slice widens to at most CHUNK_ROWS table
    rows, so memory stays bounded whatever the sample count."""
    size = max(1, CHUNK_ROWS // max(rows_per_sample, 1))
    if factors.samples <= size:
        return [factors]
    return [
        Factors(
            factors.throughput[:, start : start + size],
            factors.api_price[start : start + size],
            factors.gpu_price[start : start + size],
            factors.staff_cost[start : start + size],
            factors.volume[start : start + size],
            factors.peak[start : start + size],
        )
        for start in range(0, factors.samples, size)
    ]


def sampled_self_hosted_costs(
    table: OptionTable, rows: IntArray, requests_per_day: float, factors: Factors
) -> FloatArray:
    """Monthly cost (USD) of self-hosted options `rows` in every sample: (options, samples)."""
    chunks = sample_chunks(factors, len(rows))
    if len(chunks) > 1:
        return np.concatenate(
            [sampled_self_hosted_costs(table, rows, requests_per_day, c) for c in chunks], axis=1
        )
    k, s = len(rows), factors.samples
    if k == 0:
        return np.empty((0, s))
    # The numbers of `fleet_total` on `sampled_table(table, rows, factors)`, without it.
    per_sample = (factors.gpu_price, factors.staff_cost, factors.peak)
    return sampled_totals(
        table, rows, factors.throughput, (*per_sample, factors.volume * requests_per_day)
    )


def sampled_api_costs(point_monthly_usd: FloatArray, factors: Factors) -> FloatArray:
    """Monthly cost (USD) of API options in every sample: linear in price and volume."""
    point = np.asarray(point_monthly_usd, dtype=np.float64)
    return point[:, None] * (factors.api_price * factors.volume)[None, :]


@dataclass(frozen=True, slots=True, eq=False)
class Ranges:
    """P10/P50/P90 per option (rows) and how often each option is the cheapest."""

    monthly_cost_usd: FloatArray  # (options, 3)
    usd_per_million_tokens: FloatArray  # (options, 3)
    probability_cheapest: FloatArray  # (options,)


def summarise(costs: FloatArray, tokens_per_month: FloatArray) -> Ranges:
    """Percentiles of sampled costs (options x samples) and the share of samples where each
    option is the cheapest (ties go to the first option). USD/Mtok is NaN (undefined) in a
    sample without traffic."""
    tokens = np.asarray(tokens_per_month, dtype=np.float64)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_mtok = np.where(tokens > 0, costs / tokens * 1e6, np.nan)
    cheapest = np.argmin(costs, axis=0) if costs.shape[0] else np.empty(0, dtype=np.intp)
    counts = np.bincount(cheapest, minlength=costs.shape[0]).astype(np.float64)
    return Ranges(
        monthly_cost_usd=percentiles(costs),
        usd_per_million_tokens=percentiles(per_mtok),
        probability_cheapest=counts / max(costs.shape[1], 1),
    )


def percentiles(values: FloatArray) -> FloatArray:
    """P10/P50/P90 along the last axis, as actual samples (no interpolation, so +inf for
    "never" stays +inf and equal samples give that value exactly)."""
    return np.moveaxis(
        np.percentile(values, PERCENTILES, axis=-1, method="inverted_cdf"), 0, -1
    ).astype(np.float64)


def take_options(factors: Factors, positions: IntArray) -> Factors:
    """The same samples, with the throughput rows of the options at `positions` only."""
    return replace(factors, throughput=factors.throughput[np.asarray(positions, dtype=np.intp)])
