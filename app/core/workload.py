"""Workload description (volume, token lengths, traffic shape, targets) and calendar constants.

Everything here is a plain input type plus small pure helpers that turn it into hourly demand.
See docs/economics.md for the conventions (month length, traffic shape, batch traffic).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.core.arrays import FloatArray
from app.core.errors import InvalidEstimateInputError

#: Days per month: a Julian year (365.25 days) over 12 months, so that 12 months make a year
#: on average including leap years.
MONTHS_PER_YEAR = 12.0
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / MONTHS_PER_YEAR  # 30.4375
HOURS_PER_DAY = 24
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
WATTS_PER_KW = 1000.0
HOURS_PER_MONTH = DAYS_PER_MONTH * HOURS_PER_DAY  # 730.5
TOKENS_PER_MTOK = 1e6
#: Largest volume a projection may reach (requests/day): a trillion a day is beyond any
#: service today, and fleets sized for more overflow the arithmetic.
MAX_PROJECTED_REQUESTS_PER_DAY = 1e12


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    """One workload: volume, per-request token lengths, traffic shape and service targets.

    Traffic shape: give either `peak_to_average` (peak hour over the daily mean hour) or
    `hourly_weights` (24 non-negative relative weights, hour 0 first); with neither the
    traffic is flat. `batch_share` of the requests can wait (served at the API's batch
    discount, or self-hosted on spare capacity); the shape applies to the rest.
    """

    requests_per_day: float
    input_tokens_mean: float
    output_tokens_mean: float
    # Sizing lengths: the service layer evaluates latency at these; cost uses the means.
    input_tokens_p95: float | None = None
    output_tokens_p95: float | None = None
    cached_input_share: float = 0.0
    # Share of the cached prompt tokens that are written to the cache rather than read from it
    # (the first request of each cache lifetime writes); held fixed across volumes.
    cache_write_share: float = 0.0
    batch_share: float = 0.0
    peak_to_average: float | None = None
    hourly_weights: tuple[float, ...] | None = None
    growth_per_month: float = 0.0
    horizon_months: int = 12
    ttft_p95_s: float | None = None
    tpot_p95_s: float | None = None
    redundancy_replicas: int = 0
    zones: int = 1

    def __post_init__(self) -> None:
        _check_finite_nonnegative("requests_per_day", self.requests_per_day)
        for name in ("input_tokens_mean", "output_tokens_mean"):
            _check_finite_nonnegative(name, getattr(self, name))
        if self.input_tokens_mean + self.output_tokens_mean <= 0:
            raise InvalidEstimateInputError("a request must have at least one token")
        for name in ("input_tokens_p95", "output_tokens_p95", "ttft_p95_s", "tpot_p95_s"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise InvalidEstimateInputError(f"{name} must be positive", **{name: value})
        for name in ("cached_input_share", "cache_write_share", "batch_share"):
            value = getattr(self, name)
            if not (0.0 <= value <= 1.0):
                raise InvalidEstimateInputError(f"{name} must be within [0, 1]", **{name: value})
        try:
            last_month = self.requests_per_day * (1.0 + self.growth_per_month) ** max(
                self.horizon_months - 1, 0
            )
        except OverflowError:
            last_month = math.inf
        if not last_month <= MAX_PROJECTED_REQUESTS_PER_DAY:
            raise InvalidEstimateInputError(
                f"growth of {self.growth_per_month:g} a month over {self.horizon_months} months "
                f"takes {self.requests_per_day:g} requests/day to {last_month:.3g}, beyond "
                f"{MAX_PROJECTED_REQUESTS_PER_DAY:g}: shorten the horizon or lower the growth",
                projected_requests_per_day=last_month if math.isfinite(last_month) else None,
                max_requests_per_day=MAX_PROJECTED_REQUESTS_PER_DAY,
            )
        if self.peak_to_average is not None and self.hourly_weights is not None:
            raise InvalidEstimateInputError("give peak_to_average or hourly_weights, not both")
        if self.peak_to_average is not None and not (
            1.0 <= self.peak_to_average <= float(HOURS_PER_DAY)
        ):
            # The peak hour cannot carry more than the whole day.
            raise InvalidEstimateInputError(
                "peak_to_average must be within [1, 24]", peak_to_average=self.peak_to_average
            )
        if self.hourly_weights is not None:
            weights = self.hourly_weights
            if len(weights) != HOURS_PER_DAY:
                raise InvalidEstimateInputError(
                    "hourly_weights needs 24 values", count=len(weights)
                )
            if any(not (math.isfinite(w) and w >= 0) for w in weights) or sum(weights) <= 0:
                raise InvalidEstimateInputError("hourly_weights must be non-negative, not all 0")
        if not (math.isfinite(self.growth_per_month) and self.growth_per_month > -1.0):
            raise InvalidEstimateInputError(
                "growth_per_month must be above -1", growth_per_month=self.growth_per_month
            )
        if self.horizon_months < 1:
            raise InvalidEstimateInputError(
                "horizon_months must be at least 1", horizon_months=self.horizon_months
            )
        if self.redundancy_replicas < 0:
            raise InvalidEstimateInputError(
                "redundancy_replicas must be >= 0", redundancy_replicas=self.redundancy_replicas
            )
        if self.zones < 1:
            raise InvalidEstimateInputError("zones must be >= 1", zones=self.zones)

    @property
    def tokens_per_request(self) -> float:
        """Mean input plus output tokens per request (tokens)."""
        return self.input_tokens_mean + self.output_tokens_mean


def _check_finite_nonnegative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise InvalidEstimateInputError(f"{name} must be a finite number >= 0", **{name: value})


def requests_per_day_from_users(users: float, requests_per_user_per_day: float) -> float:
    """Daily request volume (requests/day) from a user count and per-user daily requests."""
    _check_finite_nonnegative("users", users)
    _check_finite_nonnegative("requests_per_user_per_day", requests_per_user_per_day)
    return users * requests_per_user_per_day


def hourly_shares(workload: WorkloadSpec) -> FloatArray:
    """Share of a day's (non-batch) requests falling in each of the 24 hours (sums to 1).

    With `peak_to_average` p the profile is the two-level day that has exactly that ratio:
    one peak hour at p/24 and the other 23 hours sharing the rest evenly. Only the peak
    matters for committed and owned fleets; for autoscaled fleets a real 24-hour profile is
    more accurate, so prefer `hourly_weights` when you have one.
    """
    if workload.hourly_weights is not None:
        weights = np.asarray(workload.hourly_weights, dtype=np.float64)
        normalised: FloatArray = weights / weights.sum()
        return normalised
    peak = 1.0 if workload.peak_to_average is None else workload.peak_to_average
    shares = np.full(HOURS_PER_DAY, (1.0 - peak / HOURS_PER_DAY) / (HOURS_PER_DAY - 1))
    shares[0] = peak / HOURS_PER_DAY
    return shares


def monthly_volumes(workload: WorkloadSpec) -> FloatArray:
    """Requests per day in each month of the horizon, compounding `growth_per_month` (req/day)."""
    months = np.arange(workload.horizon_months, dtype=np.float64)
    growth: FloatArray = (1.0 + workload.growth_per_month) ** months
    return workload.requests_per_day * growth
