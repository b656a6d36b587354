"""Request lengths as distributions: input lengths are log-normal with the workload's mean and
p95 (a single length when p95 is absent); output lengths are taken at their mean.

Used to price long-context tiers by the share of requests above a threshold, and to say how
much of the traffic a model's context window cannot hold.
"""

from __future__ import annotations

import math

from app.core.workload import WorkloadSpec

#: Standard normal quantile at 0.95.
Z_95 = 1.6448536269514722


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def lognormal_sigma(mean: float, p95: float | None) -> float:
    """Shape sigma of the log-normal with this mean and 95th percentile (0 = a single length).

    Solves p95/mean = exp(z*sigma - sigma^2/2) for the smaller root. The ratio cannot exceed
    exp(z^2/2) ~ 3.87 for a log-normal; larger ratios are clipped to sigma = z.
    """
    if p95 is None or mean <= 0 or p95 <= mean:
        return 0.0
    k = math.log(p95 / mean)
    disc = Z_95 * Z_95 - 2.0 * k
    return Z_95 - math.sqrt(disc) if disc > 0 else Z_95


def share_above(mean: float, sigma: float, threshold: float) -> tuple[float, float]:
    """(request share, input-token share) of requests whose input exceeds `threshold` tokens."""
    if sigma == 0.0:
        above = 1.0 if mean > threshold else 0.0
        return above, above
    if threshold <= 0:
        return 1.0, 1.0
    mu = math.log(mean) - sigma * sigma / 2.0
    z = (math.log(threshold) - mu) / sigma
    # Partial expectation of a log-normal: E[X; X > t] / E[X] = 1 - Phi(z - sigma).
    return 1.0 - _normal_cdf(z), 1.0 - _normal_cdf(z - sigma)


def context_overflow_share(
    workload: WorkloadSpec, context_tokens: float, *, extra_output_tokens: float = 0.0
) -> float:
    """Share of requests whose input plus (mean) output, plus any hidden reasoning tokens,
    exceeds `context_tokens` (0..1)."""
    room_for_input = context_tokens - workload.output_tokens_mean - extra_output_tokens
    if room_for_input <= 0:
        return 1.0
    sigma = lognormal_sigma(workload.input_tokens_mean, workload.input_tokens_p95)
    return share_above(workload.input_tokens_mean, sigma, room_for_input)[0]
