"""Length buckets: the workload's input-length distribution cut into a few request classes.

Input lengths are log-normal with the workload's mean and p95, the same fit the API pricing
uses (`lengths.lognormal_sigma`, docs/economics.md). A bucket covers a probability band
[p_lo, p_hi] of that distribution and carries:

* its request share p_hi - p_lo;
* its mean input length, from the log-normal's partial expectation:
  E[X; a < X <= b] = mean x (Phi(z_b - sigma) - Phi(z_a - sigma)), z = (ln x - mu) / sigma;
* its sizing length, the length at p_lo + 0.95 (p_hi - p_lo): the bucket's own p95, which is
  the workload's p95 when there is one bucket.

Output lengths are taken as independent of input lengths (as in api_cost), so every bucket
keeps the workload's output mean and p95. A workload without an input p95 has one length and
therefore one bucket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from statistics import NormalDist

from app.core.errors import InvalidEstimateInputError
from app.core.lengths import lognormal_sigma
from app.core.workload import WorkloadSpec

#: Buckets used when the request names neither a count nor edges.
DEFAULT_BUCKET_COUNT = 3
MAX_BUCKETS = 8
#: A bucket's sizing quantile within its own probability band.
SIZING_QUANTILE = 0.95
_STANDARD = NormalDist()


@dataclass(frozen=True, slots=True)
class LengthBucket:
    """One request class: a band of input lengths (tokens) and its share of requests."""

    index: int
    request_share: float
    input_tokens_min: float  # lower edge (0 for the first bucket)
    input_tokens_max: float  # upper edge (inf for the last bucket)
    input_tokens_mean: float
    input_tokens_sizing: float  # the bucket's own p95, used for latency and memory


def length_buckets(
    workload: WorkloadSpec,
    *,
    count: int | None = None,
    edges_input_tokens: tuple[float, ...] | None = None,
) -> tuple[LengthBucket, ...]:
    """Cut the input-length distribution into buckets (equal request shares, or at `edges`)."""
    mean = workload.input_tokens_mean
    sigma = lognormal_sigma(mean, workload.input_tokens_p95)
    sizing_whole = workload.input_tokens_p95 or mean
    if sigma == 0.0 or mean <= 0:
        return (LengthBucket(0, 1.0, 0.0, math.inf, mean, sizing_whole),)
    mu = math.log(mean) - sigma * sigma / 2.0
    if edges_input_tokens is not None:
        edges = tuple(float(e) for e in edges_input_tokens)
        if any(e <= 0 or not math.isfinite(e) for e in edges) or list(edges) != sorted(set(edges)):
            raise InvalidEstimateInputError(
                "bucket edges must be positive and strictly increasing", edges=list(edges)
            )
        probs = [0.0] + [_STANDARD.cdf((math.log(e) - mu) / sigma) for e in edges] + [1.0]
        bounds = [0.0, *edges, math.inf]
    else:
        n = DEFAULT_BUCKET_COUNT if count is None else count
        if not (1 <= n <= MAX_BUCKETS):
            raise InvalidEstimateInputError(
                f"length bucket count must be within [1, {MAX_BUCKETS}]", count=n
            )
        if n == 1:
            return (LengthBucket(0, 1.0, 0.0, math.inf, mean, sizing_whole),)
        probs = [k / n for k in range(n + 1)]
        bounds = [_quantile(mu, sigma, p) for p in probs]
    out: list[LengthBucket] = []
    for lo_p, hi_p, lo_t, hi_t in zip(probs, probs[1:], bounds, bounds[1:], strict=False):
        share = hi_p - lo_p
        if share <= 1e-9:
            continue  # an edge beyond the distribution's reach leaves an empty bucket
        partial = _partial_share(mu, sigma, hi_t) - _partial_share(mu, sigma, lo_t)
        out.append(
            LengthBucket(
                index=len(out),
                request_share=share,
                input_tokens_min=lo_t,
                input_tokens_max=hi_t,
                input_tokens_mean=max(mean * partial / share, 1.0),
                input_tokens_sizing=max(_quantile(mu, sigma, lo_p + SIZING_QUANTILE * share), 1.0),
            )
        )
    return tuple(out)


def bucket_workload(workload: WorkloadSpec, bucket: LengthBucket) -> WorkloadSpec:
    """The workload restricted to one bucket: its lengths, its share of the volume (req/day)."""
    return replace(
        workload,
        requests_per_day=workload.requests_per_day * bucket.request_share,
        input_tokens_mean=bucket.input_tokens_mean,
        input_tokens_p95=max(bucket.input_tokens_sizing, bucket.input_tokens_mean),
    )


def _quantile(mu: float, sigma: float, p: float) -> float:
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return math.inf
    return math.exp(mu + sigma * _STANDARD.inv_cdf(p))


def _partial_share(mu: float, sigma: float, tokens: float) -> float:
    """E[X; X <= tokens] / E[X] for the log-normal (share of input tokens below `tokens`)."""
    if tokens <= 0.0:
        return 0.0
    if math.isinf(tokens):
        return 1.0
    return _STANDARD.cdf((math.log(tokens) - mu) / sigma - sigma)
